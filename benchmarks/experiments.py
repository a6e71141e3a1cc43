"""Scale of experiments: parallel efficiency, Dask overhead, memory of long runs, cost growth.

Run: ``.venv/bin/python benchmarks/experiments.py [--reps N] [--skip-dask]``

1. Parallel efficiency: ``replicate`` of the baseline year, ``--reps`` replications, serial vs
   a 2-worker process pool (target: pool time <= 0.55 x serial time at 200 replications).
2. Dask: the same job on a ``LocalCluster`` with 2 single-threaded worker processes vs the
   process pool (target: within 15%).
3. Memory: peak resident memory of a process simulating a 5-year horizon of the baseline
   (target: under 1 GB per worker).
4. Cost growth: seconds per replication at 1x, 2x and 4x the baseline's horizon, and at 1x, 2x
   and 4x its size (providers, staff and demand scaled together): growth should be linear.

Prints one line per figure; results are identical across executors (checked here too).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd

from practicesim import load_scenario
from practicesim.experiment import replicate
from practicesim.scenario import Scenario

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def timed(label: str, fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn``, print and return its wall time in seconds, and its result."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed:7.1f} s")
    return elapsed, result


def scaled(scenario: Scenario, size: int = 1, years: int = 1) -> Scenario:
    """The baseline with ``size`` times the providers, staff and demand, over ``years``."""
    staff = {f"staff.{role}.count": getattr(scenario.staff, role).count * size
             for role in ("front_desk", "checkout", "medical_assistants", "coders", "billers",
                          "other")}
    return scenario.with_changes({
        **staff,
        "providers[physician].count": 8 * size,
        "providers[nurse_practitioner].count": 2 * size,
        "demand[primary_care].requests_per_day": scenario.demand[0].requests_per_day * size,
        "calendar.horizon_days": 365 * years,
        "scheduling.panel_size": scenario.scheduling.panel_size * size,
    })


def peak_memory_mb(years: int) -> float:
    """Peak resident memory (MB) of a fresh process running one baseline run of ``years``."""
    code = (
        "import resource\n"
        "from practicesim import load_scenario, simulate\n"
        "from benchmarks.experiments import scaled\n"
        f"run = simulate(scaled(load_scenario({str(BASELINE)!r}), years={years}), seed=1)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    base = load_scenario(BASELINE)

    serial, a = timed(f"{args.reps} replications, serial",
                      lambda: replicate(base, reps=args.reps, seed=1, executor="serial"))
    pooled, b = timed(f"{args.reps} replications, 2-process pool",
                      lambda: replicate(base, reps=args.reps, seed=1, workers=2))
    pd.testing.assert_frame_equal(a.kpis, b.kpis)
    print(f"parallel efficiency: pool / serial time = {pooled / serial:.3f} (target <= 0.55)")

    if not args.skip_dask:
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            on_dask, c = timed(f"{args.reps} replications, Dask LocalCluster (2 workers)",
                               lambda: replicate(base, reps=args.reps, seed=1, executor=client))
        pd.testing.assert_frame_equal(a.kpis, c.kpis)
        print(f"Dask overhead: Dask / pool time = {on_dask / pooled:.3f} (target <= 1.15)")

    print(f"peak memory, 5-year horizon in one process: {peak_memory_mb(5):,.0f} MB "
          "(target < 1024)")

    for label, variant in [("horizon 1x", scaled(base)), ("horizon 2x", scaled(base, years=2)),
                           ("horizon 4x", scaled(base, years=4)), ("size 2x", scaled(base, 2)),
                           ("size 4x", scaled(base, 4))]:
        timed(f"cost growth, {label}, one replication",
              lambda v=variant: replicate(v, reps=1, seed=1, executor="serial"))


if __name__ == "__main__":
    main()
