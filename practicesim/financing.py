"""The practice's bank line of credit (``scenario.LineOfCredit``): draws that keep cash at a
floor, repayments from cash above it, and the interest owed on the balance.

It is computed after the run from the day-by-day operating cash flow (collections less costs):
the line changes no operational event, so a day loop over the flows gives the draws, the
repayments and the interest exactly. Money in integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from practicesim.calendar import PracticeCalendar
from practicesim.finance import cents
from practicesim.scenario import LineOfCredit


@dataclass(frozen=True)
class CreditDays:
    """Per simulation day (cents): interest paid, drawn (+) or repaid (-), balance owed at the
    end of the day, and cash at the end of the day."""

    interest: np.ndarray
    drawn: np.ndarray
    balance: np.ndarray
    cash: np.ndarray


def run_line(flow_cents: np.ndarray, opening_cents: int, terms: LineOfCredit,
             calendar: PracticeCalendar) -> CreditDays:
    """The line over the run. Day ``d``: interest accrues on the balance owed at its start,
    ``balance x rate_per_year / 365`` (cents, kept exact until paid); on the month's last day
    the accrued interest is paid, rounded to the cent. Cash before financing = yesterday's
    cash + the day's operating flow (``flow_cents``) - interest paid; below ``floor`` the
    practice draws ``min(floor - cash, limit - balance)``; above it, it repays
    ``min(cash - floor, balance)``.

    >>> import numpy as np
    >>> from practicesim.scenario import LineOfCredit
    >>> class Days:  # three days, Jan 29-31: 80 cents of interest paid on the 31st
    ...     n_days = 3
    ...     def date(self, d):
    ...         import datetime
    ...         return datetime.date(2027, 1, 29 + d)
    >>> line = run_line(np.array([-50_000, 0, 20_000]), 10_000,
    ...                 LineOfCredit(limit=1000, floor=0, rate_per_year=0.365), Days())
    >>> line.drawn.tolist(), line.balance.tolist(), line.interest.tolist()
    ([40000, 0, -19920], [40000, 40000, 20080], [0, 0, 80])
    """
    n = calendar.n_days
    interest = np.zeros(n, dtype=np.int64)
    drawn = np.zeros(n, dtype=np.int64)
    balance_out = np.zeros(n, dtype=np.int64)
    cash_out = np.zeros(n, dtype=np.int64)
    limit, floor = cents(terms.limit), cents(terms.floor)
    daily_rate = terms.rate_per_year / 365
    cash, balance, accrued = opening_cents, 0, 0.0
    for day in range(n):
        accrued += balance * daily_rate
        month_end = (calendar.date(day) + _ONE_DAY).day == 1
        paid = round(accrued) if month_end else 0
        if month_end:
            accrued = 0.0
        cash += int(flow_cents[day]) - paid
        move = 0
        if cash < floor and balance < limit:
            move = min(floor - cash, limit - balance)
        elif cash > floor and balance > 0:
            move = -min(cash - floor, balance)
        balance += move
        cash += move
        interest[day], drawn[day] = paid, move
        balance_out[day], cash_out[day] = balance, cash
    return CreditDays(interest, drawn, balance_out, cash_out)


_ONE_DAY = timedelta(days=1)
