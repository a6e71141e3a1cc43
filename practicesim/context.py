"""What every part of a running practice shares: the clock's calendar, the scenario in force,
the random streams, the finances, the staff present and the providers' enrollment with payers.
The revenue cycle's parts share more (the accounts, the vendor): ``revenue.context``."""

from __future__ import annotations

from dataclasses import dataclass

from practicesim.calendar import PracticeCalendar
from practicesim.enrollment import Coverage
from practicesim.finance import Finance
from practicesim.scenario import Provider, Scenario
from practicesim.streams import Streams
from practicesim.workforce import Workforce


@dataclass(slots=True)
class Context:
    """Shared state of one run. ``scenario`` is the one in force today (dated changes replace
    it). Rates, staff counts, payer terms and policies are read from it when used, so dated
    changes reach them; distributions behind random draws are fixed when a run starts
    (docs/model-reference.md lists which is which)."""

    scenario: Scenario
    calendar: PracticeCalendar
    streams: Streams
    finance: Finance
    coverage: Coverage
    seats: list[Provider]
    """One entry per provider (a ``count: n`` group expanded to n seats)."""
    workforce: Workforce
    """Staff present and their output per role and day (turnover, vacancies, ramp-up)."""
    self_pay_index: frozenset[int]
    """Indices of self-pay payers (no claim goes to a payer)."""

    @property
    def n_days(self) -> int:
        return self.calendar.n_days


def day_buckets(n_days: int) -> list[list]:
    """One list per simulation day, for work that becomes due on that day."""
    return [[] for _ in range(n_days)]
