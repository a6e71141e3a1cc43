"""Charts for notebooks and reports: the cumulative cash difference of a comparison as a fan
(``cash_difference_fan``), A/R by aging bucket over time (``ar_aging_over_time``, a table, and
``ar_aging_area``), where a period's gross charges went (``waterfall_table``, a table, and
``revenue_waterfall``), one-at-a-time sensitivity (``tornado_chart``) and an experiment's
monthly collections, costs and net cash flow (``monthly_cash``), scenarios ranked by their cash
effect (``effect_ranking``), and ``money`` to write dollars (``-$1,235``). Plots use matplotlib
only and return a ``matplotlib.figure.Figure`` built without pyplot (safe under the Agg
backend); each takes an optional ``ax`` to draw into. Money is in dollars; colours are the
colour-blind safe Okabe-Ito palette, with hatching or line styles so that prints in grey stay
readable.

``show(comparison)`` displays a comparison's answer and KPI table in a notebook (the summary of
``practicesim report``, from ``practicesim.report.html``).
"""

from practicesim.report.html import show
from practicesim.report.labels import DollarFormatter, kpi_name, money, parameter_value
from practicesim.report.palette import OKABE_ITO
from practicesim.report.plots import (
    AGING_STYLE,
    WATERFALL_STEPS,
    ar_aging_area,
    ar_aging_over_time,
    cash_difference_fan,
    effect_ranking,
    monthly_cash,
    revenue_waterfall,
    tornado_chart,
    waterfall_chart,
    waterfall_table,
)

__all__ = [
    "AGING_STYLE",
    "OKABE_ITO",
    "WATERFALL_STEPS",
    "DollarFormatter",
    "ar_aging_area",
    "ar_aging_over_time",
    "cash_difference_fan",
    "effect_ranking",
    "kpi_name",
    "money",
    "monthly_cash",
    "parameter_value",
    "revenue_waterfall",
    "show",
    "tornado_chart",
    "waterfall_chart",
    "waterfall_table",
]
