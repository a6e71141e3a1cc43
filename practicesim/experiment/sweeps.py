"""Sweeps, sensitivity and the small optimizer: KPIs over a grid or a Latin hypercube of
parameter values (``sweep``), one-at-a-time sensitivity (``tornado``), Sobol indices
(``sobol``, the ``sensitivity`` extra) and the best of a few values of one parameter
(``best_option``). Every point runs the same replications (common random numbers)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from practicesim.experiment.jobs import Executor, Job, Replication, run_jobs
from practicesim.experiment.statistics import HIGHER_IS_BETTER, interval
from practicesim.progress import ProgressArg, reporting
from practicesim.scenario import Scenario
from practicesim.state import PracticeState


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
    from scipy.stats import qmc  # here, not at the top: scipy.stats is slow to import

    unit = qmc.LatinHypercube(d=len(paths), seed=seed).random(samples)
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
