"""No-shows and cancellations of booked appointments.

The probability that a booked patient does not come is logistic in lead time and reminders:
``logit p = logit(base_rate) + ln(lead_time_odds_ratio_per_week) * lead_days / 7
+ ln(reminder_odds_ratio) * reminded``. Reminders go to ``reminder_share`` of appointments
booked at least two days ahead (they are sent 48 hours before). Besides, an appointment may be
cancelled with notice (``early_cancel_rate``; its slot returns to the book and may be rebooked)
or late, under a day's notice (``late_cancel_rate``; the slot is lost). With odds ratios of 1
and no reminders the no-show probability is the fixed ``base_rate``.
"""

from __future__ import annotations

import math

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
