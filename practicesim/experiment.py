"""Replications and paired scenario comparisons with common random numbers.

One simulated year is one sample. ``replicate`` runs a scenario ``reps`` times (replication r
uses the random streams of ``(seed, r)``) and summarises each KPI and monthly series with its
mean, standard deviation, confidence interval and P10/P50/P90. ``compare`` runs a baseline and
scenarios on the same replications: because every random stream is keyed by name and entity
(and each claim draws its own numbers), a scenario that changes one thing sees the same demand,
no-shows and payer luck as the baseline, so the paired differences have a small variance.

Executors: ``"serial"`` (in this process), ``"processes"`` (a local process pool, the
default), or a Dask cluster: a ``dask.distributed.Client`` or a scheduler address (the
``practicesim[dask]`` extra). Results are identical, bit for bit, whatever the executor and
number of workers: each replication depends only on its scenario, seed and number, and results
are ordered by replication.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from practicesim import ledger as lg
from practicesim import metrics
from practicesim.engine import simulate
from practicesim.progress import ProgressArg, ReplicationProgress, reporting
from practicesim.results import Run
from practicesim.scenario import Scenario
from practicesim.state import PracticeState

HIGHER_IS_BETTER = frozenset({
    "clean_claim_rate", "first_pass_resolution_rate", "net_collection_rate",
    "gross_collection_rate", "provider_utilization", "visits_completed", "charges",
    "collections", "net_cash_flow", "ending_cash",
})
"""KPIs where a larger value is better; for every other KPI a smaller value is better."""

MONTHLY = ("charges", "collections", "costs", "net_cash_flow", "ending_ar", "ending_cash",
           "denial_backlog")

AGING_COLUMNS = {label: f"ar_{label.replace('-', '_').replace('>', 'over_')}"
                 for _, _, label in metrics.AGING_BUCKETS}
"""Monthly series column of each A/R aging bucket: ``ar_0_30`` ... ``ar_over_120``."""


@dataclass(frozen=True)
class Replication:
    """What one replication returns: its KPIs, its monthly and daily series (dollars)."""

    replication: int
    kpis: pd.Series
    monthly: pd.DataFrame
    daily: pd.DataFrame


def monthly_series(run: Run) -> pd.DataFrame:
    """Per reported month (numbered from 1), from the run's tables:

    - money (dollars, month totals): ``charges``, ``collections`` (cash in), ``costs``,
      ``net_cash_flow``, and the ledger postings of the revenue waterfall:
      ``contractual_adjustments``, ``denial_writeoffs``, ``bad_debt``, ``payments`` (payer and
      patient payments);
    - at month end (dollars): ``ending_ar``, ``ending_cash``, and A/R by days since the date of
      service, ``ar_0_30`` ... ``ar_over_120`` (``AGING_COLUMNS``; they sum to ``ending_ar``);
    - operations: ``denial_backlog`` (claims, monthly mean), ``provider_utilization`` (minutes
      with a patient / session minutes of sessions in the month), ``mean_lead_time_days``
      (requests made in the month), ``lost_request_rate`` (requests lost / requests);
    - ``cumulative_net_cash`` since the start of reporting (dollars).
    """
    daily = run.daily
    d = daily[daily["reporting"]]
    month = d["date"].dt.to_period("M")
    grouped = d.groupby(month, sort=True)
    cents = grouped[["charge_cents", "collections_cents", "costs_cents", "net_cash_flow_cents",
                     "contractual_adjustment_cents", "denial_writeoff_cents", "bad_debt_cents",
                     "payer_payment_cents", "patient_payment_cents"]].sum()
    out = pd.DataFrame({
        "charges": cents["charge_cents"] / 100,
        "collections": cents["collections_cents"] / 100,
        "costs": cents["costs_cents"] / 100,
        "net_cash_flow": cents["net_cash_flow_cents"] / 100,
        "contractual_adjustments": cents["contractual_adjustment_cents"] / 100,
        "denial_writeoffs": cents["denial_writeoff_cents"] / 100,
        "bad_debt": cents["bad_debt_cents"] / 100,
        "payments": (cents["payer_payment_cents"] + cents["patient_payment_cents"]) / 100,
        "ending_ar": grouped["ar_cents"].last() / 100,
        "ending_cash": grouped["cash_cents"].last() / 100,
        "denial_backlog": grouped["denial_backlog"].mean(),
    })
    aging = aging_at(run.ledger, grouped["day"].last().to_numpy())
    for label, column in AGING_COLUMNS.items():
        out[column] = aging[label].to_numpy() / 100
    month_of = pd.Series(month.to_numpy(), index=d["day"].to_numpy())
    sessions = run.sessions[run.sessions["day"].isin(month_of.index)]
    session_month = month_of.reindex(sessions["day"]).to_numpy()
    span = sessions["end_minutes"] - sessions["start_minutes"]
    out["provider_utilization"] = (sessions["busy_minutes"].groupby(session_month).sum()
                                   / span.groupby(session_month).sum())
    booked = run.appointments[run.appointments["request_day"].isin(month_of.index)]
    out["mean_lead_time_days"] = booked["lead_days"].groupby(
        month_of.reindex(booked["request_day"]).to_numpy()).mean()
    out["lost_request_rate"] = grouped["requests_lost"].sum() / grouped["requests"].sum()
    out["cumulative_net_cash"] = out["net_cash_flow"].cumsum()
    out.index = pd.RangeIndex(1, len(out) + 1, name="month")
    return out


def aging_at(ledger: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    """A/R in cents by days since the date of service (``metrics.AGING_BUCKETS``) at the end
    of each of ``days`` (simulation days): one row per day, one column per bucket label; a
    row sums to the A/R of that day.

    Every posting of a claim carries the claim's date of service, so the bucket sums are the
    sums of the signed postings up to the day, grouped by the bucket of (day - service day):
    one vectorised pass per day, no per-claim table."""
    posted = ledger["day"].to_numpy()
    service = ledger["service_day"].to_numpy()
    signed = lg.signed_cents(ledger)
    labels = [label for _, _, label in metrics.AGING_BUCKETS]
    edges = np.array([high for _, high, _ in metrics.AGING_BUCKETS[:-1]])
    rows = []
    for day in days:
        mask = posted <= day
        bucket = np.searchsorted(edges, day - service[mask], side="left")
        rows.append(np.bincount(bucket, weights=signed[mask], minlength=len(labels)))
    table = np.rint(np.array(rows, dtype=float).reshape(len(days), len(labels)))
    return pd.DataFrame(table.astype(np.int64), index=pd.Index(days, name="day"),
                        columns=labels)


def daily_series(daily: pd.DataFrame) -> pd.DataFrame:
    """Per reported day (numbered from 1): charges, collections, costs, revenue-cycle costs,
    vendor fees, net cash flow (dollars), A/R and cash at the day's end (dollars), denial and
    coding backlogs (claims), visits completed, and cumulative net cash since the start of
    reporting (dollars)."""
    d = daily[daily["reporting"]]
    out = pd.DataFrame({
        "charges": d["charge_cents"].to_numpy() / 100,
        "collections": d["collections_cents"].to_numpy() / 100,
        "costs": d["costs_cents"].to_numpy() / 100,
        "revenue_cycle_costs": d["revenue_cycle_costs_cents"].to_numpy() / 100,
        "vendor_fees": d["vendor_fees_cents"].to_numpy() / 100,
        "net_cash_flow": d["net_cash_flow_cents"].to_numpy() / 100,
        "ar": d["ar_cents"].to_numpy() / 100,
        "cash": d["cash_cents"].to_numpy() / 100,
        "denial_backlog": d["denial_backlog"].to_numpy(dtype=float),
        "coding_backlog": d["coding_backlog"].to_numpy(dtype=float),
        "visits_completed": d["visits_completed"].to_numpy(dtype=float),
    }, index=pd.RangeIndex(1, len(d) + 1, name="day"))
    out["cumulative_net_cash"] = out["net_cash_flow"].cumsum()
    return out


def run_replication(scenario: Scenario, seed: int, replication: int,
                    state: PracticeState | None = None,
                    tables: str | Path | None = None) -> Replication:
    """Simulate one replication (from ``state`` when given) and keep only its summaries (small
    enough to send between processes). With ``tables`` (a folder), the run's tables are
    written there first (``write_replication_tables``); nothing else of the run is kept."""
    run = simulate(scenario, seed=seed, replication=replication, state=state)
    if tables is not None:
        write_replication_tables(run, Path(tables))
    return Replication(replication, run.kpis(), monthly_series(run),
                       daily_series(run.daily))


def write_replication_tables(run: Run, folder: Path) -> None:
    """Write each table of ``run`` to ``folder/<table>/r<replication>.parquet`` with a
    ``replication`` column first, each file atomically (a reader never sees half a file)."""
    for name in Run.TABLES:
        table = getattr(run, name).copy(deep=False)
        table.insert(0, "replication", np.int32(run.replication))
        target = folder / name / f"r{run.replication:06d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        table.to_parquet(partial, index=False)
        os.replace(partial, target)


class Job(NamedTuple):
    """One replication to run: its scenario, seed, number and starting state, and the folder
    its tables go to (None: not kept)."""

    scenario: Scenario
    seed: int
    replication: int
    state: PracticeState | None = None
    tables: str | Path | None = None


def _run_job(job: Job) -> Replication:
    return run_replication(*job)


Executor = str | Any
"""``"serial"``, ``"processes"``, a Dask scheduler address (``"tcp://host:port"``) or a
``dask.distributed.Client``."""


def run_jobs(jobs: Sequence[Job], executor: Executor = "processes",
             workers: int | None = None, progress: Callable[[int], None] | None = None,
             checkpoint: str | Path | None = None) -> list[Replication]:
    """Run jobs (scenario, seed, replication, state) on an executor; results in job order.

    With ``checkpoint`` (a folder), each finished replication is saved there as it completes,
    and replications already saved (same scenario, seed, number and state) are read back instead
    of run again: an interrupted experiment started again resumes where it stopped.
    """
    store = Path(checkpoint) if checkpoint is not None else None
    results: list[Replication | None] = [None] * len(jobs)
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
        for i, job in enumerate(jobs):
            saved = store / f"{_job_key(job)}.pkl"
            if saved.exists():
                results[i] = pickle.loads(saved.read_bytes())
    todo = [i for i, r in enumerate(results) if r is None]
    done = len(jobs) - len(todo)

    def finished(i: int, result: Replication) -> None:
        nonlocal done
        results[i] = result
        if store is not None:
            _save_atomically(store / f"{_job_key(jobs[i])}.pkl", pickle.dumps(result))
        done += 1
        if progress:
            progress(done)

    _dispatch([(i, jobs[i]) for i in todo], executor, workers, finished)
    return results  # type: ignore[return-value]


CHECKPOINT_FORMAT = 4
"""Version of the saved ``Replication`` (2: with daily series; 3: with revenue-cycle costs,
vendor fees and coding backlog in them; 4: monthly A/R aging, waterfall postings, provider
utilization, lead time and lost requests); part of every checkpoint key, so that files of an
older format are never read back."""


def _job_key(job: Job) -> str:
    state = job.state.hash if job.state is not None else ""
    tables = str(Path(job.tables).resolve()) if job.tables is not None else ""
    text = (f"v{CHECKPOINT_FORMAT}:{job.scenario.hash}:{job.seed}:{job.replication}:{state}:"
            f"{tables}")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _save_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _dispatch(indexed: list[tuple[int, Job]], executor: Executor,
              workers: int | None, finished: Callable[[int, Replication], None]) -> None:
    """Run the jobs and call ``finished(index, result)`` as each completes."""
    if not isinstance(executor, str) or executor.startswith(("tcp://", "tls://", "inproc://")):
        _run_on_dask(indexed, executor, finished)
        return
    if executor not in ("serial", "processes"):
        raise ValueError("executor must be 'serial', 'processes', a Dask scheduler address or "
                         f"a dask.distributed Client, got {executor!r}")
    if executor == "serial" or len(indexed) <= 1:
        for i, job in indexed:
            finished(i, _run_job(job))
        return
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures = {pool.submit(_run_job, job): i for i, job in indexed}
        for future in as_completed(futures):
            finished(futures[future], future.result())


def _run_on_dask(indexed: list[tuple[int, Job]], executor: Any,
                 finished: Callable[[int, Replication], None]) -> None:
    """Run the jobs on a Dask cluster (the optional ``practicesim[dask]`` extra)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError("a Dask executor needs the dask extra: pip install "
                         "'practicesim[dask]'") from None
    if not indexed:
        return
    client = executor if isinstance(executor, Client) else Client(executor)
    try:
        futures = client.map(_run_job, [job for _, job in indexed], pure=False)
        position = {future.key: i for (i, _), future in zip(indexed, futures, strict=True)}
        for future in dask_completed(futures):
            finished(position[future.key], future.result())
    finally:
        if client is not executor:
            client.close()


