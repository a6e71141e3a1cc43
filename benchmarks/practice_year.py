"""Speed of one baseline practice-year, against a plain SimPy model of the visit flow alone.

Run: ``.venv/bin/python benchmarks/practice_year.py [--scenario PATH] [--repeat N]``

1. The full model: ``practicesim.simulate`` on the scenario (warm-up included: every simulated
   visit counts), the whole revenue cycle and the output tables.
2. The plain model: the same visits (same days, arrival times and providers, service times drawn
   from the scenario's distributions) through the same staffed stages as a straightforward SimPy
   model, one process per visit with a ``simpy.Resource`` per stage
   (``practicesim.clinic.flow_reference``), no revenue cycle.

The full model pauses Python's cyclic garbage collector while it runs (engine.simulate); the
plain model is timed both as written and with the collector paused too, and the ratio is taken
against the faster of the two. Prints visits per second and the ratio (full / plain speed; >= 1
means the revenue cycle and everything else cost less than the plain flow model alone). Best of
``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
from pathlib import Path

import numpy as np

from practicesim import load_scenario, simulate
from practicesim.clinic.flow import DayPatients
from practicesim.clinic.flow_reference import run_reference
from practicesim.practice import provider_seats
from practicesim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]


def plain_model_days(scenario: Scenario, visits, seed: int) -> list[tuple[float, DayPatients]]:
    """The run's booked visits as (day offset in minutes, DayPatients), with service times
    drawn from the scenario's distributions."""
    rng = np.random.default_rng(seed)
    names = {seat.name: i for i, seat in enumerate(provider_seats(scenario))}
    flow = scenario.flow
    types = {vt.name: vt for line in scenario.service_lines for vt in line.visit_types}
    days = []
    for day, group in visits.groupby("day", sort=True):
        n = len(group)
        patients = DayPatients()
        check_in = np.maximum(flow.check_in_minutes.sample(rng, n), 0)
        rooming = np.maximum(flow.rooming_minutes.sample(rng, n), 0)
        checkout = np.maximum(flow.checkout_minutes.sample(rng, n), 0)
        for i, row in enumerate(group.itertuples(index=False)):
            minutes = max(0.0, float(types[row.visit_type].provider_minutes.sample(rng, 1)[0]))
            patients.add(float(row.arrival_minutes), names[row.provider], 0.0,
                         float(check_in[i]), float(rooming[i]), minutes, float(checkout[i]))
        days.append((float(day) * 1440.0, patients))
    return days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)

    full_times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        run = simulate(scenario, seed=args.seed)
        full_times.append(time.perf_counter() - start)
    visits = len(run.visits)

    days = plain_model_days(scenario, run.visits, args.seed)
    staff = scenario.staff
    plain_times = {"as written": [], "cyclic GC paused": []}
    for _ in range(args.repeat):
        for mode, times in plain_times.items():
            if mode == "cyclic GC paused":
                gc.disable()
            start = time.perf_counter()
            run_reference(days, staff.front_desk.count, staff.medical_assistants.count,
                          staff.checkout.count)
            times.append(time.perf_counter() - start)
            gc.enable()

    full = min(full_times)
    plain = min(min(times) for times in plain_times.values())
    n_days = scenario.calendar.warmup_days + scenario.calendar.horizon_days
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"scenario: {scenario.name}, {n_days} simulated days "
          f"({scenario.calendar.warmup_days} warm-up), {visits} visits, seed {args.seed}")
    print(f"full model:  {full:6.2f} s  {visits / full:9,.0f} visits/s  (best of {args.repeat})")
    for mode, times in plain_times.items():
        best = min(times)
        print(f"plain SimPy: {best:6.2f} s  {visits / best:9,.0f} visits/s  (flow only, {mode})")
    print(f"ratio full/plain speed: {plain / full:.2f}  (against the faster plain run)")
    print(f"practice-year equivalent: {full * 365 / n_days:.2f} s per 365 simulated days")


if __name__ == "__main__":
    main()
