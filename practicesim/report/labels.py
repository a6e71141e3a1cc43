"""How figures and tables write money, KPIs and parameter values: ``-$1,235``, ``$1.25M``
tick labels, ``days in A/R``, ``290,000``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.ticker import Formatter

MONEY_KPIS = frozenset({"charges", "collections", "secondary_collections", "refunds",
                         "charity_care", "costs", "net_cash_flow", "ending_ar", "ending_cash",
                         "staff_overtime", "compensation_per_wrvu",
                         "ending_credit_balance", "revenue_earned", "net_income"})
KPI_UNITS = {
    "days_in_ar": "days",
    "mean_lead_time_days": "days",
    "mean_provider_overtime_minutes": "minutes per session",
    "mean_patient_wait_minutes": "minutes per visit",
    "visits_completed": "visits",
    "visits_per_provider_day": "visits",
    "wrvus_per_provider_day": "wRVUs",
    "wrvus_per_provider_fte": "wRVUs a year",
    "provider_workday_hours": "hours",
    "after_hours_documentation_minutes": "minutes per provider-day",
    "ending_denial_backlog": "claims",
    **{kpi: "$" for kpi in MONEY_KPIS},
}
"""Units of the KPIs of ``metrics.kpis`` (docs/kpis.md); any other KPI is a fraction."""

MINUS = "\N{MINUS SIGN}"


def money(dollars: float, decimals: int = 0) -> str:
    """``-1234.5`` -> ``"-$1,235"`` (with a typographic minus sign): dollars with thousands
    separators and the sign in front."""
    sign = MINUS if dollars < 0 and round(abs(dollars), decimals) != 0 else ""
    return f"{sign}${abs(dollars):,.{decimals}f}"


class DollarFormatter(Formatter):
    """Tick labels in dollars: ``$250k``, ``$1.25M``, ``-$4,500``.

    The unit (none, thousands ``k`` or millions ``M``) follows the largest tick, and the number
    of decimals is the fewest that keeps every tick exact, so that close ticks (a narrow band of
    cash differences) never share a label.
    """

    def __call__(self, x: float, pos: int | None = None) -> str:
        return money(x, 2 if abs(x) < 100 and x != round(x) else 0)

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        values = [float(v) for v in values]
        if not values:
            return []
        largest = max(abs(v) for v in values)
        scale, suffix = (1e6, "M") if largest >= 1e6 else (1e3, "k") if largest >= 1e4 else (
            1.0, "")
        scaled = [v / scale for v in values]
        decimals = next((d for d in range(4)
                         if all(abs(round(s, d) - s) < 1e-6 for s in scaled)), 4)
        return ["$0" if s == 0 else money(s, decimals) + suffix for s in scaled]

    def format_data_short(self, value: float) -> str:
        return money(value, 2)


def kpi_unit(kpi: str) -> str:
    """The KPI's unit: ``$``, ``days``, ... or ``fraction``."""
    return KPI_UNITS.get(kpi, "fraction")


def kpi_value(kpi: str, value: float) -> str:
    """A KPI's value with its unit (``$1,235``, ``28.4 days``, ``0.951``)."""
    unit = kpi_unit(kpi)
    if unit == "$":
        return money(value)
    if unit == "fraction":
        return f"{value:.3g}"
    return f"{value:,.3g} {unit}"


def parameter_value(value: Any) -> str:
    """A parameter value as charts and reports write it: ``yes``/``no``, ``290,000`` (large
    numbers with separators), ``0.055``."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if abs(number) >= 1000:
            return f"{number:,.2f}".rstrip("0").rstrip(".")
        return f"{number:g}"
    return str(value)


KPI_NAMES = {"days_in_ar": "days in A/R", "ending_ar": "A/R at the end",
             "mean_lead_time_days": "mean lead time (days)",
             "ending_denial_backlog": "denials waiting at the end",
             "denial_writeoff_pct": "denial write-offs (% of net revenue)",
             "bad_debt_pct": "bad debt (% of net revenue)",
             "ar_over_90_pct": "A/R over 90 days (% of A/R)",
             "insurance_ar_over_90_pct": "insurance A/R over 90 days (% of insurance A/R)",
             "patient_ar_over_90_pct": "patient A/R over 90 days (% of patient A/R)",
             "denied_dollars_recovered_pct": "denied dollars eventually paid",
             "underpayment_rate": "underpaid share of contracted payments",
             "underpayment_recovered": "underpaid dollars recovered"}
"""How charts and reports name a KPI where its column name is not plain English."""


def kpi_name(kpi: str) -> str:
    """The KPI as charts and reports write it (``days_in_ar`` -> ``days in A/R``)."""
    return KPI_NAMES.get(kpi, kpi.replace("_", " "))
