"""Replications of one scenario: ``replicate`` runs a fixed number of them, or batches until a
KPI's confidence interval is narrow enough (``reps="auto"``), and returns an ``Experiment``
(KPIs per replication, monthly and daily series, summaries, the full tables when kept)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from practicesim.experiment.jobs import Executor, Job, Replication, run_jobs
from practicesim.experiment.statistics import describe, half_width
from practicesim.progress import ProgressArg, ReplicationProgress, reporting
from practicesim.results import Run
from practicesim.scenario import Scenario
from practicesim.state import PracticeState


@dataclass
class Experiment:
    """Replications of one scenario.

    ``kpis``: one row per replication, one column per KPI of ``Run.kpis()``.
    ``monthly``: one row per (replication, month) with the monthly series; ``daily``: one row
    per (replication, reported day) with the daily series (``daily_series``).
    ``tables_dir``: where each replication's full tables were written (``tables=`` of
    ``replicate``), read back with ``table(name)``; None when they were not kept.
    """

    scenario: Scenario
    seed: int
    kpis: pd.DataFrame
    monthly: pd.DataFrame = field(repr=False)
    daily: pd.DataFrame = field(repr=False)
    tables_dir: Path | None = None

    @classmethod
    def of(cls, scenario: Scenario, seed: int, results: list[Replication],
           tables_dir: str | Path | None = None) -> Experiment:
        kpis = pd.DataFrame([r.kpis for r in results],
                            index=pd.Index([r.replication for r in results], name="replication"))
        return cls(scenario, seed, kpis, _stacked([r.monthly for r in results], results),
                   _stacked([r.daily for r in results], results),
                   None if tables_dir is None else Path(tables_dir))

    def table(self, name: str, replications: Sequence[int] | None = None,
              columns: Sequence[str] | None = None) -> pd.DataFrame:
        """One of ``Run.TABLES`` of every replication (or of ``replications``), stacked, with
        a ``replication`` column; read from ``tables_dir``, so the experiment never holds
        every ledger in memory at once."""
        if self.tables_dir is None:
            raise ValueError("this experiment kept no tables: run it with tables=FOLDER")
        if name not in Run.TABLES:
            raise ValueError(f"table must be one of {list(Run.TABLES)}, got {name!r}")
        wanted = self.kpis.index if replications is None else replications
        files = [self.tables_dir / name / f"r{r:06d}.parquet" for r in wanted]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise ValueError(f"{missing[0]}: missing ({len(missing)} replication files in all)")
        cols = None if columns is None else ["replication", *columns]
        return pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each KPI's mean, sd, confidence interval and P10/P50/P90 over replications."""
        return describe(self.kpis, confidence)

    def monthly_summary(self, series: str = "cumulative_net_cash",
                        confidence: float = 0.95) -> pd.DataFrame:
        """One monthly series summarised per month over replications (for fan charts)."""
        wide = self.monthly[series].unstack("month")
        return describe(wide, confidence)

    def daily_summary(self, series: str = "ar", confidence: float = 0.95) -> pd.DataFrame:
        """One daily series (a column of ``daily``) summarised per reported day over
        replications: mean, sd, confidence interval and P10/P50/P90 bands."""
        wide = self.daily[series].unstack("day")
        return describe(wide, confidence)


def _stacked(frames: list[pd.DataFrame], results: list[Replication]) -> pd.DataFrame:
    """Per-replication frames (indexed by month or day) stacked under a replication level."""
    return pd.concat(frames, keys=[r.replication for r in results], names=["replication"])


def replicate(scenario: Scenario, reps: int | str = 30, seed: int = 0,
              executor: Executor = "processes", workers: int | None = None,
              progress: ProgressArg = None, *, kpi: str = "collections",
              precision: float = 0.02, max_reps: int = 200, batch: int = 10,
              confidence: float = 0.95, checkpoint: str | Path | None = None,
              state: PracticeState | None = None,
              tables: str | Path | None = None) -> Experiment:
    """Run ``reps`` replications of ``scenario`` (replication r uses streams ``(seed, r)``);
    ``checkpoint``: a folder to save each replication in and resume from (``run_jobs``);
    ``state``: every replication starts from this practice state (``practicesim.state``);
    ``progress``: ``True`` for a progress bar (terminal or notebook), or a callable given the
    number of replications done; ``tables``: a folder to stream every replication's full
    tables to (read back with ``Experiment.table``); without it only summaries are kept.

    ``reps="auto"``: run batches of ``batch`` replications until the confidence interval's
    half-width of ``kpi`` is at most ``precision`` x |mean| (e.g. 2% of collections), or
    ``max_reps`` are done. Batches have a fixed size, so where it stops does not depend on the
    executor or the number of workers.

    >>> exp = replicate(load_scenario("scenarios/baseline.yaml"), reps=20, seed=1)  # doctest: +SKIP
    >>> exp.summary().loc["days_in_ar", ["mean", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    if reps == "auto":
        return _replicate_until_precise(scenario, seed, executor, workers, progress, kpi,
                                        precision, max_reps, batch, confidence, checkpoint,
                                        state, tables)
    if not isinstance(reps, int) or reps < 1:
        raise ValueError(f"reps must be a whole number >= 1 or 'auto', got {reps!r}")
    jobs = [Job(scenario, seed, r, state, tables) for r in range(reps)]
    with reporting(progress, len(jobs)) as report:
        results = run_jobs(jobs, executor, workers, report, checkpoint)
    return Experiment.of(scenario, seed, results, tables)


def _replicate_until_precise(scenario: Scenario, seed: int, executor: Executor,
                             workers: int | None, progress: ProgressArg,
                             kpi: str, precision: float, max_reps: int, batch: int,
                             confidence: float, checkpoint: str | Path | None,
                             state: PracticeState | None,
                             tables: str | Path | None) -> Experiment:
    if precision <= 0 or batch < 2 or max_reps < batch:
        raise ValueError("reps='auto' needs precision > 0, batch >= 2 and max_reps >= batch")
    results: list[Replication] = []
    with reporting(progress, max_reps) as report:
        while len(results) < max_reps:
            start = len(results)
            jobs = [Job(scenario, seed, r, state, tables)
                    for r in range(start, min(start + batch, max_reps))]
            results += run_jobs(jobs, executor, workers,
                                report and (lambda done, base=start: report(base + done)),
                                checkpoint)
            values = [r.kpis[kpi] for r in results]
            width = half_width(values, confidence)
            if isinstance(report, ReplicationProgress):
                report.note(f"{kpi} half-width {width:,.4g} (target "
                            f"{precision * abs(float(np.mean(values))):,.4g})")
            if width <= precision * abs(float(np.mean(values))):
                break
    return Experiment.of(scenario, seed, results, tables)
