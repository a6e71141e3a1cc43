"""A client-ready report of a comparison: one self-contained HTML page (figures embedded as PNG,
no scripts, fonts or network requests) that answers first and shows how.

``comparison_report(results)`` takes the results of ``experiment.compare`` (a ``Comparison`` or
the folder ``practicesim compare --out`` wrote) and gives, in order: the answer in one sentence
per scenario (12-month net cash difference with its 90% interval and the pay-back month), the
KPI table with benchmark targets beside it (values outside a target marked in words, not only
in colour), the figures (cumulative net cash difference fan, monthly net cash, A/R at month end,
A/R by age at month end, revenue waterfall, provider utilization, lead time, denial backlog),
the assumptions (every parameter that differs from the baseline, and the
baseline's key figures) and the method (replications, seed, common random numbers, version,
scenario hashes). Readable at phone width and in print.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from practicesim.experiment import AGING_COLUMNS, Comparison, interval
from practicesim.report.labels import DollarFormatter, kpi_name, money
from practicesim.report.page import embedded_png, html_page
from practicesim.report.palette import OKABE_ITO
from practicesim.report.plots import (
    STEP_LABELS,
    WATERFALL_STEPS,
    ar_aging_area,
    cash_difference_fan,
    waterfall_chart,
)
from practicesim.report.sources import brief, flat_values, shown, source_of
from practicesim.scenario import Scenario
from practicesim.version import __version__

TARGETS = {
    "clean_claim_rate": (">=", 0.95), "days_in_ar": ("<", 35.0),
    "initial_denial_rate": ("<", 0.05), "first_pass_resolution_rate": (">", 0.90),
}
"""Benchmark targets (../shared/domain/revenue-cycle.md, seed guide)."""
KPIS = ("net_cash_flow", "collections", "charges", "costs", "days_in_ar", "clean_claim_rate",
        "initial_denial_rate", "first_pass_resolution_rate", "net_collection_rate",
        "denial_writeoff_pct", "cost_to_collect", "no_show_rate", "visits_completed",
        "mean_lead_time_days", "provider_utilization", "ending_ar", "ending_denial_backlog")
RATES = {"clean_claim_rate", "initial_denial_rate", "first_pass_resolution_rate",
         "net_collection_rate", "denial_writeoff_pct", "cost_to_collect", "no_show_rate",
         "provider_utilization"}
DOLLARS = {"net_cash_flow", "collections", "charges", "costs", "ending_ar"}
FILES = ("summary.parquet", "decision.parquet", "cash_differences.parquet", "monthly.parquet",
         "comparison.json")


class ReportError(ValueError):
    """A results folder the report cannot be made from (names the file and what is missing)."""


@dataclass
class Results:
    """What a report needs of a comparison: its tables and the scenarios compared."""

    summary: pd.DataFrame
    decision: pd.DataFrame
    cash_differences: pd.DataFrame
    monthly: pd.DataFrame
    scenarios: dict[str, Scenario]
    baseline: str
    seed: int
    replications: int
    version: str

    @classmethod
    def read(cls, folder: str | Path) -> Results:
        """The results ``practicesim compare --out FOLDER`` wrote."""
        folder = require_files(Path(folder), FILES, "a comparison or a sweep",
                               "practicesim compare --out or practicesim sweep --out")
        meta = json.loads((folder / "comparison.json").read_text())
        return cls(
            summary=pd.read_parquet(folder / "summary.parquet"),
            decision=pd.read_parquet(folder / "decision.parquet"),
            cash_differences=pd.read_parquet(folder / "cash_differences.parquet"),
            monthly=pd.read_parquet(folder / "monthly.parquet"),
            scenarios={name: Scenario.model_validate(entry["scenario"])
                       for name, entry in meta["scenarios"].items()},
            baseline=meta["baseline"], seed=int(meta["seed"]),
            replications=int(meta["replications"]), version=meta["practicesim_version"])

    @classmethod
    def of(cls, comparison: Comparison) -> Results:
        """The same tables straight from a ``Comparison`` in memory."""
        experiments = {comparison.baseline.scenario.name: comparison.baseline,
                       **comparison.scenarios}
        return cls(
            summary=comparison.summary().reset_index(),
            decision=comparison.decision().rename_axis("scenario").reset_index(),
            cash_differences=comparison.cash_differences.reset_index(),
            monthly=pd.concat({n: e.monthly for n, e in experiments.items()},
                              names=["scenario"]).reset_index(),
            scenarios={n: e.scenario for n, e in experiments.items()},
            baseline=comparison.baseline.scenario.name, seed=comparison.baseline.seed,
            replications=len(comparison.baseline.kpis), version=__version__)

    @property
    def alternatives(self) -> list[str]:
        return [name for name in self.scenarios if name != self.baseline]


def require_files(folder: Path, names: Sequence[str], kind: str, command: str) -> Path:
    """``folder`` if it holds every file of ``names``; else a ``ReportError`` naming the folder,
    what it is not the results of, the files missing and the command that writes them."""
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise ReportError(f"{folder}: not the results of {kind} (missing "
                          f"{', '.join(missing)}; write them with {command})")
    return folder


def answer(results: Results, scenario: str, month: int = 12, level: float = 0.90) -> str:
    """The decision in one sentence: the net cash difference at ``month`` (or the last month
    reported), its ``level`` interval (t interval of the mean over paired replications) and the
    pay-back month; then the same in accrual net income (revenue when earned, costs when
    incurred), unless the results were written before the monthly series held it."""
    wide = _cash_wide(results, scenario)
    month = min(month, int(wide.columns.max()))
    row = results.decision.set_index("scenario").loc[scenario]
    cash = _difference(wide[month], level, row.get("break_even_month"),
                       ("pays back", "pay back"))
    text = (f"{scenario} {cash[0]} {month}-month net cash by {cash[1]} compared with "
            f"{results.baseline}{cash[2]}.")
    if "cumulative_net_income" not in results.monthly.columns:
        return text
    income = _difference(_paired_income(results, scenario)[month], level,
                         row.get("income_break_even_month"), ("breaks even", "break even"))
    return (f"{text} On an accrual basis (revenue when earned, costs when incurred) it "
            f"{income[0]} {month}-month net income by {income[1]}{income[2]}.")


def _difference(values: pd.Series, level: float, month: float | None,
                words: tuple[str, str]) -> tuple[str, str, str]:
    """(verb, amount, rest) of a paired difference's sentence: "raises" or "lowers", its mean
    in dollars, then its ``level`` interval and the month it ``words`` (never: "does not ...
    within the period simulated", said of a loss)."""
    mean, low, high = interval(values, level)
    spread = interval_text("net_cash_flow", low, high)
    when = (f"; it {words[0]} in month {int(month)}" if month is not None and not pd.isna(month)
            else f"; it does not {words[1]} within the period simulated" if mean < 0 else "")
    return ("raises" if mean >= 0 else "lowers", money(abs(mean)),
            (f" ({level:.0%} interval {spread})" if spread else "") + when)


def _paired_income(results: Results, scenario: str) -> pd.DataFrame:
    """Cumulative accrual net income, scenario minus baseline, by month: the k-th replication
    of each in order (paired as ``compare`` pairs them, also when its replications are
    independent and numbered after the baseline's)."""
    monthly = results.monthly
    wide = {name: monthly[monthly["scenario"] == name].pivot(
        index="replication", columns="month", values="cumulative_net_income")
        for name in (scenario, results.baseline)}
    return pd.DataFrame(wide[scenario].to_numpy() - wide[results.baseline].to_numpy(),
                        columns=wide[scenario].columns)


PNL_LINES = (("revenue_earned", "revenue earned (expected net revenue of the services)"),
             ("revenue_deductions", "less write-offs beyond the contractual allowance"),
             ("accrued_costs", "less costs incurred"), ("net_income", "net income (accrual)"),
             ("collections", "cash collected"), ("costs", "costs paid"),
             ("net_cash_flow", "net cash flow"))
"""The profit-and-loss table's rows: the accrual view, then the cash view."""


def _pnl_table(results: Results, months: int = 12) -> str:
    """Per scenario, the mean over replications of the first ``months`` reported months'
    accrual P&L beside its cash flow (empty for results without the accrual series)."""
    monthly = results.monthly
    if "net_income" not in monthly.columns:
        return ""
    shown = monthly[monthly["month"] <= months]
    last = int(shown["month"].max())
    sums = shown.groupby(["scenario", "replication"], sort=False)[
        [column for column, _ in PNL_LINES]].sum().groupby("scenario", sort=False).mean()
    head = "".join(f"<th>{html.escape(str(n))}</th>" for n in sums.index)
    rows = "".join(f"<tr><td>{html.escape(label)}</td>"
                   + "".join(f"<td>{money(float(sums.loc[n, column]))}</td>" for n in sums.index)
                   + "</tr>" for column, label in PNL_LINES)
    return (f"<h2>Profit and loss, months 1-{last}</h2><div class='scroll'><table "
            f"class='kpis'><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"
            "</div><p class='note'>Mean of the replications. Accrual basis: a visit's expected "
            "net revenue (contracted allowed amount, or the self-pay price) counts on its date "
            "of service, write-offs beyond it when posted, and production pay in the month "
            "earned; the cash view counts money when it moves.</p>")


def interval_text(kpi: str, low: float, high: float) -> str:
    """``$1,000 to $2,000``: an interval in the KPI's format (rates in percentage points with
    a sign), or empty where there are too few replications for one."""
    if pd.isna(low) or pd.isna(high):
        return ""
    if kpi in RATES:
        return f"{low * 100:+.1f} to {high * 100:+.1f} points"
    return f"{_format(kpi, low)} to {_format(kpi, high)}"


def comparison_report(results: Results | Comparison | str | Path) -> str:
    """The report's HTML text (module docstring)."""
    if isinstance(results, Comparison):
        results = Results.of(results)
    elif not isinstance(results, Results):
        results = Results.read(results)
    parts = [f"<h1>{html.escape(' vs '.join(results.alternatives))} compared with "
             f"{html.escape(results.baseline)}</h1>", "<h2>The answer</h2>"]
    parts += [f"<p class='answer'>{html.escape(answer(results, name))}</p>"
              for name in results.alternatives]
    parts.append("<h2>Key figures</h2>" + _kpi_table(results))
    parts.append(_pnl_table(results))
    parts.append("<h2>Figures</h2>")
    for name in results.alternatives:
        parts.append(_png(_fan(results, name)))
    parts.append(_png(_monthly(results, "net_cash_flow", "net cash flow per month ($)")))
    if "net_income" in results.monthly.columns:
        parts.append(_png(_monthly(results, "net_income",
                                   "net income per month, accrual basis ($)")))
    parts.append(_png(_monthly(results, "ending_ar", "A/R at month end ($)")))
    parts.append(_figures_kept_since_format_4(results))
    parts.append(_png(_monthly(results, "denial_backlog",
                               "denials waiting for rework (claims, monthly mean)")))
    parts.append("<h2>Assumptions</h2>" + _assumptions(results))
    parts.append("<h2>Method</h2>" + _method(results))
    return _page(f"{' vs '.join(results.alternatives)}: practicesim report", "\n".join(parts))


def summary_html(results: Results | Comparison) -> str:
    """The answer and the KPI table alone (``show`` in a notebook)."""
    if isinstance(results, Comparison):
        results = Results.of(results)
    answers = "".join(f"<p>{html.escape(answer(results, n))}</p>" for n in results.alternatives)
    return answers + _kpi_table(results)


def show(results: Results | Comparison) -> Any:
    """The answer and the KPI table with targets, as HTML for a notebook (the summary of
    ``practicesim report``): ``report.show(comparison)`` in a cell displays it. Needs IPython
    (the ``notebook`` extra)."""
    from IPython.display import HTML

    return HTML(summary_html(results))


def _cash_wide(results: Results, scenario: str) -> pd.DataFrame:
    table = results.cash_differences
    rows = table[table["scenario"] == scenario]
    if rows.empty:
        raise ReportError(f"no scenario {scenario!r} in the results; "
                          f"they have {results.alternatives}")
    value = next(c for c in rows.columns if c not in ("scenario", "replication", "month"))
    return rows.pivot(index="replication", columns="month", values=value)


def _format(kpi: str, value: float) -> str:
    if pd.isna(value):
        return "n/a"
    if kpi in RATES:
        return f"{value:.1%}"
    if kpi in DOLLARS:
        return money(value)
    return f"{value:,.1f}"


def _target(kpi: str, value: float) -> tuple[str, bool]:
    if kpi not in TARGETS or pd.isna(value):
        return "", True
    op, limit = TARGETS[kpi]
    ok = {">=": value >= limit, ">": value > limit, "<": value < limit}[op]
    return f"{op} {_format(kpi, limit)}", bool(ok)


def _kpi_table(results: Results) -> str:
    summary = results.summary.set_index(["scenario", "kpi"])
    head = ["<th>KPI</th>", f"<th>{html.escape(results.baseline)}</th>"]
    head += [f"<th>{html.escape(n)} (95% interval of the difference)</th>"
             for n in results.alternatives]
    head.append("<th>target</th>")
    rows = []
    for kpi in KPIS:
        if (results.alternatives[0], kpi) not in summary.index:
            continue
        base = float(summary.loc[(results.alternatives[0], kpi), "baseline"])
        target, base_ok = _target(kpi, base)
        cells = [f"<td>{html.escape(kpi_name(kpi))}</td>", _cell(kpi, base, base_ok)]
        for name in results.alternatives:
            row = summary.loc[(name, kpi)]
            _, ok = _target(kpi, float(row["value"]))
            spread = interval_text(kpi, row["ci_low"], row["ci_high"])
            cells.append(_cell(kpi, float(row["value"]), ok, f" ({spread})" if spread else ""))
        cells.append(f"<td>{html.escape(target)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f"<div class='scroll'><table class='kpis'><thead><tr>{''.join(head)}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div><p class='note'>Values outside "
            "their benchmark target are marked \u2716 (clean claim rate at least 95%, days in "
            "A/R under 35, initial denial rate under 5%, first-pass resolution over 90%).</p>")


def _cell(kpi: str, value: float, ok: bool, extra: str = "") -> str:
    mark = "" if ok else " <span class='miss'>\u2716 outside target</span>"
    return f"<td>{html.escape(_format(kpi, value) + extra)}{mark}</td>"


def _fan(results: Results, scenario: str) -> Figure:
    wide = _cash_wide(results, scenario)
    series = wide.stack().rename("difference")
    series.index = pd.MultiIndex.from_tuples(
        [(scenario, r, m) for r, m in series.index], names=["scenario", "replication", "month"])
    proxy = SimpleNamespace(cash_differences=series,
                            baseline=SimpleNamespace(scenario=results.scenarios[results.baseline]))
    return cash_difference_fan(proxy, scenario)  # type: ignore[arg-type]


LINES = (("black", "-", "o", 3.0), ("blue", "--", "s", 1.6), ("orange", ":", "^", 1.6),
         ("bluish_green", "-.", "D", 1.6), ("vermillion", "--", "v", 1.6))
"""(Okabe-Ito colour, line style, marker, width) of the baseline's line, then of the others'
(cycling): told apart in colour, in greyscale print, and where a scenario's line lies on the
baseline's."""


def _monthly(results: Results, column: str, label: str, percent: bool = False) -> Figure:
    """One monthly series per scenario: the mean over replications as a line, P5 to P95 as a
    band; ``label`` names the y axis with its unit."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    for i, (name, rows) in enumerate(_by_scenario(results)):
        wide = rows.pivot(index="replication", columns="month", values=column)
        months = wide.columns.to_numpy()
        colour, style, marker, width = LINES[0] if i == 0 else LINES[1 + (i - 1) % 4]
        ax.fill_between(months, wide.quantile(0.05), wide.quantile(0.95),
                        color=OKABE_ITO[colour], alpha=0.15, linewidth=0)
        ax.plot(months, wide.mean(), color=OKABE_ITO[colour], linestyle=style, marker=marker,
                linewidth=width, markersize=4 + width, label=f"{name} (mean, P5-P95)")
    ax.set_xlabel("reported month")
    ax.set_ylabel(label)
    if "($)" in label:
        ax.yaxis.set_major_formatter(DollarFormatter())
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", frameon=False)
    fig.tight_layout()
    return fig


WATERFALL_COLUMNS = {"gross_charges": "charges",
                     "contractual_adjustments": "contractual_adjustments",
                     "denial_writeoffs": "denial_writeoffs", "bad_debt": "bad_debt",
                     "collected": "payments"}
"""Waterfall step -> the monthly series summed over the reported months."""
DETAIL = (*AGING_COLUMNS.values(), *WATERFALL_COLUMNS.values(), "provider_utilization",
          "mean_lead_time_days")


def _figures_kept_since_format_4(results: Results) -> str:
    """A/R aging, revenue waterfall, provider utilization and lead time; a note instead when
    the results were written before the monthly series held them."""
    missing = [c for c in DETAIL if c not in results.monthly.columns]
    if missing:
        return ("<p class='note'>These results have no monthly A/R aging, waterfall postings, "
                f"utilization or lead time (written by practicesim {html.escape(results.version)}"
                "); run the comparison again to see those figures.</p>")
    return "".join([
        _aging(results), _waterfall(results),
        _png(_monthly(results, "provider_utilization",
                      "provider utilization (share of session minutes)", percent=True)),
        _png(_monthly(results, "mean_lead_time_days",
                      "mean lead time of the month's requests (days)")),
    ])


def _by_scenario(results: Results) -> list[tuple[str, pd.DataFrame]]:
    return list(results.monthly.groupby("scenario", sort=False))


def _aging(results: Results) -> str:
    """Per scenario, a figure of the mean A/R by days since service at each month end, stacked;
    one y scale for all, so that the figures compare (one figure each, so that each fits a
    printed page)."""
    means = {name: rows.groupby("month")[list(AGING_COLUMNS.values())].mean()
             .set_axis(list(AGING_COLUMNS), axis=1) for name, rows in _by_scenario(results)}
    top = 1.05 * max(float(mean.sum(axis=1).max()) for mean in means.values())
    figures = []
    for name, mean in means.items():
        fig = Figure(figsize=(8, 3.6))
        ax = fig.subplots()
        ar_aging_area(mean, ax=ax)
        ax.set_ylim(0, top)
        ax.set_title(f"{name}: A/R by days since service at month end "
                     f"(mean of {results.replications} replications)")
        ax.set_xlabel("reported month")
        fig.tight_layout()
        figures.append(_png(fig))
    return "".join(figures)


def waterfall_means(results: Results) -> pd.DataFrame:
    """Where the reported period's gross charges went, per scenario (columns) and step
    (``plots.WATERFALL_STEPS``, rows), in dollars: each step's period total averaged over
    replications. ``rest`` = gross charges minus the other steps, the change in A/R over the
    period (postings on claims from before the period included)."""
    columns = list(WATERFALL_COLUMNS.values())
    means = {}
    for name, rows in _by_scenario(results):
        totals = rows.groupby("replication")[columns].sum().mean()
        table = pd.Series({step: float(totals[c]) for step, c in WATERFALL_COLUMNS.items()})
        table["rest"] = table["gross_charges"] - table.drop("gross_charges").sum()
        means[name] = table
    return pd.DataFrame(means).loc[list(WATERFALL_STEPS)]


def _waterfall(results: Results) -> str:
    """The waterfall of each scenario (a figure each) and their figures as a table."""
    means = waterfall_means(results)
    months = results.monthly["month"].nunique()
    figures = "".join(_png(waterfall_chart(
        means[name], f"{name}: revenue waterfall, reported months 1-{months} (mean of "
        f"{results.replications} replications)")) for name in means.columns)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in means.columns)
    names = {step: label.replace("\n", " ") for step, label in STEP_LABELS.items()}
    rows = "".join(f"<tr><td>{html.escape(names[step])}</td>"
                   + "".join(f"<td>{money(v)}</td>" for v in means.loc[step]) + "</tr>"
                   for step in means.index)
    return (figures + "<div class='scroll'><table><thead><tr><th>where the period's "
            f"charges went (mean)</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


KEY_FIGURES = re.compile(
    r"starting_cash|calendar\.(start|horizon_days|warmup_days)"
    r"|providers\[[^\]]+\]\.(count|annual_compensation)"
    r"|staff\.[a-z_]+\.(count|annual_salary)|demand\[[^\]]+\]\.requests_per_day"
    r"|no_shows\.base_rate|payers\[[^\]]+\]\.(share|allowed_pct_of_medicare|lag_days"
    r"|denial\.rate)|billing\.(claim_error_rate|scrubber_catch_rate|appeal_success_rate)"
    r"|patient_collections\.agency_recovery_rate|costs\.fixed_overhead_per_month")
"""The baseline's key parameters the report lists (key paths of ``sources.flatten``)."""


def _assumptions(results: Results) -> str:
    baseline = results.scenarios[results.baseline]
    base = flat_values(baseline)
    parts = []
    for name in results.alternatives:
        scenario = results.scenarios[name]
        other = flat_values(scenario)
        keys = sorted(k for k in set(base) | set(other)
                      if _set(base.get(k)) != _set(other.get(k))
                      and k not in ("name", "description"))
        sources = _sources_column(
            {k: source_of(scenario, k, other.get(k), unlike=baseline) for k in keys})
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(shown(base.get(k)))}</td>"
            f"<td>{html.escape(shown(other.get(k)))}</td><td class='source'>"
            f"{html.escape(sources[k])}</td></tr>" for k in keys)
        parts.append(f"<h3>{html.escape(name)}: what differs from {html.escape(results.baseline)}"
                     f"</h3><div class='scroll'><table><thead><tr><th>parameter</th>"
                     f"<th>{html.escape(results.baseline)}</th><th>{html.escape(name)}</th>"
                     f"<th>source of {html.escape(name)}'s value</th></tr></thead><tbody>{rows}"
                     "</tbody></table></div>")
    parts.append(key_figures(baseline))
    return "".join(parts)


