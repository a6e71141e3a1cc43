"""Charts of runs, experiments, comparisons and sensitivity tables (matplotlib only).

Every plot function returns a ``matplotlib.figure.Figure``. Without ``ax`` it draws on a new
figure made with ``matplotlib.figure.Figure`` (not ``pyplot``: no global state, no GUI, safe
under the Agg backend and in loops that write many files); with ``ax`` it draws into that axes
and returns the figure that holds it. Money is in dollars (the ledger's integer cents divided
by 100). Colours are the Okabe-Ito palette, which colour-blind readers can tell apart; series
are also told apart by hatching, line style or markers so that a greyscale print stays
readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from practicesim import ledger as lg
from practicesim.experiment import Comparison, Experiment, aging_at
from practicesim.report.labels import (
    DollarFormatter,
    kpi_name,
    kpi_unit,
    kpi_value,
    money,
    parameter_value,
)
from practicesim.report.palette import OKABE_ITO

AGING_STYLE = (
    (OKABE_ITO["bluish_green"], ""),
    (OKABE_ITO["sky_blue"], ".."),
    (OKABE_ITO["yellow"], "//"),
    (OKABE_ITO["orange"], "xx"),
    (OKABE_ITO["vermillion"], "\\\\\\"),
)
"""(colour, hatch) of each aging bucket, youngest first."""

WATERFALL_STEPS = ("gross_charges", "contractual_adjustments", "denial_writeoffs", "bad_debt",
                   "collected", "rest")
"""The steps of ``waterfall_table``: gross charges = the sum of the five others."""

STEP_LABELS = {
    "gross_charges": "Gross charges",
    "contractual_adjustments": "Contractual\nadjustments",
    "denial_writeoffs": "Denial\nwrite-offs",
    "bad_debt": "Bad debt",
    "collected": "Collected",
    "rest": "Rest: change\nin A/R",
}

# --- figure helpers ------------------------------------------------------------


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    """The figure to draw on, its axes, and whether the figure is new (ours to lay out)."""
    if ax is not None:
        return _root_figure(ax), ax, False
    fig = Figure(figsize=size)
    return fig, fig.add_subplot(), True


def _root_figure(ax: Axes) -> Figure:
    fig: Any = ax.figure
    while isinstance(fig, SubFigure):
        fig = fig.figure  # a subfigure's root figure
    return fig


def _finish(fig: Figure, new: bool) -> Figure:
    """``tight_layout`` on our own figures, and on given ones with no layout engine of their own
    (a caller's constrained layout is left alone)."""
    if new or fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig


def _dollar_axis(axis: Any) -> None:
    axis.set_major_formatter(DollarFormatter())


def _month_axis(axis: Any, start: Any) -> None:
    """Whole reported months on ``axis``, labelled with their number and, when the reporting
    start date is known, the calendar month (month 1 is the month of ``start``)."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if start is None:
        return
    first = pd.Period(start, freq="M")

    def label(x: float, pos: int | None = None) -> str:
        if x < 1 or x != round(x):
            return ""
        return f"{int(x)}\n{(first + int(x) - 1).strftime('%b %Y')}"

    axis.set_major_formatter(FuncFormatter(label))


def _reporting_start(scenario: Any) -> Any:
    return getattr(getattr(scenario, "calendar", None), "start", None)


# --- 1. cash difference fan -------------------------------------------------------------------


def cash_difference_fan(comparison: Comparison, scenario: str | None = None,
                        ax: Axes | None = None) -> Figure:
    """Fan chart of the cumulative net cash difference, scenario minus baseline, in dollars, by
    reported month, from ``comparison.cash_differences`` (a ``Comparison`` of
    ``experiment.compare``).

    Drawn: the mean over replications (line with markers), the 50% band (P25 to P75, darker)
    and the 90% band (P5 to P95, lighter) of the replications' differences, and a dashed zero
    line (above it the scenario has brought in more cash than the baseline since the start of
    reporting). The x axis is the reported month, 1 to the last, each tick also naming its
    calendar month. ``scenario``: which scenario of the comparison; may be left out when it
    has only one (with several, a ``ValueError`` lists them).
    """
    differences = comparison.cash_differences
    if isinstance(differences, pd.DataFrame):
        differences = differences.iloc[:, 0]
    names = list(dict.fromkeys(differences.index.get_level_values("scenario")))
    if scenario is None:
        if len(names) != 1:
            raise ValueError(f"the comparison has several scenarios, choose one: {names}")
        scenario = names[0]
    if scenario not in names:
        raise ValueError(f"no scenario {scenario!r} in the comparison; it has {names}")
    wide = differences.xs(scenario, level="scenario").unstack("month")
    months = wide.columns.to_numpy()
    bands = wide.quantile([0.05, 0.25, 0.75, 0.95])
    mean = wide.mean()

    fig, ax, new = _figure(ax, (8, 4.5))
    colour = OKABE_ITO["blue"]
    ax.fill_between(months, bands.loc[0.05], bands.loc[0.95], color=colour, alpha=0.18,
                    linewidth=0, label="90% of replications (P5-P95)")
    ax.fill_between(months, bands.loc[0.25], bands.loc[0.75], color=colour, alpha=0.40,
                    linewidth=0, label="50% of replications (P25-P75)")
    ax.plot(months, mean.to_numpy(), color=colour, marker="o", linewidth=2,
            label=f"mean of {len(wide)} replications")
    ax.axhline(0, color=OKABE_ITO["black"], linestyle="--", linewidth=1, label="no difference")
    baseline = comparison.baseline.scenario
    ax.set_title(f"Cumulative net cash: {scenario} minus {baseline.name}")
    ax.set_xlabel("month")
    ax.set_ylabel("cumulative net cash difference ($)")
    _month_axis(ax.xaxis, _reporting_start(baseline))
    _dollar_axis(ax.yaxis)
    ax.grid(axis="y", color=OKABE_ITO["grey"], alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return _finish(fig, new)


# --- 2. A/R aging over time -------------------------------------------------------------------


def ar_aging_over_time(ledger: pd.DataFrame, days: Iterable[int]) -> pd.DataFrame:
    """A/R by aging bucket on each of ``days`` (simulation days): one row per day (index
    ``day``, in the order given), one column per bucket label of ``metrics.AGING_BUCKETS``
    (``0-30`` ... ``>120``, days from the date of service), in dollars, summed over payers and
    the patient (``metrics.ar_aging(ledger, day).sum()``). A row's total is the A/R at the
    end of that day. Each day is one pass over the ledger: for a long run pass every 7th or
    30th day rather than every day."""
    table = aging_at(ledger, np.asarray([int(day) for day in days], dtype=np.int64)) / 100
    table.columns.name = "bucket"
    return table


def ar_aging_area(aging: pd.DataFrame, dates: Sequence[Any] | None = None,
                  ax: Axes | None = None) -> Figure:
    """Stacked area chart of A/R by aging bucket (a table of ``ar_aging_over_time``), dollars.

    The youngest bucket (0-30 days) is at the bottom, the oldest on top; each bucket has its
    own colour and hatching, and the legend (right of the plot) lists them top to bottom as
    stacked. The x axis is the table's simulation days, or ``dates`` (one per row, e.g.
    ``run.calendar.dates(aging.index)``) when given.
    """
    if dates is not None and len(dates) != len(aging):
        raise ValueError(f"dates has {len(dates)} values for {len(aging)} rows of aging")
    x = aging.index.to_numpy() if dates is None else pd.to_datetime(pd.Series(list(dates)))
    fig, ax, new = _figure(ax, (8, 4.5))
    columns = list(aging.columns)
    styles = [AGING_STYLE[i % len(AGING_STYLE)] for i in range(len(columns))]
    areas = ax.stackplot(x, *(aging[c].to_numpy(dtype=float) for c in columns),
                         labels=[f"{c} days" for c in columns],
                         colors=[colour for colour, _ in styles],
                         edgecolor=OKABE_ITO["black"], linewidth=0.4)
    for area, (_, hatch) in zip(areas, styles, strict=True):
        area.set_hatch(hatch)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title="days since\nservice", loc="upper left",
              bbox_to_anchor=(1.01, 1), fontsize="small")
    ax.set_title("Accounts receivable by age")
    ax.set_xlabel("simulation day" if dates is None else "date")
    ax.set_ylabel("accounts receivable ($)")
    _dollar_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.grid(axis="y", color=OKABE_ITO["grey"], alpha=0.3)
    if dates is not None:
        fig.autofmt_xdate()
    return _finish(fig, new)


# --- 3. revenue waterfall ---------------------------------------------------------------------


def waterfall_table(ledger: pd.DataFrame, start: int, end: int) -> pd.Series:
    """Where the gross charges of a period went, in dollars, over ledger rows with ``day`` in
    ``[start, end)`` (by posting day).

    Steps (``WATERFALL_STEPS``): ``gross_charges`` (``charge`` rows), then the amounts posted
    in the period as ``contractual_adjustments``, ``denial_writeoffs``, ``bad_debt`` and
    ``collected`` (payer and patient payments), all as positive amounts, and ``rest`` = gross
    charges minus those four: what is still open of the period's charges, less what was
    adjusted, written off or paid in the period on charges of earlier periods (and on opening
    balances of a warm start). So ``gross_charges`` equals the sum of the other five exactly
    (computed in integer cents). ``rest`` can be negative when the period settles more of
    earlier charges than it leaves open; over a whole run from an empty practice it is the
    A/R at the end.
    """
    rows = ledger[(ledger["day"] >= start) & (ledger["day"] < end)]
    cents = rows.groupby("kind", observed=False)["amount_cents"].sum().reindex(
        list(lg.KINDS), fill_value=0).astype("int64")
    steps = {
        "gross_charges": int(cents[lg.CHARGE]),
        "contractual_adjustments": int(cents[lg.CONTRACTUAL]),
        "denial_writeoffs": int(cents[lg.DENIAL_WRITEOFF]),
        "bad_debt": int(cents[lg.BAD_DEBT]),
        "collected": int(cents[lg.PAYER_PAYMENT] + cents[lg.PATIENT_PAYMENT]),
    }
    steps["rest"] = steps["gross_charges"] - sum(
        value for step, value in steps.items() if step != "gross_charges")
    return pd.Series(steps, name="dollars", dtype="int64").rename_axis("step") / 100


def revenue_waterfall(ledger: pd.DataFrame, start: int, end: int,
                      ax: Axes | None = None) -> Figure:
    """Waterfall of ``waterfall_table(ledger, start, end)`` in dollars (``waterfall_chart``),
    titled with the period's days."""
    return waterfall_chart(waterfall_table(ledger, start, end),
                           f"Revenue waterfall, days {start} to {end - 1}", ax)


