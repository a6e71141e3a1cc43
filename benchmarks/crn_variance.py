"""How much common random numbers reduce the variance of a paired difference.

Run: ``.venv/bin/python benchmarks/crn_variance.py [--reps 6] [--seed 3]``

For each pair of scenarios, the same replications are run twice: paired (the scenario on the
baseline's random streams: common random numbers) and independent (the scenario on streams of
its own, ``compare(..., independent=True)``). The variance of the per-replication difference
of each KPI is reported for both, and their ratio (independent / paired: how many times fewer
replications a paired comparison needs for the same precision). Pairs: a booking change
(``hire_provider`` against ``late_credentialing``: the same hire, applications sent four months
later, so bookings differ) and a billing-only change (``baseline`` against ``hire_biller``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from practicesim import compare, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PAIRS = (("hire_provider", "late_credentialing"), ("baseline", "hire_biller"))
KPIS = ("visits_completed", "collections", "net_cash_flow", "days_in_ar")


def variance_table(base: str, other: str, reps: int, seed: int) -> pd.DataFrame:
    """Per KPI: the paired difference's mean and variance, the independent one's, and the
    variance ratio (independent / paired)."""
    a, b = load_scenario(SCENARIOS / f"{base}.yaml"), load_scenario(SCENARIOS / f"{other}.yaml")
    rows = {}
    for name, independent in (("paired", False), ("independent", True)):
        result = compare(a, b, reps=reps, seed=seed, independent=independent)
        diffs = result.differences.xs(b.name, level="scenario")
        rows[name] = diffs[list(KPIS)].agg(["mean", "var"])
    table = pd.concat(rows, axis=0).T
    table[("ratio", "")] = table[("independent", "var")] / table[("paired", "var")]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=6)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    with pd.option_context("display.width", 140, "display.float_format", "{:,.4g}".format):
        for base, other in PAIRS:
            print(f"\n{other} - {base}, {args.reps} replications, seed {args.seed}")
            print(variance_table(base, other, args.reps, args.seed))


if __name__ == "__main__":
    main()
