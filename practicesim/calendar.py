"""The practice's calendar: the simulation clock in whole days mapped to dates.

Day 0 is ``calendar.start - warmup_days``; reporting covers days ``[warmup, warmup + horizon)``.
Within a day, clinic times are minutes after midnight.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from practicesim.scenario import Scenario, Session, clock_minutes


class PracticeCalendar:
    """Dates, clinic days and holidays for one scenario."""

    def __init__(self, scenario: Scenario) -> None:
        cal = scenario.calendar
        self.warmup = cal.warmup_days
        self.horizon = cal.horizon_days
        self.n_days = cal.warmup_days + cal.horizon_days
        self.day0 = cal.start - timedelta(days=cal.warmup_days)
        self.open_weekdays = {d.index for d in cal.clinic_days}
        self.holidays = set(cal.holidays)
        self.weekday = np.array([(self.day0.weekday() + d) % 7 for d in range(self.n_days)])
        self.is_clinic_day = np.array([self.is_open(d) for d in range(self.n_days)])
        self.month = np.array([self.date(d).month for d in range(self.n_days)])

    def is_open(self, day: int) -> bool:
        """True if the clinic opens on simulation day ``day`` (any day, also past the run's
        end: a clinic weekday that is not a holiday)."""
        when = self.date(day)
        return when.weekday() in self.open_weekdays and when not in self.holidays

    def date(self, day: int) -> date:
        """The calendar date of simulation day ``day``."""
        return self.day0 + timedelta(days=int(day))

    def day(self, when: date) -> int:
        """The simulation day of a date (may be negative or beyond the horizon)."""
        return (when - self.day0).days

    def dates(self, days: np.ndarray | pd.Series) -> pd.Series:
        """Vectorised: simulation days -> ``datetime64[ns]`` dates."""
        return pd.Series(pd.Timestamp(self.day0) + pd.to_timedelta(np.asarray(days), unit="D"))


def session_slots(session: Session, slot_minutes: int, overbook: int,
                  miss_rate: float = 0.0) -> list[int]:
    """Slot start times (minutes after midnight) in a session, in time order: ``overbook``
    extra appointments share the session's first slot time, and ``round(n x miss_rate)`` more
    (``n`` slots; overbooking by expected no-shows) each share the time of slot
    ``floor((i + 1/2) n / extra)``, spread evenly through the session."""
    start, end = clock_minutes(session.start), clock_minutes(session.end)
    slots = list(range(start, end - slot_minutes + 1, slot_minutes))
    if not slots:
        return []
    n = len(slots)
    extra = min(n, round(n * miss_rate))
    doubled = [slots[int((i + 0.5) * n / extra)] for i in range(extra)]
    return sorted([start] * min(overbook, n) + slots + doubled)
