"""Common random numbers: a scenario that changes only billing staff sees the same luck."""

from __future__ import annotations

import pandas as pd

from practicesim import simulate
from tests.conftest import build

DENIALS_ONLY = {"billing.work_minutes": {}, "billing.posting_exception_rate": 0.0}
"""Billers' only work that takes time is denials (every other queue is done at once)."""


def test_billing_staff_changes_leave_demand_no_shows_and_first_adjudication_untouched():
    one = simulate(build({**DENIALS_ONLY, "staff.billers.count": 1,
                          "staff.billers.hours_per_day": 1.5}), seed=11)
    three = simulate(build({**DENIALS_ONLY, "staff.billers.count": 3}), seed=11)
    pd.testing.assert_frame_equal(one.appointments, three.appointments)
    pd.testing.assert_frame_equal(one.visits, three.visits)
    columns = ["claim", "payer", "charge_cents", "first_submission_day",
               "first_adjudication_day", "initial_denial_reason", "line_denial_reason",
               "scrubber_caught", "rejected"]
    pd.testing.assert_frame_equal(one.claims[columns], three.claims[columns])
    assert not one.ledger.equals(three.ledger), "rework itself must differ"
    claims = one.claims
    never_denied = set(claims.loc[(claims["denials"] == 0)
                                  & (claims["line_denial_reason"] == ""), "claim"])
    rows = [run.ledger[run.ledger["claim"].isin(never_denied)].reset_index(drop=True)
            for run in (one, three)]
    pd.testing.assert_frame_equal(*rows, obj="ledger rows of never-denied claims")


def test_billers_time_moves_when_claims_go_out_not_what_happens_to_them():
    """With every queue taking billers' time, fewer billers delay fixes, postings and
    follow-ups, but each claim's own draws are the same: the same claims are stopped by the
    scrubber or rejected, on the same first attempt."""
    one = simulate(build({"staff.billers.count": 1}), seed=11)
    three = simulate(build({"staff.billers.count": 3}), seed=11)
    pd.testing.assert_frame_equal(one.visits, three.visits)
    columns = ["claim", "payer", "charge_cents", "first_attempt_day", "scrubber_caught",
               "rejected"]
    pd.testing.assert_frame_equal(one.claims[columns], three.claims[columns])
    assert (one.claims["first_submission_day"] != three.claims["first_submission_day"]).any()


def test_adding_a_provider_leaves_every_request_unchanged():
    two = simulate(build({"providers[physician].count": 2}), seed=5)
    three = simulate(build({"providers[physician].count": 3}), seed=5)
    columns = ["request_day", "patient", "payer"]
    assert two.daily["requests"].equals(three.daily["requests"])
    first = two.appointments.loc[two.appointments["request_day"] == 0, columns]
    other = three.appointments.loc[three.appointments["request_day"] == 0, columns]
    pd.testing.assert_frame_equal(first.reset_index(drop=True), other.reset_index(drop=True))


def _claims_by_request(run) -> pd.DataFrame:
    """Claims of booked visits, indexed by their request (patient, request day, visit type)."""
    appointments = run.appointments.set_index("appointment")
    visits = run.visits[run.visits["appointment"] >= 0]
    request = appointments.loc[visits["appointment"], ["patient", "request_day", "visit_type"]]
    keyed = pd.DataFrame({"claim": visits["visit"].to_numpy()}).join(
        request.reset_index(drop=True).astype({"visit_type": str}))
    claims = keyed.merge(run.claims, on=["claim", "patient"])
    sent = (claims["first_submission_day"] >= 0) & (claims["first_adjudication_day"] >= 0)
    claims["payer_days"] = (claims["first_adjudication_day"]
                            - claims["first_submission_day"]).where(sent, -1)
    return claims.drop_duplicates(["patient", "request_day", "visit_type"], keep=False).set_index(
        ["patient", "request_day", "visit_type"]).sort_index()


