"""A client-ready report of a sweep: one self-contained HTML page (figures embedded as PNG, no
scripts, fonts or network requests) that answers first and shows how.

``sweep_report(results)`` takes the results of ``experiment.sweep`` (a ``SweepResults`` or the
folder ``practicesim sweep --out`` wrote) and gives, in order: the answer in one sentence (the
grid point with the best mean net cash over the period, its 95% interval, how often it is the
best point and its paired difference to the runner-up), the KPI table of every point with
benchmark targets beside it (values outside a target marked in words, not only in colour), the
figures (per parameter, the main effect on net cash flow with its 95% interval; tornado charts
of the main effects on net cash flow and days in A/R), the assumptions (the grid beside the
scenario's own values, and the scenario's key figures) and the method (points, replications,
seed, common random numbers, version, scenario hash). Same page style as the comparison report
(``practicesim.report.html``); readable at phone width and in print.

Every point of a sweep runs the same replications ``0..reps-1`` (common random numbers), so the
replication is the independent unit: intervals are Student-t intervals over replications, and
differences between points are paired by replication.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from practicesim.experiment import HIGHER_IS_BETTER, interval
from practicesim.report.html import (
    DOLLARS,
    KPIS,
    TARGETS,
    ReportError,
    _cell,
    _format,
    _page,
    _png,
    _target,
    interval_text,
    key_figures,
    require_files,
)
from practicesim.report.labels import DollarFormatter, kpi_name, parameter_value
from practicesim.report.palette import OKABE_ITO
from practicesim.report.plots import tornado_chart
from practicesim.report.sources import reference_unit, shown
from practicesim.scenario import Scenario, ScenarioError, get_path, parse_path
from practicesim.version import __version__

FILES = ("sweep.parquet", "sweep.json")
TORNADO_KPIS = ("net_cash_flow", "days_in_ar")
"""The KPIs whose main effects the report draws as tornado charts."""


@dataclass
class SweepResults:
    """What a report needs of a sweep: the tidy table (one row per (point, replication), a
    column per grid parameter and per KPI: dollars, days, fractions as in ``metrics.kpis``),
    the scenario swept, the grid (key path -> values), the seed and how it was made."""

    table: pd.DataFrame
    scenario: Scenario
    grid: dict[str, list[Any]]
    seed: int
    replications: int
    version: str
    scenario_hash: str

    @classmethod
    def read(cls, folder: str | Path) -> SweepResults:
        """The results ``practicesim sweep --out FOLDER`` wrote (``output.write_sweep``)."""
        folder = require_files(Path(folder), FILES, "a sweep", "practicesim sweep --out")
        meta = json.loads((folder / "sweep.json").read_text())
        table = pd.read_parquet(folder / "sweep.parquet")
        grid = {str(path): list(values) for path, values in meta["grid"].items()}
        _check_columns(table, grid, str(folder / "sweep.parquet"))
        return cls(table=table, scenario=Scenario.model_validate(meta["scenario"]), grid=grid,
                   seed=int(meta["seed"]), replications=int(meta["replications"]),
                   version=meta["practicesim_version"], scenario_hash=meta["scenario_hash"])

    @classmethod
    def of(cls, table: pd.DataFrame, scenario: Scenario, grid: dict[str, Sequence[Any]],
           seed: int) -> SweepResults:
        """The same from a table of ``experiment.sweep`` in memory (with its scenario, grid
        and seed)."""
        grid = {path: list(values) for path, values in grid.items()}
        _check_columns(table, grid, "the sweep table")
        return cls(table=table, scenario=scenario, grid=grid, seed=seed,
                   replications=int(table["replication"].nunique()), version=__version__,
                   scenario_hash=scenario.hash)

    @property
    def parameters(self) -> list[str]:
        """The grid's key paths, in grid order."""
        return list(self.grid)

    @property
    def points(self) -> pd.DataFrame:
        """One row per point (index ``point``), its value of each parameter."""
        return self.table.groupby("point", sort=True)[self.parameters].first()

    def values(self, path: str) -> list[Any]:
        """The values ``path`` takes in the table, in grid order (order of first
        appearance)."""
        return list(dict.fromkeys(self.table[path].tolist()))

    def wide(self, kpi: str) -> pd.DataFrame:
        """``kpi`` with one row per replication and one column per point."""
        if kpi not in self.table.columns:
            raise ReportError(f"no KPI {kpi!r} in the sweep; it has "
                              f"{sorted(_kpi_columns(self))}")
        return self.table.pivot(index="replication", columns="point", values=kpi)


