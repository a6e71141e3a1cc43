"""Common random numbers: a scenario that changes only billing staff sees the same luck."""

from __future__ import annotations

import pandas as pd

from practicesim import simulate
from tests.conftest import build


def test_billing_staff_changes_leave_demand_no_shows_and_first_adjudication_untouched():
    one = simulate(build({"staff.billers.count": 1}), seed=11)
    three = simulate(build({"staff.billers.count": 3}), seed=11)
    pd.testing.assert_frame_equal(one.appointments, three.appointments)
    pd.testing.assert_frame_equal(one.visits, three.visits)
    columns = ["claim", "payer", "charge_cents", "first_submission_day",
               "first_adjudication_day", "initial_denial_reason", "scrubber_caught", "rejected"]
    pd.testing.assert_frame_equal(one.claims[columns], three.claims[columns])
    assert not one.ledger.equals(three.ledger), "rework itself must differ"


def test_adding_a_payer_leaves_other_streams_alone():
    base = build()
    data = base.model_dump(mode="json", by_alias=True)
    data["payers"].append({**data["payers"][3], "name": "commercial_c", "share": 1e-9})
    from practicesim.scenario import validate

    more = validate(data, "test")
    a, b = simulate(base, seed=2), simulate(more, seed=2)
    pd.testing.assert_series_equal(a.daily["requests"], b.daily["requests"])
