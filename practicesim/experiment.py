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
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from practicesim.engine import simulate
from practicesim.scenario import Scenario

HIGHER_IS_BETTER = frozenset({
    "clean_claim_rate", "first_pass_resolution_rate", "net_collection_rate",
    "gross_collection_rate", "provider_utilization", "visits_completed", "charges",
    "collections", "net_cash_flow", "ending_cash",
})
"""KPIs where a larger value is better; for every other KPI a smaller value is better."""

MONTHLY = ("charges", "collections", "costs", "net_cash_flow", "ending_ar", "ending_cash",
           "denial_backlog")


@dataclass(frozen=True)
class Replication:
    """What one replication returns: its KPIs and its monthly series (dollars)."""

    replication: int
    kpis: pd.Series
    monthly: pd.DataFrame


def monthly_series(daily: pd.DataFrame) -> pd.DataFrame:
    """Per reported month: charges, collections, costs, net cash flow (dollars, month totals),
    A/R and cash at month end (dollars), mean denial backlog (claims), and cumulative net cash
    since the start of reporting."""
    d = daily[daily["reporting"]]
    month = d["date"].dt.to_period("M")
    grouped = d.groupby(month, sort=True)
    out = pd.DataFrame({
        "charges": grouped["charge_cents"].sum() / 100,
        "collections": grouped["collections_cents"].sum() / 100,
        "costs": grouped["costs_cents"].sum() / 100,
        "net_cash_flow": grouped["net_cash_flow_cents"].sum() / 100,
        "ending_ar": grouped["ar_cents"].last() / 100,
        "ending_cash": grouped["cash_cents"].last() / 100,
        "denial_backlog": grouped["denial_backlog"].mean(),
    })
    out["cumulative_net_cash"] = out["net_cash_flow"].cumsum()
    out.index = pd.RangeIndex(1, len(out) + 1, name="month")
    return out


def run_replication(scenario: Scenario, seed: int, replication: int) -> Replication:
    """Simulate one replication and keep only its summaries (small enough to send between
    processes)."""
    run = simulate(scenario, seed=seed, replication=replication)
    return Replication(replication, run.kpis(), monthly_series(run.daily))


def _run_job(job: tuple[Scenario, int, int]) -> Replication:
    return run_replication(*job)


Executor = str | Any
"""``"serial"``, ``"processes"``, a Dask scheduler address (``"tcp://host:port"``) or a
``dask.distributed.Client``."""


def run_jobs(jobs: Sequence[tuple[Scenario, int, int]], executor: Executor = "processes",
             workers: int | None = None, progress: Callable[[int], None] | None = None,
             checkpoint: str | Path | None = None) -> list[Replication]:
    """Run (scenario, seed, replication) jobs on an executor; results in job order.

    With ``checkpoint`` (a folder), each finished replication is saved there as it completes,
    and replications already saved (same scenario hash, seed and number) are read back instead
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


def _job_key(job: tuple[Scenario, int, int]) -> str:
    scenario, seed, replication = job
    text = f"{scenario.hash}:{seed}:{replication}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _save_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _dispatch(indexed: list[tuple[int, tuple[Scenario, int, int]]], executor: Executor,
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


def _run_on_dask(indexed: list[tuple[int, tuple[Scenario, int, int]]], executor: Any,
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
    """Per column: mean, sd, confidence interval of the mean, P10, P50, P90."""
    rows = {}
    for column in table.columns:
        x = table[column].astype(float)
        mean, low, high = interval(x, confidence)
        rows[column] = {"mean": mean, "sd": x.std(ddof=1), "ci_low": low, "ci_high": high,
                        "p10": x.quantile(0.1), "p50": x.quantile(0.5),
                        "p90": x.quantile(0.9)}
    return pd.DataFrame(rows).T


@dataclass
class Experiment:
    """Replications of one scenario.

    ``kpis``: one row per replication, one column per KPI of ``Run.kpis()``.
    ``monthly``: one row per (replication, month) with the monthly series.
    """

    scenario: Scenario
    seed: int
    kpis: pd.DataFrame
    monthly: pd.DataFrame = field(repr=False)

    @classmethod
    def of(cls, scenario: Scenario, seed: int, results: list[Replication]) -> Experiment:
        kpis = pd.DataFrame([r.kpis for r in results],
                            index=pd.Index([r.replication for r in results], name="replication"))
        monthly = pd.concat([r.monthly.assign(replication=r.replication) for r in results])
        monthly = monthly.reset_index().set_index(["replication", "month"])
        return cls(scenario, seed, kpis, monthly)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each KPI's mean, sd, confidence interval and P10/P50/P90 over replications."""
        return describe(self.kpis, confidence)

    def monthly_summary(self, series: str = "cumulative_net_cash",
                        confidence: float = 0.95) -> pd.DataFrame:
        """One monthly series summarised per month over replications (for fan charts)."""
        wide = self.monthly[series].unstack("month")
        return describe(wide, confidence)