def _check_columns(table: pd.DataFrame, grid: dict[str, list[Any]], where: str) -> None:
    needed = ["point", "replication", *grid]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ReportError(f"{where}: no column for {', '.join(missing)} (the grid's parameters "
                          f"are {list(grid)}); write the sweep again with practicesim sweep "
                          "--out")


def _kpi_columns(results: SweepResults) -> list[str]:
    skip = {"point", "replication", *results.grid}
    return [c for c in results.table.columns if c not in skip]


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
               for v in values)


def _low_high(values: list[Any]) -> tuple[Any, Any]:
    """The lowest and highest of numeric values; otherwise the first and last in grid
    order."""
    return (min(values), max(values)) if _numeric(values) else (values[0], values[-1])


def main_effects(results: SweepResults, kpi: str) -> pd.DataFrame:
    """Main effects of each grid parameter on ``kpi``, in the format of ``experiment.tornado``
    (so ``plots.tornado_chart`` draws it): per parameter its lowest and highest grid value,
    the mean ``kpi`` over all rows with the parameter at that value (``at_low``, ``at_high``:
    averaged over the other parameters and the replications), the mean over the whole sweep
    (``baseline``) and the swing ``|at_high - at_low|``, in the KPI's unit (dollars, days or
    a fraction). Largest swing first."""
    results.wide(kpi)
    table = results.table
    baseline = float(table[kpi].mean())
    rows = []
    for path in results.parameters:
        low, high = _low_high(results.values(path))
        at_low = float(table.loc[table[path] == low, kpi].mean())
        at_high = float(table.loc[table[path] == high, kpi].mean())
        rows.append({"parameter": path, "kpi": kpi, "low_value": low, "high_value": high,
                     "at_low": at_low, "baseline": baseline, "at_high": at_high,
                     "swing": abs(at_high - at_low)})
    return pd.DataFrame(rows).sort_values(["kpi", "swing"], ascending=[True, False],
                                          ignore_index=True)


def period(scenario: Scenario) -> str:
    """The reporting period as an adjective: ``"12-month"`` when ``calendar.horizon_days``
    is a whole number of months from ``calendar.start`` (within a day), else ``"100-day"``."""
    calendar = scenario.calendar
    months = round(calendar.horizon_days / 30.4375)
    start = pd.Timestamp(calendar.start)
    end = start + pd.Timedelta(days=calendar.horizon_days)
    if months >= 1 and abs((start + pd.DateOffset(months=months) - end).days) <= 1:
        return f"{months}-month"
    return f"{calendar.horizon_days}-day"


def _label(results: SweepResults, point: int, short: bool = False) -> str:
    """``staff.billers.count = 3`` (and the other parameters), or with ``short`` a column
    heading: ``billers 3`` for a count whose name is unique in the grid, else
    ``path = value``."""
    row = results.points.loc[point]
    names = {path: _short_name(path) for path in results.parameters}
    parts = []
    for path in results.parameters:
        value = parameter_value(row[path])
        name = names[path]
        unique = name is not None and list(names.values()).count(name) == 1
        parts.append(f"{name} {value}" if short and unique else f"{path} = {value}")
    return (", " if short else " and ").join(parts)


def _short_name(path: str) -> str | None:
    parts = parse_path(path)
    if len(parts) >= 2 and parts[-1] == "count" and isinstance(parts[-2], str):
        return parts[-2].replace("_", " ")
    return None


def _ranked(results: SweepResults, kpi: str) -> pd.Series:
    """Mean ``kpi`` per point over replications, best first."""
    means = results.wide(kpi).mean()
    return means.sort_values(ascending=kpi not in HIGHER_IS_BETTER, kind="stable")


