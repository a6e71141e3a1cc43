"""Summary statistics over replications: the Student-t confidence interval of a mean
(``interval``, ``half_width``), a table's mean, sd, interval and P10/P50/P90 per column
(``describe``), and which way is better for each KPI (``HIGHER_IS_BETTER``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

HIGHER_IS_BETTER = frozenset({
    "clean_claim_rate", "first_pass_resolution_rate", "net_collection_rate",
    "gross_collection_rate", "provider_utilization", "visits_completed", "charges",
    "visits_per_provider_day", "wrvus_per_provider_day", "wrvus_per_provider_fte",
    "continuity_upc", "patient_collection_rate", "denied_dollars_recovered_pct",
    "collections", "net_cash_flow", "ending_cash", "revenue_earned", "net_income",
})
"""KPIs where a larger value is better; for every other KPI a smaller value is better."""


def interval(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t confidence interval of the mean."""
    x = np.asarray(list(values), dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (float("nan"),) * 3
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = _t_quantile(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return mean, mean - half, mean + half


def describe(table: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per column: mean, sd, Student-t confidence interval of the mean, P10, P50, P90 (NaN
    values left out)."""
    x = table.astype(float)
    n = x.count()
    mean, sd = x.mean(), x.std(ddof=1)
    t = pd.Series(_t_quantile(0.5 + confidence / 2, (n - 1).clip(lower=1)), index=x.columns)
    half = (t * sd / np.sqrt(n)).where(n >= 2)
    bands = x.quantile([0.1, 0.5, 0.9])
    return pd.DataFrame({"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half,
                         "p10": bands.loc[0.1], "p50": bands.loc[0.5], "p90": bands.loc[0.9]})


def half_width(values: Iterable[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean."""
    _, low, high = interval(values, confidence)
    return (high - low) / 2


def _t_quantile(p: float, df: Any) -> Any:
    """Student's t quantile: ``scipy.special.stdtrit``, which ``scipy.stats.t.ppf`` computes
    with; scipy.stats itself is not imported (it doubles the time ``import practicesim``
    takes)."""
    return special.stdtrit(df, p)