def replicate(scenario: Scenario, reps: int | str = 30, seed: int = 0,
              executor: Executor = "processes", workers: int | None = None,
              progress: Callable[[int], None] | None = None, *, kpi: str = "collections",
              precision: float = 0.02, max_reps: int = 200, batch: int = 10,
              confidence: float = 0.95, checkpoint: str | Path | None = None) -> Experiment:
    """Run ``reps`` replications of ``scenario`` (replication r uses streams ``(seed, r)``);
    ``checkpoint``: a folder to save each replication in and resume from (``run_jobs``).

    ``reps="auto"``: run batches of ``batch`` replications until the confidence interval's
    half-width of ``kpi`` is at most ``precision`` x |mean| (e.g. 2% of collections), or
    ``max_reps`` are done. Batches have a fixed size, so where it stops does not depend on the
    executor or the number of workers.

    >>> exp = replicate(load_scenario("scenarios/baseline.yaml"), reps=20, seed=1)  # doctest: +SKIP
    >>> exp.summary().loc["days_in_ar", ["mean", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    if reps == "auto":
        return _replicate_until_precise(scenario, seed, executor, workers, progress, kpi,
                                        precision, max_reps, batch, confidence, checkpoint)
    if not isinstance(reps, int) or reps < 1:
        raise ValueError(f"reps must be a whole number >= 1 or 'auto', got {reps!r}")
    jobs = [(scenario, seed, r) for r in range(reps)]
    return Experiment.of(scenario, seed, run_jobs(jobs, executor, workers, progress,
                                                  checkpoint))


def half_width(values: Iterable[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean."""
    _, low, high = interval(values, confidence)
    return (high - low) / 2


