"""Summaries of many replications without holding every ledger in memory.

Run: ``.venv/bin/python benchmarks/many_replications.py [--reps 1000] [--workers 2]``

Runs ``--reps`` replications of the baseline year on a process pool, each replication saved to
a checkpoint folder as it finishes (streamed to disk), and summarises them: every KPI and the
daily A/R and cumulative net cash bands. Prints the wall time, the peak resident memory of the
parent process and of the largest worker, the size of what was streamed to disk, and the
summary of 12-month net cash flow. The parent holds only each replication's KPIs and its
monthly and daily series (a few tens of kilobytes), never a ledger; each worker holds one run at
a time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from practicesim import load_scenario
from practicesim.experiment import replicate

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def folder_mb(path: Path) -> float:
    """Size of the files under ``path`` in MB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(BASELINE)
    scratch = Path(tempfile.mkdtemp(prefix="practicesim-many-"))
    try:
        start = time.perf_counter()
        exp = replicate(scenario, reps=args.reps, seed=1, workers=args.workers,
                        checkpoint=scratch / "replications")
        summary = exp.summary()
        ar_bands = exp.daily_summary("ar")
        cash_bands = exp.daily_summary("cumulative_net_cash")
        elapsed = time.perf_counter() - start
        parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{args.reps} replications on {args.workers} workers: {elapsed:,.0f} s "
              f"({elapsed / args.reps:.2f} s a replication)")
        print(f"peak memory: parent {parent:,.0f} MB, largest worker {worker:,.0f} MB")
        print(f"streamed to disk: {folder_mb(scratch / 'replications'):,.1f} MB "
              f"({len(list((scratch / 'replications').glob('*.pkl')))} replication files)")
        print(f"in memory: kpis {exp.kpis.memory_usage(deep=True).sum() / 2**20:.1f} MB, "
              f"monthly {exp.monthly.memory_usage(deep=True).sum() / 2**20:.1f} MB, "
              f"daily {exp.daily.memory_usage(deep=True).sum() / 2**20:.1f} MB")
        row = summary.loc["net_cash_flow"]
        print(f"12-month net cash flow: mean ${row['mean']:,.0f} (95% CI ${row['ci_low']:,.0f} "
              f"to ${row['ci_high']:,.0f}; P10 ${row['p10']:,.0f}, P90 ${row['p90']:,.0f})")
        print(f"A/R on the last day: P10 ${ar_bands['p10'].iloc[-1]:,.0f}, "
              f"P50 ${ar_bands['p50'].iloc[-1]:,.0f}, P90 ${ar_bands['p90'].iloc[-1]:,.0f}; "
              f"cumulative net cash P50 ${cash_bands['p50'].iloc[-1]:,.0f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
