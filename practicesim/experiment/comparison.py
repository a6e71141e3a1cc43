"""Paired comparisons: ``compare`` runs a baseline and scenarios on the same replications
(common random numbers) and returns a ``Comparison`` of their paired differences, with a
per-KPI ``summary`` and the figures a ``decision`` rests on (cash difference, break-even
month, cash risk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from practicesim.experiment.jobs import Executor, Job, run_jobs
from practicesim.experiment.replications import Experiment
from practicesim.experiment.statistics import HIGHER_IS_BETTER, interval
from practicesim.progress import ProgressArg, reporting
from practicesim.scenario import Scenario
from practicesim.state import PracticeState


@dataclass
class Comparison:
    """Scenarios against a baseline on the same replications (common random numbers).

    ``differences``: one row per (scenario, replication), one column per KPI: scenario minus
    baseline. ``cash_differences``: cumulative net cash difference (dollars) per (scenario,
    replication) and month.
    """

    baseline: Experiment
    scenarios: dict[str, Experiment]
    differences: pd.DataFrame
    cash_differences: pd.DataFrame = field(repr=False)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Per scenario and KPI: baseline and scenario means, the mean paired difference with
        its confidence interval, and the probability that the scenario is better (share of
        replications where it is)."""
        rows = []
        for name, exp in self.scenarios.items():
            diffs = self.differences.xs(name, level="scenario")
            for kpi in diffs.columns:
                d = diffs[kpi].astype(float)
                mean, low, high = interval(d, confidence)
                better = d > 0 if kpi in HIGHER_IS_BETTER else d < 0
                rows.append({
                    "scenario": name, "kpi": kpi,
                    "baseline": self.baseline.kpis[kpi].mean(), "value": exp.kpis[kpi].mean(),
                    "difference": mean, "ci_low": low, "ci_high": high,
                    "p_better": float(better.mean()),
                })
        return pd.DataFrame(rows).set_index(["scenario", "kpi"])

    def decision(self, months: Sequence[int] = (6, 12, 24), cash_floor: float | None = None,
                 confidence: float = 0.90) -> pd.DataFrame:
        """The figures a decision rests on, per scenario: cumulative net cash difference at the
        given months and at the last reported month (mean and interval), the break-even month
        (first month from which the mean cumulative difference stays >= 0), the same two for
        accrual net income (``income_diff_m*``, ``income_break_even_month``: revenue when
        earned, costs when incurred, ``practicesim.accrual``), and the risk that the
        scenario's cash falls below ``cash_floor`` (default: one month of the baseline's
        costs) in some month."""
        out = {}
        for name, exp in self.scenarios.items():
            wide = self.cash_differences.xs(name, level="scenario").unstack("month")
            income = (exp.monthly["cumulative_net_income"]
                      - self.baseline.monthly["cumulative_net_income"].to_numpy()
                      ).unstack("month")
            row: dict[str, float] = {}
            for label, table in (("cash", wide), ("income", income)):
                for m in sorted({*months, int(table.columns.max())}):
                    if m in table.columns:
                        mean, low, high = interval(table[m], confidence)
                        row |= {f"{label}_diff_m{m}": mean, f"{label}_diff_m{m}_low": low,
                                f"{label}_diff_m{m}_high": high}
            row["break_even_month"] = _break_even(wide.mean())
            row["income_break_even_month"] = _break_even(income.mean())
            floor = cash_floor if cash_floor is not None else float(
                self.baseline.monthly["costs"].groupby("month").mean().mean())
            lowest = exp.monthly["ending_cash"].groupby("replication").min()
            row["cash_floor"] = floor
            row["risk_cash_below_floor"] = float((lowest < floor).mean())
            out[name] = row
        return pd.DataFrame(out).T


def _break_even(mean_difference: pd.Series) -> float:
    """First month from which the mean cumulative difference is >= 0 for good (NaN if never)."""
    negative = mean_difference[mean_difference < 0]
    if negative.empty:
        return float(mean_difference.index.min())
    last_negative = negative.index.max()
    later = mean_difference.index[mean_difference.index > last_negative]
    return float(later.min()) if len(later) else float("nan")


def compare(baseline: Scenario, *scenarios: Scenario, reps: int = 30, seed: int = 0,
            executor: Executor = "processes", workers: int | None = None,
            independent: bool = False, progress: ProgressArg = None,
            checkpoint: str | Path | None = None,
            state: PracticeState | None = None,
            tables: str | Path | None = None) -> Comparison:
    """Paired comparison of scenarios against a baseline on replications ``0..reps-1``, all
    starting from ``state`` when given (a warm start from "today"). With ``tables`` (a folder),
    every replication's full tables are streamed to ``tables/<scenario name>/`` and read back
    with ``comparison.baseline.table(...)`` or ``comparison.scenarios[name].table(...)``.

    With ``independent=True`` each scenario uses other random streams than the baseline
    (replications offset by ``reps``): only for measuring what common random numbers save.

    >>> comparison = compare(base, hire, reps=20, seed=1)  # doctest: +SKIP
    >>> comparison.summary().loc[("hire_biller", "net_cash_flow")]  # doctest: +SKIP
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario besides the baseline")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or baseline.name in names:
        raise ValueError(f"scenario names must differ from each other and the baseline: {names}")
    for scenario in scenarios:
        if scenario.calendar != baseline.calendar:
            raise ValueError(f"scenario {scenario.name!r} has another calendar than the baseline "
                             "(start, horizon, warm-up and clinic days must match to pair months)")
    if tables is not None and independent:
        raise ValueError("tables= keeps the paired replications' tables; it cannot be combined "
                         "with independent=True")
    folders = {s.name: None if tables is None else Path(tables) / s.name
               for s in (baseline, *scenarios)}
    jobs = [Job(baseline, seed, r, state, folders[baseline.name]) for r in range(reps)]
    for k, scenario in enumerate(scenarios):
        offset = (k + 1) * reps if independent else 0
        jobs += [Job(scenario, seed, offset + r, state, folders[scenario.name])
                 for r in range(reps)]
    with reporting(progress, len(jobs)) as report:
        results = run_jobs(jobs, executor, workers, report, checkpoint)
    base = Experiment.of(baseline, seed, results[:reps], folders[baseline.name])
    experiments, diff_frames, cash_frames = {}, [], []
    for k, scenario in enumerate(scenarios):
        part = results[(k + 1) * reps:(k + 2) * reps]
        exp = Experiment.of(scenario, seed, part, folders[scenario.name])
        exp.kpis.index = base.kpis.index
        experiments[scenario.name] = exp
        diff = exp.kpis - base.kpis
        diff_frames.append(diff.assign(scenario=scenario.name))
        cash = (exp.monthly["cumulative_net_cash"].to_numpy()
                - base.monthly["cumulative_net_cash"].to_numpy())
        cash_frames.append(pd.DataFrame({"scenario": scenario.name,
                                         "cumulative_net_cash_difference": cash},
                                        index=base.monthly.index))
    differences = pd.concat(diff_frames).reset_index().set_index(["scenario", "replication"])
    cash_differences = pd.concat(cash_frames).reset_index().set_index(
        ["scenario", "replication", "month"])["cumulative_net_cash_difference"]
    return Comparison(base, experiments, differences, cash_differences)