def sweep_answer(results: SweepResults, kpi: str = "net_cash_flow") -> str:
    """The answer in one sentence: the point with the best mean ``kpi`` over the period
    (highest where ``experiment.HIGHER_IS_BETTER`` says higher is better, lowest otherwise),
    its mean with the 95% t interval over replications, the share of replications in which it
    is the best point (ties counted as best), and its paired difference to the runner-up
    (mean and 90% interval over replications), or that the two tie in every replication.
    Dollars for money KPIs; replications with no value at any point are left out."""
    wide = results.wide(kpi).dropna(how="all")
    ranked = _ranked(results, kpi)
    best = int(ranked.index[0])
    higher = kpi in HIGHER_IS_BETTER
    name = "net cash" if kpi == "net_cash_flow" else kpi_name(kpi)
    mean, low, high = interval(wide[best], 0.95)
    spread = interval_text(kpi, low, high)
    text = (f"{_label(results, best)} gives the {'highest' if higher else 'lowest'} {name} over "
            f"the {period(results.scenario)} period: {_format(kpi, mean)}"
            + (f" (95% interval {spread})" if spread else ""))
    if len(ranked) < 2:
        return text + "."
    top = wide.max(axis=1) if higher else wide.min(axis=1)
    runner = int(ranked.index[1])
    paired = (wide[best] - wide[runner]) if higher else (wide[runner] - wide[best])
    if (paired.dropna() == 0).all():
        return (f"{text}; it ties with {_label(results, runner)} in every replication (same "
                "random numbers, same result: the values that differ change nothing here).")
    gap, gap_low, gap_high = interval(paired, 0.90)
    spread = interval_text(kpi, gap_low, gap_high)
    return (f"{text}; it is the best point in {float((wide[best] == top).mean()):.0%} of "
            f"replications and {_format(kpi, gap)} {'above' if higher else 'below'} the next "
            f"best ({_label(results, runner)}"
            + (f"; 90% interval of the paired difference {spread}" if spread else "") + ").")


def sweep_report(results: SweepResults | str | Path) -> str:
    """The report's HTML text (module docstring)."""
    if not isinstance(results, SweepResults):
        results = SweepResults.read(results)
    names = " x ".join(results.parameters)
    parts = [f"<h1>{html.escape(results.scenario.name)}: sweep over {html.escape(names)}</h1>",
             "<h2>The answer</h2>",
             f"<p class='answer'>{html.escape(sweep_answer(results))}</p>"]
    parts.append("<h2>Key figures</h2>" + _kpi_table(results))
    parts.append("<h2>Figures</h2>")
    for path in results.parameters:
        parts.append(_png(_main_effect(results, path, "net_cash_flow"), (
            f"Mean net cash flow over the {period(results.scenario)} period at each value of "
            f"{path}, averaged over the other parameters' grid values; error bars are 95% "
            "intervals over replications. Every point runs the same replications, so the "
            "difference between two values is known more precisely than the bars suggest "
            "(the answer gives the paired interval of the best point against the next).")))
    for kpi in TORNADO_KPIS:
        if kpi in results.table.columns:
            parts.append(_png(tornado_chart(main_effects(results, kpi), kpi,
                                             reference="the mean over the sweep"), (
                f"Main effects on {kpi_name(kpi)} over the grid: each bar is the mean "
                "over every point and replication with the parameter at its lowest (blue) or "
                "highest (orange) value, the other parameters averaged over their grid values. "
                "The zero line is the mean over the whole sweep.")))
    parts.append("<h2>Assumptions</h2>" + _assumptions_html(results))
    parts.append("<h2>Method</h2>" + _method(results))
    return _page(f"{results.scenario.name} sweep: practicesim report", "\n".join(parts))


