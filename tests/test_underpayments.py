"""Underpayments: a payer pays below its contract; the practice's contract-variance review finds
some, billers appeal them, and the payer pays the difference or it is adjusted off. Hand
calculations, exact to the cent, on short runs where every commercial_a claim is paid clean."""

from __future__ import annotations

import copy

import pytest

from practicesim import simulate
from practicesim.metrics import underpayment_rate, underpayment_recovered
from tests.conftest import CLEAN_BILLING, build

CLEAN = {
    "calendar.horizon_days": 90, **CLEAN_BILLING,
    "patient_collections.desk_collection_rate": 1.0,
    "payers[commercial_a].denial.rate": 0.0, "payers[commercial_a].no_response_rate": 0.0,
    "payers[commercial_a].lag_days": 10.0,
    "payers[commercial_a].cost_sharing": {"copay": 30, "coinsurance": 0.0,
                                          "deductible_probability": 0.0},
    "payers[commercial_a].underpayment": {"rate": 1.0, "short": 0.25},
    "payers[commercial_b].underpayment.rate": 0.0,
    "payers[medicare_advantage].underpayment.rate": 0.0,
    "payers[commercial_a].appeal_window_days": 60,
    "billing.work_minutes.underpayment": 0.0,
    "billing.underpayment_review": {"detection_rate": 1.0, "success_rate": 1.0,
                                    "decision_days": 12.0},
}


def _run(extra: dict | None = None):
    return simulate(build({**copy.deepcopy(CLEAN), **(extra or {})}), seed=5)


def _office_visit(run):
    """A commercial_a 99213 claim adjudicated early in the run: charge $180, allowed
    $90.87 x 1.3 = $118.131 -> $118.13, copay $30, contracted payment $88.13, withheld
    25% = $22.0325 -> $22.03, paid $66.10."""
    claims = run.claims
    visits = claims[(claims["payer"] == "commercial_a") & (claims["codes"] == "99213")
                    & (claims["first_adjudication_day"].between(0, 40))]
    assert len(visits) >= 3
    return visits.iloc[0]


def _rows(run, claim: int) -> list[tuple]:
    rows = run.ledger[(run.ledger["claim"] == claim) & (run.ledger["amount_cents"] > 0)]
    return [(int(r.day), str(r.kind), int(r.amount_cents), str(r.carc_group), str(r.carc_reason))
            for r in rows.itertuples()]


def test_an_underpaid_line_found_and_recovered_is_paid_the_difference():
    run = _run()
    claim = _office_visit(run)
    day = int(claim["first_adjudication_day"])
    rows = _rows(run, int(claim["claim"]))
    assert rows[1:] == [
        (int(claim["charge_day"]), "patient_payment", 3000, "", ""),
        (day, "contractual_adjustment", 18000 - 11813, "CO", "45"),
        (day, "transfer_to_patient", 3000, "PR", "3"),
        (day, "payer_payment", 8813 - 2203, "", ""),
        (day + 12, "payer_payment", 2203, "", "underpayment"),
    ]
    assert (claim["contracted_payment_cents"], claim["underpaid_cents"],
            claim["underpayment_recovered_cents"]) == (8813, 2203, 2203)


def test_an_underpayment_not_found_is_the_payers_larger_contractual_adjustment():
    run = _run({"billing.underpayment_review.detection_rate": 0.0})
    claim = _office_visit(run)
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[2:] == [
        (day, "contractual_adjustment", 18000 - 11813 + 2203, "CO", "45"),
        (day, "transfer_to_patient", 3000, "PR", "3"),
        (day, "payer_payment", 8813 - 2203, "", ""),
    ]
    assert claim["underpayment_recovered_cents"] == 0 and claim["status"] == "paid"


def test_a_lost_appeal_is_adjusted_off_by_the_practice_when_the_payer_decides():
    run = _run({"billing.underpayment_review.success_rate": 0.0})
    claim = _office_visit(run)
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[-1] == (day + 12, "contractual_adjustment", 2203, "",
                                                   "underpayment")


def test_an_underpayment_no_biller_works_in_the_appeal_window_is_adjusted_off_after_it():
    """With no billers, found underpayments wait until the 60-day window closes, then go."""
    run = _run({"billing.work_minutes.underpayment": 20.0, "staff.billers.count": 0})
    claim = _office_visit(run)
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[-1] == (day + 61, "contractual_adjustment", 2203, "",
                                                   "underpayment")


def test_the_kpis_are_the_underpaid_share_of_contracted_dollars_and_the_share_recovered():
    run = _run({"calendar.horizon_days": 150})
    claims = run.claims
    done = claims[claims["first_adjudication_day"] >= 0]
    expected = done["underpaid_cents"].sum() / done["contracted_payment_cents"].sum()
    assert underpayment_rate(claims, 0, run.calendar.n_days) == pytest.approx(expected)
    mine = done["billed_payer"] == "commercial_a"  # rebilled claims too
    assert (done.loc[mine, "underpaid_cents"]
            == (done.loc[mine, "contracted_payment_cents"] * 0.25).round()).all()
    assert (done.loc[~mine, "underpaid_cents"] == 0).all()
    early = done[done["first_adjudication_day"] < run.calendar.n_days - 90]
    assert early["underpaid_cents"].sum() > 0
    assert underpayment_recovered(claims, 0, run.calendar.n_days) == pytest.approx(
        early["underpayment_recovered_cents"].sum() / early["underpaid_cents"].sum())
    kpis = run.kpis()
    assert {"underpayment_rate", "underpayment_recovered"} <= set(kpis.index)
