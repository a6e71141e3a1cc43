"""No-shows and cancellations of booked appointments.

The probability that a booked patient does not come is logistic in lead time and reminders:
``logit p = logit(base_rate) + ln(lead_time_odds_ratio_per_week) * lead_days / 7
+ ln(reminder_odds_ratio) * reminded``. Reminders go to ``reminder_share`` of appointments
booked at least two days ahead (they are sent 48 hours before). Besides, an appointment may be
cancelled with notice (``early_cancel_rate``; its slot returns to the book and may be rebooked)
or late, under a day's notice (``late_cancel_rate``; the slot is lost). With odds ratios of 1
and no reminders the no-show probability is the fixed ``base_rate``. A scenario may instead name
a model fitted to a practice's appointments (``no_shows.model``, ``FittedNoShows``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from practicesim.scenario import NoShows


class NoShowModel:
    """No-show probability as a function of lead time (days) and reminder."""

    def __init__(self, params: NoShows) -> None:
        self.params = params
        rate = params.base_rate
        self.fixed = rate if rate in (0.0, 1.0) else None
        self.intercept = math.log(rate / (1 - rate)) if self.fixed is None else 0.0
        self.per_day = math.log(params.lead_time_odds_ratio_per_week) / 7
        self.reminder = math.log(params.reminder_odds_ratio)

    def probability(self, lead_days: float, reminded: bool) -> float:
        """P(no-show) for one appointment."""
        if self.fixed is not None:
            return self.fixed
        z = self.intercept + self.per_day * lead_days + (self.reminder if reminded else 0.0)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        odds = math.exp(z)
        return odds / (1.0 + odds)

    def probabilities(self, lead_days: np.ndarray, reminded: np.ndarray) -> np.ndarray:
        """Vectorised ``probability``."""
        if self.fixed is not None:
            return np.full(len(lead_days), self.fixed)
        z = self.intercept + self.per_day * np.asarray(lead_days, dtype=float) + np.where(
            reminded, self.reminder, 0.0)
        return np.exp(-np.logaddexp(0.0, -z))


class FittedNoShows:
    """A no-show model fitted to a practice's appointments (``calibrate.noshow``), read from
    the JSON its ``write`` produces and used as fitted: ``logit p`` = intercept + the lead-time
    bucket's term + reminder + patient history (any earlier appointment; share of them missed)
    + weekday + visit type + the fitted age-band mix's mean age term (simulated patients have no
    age). Terms absent from the fit (a level the data did not have) count as 0."""

    def __init__(self, path: str | Path) -> None:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        coef = data["coefficients"]
        self.coef = coef
        self.intercept = coef.get("const", 0.0) + sum(
            share * coef.get(f"age_band={band}", 0.0)
            for band, share in data.get("age_band_shares", {}).items())
        self.lead = [coef.get(f"lead {label}", 0.0) for label in data["lead_labels"]]
        self.edges = data["lead_edges"]

    def probability(self, lead_days: int, reminded: bool, weekday: int, visit_type: str,
                    prior: int, prior_missed: int) -> float:
        """P(no-show) for one appointment: ``lead_days`` from booking, its weekday (Monday 0),
        visit type name, and the patient's appointments kept or missed on earlier days."""
        coef = self.coef
        bucket = sum(lead_days > edge for edge in self.edges)
        z = self.intercept + self.lead[bucket] + coef.get(f"weekday={weekday}", 0.0)
        z += coef.get(f"visit_type={visit_type}", 0.0)
        if reminded:
            z += coef.get("reminded", 0.0)
        if prior:
            z += coef.get("has history", 0.0) + coef.get("prior no-show share", 0.0) * (
                prior_missed / prior)
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