def waterfall_chart(table: pd.Series, title: str, ax: Axes | None = None) -> Figure:
    """Waterfall of a table of ``WATERFALL_STEPS`` in dollars (``waterfall_table``, or its
    mean over replications): the gross charges bar from zero, then contractual adjustments,
    denial write-offs, bad debt and collections, each a floating bar stepping down from the
    running level (hatched), and the rest as a closing bar from zero up (or down) to where the
    steps end. Every bar is labelled with its value (reductions with a minus sign); thin dotted
    lines join the levels."""
    fig, ax, new = _figure(ax, (9, 5))
    reductions = ("contractual_adjustments", "denial_writeoffs", "bad_debt", "collected")
    level = float(table["gross_charges"])
    bottoms, heights, shown = [0.0], [level], [level]
    for step in reductions:
        value = float(table[step])
        bottoms.append(level - value)
        heights.append(value)
        shown.append(-value)
        level -= value
    bottoms.append(0.0)
    heights.append(float(table["rest"]))
    shown.append(float(table["rest"]))

    styles = {
        "gross_charges": (OKABE_ITO["blue"], ""),
        "contractual_adjustments": (OKABE_ITO["orange"], "//"),
        "denial_writeoffs": (OKABE_ITO["vermillion"], "xx"),
        "bad_debt": (OKABE_ITO["reddish_purple"], "\\\\"),
        "collected": (OKABE_ITO["bluish_green"], ".."),
        "rest": (OKABE_ITO["grey"], ""),
    }
    x = np.arange(len(WATERFALL_STEPS))
    bars = ax.bar(x, heights, bottom=bottoms, width=0.6,
                  color=[styles[s][0] for s in WATERFALL_STEPS],
                  hatch=[styles[s][1] for s in WATERFALL_STEPS],
                  edgecolor=OKABE_ITO["black"], linewidth=0.8)
    ax.bar_label(bars, labels=[money(v) for v in shown], label_type="edge", padding=2,
                 fontsize="small")
    tops = [b + h for b, h in zip(bottoms, heights, strict=True)]
    levels = [tops[0], *bottoms[1:-1], tops[-1]]
    for i in range(len(x) - 1):
        ax.plot([x[i] + 0.3, x[i + 1] - 0.3], [levels[i], levels[i]],
                color=OKABE_ITO["black"], linestyle=":", linewidth=0.8)
    ax.axhline(0, color=OKABE_ITO["black"], linewidth=0.8)
    ax.set_xticks(x, [STEP_LABELS[s] for s in WATERFALL_STEPS], fontsize="small")
    ax.set_title(title)
    ax.set_xlabel("ledger postings in the period")
    ax.set_ylabel("dollars ($)")
    _dollar_axis(ax.yaxis)
    ax.margins(y=0.12)
    ax.grid(axis="y", color=OKABE_ITO["grey"], alpha=0.3)
    return _finish(fig, new)


