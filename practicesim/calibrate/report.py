"""The calibration report: one self-contained HTML page (figures embedded as PNG, no scripts or
external requests) with every fit's observed-vs-fitted plot, the parameter table with sources
and intervals, the excluded rows and the suppressed cells."""

from __future__ import annotations

import html
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from practicesim.report.page import embedded_png, html_page
from practicesim.report.palette import OKABE_ITO
from practicesim.scenario import Scenario

PALETTE = [OKABE_ITO[name] for name in ("blue", "orange", "bluish_green", "vermillion",
                                       "sky_blue", "reddish_purple", "black", "yellow")]


class Fitted(Protocol):
    """What the report shows of a calibration (``practicesim.calibrate.calibration.Calibration``
    has these): the scenario, the parameter table, the excluded rows, the suppressed cells and
    the observed-vs-fitted figures' data."""

    scenario: Scenario
    parameters: pd.DataFrame
    excluded: pd.DataFrame
    suppressed: pd.DataFrame
    figures: dict[str, Any]


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem;
       color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1.5rem; }
td, th { border-bottom: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: right; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; height: auto; }
"""


def calibration_report(calibration: Fitted) -> str:
    """The report's HTML text."""
    parts = [f"<h1>Calibration of {html.escape(calibration.scenario.name)}</h1>",
             "<p>Figures fitted to the practice's data, each with its source and 95% interval; "
             "the base scenario's values stand wherever the data say nothing "
             "(<code>parameters.csv</code> lists every fitted key).</p>"]
    figures = calibration.figures
    sections = [
        ("No-shows by lead time", "noshow_by_lead", _noshow_by_lead),
        ("No-show model calibration", "noshow_calibration", _calibration_curve),
        ("Appointments by weekday", "demand_by_weekday", _weekday),
        ("Visit durations (quantiles)", "durations", _durations),
        ("Payment lag by payer", "lags", _lags),
        ("Initial denial rate by payer", "denials", _denials),
    ]
    for title, key, draw in sections:
        if key in figures and len(figures[key]):
            parts.append(f"<h2>{title}</h2>{_png(draw(figures[key]))}")
    if "lead_times" in figures and len(figures["lead_times"]):
        parts.append("<h2>Booking lead times (days), observed</h2><p>Lead time is not a "
                     "parameter of the model: it emerges from demand against capacity. Compare "
                     "these with a run of the calibrated scenario (<code>practicesim run</code>, "
                     "KPI <code>mean_lead_time_days</code>) or with the backtest.</p>"
                     + _table(figures["lead_times"]))
    if "allowed_by_code" in figures and len(figures["allowed_by_code"]):
        parts.append("<h2>Allowed-to-charge ratio by payer and code (835 service lines)</h2>"
                     + _table(figures["allowed_by_code"]))
    if "lags_by_status" in figures and len(figures["lags_by_status"]):
        parts.append("<h2>Remittance lag by payer and claim status (835s, days)</h2><p>From "
                     "the date the payer received the claim (DTM*050) to the payment date, "
                     "of the claims it answered; the simulator has one lag per payer for "
                     "payments and denials (the ledger's fit above, with the waiting claims "
                     "censored).</p>" + _table(figures["lags_by_status"]))
    if "underpayments" in figures and len(figures["underpayments"]):
        parts.append("<h2>Underpayments against the contract table (835 service lines)</h2>"
                     + _table(figures["underpayments"]))
    parts.append("<h2>Calibrated parameters</h2>" + _table(calibration.parameters.reset_index()))
    parts.append("<h2>Rows excluded as data errors</h2>")
    excluded = calibration.excluded
    if excluded.empty:
        parts.append("<p>None.</p>")
    else:
        counts = excluded.groupby(["file", "reason"]).size().rename("rows").reset_index()
        parts.append(_table(counts) + _table(excluded))
    parts.append("<h2>Cells suppressed (fewer than 11 patients)</h2>")
    parts.append("<p>None.</p>" if calibration.suppressed.empty
                 else _table(calibration.suppressed))
    return html_page("Calibration", _STYLE, "\n".join(parts))


def _png(fig: Figure) -> str:
    return embedded_png(fig, dpi=110, alt="figure")


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:,.4g}", na_rep="",
                      border=0, escape=True)


def _noshow_by_lead(table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(6.5, 3.2))
    ax = fig.subplots()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["observed"] * 100, 0.4, label="observed", color=PALETTE[0])
    ax.bar(x + 0.2, table["predicted"] * 100, 0.4, label="fitted", color=PALETTE[1])
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_ylabel("no-show rate (%)")
    ax.set_xlabel("lead time from booking")
    ax.legend(frameon=False)
    return fig


def _calibration_curve(table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    top = float(max(table["predicted"].max(), table["observed"].max())) * 100
    ax.plot([0, top], [0, top], color="#999", lw=1, label="perfect")
    ax.plot(table["predicted"] * 100, table["observed"] * 100, "o-", color=PALETTE[2],
            label="deciles")
    ax.set_xlabel("predicted no-show rate (%)")
    ax.set_ylabel("observed no-show rate (%)")
    ax.legend(frameon=False)
    return fig


def _weekday(table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(5.5, 3))
    ax = fig.subplots()
    ax.bar(table.index.astype(str), table["observed"], color=PALETTE[0])
    ax.set_ylabel("appointments per clinic day")
    return fig


def _durations(fits: dict) -> Figure:
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    for i, (name, (observed, fitted)) in enumerate(fits.items()):
        ax.plot(fitted, observed, "o-", color=PALETTE[i % len(PALETTE)], label=name)
    ax.axline((0, 0), slope=1, color="#999", lw=1)
    ax.set_xlabel("fitted lognormal quantile (minutes)")
    ax.set_ylabel("observed quantile (minutes)")
    ax.legend(frameon=False, fontsize=8)
    return fig


def _lags(lags: dict) -> Figure:
    fig = Figure(figsize=(6.5, 3.6))
    ax = fig.subplots()
    for i, (payer, lag) in enumerate(lags.items()):
        color = PALETTE[i % len(PALETTE)]
        ax.step(lag.curve["days"], lag.curve["share_decided"] * 100, where="post",
                color=color, label=f"{payer} (observed)")
        days = np.arange(0, float(lag.curve["days"].max()) + 1)
        ax.plot(days, lag.cdf(days) * 100, "--", color=color, lw=1)
    ax.set_xlabel("days from submission")
    ax.set_ylabel("claims with a remittance (%)")
    ax.set_title("solid: Kaplan-Meier; dashed: fitted lognormal", fontsize=9)
    ax.legend(frameon=False, fontsize=7)
    return fig


def _denials(table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(6.5, 3))
    ax = fig.subplots()
    value = table["value"] * 100
    err = np.vstack([value - table["low"] * 100, table["high"] * 100 - value])
    ax.bar(table.index.astype(str), value, yerr=err, capsize=3, color=PALETTE[3])
    ax.set_ylabel("initial denial rate (%)")
    ax.tick_params(axis="x", labelrotation=20)
    return fig