def _replicate_until_precise(scenario: Scenario, seed: int, executor: Executor,
                             workers: int | None, progress: Callable[[int], None] | None,
                             kpi: str, precision: float, max_reps: int, batch: int,
                             confidence: float, checkpoint: str | Path | None) -> Experiment:
    if precision <= 0 or batch < 2 or max_reps < batch:
        raise ValueError("reps='auto' needs precision > 0, batch >= 2 and max_reps >= batch")
    results: list[Replication] = []
    while len(results) < max_reps:
        start = len(results)
        jobs = [(scenario, seed, r) for r in range(start, min(start + batch, max_reps))]
        results += run_jobs(jobs, executor, workers,
                            progress and (lambda done, base=start: progress(base + done)),
                            checkpoint)
        values = [r.kpis[kpi] for r in results]
        if half_width(values, confidence) <= precision * abs(float(np.mean(values))):
            break
    return Experiment.of(scenario, seed, results)


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
            independent: bool = False, progress: Callable[[int], None] | None = None,
            checkpoint: str | Path | None = None) -> Comparison:
    """Paired comparison of scenarios against a baseline on replications ``0..reps-1``.

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
    jobs = [(baseline, seed, r) for r in range(reps)]
    for k, scenario in enumerate(scenarios):
        offset = (k + 1) * reps if independent else 0
        jobs += [(scenario, seed, offset + r) for r in range(reps)]
    results = run_jobs(jobs, executor, workers, progress, checkpoint)
    base = Experiment.of(baseline, seed, results[:reps])
    experiments, diff_frames, cash_frames = {}, [], []
    for k, scenario in enumerate(scenarios):
        part = results[(k + 1) * reps:(k + 2) * reps]
        exp = Experiment.of(scenario, seed, part)
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
          workers: int | None = None, progress: Callable[[int], None] | None = None,
          checkpoint: str | Path | None = None) -> pd.DataFrame:
    """KPIs over parameter values: a full ``grid`` (key path -> values), or ``samples`` points
    of a Latin hypercube over ``ranges`` (key path -> (low, high)). Every point runs the same
    replications ``0..reps-1`` (common random numbers across points).

    Returns a tidy table: one row per (point, replication), a column per parameter path and
    per KPI.

    >>> sweep(base, {"staff.billers.count": [1, 2, 3, 4]}, reps=10)  # doctest: +SKIP
    """
    points = _points(grid, samples, ranges, seed)
    variants = [_variant(scenario, point) for point in points]
    jobs = [(v, seed, r) for v in variants for r in range(reps)]
    results = run_jobs(jobs, executor, workers, progress, checkpoint)
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
    low = np.array([ranges[p][0] for p in paths])
    high = np.array([ranges[p][1] for p in paths])
    return [dict(zip(paths, map(float, low + u * (high - low)), strict=True)) for u in unit]


def tornado(scenario: Scenario, ranges: dict[str, tuple[Any, Any]], kpis: Sequence[str],
            reps: int = 10, seed: int = 0, executor: Executor = "processes",
            workers: int | None = None) -> pd.DataFrame:
    """One-at-a-time sensitivity: each parameter at its low and its high value, the others as
    in the scenario, on the same replications. One row per (parameter, KPI) with the mean KPI
    at low, at the scenario's own value and at high, and the swing |high - low|, largest swing
    first (the data of a tornado chart)."""
    variants = [scenario]
    for path, (low, high) in ranges.items():
        variants += [_variant(scenario, {path: low}), _variant(scenario, {path: high})]
    jobs = [(v, seed, r) for v in variants for r in range(reps)]
    results = run_jobs(jobs, executor, workers)
    means = [pd.DataFrame([r.kpis for r in results[k * reps:(k + 1) * reps]]).mean()
             for k in range(len(variants))]
    rows = []
    for i, (path, (low, high)) in enumerate(ranges.items()):
        at_low, at_high = means[1 + 2 * i], means[2 + 2 * i]
        for kpi in kpis:
            rows.append({"parameter": path, "kpi": kpi, "low_value": low, "high_value": high,
                         "at_low": at_low[kpi], "baseline": means[0][kpi],
                         "at_high": at_high[kpi], "swing": abs(at_high[kpi] - at_low[kpi])})
    return pd.DataFrame(rows).sort_values(["kpi", "swing"], ascending=[True, False],
                                          ignore_index=True)


def best_option(scenario: Scenario, path: str, values: Sequence[Any],
                kpi: str = "net_cash_flow", reps: int = 20, seed: int = 0,
                executor: Executor = "processes", workers: int | None = None) -> pd.DataFrame:
    """The small optimizer for "how many billers (or front-desk staff) maximise 12-month net
    cash": every value of ``path`` on the same replications; per value the mean ``kpi`` with
    its interval and the probability that it is the best option (share of replications in
    which it gives the highest ``kpi``, or the lowest where lower is better). Sorted best
    first; ``attrs["best"]`` holds the chosen value."""
    table = sweep(scenario, {path: list(values)}, reps=reps, seed=seed, executor=executor,
                  workers=workers)
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
