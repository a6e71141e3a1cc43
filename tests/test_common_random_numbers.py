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
    never_denied = set(one.claims.loc[one.claims["denials"] == 0, "claim"])
    rows = [run.ledger[run.ledger["claim"].isin(never_denied)].reset_index(drop=True)
            for run in (one, three)]
    pd.testing.assert_frame_equal(*rows, obj="ledger rows of never-denied claims")


def test_adding_a_provider_leaves_every_request_unchanged():
    two = simulate(build({"providers[physician].count": 2}), seed=5)
    three = simulate(build({"providers[physician].count": 3}), seed=5)
    columns = ["request_day", "patient", "payer"]
    assert two.daily["requests"].equals(three.daily["requests"])
    first = two.appointments.loc[two.appointments["request_day"] == 0, columns]
    other = three.appointments.loc[three.appointments["request_day"] == 0, columns]
    pd.testing.assert_frame_equal(first.reset_index(drop=True), other.reset_index(drop=True))
