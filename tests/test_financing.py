"""The line of credit: draws to the floor, repayments above it, interest by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from practicesim import simulate
from practicesim.financing import run_line
from practicesim.scenario import LineOfCredit
from tests.conftest import build


class January:
    """Simulation days from 2027-01-01."""

    def __init__(self, n_days: int) -> None:
        self.n_days = n_days

    def date(self, day: int) -> date:
        return date(2027, 1, 1) + timedelta(days=day)


def test_a_month_of_interest_on_a_drawn_balance_by_hand():
    """$10,000 of cash, a $50,000 loss on day 0 with a $20,000 floor: the practice draws
    $60,000 (cash back at the floor). 8% a year on $60,000 for the 30 days that start owing it
    (Jan 2-31) is 60,000 x 0.08 x 30 / 365 = $394.52, paid on Jan 31, drawn again to keep the
    floor; on Feb 1 a $100,000 inflow repays the $60,394.52 owed."""
    flows = np.zeros(32, dtype=np.int64)
    flows[0], flows[31] = -5_000_000, 10_000_000
    line = run_line(flows, 1_000_000, LineOfCredit(limit=100_000, floor=20_000,
                                                   rate_per_year=0.08), January(32))
    interest = round(6_000_000 * 0.08 * 30 / 365)
    assert interest == 39_452
    assert line.drawn[0] == 6_000_000
    assert line.interest[30] == interest and line.interest.sum() == interest
    assert line.drawn[30] == interest
    assert line.drawn[31] == -(6_000_000 + interest)
    assert line.balance[31] == 0
    assert (line.cash[:31] == 2_000_000).all()
    assert line.cash[31] == 2_000_000 + 10_000_000 - 6_000_000 - interest


def test_the_limit_caps_the_draws_and_no_line_changes_nothing():
    flows = np.full(10, -1_000_000, dtype=np.int64)
    capped = run_line(flows, 0, LineOfCredit(limit=25_000, floor=0, rate_per_year=0.0),
                      January(10))
    assert capped.balance.max() == 2_500_000
    assert capped.cash[-1] == -10_000_000 + 2_500_000
    none = run_line(flows, 0, LineOfCredit(), January(10))
    assert (none.drawn == 0).all() and (none.cash == np.cumsum(flows)).all()


def test_a_run_with_a_line_keeps_cash_at_its_floor_and_pays_its_interest_as_a_cost():
    """The small practice runs short of cash: with a line its cash stays at or above the floor
    while the balance is under the limit; its costs grow by exactly the interest paid, and the
    practice's operations are the same (same visits and collections)."""
    plain = simulate(build({"starting_cash": 0}), seed=1)
    lined = simulate(build({"starting_cash": 0, "line_of_credit": {
        "limit": 2_000_000, "floor": 10_000, "rate_per_year": 0.09}}), seed=1)
    d = lined.daily
    assert d["credit_balance_cents"].max() > 0
    under = d["credit_balance_cents"] < 200_000_000
    assert (d.loc[under, "cash_cents"] >= 1_000_000).all()
    assert (d["collections_cents"] == plain.daily["collections_cents"]).all()
    assert d["interest_cents"].sum() > 0
    assert ((d["costs_cents"] - plain.daily["costs_cents"]) == d["interest_cents"]).all()
    assert lined.kpis()["visits_completed"] == plain.kpis()["visits_completed"]