# --- 4. tornado -------------------------------------------------------------------------------


def tornado_chart(table: pd.DataFrame, kpi: str, ax: Axes | None = None,
                  reference: str = "the baseline") -> Figure:
    """Tornado chart of one KPI from ``experiment.tornado``: per parameter, two horizontal
    bars from the ``baseline`` column's value (the zero line, named ``reference`` on the chart:
    the scenario's own value for ``experiment.tornado``, the mean over the grid for a sweep's
    main effects) to the KPI's mean with the parameter at its
    low value (blue, plain) and at its high value (orange, hatched), as a difference from the
    baseline in the KPI's unit (dollars for money KPIs). The largest swing is on top; the
    y labels name the parameters and each bar's end is labelled with the parameter value that
    produced it."""
    rows = table[table["kpi"] == kpi]
    if rows.empty:
        known = sorted(table["kpi"].unique())
        raise ValueError(f"no rows for KPI {kpi!r} in the tornado table; it has {known}")
    rows = rows.sort_values("swing", ascending=False, kind="stable")
    baseline = float(rows["baseline"].iloc[0])
    n = len(rows)
    y = np.arange(n)[::-1].astype(float)
    low = rows["at_low"].to_numpy(dtype=float) - baseline
    high = rows["at_high"].to_numpy(dtype=float) - baseline

    fig, ax, new = _figure(ax, (8, 1.6 + 0.9 * n))
    half = 0.38
    low_bars = ax.barh(y + half / 2, low, height=half, color=OKABE_ITO["blue"],
                       edgecolor=OKABE_ITO["black"], linewidth=0.6,
                       label="parameter at its low value")
    high_bars = ax.barh(y - half / 2, high, height=half, color=OKABE_ITO["orange"],
                        hatch="//", edgecolor=OKABE_ITO["black"], linewidth=0.6,
                        label="parameter at its high value")
    ax.bar_label(low_bars, labels=[f"low {parameter_value(v)}" for v in rows["low_value"]],
                 padding=3, fontsize="small")
    ax.bar_label(high_bars, labels=[f"high {parameter_value(v)}" for v in rows["high_value"]],
                 padding=3, fontsize="small")
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=1)
    ax.set_yticks(y, list(rows["parameter"]))
    unit = kpi_unit(kpi)
    ax.set_xlabel(f"change in {kpi_name(kpi)} from {reference} ({unit})")
    ax.set_ylabel("parameter")
    ax.set_title(f"Sensitivity of {kpi_name(kpi)} ({reference}: {kpi_value(kpi, baseline)})")
    if unit == "$":
        _dollar_axis(ax.xaxis)
    ax.margins(x=0.25, y=0.5 / n)
    ax.grid(axis="x", color=OKABE_ITO["grey"], alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return _finish(fig, new)


# --- 5. monthly cash --------------------------------------------------------------------------


def monthly_cash(experiment: Experiment, ax: Axes | None = None) -> Figure:
    """Monthly cash of an ``Experiment`` (``experiment.monthly``), in dollars per reported
    month: collections (green bars) and costs (orange hatched bars), each the mean over
    replications, and the net cash flow (collections - costs) as a black line with its mean and
    a grey band from P10 to P90 over replications. The x axis is the reported month, each
    tick also naming its calendar month."""
    monthly = experiment.monthly
    by_month = monthly.groupby(level="month")
    collections = by_month["collections"].mean()
    costs = by_month["costs"].mean()
    net = by_month["net_cash_flow"]
    months = collections.index.to_numpy()
    reps = monthly.index.get_level_values("replication").nunique()

    fig, ax, new = _figure(ax, (9, 4.8))
    width = 0.38
    ax.bar(months - width / 2, collections.to_numpy(), width=width,
           color=OKABE_ITO["bluish_green"], edgecolor=OKABE_ITO["black"], linewidth=0.6,
           label="collections (mean)")
    ax.bar(months + width / 2, costs.to_numpy(), width=width, color=OKABE_ITO["orange"],
           hatch="//", edgecolor=OKABE_ITO["black"], linewidth=0.6, label="costs (mean)")
    ax.fill_between(months, net.quantile(0.1).to_numpy(), net.quantile(0.9).to_numpy(),
                    color=OKABE_ITO["grey"], alpha=0.45, linewidth=0,
                    label="net cash flow, P10-P90")
    ax.plot(months, net.mean().to_numpy(), color=OKABE_ITO["black"], marker="o", linewidth=2,
            label="net cash flow (mean)")
    ax.axhline(0, color=OKABE_ITO["black"], linewidth=0.8)
    name = experiment.scenario.name
    ax.set_title(f"Monthly cash: {name} ({reps} replication{'s' if reps != 1 else ''})")
    ax.set_xlabel("month")
    ax.set_ylabel("dollars per month ($)")
    _month_axis(ax.xaxis, _reporting_start(experiment.scenario))
    _dollar_axis(ax.yaxis)
    ax.grid(axis="y", color=OKABE_ITO["grey"], alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small", ncols=2,
              frameon=False)
    return _finish(fig, new)


# --- 6. Ranked effects of several scenarios ---------------------------------------------------


def effect_ranking(comparison: Comparison, month: int = 12, confidence: float = 0.90,
                   ax: Axes | None = None) -> Figure:
    """Each scenario's cumulative net cash difference from the baseline at ``month`` (dollars):
    a horizontal bar at the mean over paired replications with its ``confidence`` interval as
    an error bar, best on top ("where should the practice spend its next dollar?"). Bars whose
    interval lies above zero are filled, the others hatched."""
    from practicesim.experiment import interval

    differences = comparison.cash_differences
    if isinstance(differences, pd.DataFrame):
        differences = differences.iloc[:, 0]
    at = differences.xs(month, level="month")
    rows = []
    for name in dict.fromkeys(at.index.get_level_values("scenario")):
        mean, low, high = interval(at.xs(name, level="scenario"), confidence)
        rows.append((name, mean, low, high))
    rows.sort(key=lambda r: r[1])
    fig, ax, new = _figure(ax, (8, 1.0 + 0.6 * len(rows)))
    positions = np.arange(len(rows))
    for y, (_, mean, low, high) in zip(positions, rows, strict=True):
        sure = low > 0
        ax.barh(y, mean, color=OKABE_ITO["bluish_green" if sure else "orange"],
                hatch="" if sure else "//", edgecolor=OKABE_ITO["black"], linewidth=0.6)
        ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], color=OKABE_ITO["black"],
                    capsize=4, linewidth=1.2)
        ax.annotate(money(mean), (max(high, 0), y), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize="small")
    ax.set_yticks(positions, [name for name, *_ in rows])
    ax.set_ylabel("scenario")
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=1)
    ax.set_xlabel(f"cumulative net cash difference at month {month} ($), "
                  f"{confidence:.0%} interval")
    ax.set_title(f"Effect on {month}-month net cash vs {comparison.baseline.scenario.name} "
                 f"({len(at.xs(rows[0][0], level='scenario'))} paired replications)")
    _dollar_axis(ax.xaxis)
    ax.grid(axis="x", color=OKABE_ITO["grey"], alpha=0.3)
    return _finish(fig, new)