def interval(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t confidence interval of the mean."""
    x = np.asarray(list(values), dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (float("nan"),) * 3
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return mean, mean - half, mean + half


def describe(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per column: mean, sd, Student-t confidence interval of the mean, P10, P50, P90 (NaN
    values left out)."""
    x = table.astype(float)
    n = x.count()
    mean, sd = x.mean(), x.std(ddof=1)
    t = pd.Series(stats.t.ppf(0.5 + confidence / 2, (n - 1).clip(lower=1)), index=x.columns)
    half = (t * sd / np.sqrt(n)).where(n >= 2)
    bands = x.quantile([0.1, 0.5, 0.9])
    return pd.DataFrame({"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half,
                         "p10": bands.loc[0.1], "p50": bands.loc[0.5], "p90": bands.loc[0.9]})


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


def half_width(values: Iterable[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean."""
    _, low, high = interval(values, confidence)
    return (high - low) / 2


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

    def show(self) -> Any:
        """The answer and the KPI table with targets, as HTML for a notebook (the summary of
        ``practicesim report``): ``comparison.show()`` in a cell displays it."""
        from IPython.display import HTML

        from practicesim.report.html import summary_html

        return HTML(summary_html(self))

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
        (first month from which the mean cumulative difference stays >= 0), and the risk that
        the scenario's cash falls below ``cash_floor`` (default: one month of the baseline's
        costs) in some month."""
        out = {}
        for name, exp in self.scenarios.items():
            wide = self.cash_differences.xs(name, level="scenario").unstack("month")
            row: dict[str, float] = {}
            for m in sorted({*months, int(wide.columns.max())}):
                if m in wide.columns:
                    mean, low, high = interval(wide[m], confidence)
                    row |= {f"cash_diff_m{m}": mean, f"cash_diff_m{m}_low": low,
                            f"cash_diff_m{m}_high": high}
            means = wide.mean()
            row["break_even_month"] = _break_even(means)
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


# --- sweeps, sensitivity and the small optimizer ----------------------------------------------


def _variant(scenario: Scenario, point: dict[str, Any]) -> Scenario:
    """The scenario with the point's key paths set (validated)."""
    return scenario.with_changes(point)


def sweep(scenario: Scenario, grid: dict[str, Sequence[Any]] | None = None, *,
          samples: int | None = None, ranges: dict[str, tuple[float, float]] | None = None,
          reps: int = 10, seed: int = 0, executor: Executor = "processes",
          workers: int | None = None, progress: ProgressArg = None,
          checkpoint: str | Path | None = None,
          state: PracticeState | None = None) -> pd.DataFrame:
    """KPIs over parameter values: a full ``grid`` (key path -> values), or ``samples`` points
    of a Latin hypercube over ``ranges`` (key path -> (low, high)). Every point runs the same
    replications ``0..reps-1`` (common random numbers across points).

    Returns a tidy table: one row per (point, replication), a column per parameter path and
    per KPI.

    >>> sweep(base, {"staff.billers.count": [1, 2, 3, 4]}, reps=10)  # doctest: +SKIP
    """
    points = _points(grid, samples, ranges, seed)
    variants = [_variant(scenario, point) for point in points]
    jobs = [Job(v, seed, r, state) for v in variants for r in range(reps)]
    with reporting(progress, len(jobs)) as report:
        results = run_jobs(jobs, executor, workers, report, checkpoint)
    rows = []
    for k, point in enumerate(points):
        for result in results[k * reps:(k + 1) * reps]:
            rows.append({"point": k, **point, "replication": result.replication,
                         **result.kpis.to_dict()})
    return pd.DataFrame(rows)


def _points(grid: dict[str, Sequence[Any]] | None, samples: int | None,
            ranges: dict[str, tuple[float, float]] | None, seed: int) -> list[dict[str, Any]]:
    if (grid is None) == (samples is None):
        raise ValueError("give either grid={path: values} or samples=N with ranges")
    if grid is not None:
        paths = list(grid)
        return [dict(zip(paths, values, strict=True))
                for values in itertools.product(*(grid[p] for p in paths))]
    if not ranges:
        raise ValueError("samples=N needs ranges={path: (low, high)}")
    paths = list(ranges)
    unit = stats.qmc.LatinHypercube(d=len(paths), seed=seed).random(samples)
    return [_scaled(ranges, u) for u in unit]


def _is_whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _scaled(ranges: dict[str, tuple[float, float]], unit: Sequence[float]) -> dict[str, Any]:
    """A point of the unit cube mapped onto the ranges. A range with whole-number bounds (a
    staff count) gives whole numbers, each equally likely."""
    point: dict[str, Any] = {}
    for (path, (low, high)), u in zip(ranges.items(), unit, strict=True):
        if _is_whole(low) and _is_whole(high):
            point[path] = int(min(high, low + math.floor(u * (high - low + 1))))
        else:
            point[path] = float(low + u * (high - low))
    return point


def tornado(scenario: Scenario, ranges: dict[str, tuple[Any, Any]], kpis: Sequence[str],
            reps: int = 10, seed: int = 0, executor: Executor = "processes",
            workers: int | None = None, state: PracticeState | None = None) -> pd.DataFrame:
    """One-at-a-time sensitivity: each parameter at its low and its high value, the others as
    in the scenario, on the same replications. One row per (parameter, KPI) with the mean KPI
    at low, at the scenario's own value and at high, and the swing |high - low|, largest swing
    first (the data of a tornado chart)."""
    variants = [scenario]
    for path, (low, high) in ranges.items():
        variants += [_variant(scenario, {path: low}), _variant(scenario, {path: high})]
    jobs = [Job(v, seed, r, state) for v in variants for r in range(reps)]
    results = run_jobs(jobs, executor, workers)
    means = [row for _, row in _variant_means(results, reps).iterrows()]
    rows = []
    for i, (path, (low, high)) in enumerate(ranges.items()):
        at_low, at_high = means[1 + 2 * i], means[2 + 2 * i]
        for kpi in kpis:
            rows.append({"parameter": path, "kpi": kpi, "low_value": low, "high_value": high,
                         "at_low": at_low[kpi], "baseline": means[0][kpi],
                         "at_high": at_high[kpi], "swing": abs(at_high[kpi] - at_low[kpi])})
    return pd.DataFrame(rows).sort_values(["kpi", "swing"], ascending=[True, False],
                                          ignore_index=True)


def sobol(scenario: Scenario, ranges: dict[str, tuple[float, float]], kpis: Sequence[str],
          n: int = 64, reps: int = 2, seed: int = 0, executor: Executor = "processes",
          workers: int | None = None, progress: ProgressArg = None,
          state: PracticeState | None = None) -> pd.DataFrame:
    """Global sensitivity (Sobol indices, for the advanced user; the ``sensitivity`` extra,
    SALib): how much of each KPI's variance over ``ranges`` each parameter explains, alone
    (first order ``S1``) and with its interactions (total ``ST``), with bootstrap confidence
    half-widths (``S1_conf``, ``ST_conf``).

    Saltelli's design: ``n`` base samples (a power of two) give ``n x (parameters + 2)`` points;
    each point's KPI is the mean of ``reps`` replications (the same ones at every point, so the
    indices measure the parameters, not the luck). One row per (KPI, parameter).

    >>> sobol(base, {"staff.billers.count": (1, 4),
    ...              "payers[medicaid].denial.rate": (0.05, 0.2)},
    ...       ["net_cash_flow"], n=32, reps=2)  # doctest: +SKIP
    """
    try:
        from SALib.analyze import sobol as sobol_analysis
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise ValueError("sobol needs the sensitivity extra: pip install "
                         "'practicesim[sensitivity]'") from None
    if n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of two >= 2 (Sobol sequence), got {n}")
    if not ranges:
        raise ValueError("sobol needs ranges={path: (low, high)} with at least one parameter")
    paths = list(ranges)
    problem = {"num_vars": len(paths), "names": paths,
               "bounds": [[0.0, 1.0] for _ in paths]}
    unit = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    variants = [_variant(scenario, _scaled(ranges, u)) for u in unit]
    jobs = [Job(v, seed, r, state) for v in variants for r in range(reps)]
    with reporting(progress, len(jobs), "Sobol points") as report:
        results = run_jobs(jobs, executor, workers, report)
    means = _variant_means(results, reps)
    rows = []
    for kpi in kpis:
        indices = sobol_analysis.analyze(problem, means[kpi].to_numpy(dtype=float),
                                         calc_second_order=False, seed=seed)
        for i, path in enumerate(paths):
            rows.append({"kpi": kpi, "parameter": path, "low": ranges[path][0],
                         "high": ranges[path][1], "S1": indices["S1"][i],
                         "S1_conf": indices["S1_conf"][i], "ST": indices["ST"][i],
                         "ST_conf": indices["ST_conf"][i]})
    return pd.DataFrame(rows).sort_values(["kpi", "ST"], ascending=[True, False],
                                          ignore_index=True)


def _variant_means(results: list[Replication], reps: int) -> pd.DataFrame:
    """Mean KPIs of consecutive runs of ``reps`` replications (one row per variant, in order)."""
    kpis = pd.DataFrame([r.kpis for r in results])
    return kpis.groupby(np.arange(len(kpis)) // reps).mean()


def best_option(scenario: Scenario, path: str, values: Sequence[Any],
                kpi: str = "net_cash_flow", reps: int = 20, seed: int = 0,
                executor: Executor = "processes", workers: int | None = None,
                state: PracticeState | None = None) -> pd.DataFrame:
    """The small optimizer for "how many billers (or front-desk staff) maximise 12-month net
    cash": every value of ``path`` on the same replications; per value the mean ``kpi`` with
    its interval and the probability that it is the best option (share of replications in
    which it gives the highest ``kpi``, or the lowest where lower is better). Sorted best
    first; ``attrs["best"]`` holds the chosen value."""
    table = sweep(scenario, {path: list(values)}, reps=reps, seed=seed, executor=executor,
                  workers=workers, state=state)
    wide = table.pivot(index="replication", columns=path, values=kpi)
    winners = wide.idxmax(axis=1) if kpi in HIGHER_IS_BETTER else wide.idxmin(axis=1)
    rows = []
    for value in wide.columns:
        mean, low, high = interval(wide[value])
        rows.append({path: value, "mean": mean, "ci_low": low, "ci_high": high,
                     "p_best": float((winners == value).mean())})
    out = pd.DataFrame(rows).sort_values("mean", ascending=kpi not in HIGHER_IS_BETTER,
                                         ignore_index=True)
    out.attrs["best"] = out.loc[0, path]
    out.attrs["kpi"] = kpi
    return out
