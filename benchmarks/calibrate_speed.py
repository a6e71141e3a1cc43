"""Speed of ``practicesim calibrate`` on a 100,000-appointment export and a year of 835 files
(issue 5: under a minute on this machine).

Run: ``.venv/bin/python benchmarks/calibrate_speed.py [--horizon-days 540] [--profile]``

1. Simulates the baseline (``scenarios/baseline.yaml``) with ``calendar.horizon_days`` raised
   so that the run books about 100,000 appointments (the baseline books about 76,000 in its
   545 days, warm-up included; 180 + 540 days give about 100,000), seed 1.
2. Writes the appointment export (``exports.write_appointments_csv``; scheduled appointments
   beyond the run's end are left out, as the export does) and the last 365 days of payer
   remittances as 835 files (``era_export.write_835``, weekly files).
3. Times ``practicesim calibrate --out ... --appointments ... --appointments-mapping
   calibration/practicesim_appointments_mapping.yaml --remittances FOLDER`` as a subprocess:
   the figure the target is about (wall seconds, Python start-up and imports included).
4. Repeats the command's steps in this process, timed one by one: reading the appointments,
   reading the 835s (``read_835``), turning them into a ledger (``Remittances.ledger``),
   fitting (``calibrate``) and writing (``Calibration.write``). With ``--profile``, under
   cProfile, and prints the functions with the most cumulative and own time.

Prints rows, files, sizes and seconds. Everything is written under a temporary folder, removed
at the end (``--keep`` keeps it and prints where).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from practicesim import load_scenario, simulate
from practicesim.calibrate import calibration as cal
from practicesim.calibrate import read_835, read_appointments
from practicesim.calibrate.era_export import write_835
from practicesim.calibrate.exports import write_appointments_csv
from practicesim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MAPPING = ROOT / "calibration" / "practicesim_appointments_mapping.yaml"
PRACTICESIM = Path(sys.executable).with_name("practicesim")
TARGET_SECONDS = 60.0


def longer(scenario: Scenario, horizon_days: int) -> Scenario:
    """``scenario`` with ``calendar.horizon_days`` replaced (validated again)."""
    data = scenario.model_dump(mode="json", by_alias=True)
    data["calendar"]["horizon_days"] = horizon_days
    return Scenario.model_validate(data)


def timed(label: str, times: dict[str, float], fn: Callable[[], Any]) -> Any:
    """Call ``fn``, record its wall seconds under ``label`` and return its result."""
    start = time.perf_counter()
    result = fn()
    times[label] = time.perf_counter() - start
    print(f"  {label:<28} {times[label]:7.2f} s", flush=True)
    return result


def folder_mb(path: Path) -> float:
    """Size of the files under ``path``, MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def in_process(appointments: Path, era: Path, out: Path) -> dict[str, float]:
    """The steps of ``practicesim calibrate`` (cli.calibrate), timed one by one (seconds)."""
    times: dict[str, float] = {}
    visits = timed("read appointments", times, lambda: read_appointments(appointments, MAPPING))
    remittances = timed("read 835s", times, lambda: read_835(era))

    def ledger() -> pd.DataFrame:
        origin = remittances.claims["service_date"].min()
        frame = remittances.ledger(origin.date())
        frame.attrs["origin"] = origin
        return frame

    remitted = timed("835s to ledger", times, ledger)
    base = load_scenario(BASELINE)
    result = timed("fit (calibrate)", times, lambda: cal.calibrate(
        appointments=visits, remittances=remitted, base=base))
    timed("write results", times, lambda: result.write(out))
    times["total"] = sum(times.values())
    print(f"  {'total':<28} {times['total']:7.2f} s")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon-days", type=int, default=540,
                        help="calendar.horizon_days of the simulated baseline (days)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true",
                        help="run the in-process steps under cProfile and print the top")
    parser.add_argument("--keep", action="store_true", help="keep the files written")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="calibrate_speed."))
    try:
        scenario = longer(load_scenario(BASELINE), args.horizon_days)
        start = time.perf_counter()
        run = simulate(scenario, seed=args.seed)
        days = run.calendar.n_days
        print(f"simulated {days} days of the baseline ({scenario.calendar.warmup_days} warm-up)"
              f" in {time.perf_counter() - start:.1f} s")

        appointments = write_appointments_csv(run, work / "appointments.csv")
        rows = sum(1 for _ in appointments.open(encoding="utf-8")) - 1
        last = run.calendar.date(days - 1)
        first = last - dt.timedelta(days=364)
        start = time.perf_counter()
        files = write_835(run, work / "era", checks="weekly", start=first, end=last)
        written = time.perf_counter() - start
        text = "".join(p.read_text(encoding="ascii") for p in files)
        print(f"appointment export: {rows:,} rows, {appointments.stat().st_size / 2**20:.1f} MB")
        clps, segments = text.count("\nCLP*"), text.count("\n")
        print(f"835 files: {len(files):,} files ({first} to {last}), {clps:,} claim payments, "
              f"{segments:,} segments, {folder_mb(work / 'era'):.1f} MB, written in "
              f"{written:.1f} s")

        command = [str(PRACTICESIM), "calibrate", "--out", str(work / "cli_out"),
                   "--appointments", str(appointments), "--appointments-mapping",
                   str(MAPPING), "--remittances", str(work / "era"), "--base", str(BASELINE)]
        print("\n$ practicesim calibrate --out OUT --appointments appointments.csv "
              "--appointments-mapping calibration/practicesim_appointments_mapping.yaml "
              "--remittances era/")
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        wall = time.perf_counter() - start
        print(done.stdout.strip() or done.stderr.strip())
        if done.returncode:
            raise SystemExit(f"practicesim calibrate failed ({done.returncode}):\n"
                             f"{done.stderr}")
        verdict = "met" if wall < TARGET_SECONDS else "NOT met"
        print(f"command wall time: {wall:.1f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")

        print("\nthe same steps in this process:")
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        in_process(appointments, work / "era", work / "steps_out")
        if profiler is not None:
            profiler.disable()
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(25)
                print(f"\nprofile, by {order} time:\n{out.getvalue()}")
    finally:
        if args.keep:
            print(f"\nfiles kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