def _kpi_table(results: SweepResults) -> str:
    points = list(_ranked(results, "net_cash_flow").index) if (
        "net_cash_flow" in results.table.columns) else list(results.points.index)
    head = ["<th>KPI</th>"] + [f"<th>{html.escape(_label(results, p, short=True))}</th>"
                               for p in points] + ["<th>target</th>"]
    rows = []
    for kpi in KPIS:
        if kpi not in results.table.columns:
            continue
        wide = results.wide(kpi)
        cells = [f"<td>{html.escape(kpi_name(kpi))}</td>"]
        for p in points:
            mean, low, high = interval(wide[p], 0.95)
            _, ok = _target(kpi, mean)
            spread = interval_text(kpi, low, high)
            cells.append(_cell(kpi, mean, ok, f" ({spread})" if spread else ""))
        cells.append(f"<td>{html.escape(_target_text(kpi))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    targets = ", ".join(f"{kpi_name(kpi)} {_target_text(kpi)}" for kpi in TARGETS)
    return (f"<div class='scroll'><table class='kpis'><thead><tr>{''.join(head)}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div><p class='note'>Points ordered by "
            "mean net cash flow, best first; each cell is the mean over replications with its "
            "95% interval. Values outside their benchmark target are marked \u2716 "
            f"({html.escape(targets)}).</p>")


def _target_text(kpi: str) -> str:
    """``>= 95.0%``: the KPI's benchmark target as written in the table (empty if none)."""
    if kpi not in TARGETS:
        return ""
    return _target(kpi, TARGETS[kpi][1])[0]


def _main_effect(results: SweepResults, path: str, kpi: str) -> Figure:
    """Mean ``kpi`` at each value of ``path`` (over the other parameters' grid values and the
    replications), with the 95% interval over replications as error bars (each replication's
    mean over the other parameters is one paired sample), the mean over the whole sweep as a
    dashed line and the scenario's own value as a dotted one."""
    table = results.table
    values = results.values(path)
    numeric = _numeric(values)
    if numeric:
        values = sorted(values)
    cis = np.array([interval(table.loc[table[path] == v].groupby("replication")[kpi].mean(),
                             0.95) for v in values])
    mean = cis[:, 0]
    low, high = np.nan_to_num(mean - cis[:, 1]), np.nan_to_num(cis[:, 2] - mean)
    x = np.array(values, dtype=float) if numeric else np.arange(len(values), dtype=float)

    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    ax.errorbar(x, mean, yerr=[low, high], color=OKABE_ITO["blue"], marker="o", linewidth=2,
                capsize=5, label=f"mean with 95% interval ({results.replications} replications)")
    ax.axhline(float(table[kpi].mean()), color=OKABE_ITO["black"], linestyle="--",
               linewidth=1, label="mean over the whole sweep")
    own = _scenario_value(results.scenario, path)
    if numeric and own is not None and _numeric([own]):
        ax.axvline(float(own), color=OKABE_ITO["vermillion"], linestyle=":", linewidth=1.5,
                   label=f"the scenario's own value ({parameter_value(own)})")
    if not numeric or len(values) <= 12:
        ax.set_xticks(x, [parameter_value(v) for v in values])
    unit = reference_unit(path)
    ax.set_xlabel(f"{path} ({unit})" if unit else path)
    dollars = kpi in DOLLARS
    ax.set_ylabel(f"{kpi_name(kpi)} over the {period(results.scenario)} period"
                  + (" ($)" if dollars else ""))
    if dollars:
        ax.yaxis.set_major_formatter(DollarFormatter())
    ax.set_title(f"Main effect of {path} on {kpi_name(kpi)}")
    ax.margins(x=0.1)
    ax.grid(axis="y", color=OKABE_ITO["grey"], alpha=0.3)
    ax.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


def _scenario_value(scenario: Scenario, path: str) -> Any:
    """The scenario's own value at a key path (``staff.billers.count``,
    ``payers[medicaid].denial.rate``), or None where it has none."""
    try:
        return get_path(scenario.model_dump(mode="json", by_alias=True), path)
    except ScenarioError:
        return None


def _assumptions_html(results: SweepResults) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(path)}</td>"
        f"<td>{html.escape(', '.join(parameter_value(v) for v in results.values(path)))}</td>"
        f"<td>{html.escape(shown(_scenario_value(results.scenario, path)))}</td>"
        "<td>user input (sweep grid)</td></tr>" for path in results.parameters)
    grid = (f"<h3>The grid</h3><p>Every combination of these values was run; everything else is "
            f"as in the scenario {html.escape(results.scenario.name)} (its key parameters "
            "below).</p><div class='scroll'><table><thead><tr><th>parameter</th>"
            "<th>values swept</th><th>the scenario's own value</th><th>source</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")
    return grid + key_figures(results.scenario)


def _method(results: SweepResults) -> str:
    points = len(results.points)
    return (f"<p>{points} points x {results.replications} replications, seed {results.seed}, "
            "common random numbers across points (every point runs replications 0 to "
            f"{results.replications - 1} on the same random streams, so differences between "
            "points are paired by replication); intervals are Student-t intervals over "
            "replications. A main effect averages over the other parameters' grid values. "
            f"practicesim {html.escape(results.version)}. Scenario hash (SHA-256 of the swept "
            f"scenario's canonical JSON, before the grid's changes): "
            f"<code>{html.escape(results.scenario_hash[:16])}</code></p>")
