"""Where the billers' time goes: minutes per claim of each work queue over the reported year,
against published staffing benchmarks (docs/model-reference.md, billers' workload).

Run: ``.venv/bin/python benchmarks/biller_workload.py [--scenario PATH] [--seed N]``

Drives one practice as ``practicesim.simulate`` does and reads the billers' minutes per day and
queue (``WorkQueues.minutes``) over the reporting period: minutes per claim charged in it, by
queue and in all, and the share of the billers' paid minutes (count x hours x 60 on clinic
days) they fill.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import simpy

from practicesim import load_scenario
from practicesim.practice import Practice
from practicesim.revenue.work import KINDS

ROOT = Path(__file__).resolve().parents[1]


def workload(scenario_path: Path, seed: int) -> dict[str, float]:
    """Minutes per claim by queue (and ``patient_call``, ``total``) and ``utilization``."""
    scenario = load_scenario(scenario_path)
    practice = Practice(scenario, seed, 0)
    env = simpy.Environment()
    env.process(practice.process(env, None))
    env.run()
    ctx = practice.ctx
    start = ctx.calendar.warmup
    minutes = practice.work.minutes[start:]
    claims = sum(1 for claim in ctx.accounts.claims if claim.charge_day >= start)
    out = {kind: minutes[:, k].sum() / claims for k, kind in enumerate(KINDS)}
    out["patient_call"] = minutes[:, -1].sum() / claims
    out["total"] = minutes.sum() / claims
    billers = scenario.staff.billers
    paid = billers.count * billers.hours_per_day * 60 * int(
        ctx.calendar.is_clinic_day[start:].sum())
    out["utilization"] = minutes.sum() / paid if paid else float("nan")
    out["claims"] = float(claims)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures = workload(args.scenario, args.seed)
    print(f"{args.scenario.name}, seed {args.seed}: {figures['claims']:,.0f} claims charged in "
          "the reported year")
    for kind in (*KINDS, "patient_call"):
        print(f"  {kind:<18} {figures[kind]:5.2f} minutes per claim")
    print(f"  {'total':<18} {figures['total']:5.2f} minutes per claim, "
          f"{figures['utilization']:.0%} of the billers' paid minutes")


if __name__ == "__main__":
    main()