def test_a_visit_booked_differently_keeps_its_own_draws():
    """Two scenarios that book the same requests on other days and providers: each request's
    claim draws the same codes, errors, denial and payer lag in both (draws keyed by identity,
    not taken in visit order). Billers' other work is done at once, so that a busier billing
    office does not move when a remittance is posted."""
    two = _claims_by_request(simulate(build({**DENIALS_ONLY, "providers[physician].count": 2}),
                                      seed=5))
    three = _claims_by_request(simulate(build({**DENIALS_ONLY,
                                               "providers[physician].count": 3}), seed=5))
    both = two.index.intersection(three.index)
    assert len(both) > 0.5 * len(two), "most requests are seen in both"
    moved = (two.loc[both, "service_day"] != three.loc[both, "service_day"]).mean()
    assert moved > 0.3, f"bookings must differ for the test to mean anything ({moved:.0%} moved)"
    seen, other = two.loc[both], three.loc[both]
    pd.testing.assert_series_equal(seen["charge_cents"], other["charge_cents"])
    # A coder's error rate depends on the day (new coders' learning curve, absences), so a claim
    # coded on another day may rarely differ in its error and hence its first decision.
    sent = (seen["payer_days"] >= 0) & (other["payer_days"] >= 0)
    for column, rows in (("has_error", slice(None)), ("scrubber_caught", slice(None)),
                         ("rejected", slice(None)), ("initial_denial_reason", slice(None)),
                         ("payer_days", sent)):
        agree = (seen.loc[rows, column].astype(str)
                 == other.loc[rows, column].astype(str)).mean()
        assert agree > 0.995, f"{column}: the same in {agree:.2%} of visits"


def test_a_request_booked_differently_keeps_its_fate_and_walk_ins_are_the_same():
    """The appointment's fate (reminder, no-show, cancellation) is drawn from the request's own
    uniforms, and walk-ins from their line, day, hour and rank: neither depends on bookings.
    (Nobody leaves unseen here: whether a patient waits too long depends on the day's load.)"""
    runs = [simulate(build({"providers[physician].count": n, "flow.walk_out_minutes": None}),
                     seed=5) for n in (2, 3)]
    key = ["patient", "request_day", "visit_type", "lead_days"]
    fates = [run.appointments.drop_duplicates(key, keep=False).set_index(key)[
        ["reminded", "status"]] for run in runs]
    both = fates[0].index.intersection(fates[1].index)
    assert len(both) > 200
    # the fate is drawn against probabilities of the lead time (same here) and the day of week
    agree = (fates[0].loc[both, "status"] == fates[1].loc[both, "status"]).mean()
    assert agree > 0.97, f"status the same in {agree:.1%} of requests booked at equal lead"
    assert (fates[0].loc[both, "reminded"] == fates[1].loc[both, "reminded"]).all()
    walk_ins = [run.visits.loc[run.visits["walk_in"] & (run.visits["arrival_minutes"] < 960),
                               ["day", "arrival_minutes", "patient"]] for run in runs]
    assert len(walk_ins[0]) > 50
    # a walk-in is seen only if a provider is in session when she is checked in, so the larger
    # practice sees a few more; one arriving near the end of the day may miss the last session
    # behind a longer check-in queue, so those after 16:00 are left out
    seen = walk_ins[0].merge(walk_ins[1], how="left", indicator=True)["_merge"]
    assert (seen == "both").all(), "every walk-in of two providers arrives the same with three"


def test_a_new_patients_secondary_coverage_goes_with_the_request_that_brought_it():
    """Patients are numbered in request order, so a higher request rate renumbers every later
    new patient; the coverage uniform (which picks the secondary payer) is keyed by the request,
    so the same request brings a patient with the same coverage in both practices."""
    from practicesim.practice import Practice

    def coverage_by_request(rate: float) -> dict[int, float]:
        practice = Practice(build({"demand[primary_care].requests_per_day": rate}), 5, 0)
        panel, out = practice.panel, {}
        for day in range(40):
            start = len(panel)
            requests = practice.demand.requests(day)
            for key, patient in zip(requests.key, requests.patient, strict=True):
                if patient >= start:
                    out[key] = panel.coverage[patient]
        return out

    low, high = coverage_by_request(30.0), coverage_by_request(45.0)
    both = low.keys() & high.keys()
    assert len(both) > 50 and len(high) > len(low)
    assert all(low[k] == high[k] for k in both)