def _set(value: Any) -> Any:
    """None for an empty list or mapping (a key a scenario leaves empty is not a difference
    from one where its items are listed key by key)."""
    return None if value in ([], {}) else value


def _sources_column(sources: dict[str, str]) -> dict[str, str]:
    """Each source in brief (``sources.brief``); a source already given on an earlier row is
    written "as for <that row>"."""
    first: dict[str, str] = {}
    out = {}
    for key, text in sources.items():
        out[key] = f"as for {first[text]}" if text in first else brief(text)
        first.setdefault(text, key)
    return out


def key_figures(scenario: Scenario) -> str:
    """The scenario's key parameters (``KEY_FIGURES``), each with its value and its source
    (``sources.source_of``: calibrated from data, the model reference's published benchmark or
    assumption, or user input)."""
    values = {k: v for k, v in flat_values(scenario).items() if KEY_FIGURES.fullmatch(k)}
    sources = _sources_column({k: source_of(scenario, k, v) for k, v in values.items()})
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(shown(v))}</td>"
                   f"<td class='source'>{html.escape(sources[k])}</td></tr>"
                   for k, v in values.items())
    return (f"<h3>Key parameters of {html.escape(scenario.name)}</h3><p class='note'>Each "
            "with its source: calibrated from the practice's data; the model reference, for a "
            "value equal to that of practicesim's baseline practice (the first sentence of its "
            "published source or stated assumption in docs/model-reference.md; [S] regulation, "
            "peer-reviewed or primary source, [V] vendor or association survey, [M] marketing "
            "figure); or input in the scenario file. Every other parameter is in the scenario "
            "file (its hash is under Method).</p><div class='scroll'><table><thead><tr>"
            "<th>parameter</th><th>value</th><th>source</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def _method(results: Results) -> str:
    hashes = "".join(f"<li>{html.escape(n)}: <code>{s.hash[:16]}</code></li>"
                     for n, s in results.scenarios.items())
    return (f"<p>{results.replications} replications of each scenario, seed {results.seed}, "
            "common random numbers (each replication of every scenario shares its random "
            "streams, so differences are paired); intervals are over replications. "
            f"practicesim {html.escape(results.version)}. Scenario hashes (SHA-256 of the "
            f"scenario's canonical JSON):</p><ul>{hashes}</ul>")


def _png(fig: Figure, caption: str = "") -> str:
    """The figure embedded; with ``caption``, shown under it and as its alternative text."""
    if not caption:
        return f"<figure>{embedded_png(fig)}</figure>"
    return (f"<figure>{embedded_png(fig, alt=caption)}<figcaption>{html.escape(caption)}"
            "</figcaption></figure>")


_STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 56rem; margin: 1rem auto;
       padding: 0 1rem; color: #111; line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; }
.answer { font-size: 1.15rem; font-weight: bold; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; }
td, th { border-bottom: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.miss { color: #D55E00; white-space: nowrap; }
.note { font-size: 0.85rem; }
td.source { text-align: left; font-size: 0.8rem; min-width: 14rem; }
figure { margin: 1rem 0; } figcaption { font-size: 0.85rem; } img { max-width: 100%; height: auto; }
@media print { body { max-width: none; } figure, table { break-inside: avoid; } }
"""


def _page(title: str, body: str) -> str:
    return html_page(title, _STYLE, body)
