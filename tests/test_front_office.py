"""Front-office interventions: eligibility checks before the visit, reminders, and what they
cost."""

from __future__ import annotations

import pytest

from practicesim import ledger as lg
from practicesim import simulate
from tests.conftest import build

MEDICAID_DENIALS = {"payers[medicaid].denial.rate": 0.2,
                    "payers[medicaid].denial.reasons": {"27": 0.5, "16": 0.5},
                    "billing.claim_error_rate": 0.0}


def first_pass(run):
    """Per claim: its first adjudication (denied or not, with the reason), joined to whether
    its coverage was verified before the visit."""
    claims = run.claims.set_index("claim")
    verified = run.visits.set_index("visit")["appointment"]
    booked = run.appointments.set_index("appointment")["verified"]
    checked = verified.map(booked).fillna(False).astype(bool)
    out = claims[claims["first_adjudication_day"] >= 0][["payer", "initial_denial_reason"]]
    return out.assign(verified=checked.reindex(out.index).fillna(False).to_numpy())


def test_eligibility_checks_avoid_the_share_of_eligibility_denials_they_fix():
    """Medicaid denies 20% of first submissions, half for eligibility (CARC 27). Checking every
    visit and fixing 80% of what the check finds leaves 0.2 x (1 - 0.5 x 0.8) = 12% denied
    among verified claims; unverified claims (walk-ins, short lead times) stay at 20%."""
    scenario = build({**MEDICAID_DENIALS, "front_office.eligibility_check_share": 1.0,
                      "front_office.eligibility_fix_rate": 0.8})
    claims = first_pass(simulate(scenario, seed=3))
    medicaid = claims[claims["payer"] == "medicaid"]
    checked = medicaid[medicaid["verified"]]
    denied = checked["initial_denial_reason"].astype(str) != ""
    assert len(checked) > 500
    assert denied.mean() == pytest.approx(0.12, abs=3 * (0.12 * 0.88 / len(checked)) ** 0.5)
    eligibility = (checked["initial_denial_reason"].astype(str) == "27").mean()
    assert eligibility == pytest.approx(0.02, abs=0.015)
    unchecked = medicaid[~medicaid["verified"]]
    assert len(unchecked) > 100
    rate = (unchecked["initial_denial_reason"].astype(str) != "").mean()
    assert rate == pytest.approx(0.2, abs=3 * (0.2 * 0.8 / len(unchecked)) ** 0.5)


def test_checks_that_fix_nothing_move_no_other_draw():
    """Checking every visit with a fix rate of 0 changes nothing but the checks' cost: the
    same ledger as with no checks at all (the check draws its own stream, and the fix uses the
    denial's own uniform)."""
    base = simulate(build(MEDICAID_DENIALS), seed=3)
    checked = simulate(build({**MEDICAID_DENIALS, "front_office.eligibility_check_share": 1.0,
                              "front_office.eligibility_fix_rate": 0.0,
                              "front_office.eligibility_check_cost": 5.0}), seed=3)
    assert base.ledger.equals(checked.ledger)
    assert checked.appointments["verified"].any()
    assert checked.daily["front_office_costs_cents"].sum() > 0
    assert base.daily["front_office_costs_cents"].sum() == 0


def test_checks_and_reminders_are_paid_two_days_before_the_visit():
    scenario = build({"front_office.eligibility_check_share": 0.5,
                      "front_office.eligibility_check_cost": 1.25,
                      "front_office.reminder_cost": 0.10})
    run = simulate(scenario, seed=3)
    appts = run.appointments
    due = (appts["day"] - 2).clip(lower=appts["request_day"])
    cancelled_first = (appts["cancel_day"] >= 0) & (appts["cancel_day"] <= due)
    kept = ~cancelled_first & (due < run.calendar.n_days)
    expected = (125 * (appts["verified"] & kept).sum() + 10 * (appts["reminded"] & kept).sum())
    assert run.daily["front_office_costs_cents"].sum() == expected
    assert appts.loc[appts["lead_days"] < 2, "verified"].sum() == 0
    ahead = appts[(appts["lead_days"] >= 2) & ~cancelled_first]
    insured = ahead["payer"] != "self_pay"
    assert ahead.loc[insured, "verified"].mean() == pytest.approx(0.5, abs=0.02)
    assert not ahead.loc[~insured, "verified"].any(), "self-pay patients are not checked"
    assert lg.balance_violations(run.ledger).empty
