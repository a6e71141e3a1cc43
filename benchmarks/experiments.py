"""Scale of experiments: parallel efficiency, Dask overhead, memory of long runs, cost growth.

Run: ``.venv/bin/python benchmarks/experiments.py [--reps N] [--block B] [--skip-dask]
[--only-parallel]``

1. Parallel efficiency: ``--reps`` replications of the baseline year, serial vs a 2-worker
   process pool, interleaved in blocks of ``--block`` (target: pool time <= 0.55 x serial time
   at 200 replications); and, for reference, two independent processes sharing one block.
2. Dask: one block on a ``LocalCluster`` with 2 single-threaded worker processes vs the
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
from practicesim.experiment import Job, replicate, run_jobs
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


def two_independent_processes(reps: int) -> float:
    """Wall time of two separate Python processes each running ``reps // 2`` replications
    serially at the same time: what two busy cores of this machine can do with no pool at all
    (the hardware bound for the pool)."""
    code = ("import sys\n"
            "from practicesim import load_scenario\n"
            "from practicesim.experiment import Job, run_jobs\n"
            f"base = load_scenario({str(BASELINE)!r})\n"
            "first, count = int(sys.argv[1]), int(sys.argv[2])\n"
            "run_jobs([Job(base, 1, r) for r in range(first, first + count)], 'serial')\n")
    half = reps // 2
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", code, str(k * half), str(half)], cwd=ROOT)
             for k in range(2)]
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError("a reference process failed")
    return time.perf_counter() - start


def parallel_efficiency(base: Scenario, reps: int, block: int) -> None:
    """Serial and pool runs interleaved block by block (so that the machine's drifting load
    hits both alike), then the two-process reference on one block."""
    serial = pooled = 0.0
    for first in range(0, reps, block):
        count = min(block, reps - first)
        t0 = time.perf_counter()
        a = run_jobs([Job(base, 1, r) for r in range(first, first + count)], "serial")
        t1 = time.perf_counter()
        b = run_jobs([Job(base, 1, r) for r in range(first, first + count)], "processes",
                     workers=2)
        t2 = time.perf_counter()
        serial, pooled = serial + t1 - t0, pooled + t2 - t1
        pd.testing.assert_frame_equal(pd.DataFrame([r.kpis for r in a]),
                                      pd.DataFrame([r.kpis for r in b]))
        print(f"replications {first}-{first + count - 1}: serial {t1 - t0:6.1f} s, "
              f"pool {t2 - t1:6.1f} s", flush=True)
    print(f"{reps} replications, serial: {serial:7.1f} s")
    print(f"{reps} replications, 2-process pool: {pooled:7.1f} s")
    print(f"parallel efficiency: pool / serial time = {pooled / serial:.3f} (target <= 0.55)")
    reference = two_independent_processes(block)
    per_rep_serial = serial / reps
    print(f"reference: two independent processes, {block // 2} replications each: "
          f"{reference:.1f} s = {reference / (block * per_rep_serial):.3f} of serial time "
          "(the bound two busy cores allow here)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--block", type=int, default=40,
                        help="replications per serial/pool block (interleaved)")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--only-parallel", action="store_true",
                        help="measure parallel efficiency only")
    args = parser.parse_args()
    base = load_scenario(BASELINE)
    parallel_efficiency(base, args.reps, args.block)
    if args.only_parallel:
        return

    if not args.skip_dask:
        from distributed import Client, LocalCluster

        block = args.block
        pooled, b = timed(f"{block} replications, 2-process pool",
                          lambda: replicate(base, reps=block, seed=1, workers=2))
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            on_dask, c = timed(f"{block} replications, Dask LocalCluster (2 workers)",
                               lambda: replicate(base, reps=block, seed=1, executor=client))
        pd.testing.assert_frame_equal(b.kpis, c.kpis)
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
