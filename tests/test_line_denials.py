"""Line-level denials: a payer pays a claim but one line (CARC 97, 96, 4, ...). Hand
calculations, exact to the cent, on short runs where every commercial_a claim gets the same
first decision; then the KPIs that count denied lines and what the 835 writer makes of them."""

from __future__ import annotations

import copy

import pytest

from practicesim import simulate
from practicesim.calibrate.era_export import claim_payments
from practicesim.metrics import denied_dollars_recovered_pct, initial_denial_rate
from tests.conftest import CLEAN_BILLING, NO_PENDS, build

DENY_97 = {
    "calendar.horizon_days": 120, **CLEAN_BILLING, **NO_PENDS,
    "patient_collections.desk_collection_rate": 1.0,
    "payers[commercial_a].denial": {"rate": 1.0, "reasons": {"97": 1.0},
                                    "resubmission_denial_rate": 0.0},
    "payers[commercial_a].no_response_rate": 0.0,
    "payers[commercial_a].lag_days": 10.0,
    "payers[commercial_a].underpayment.rate": 0.0,
    "payers[commercial_a].cost_sharing": {"copay": 30, "coinsurance": 0.2,
                                          "deductible_probability": 0.0},
    "billing.rework_minutes_per_denial": 0.0,
    "billing.appeal_success_rate": 1.0,
    "billing.appeal_decision_days": 20.0,
}
"""Every commercial_a claim is denied 97 on its first decision, ten days after it is sent;
appeals are filed the day a biller has the denial (no minutes) and won 20 days later."""


def _run(extra: dict | None = None, seed: int = 5):
    return simulate(build({**copy.deepcopy(DENY_97), **(extra or {})}), seed=seed)


def _visit(run, codes: str):
    """A commercial_a claim of ``codes`` decided on a clinic day early in the run."""
    claims = run.claims
    found = claims[(claims["billed_payer"] == "commercial_a") & (claims["codes"] == codes)
                   & claims["first_adjudication_day"].between(0, 50)]
    clinic = run.calendar.is_clinic_day[found["first_adjudication_day"].to_numpy()]
    assert clinic.sum() >= 1, f"no {codes} claim of commercial_a decided on a clinic day"
    return found[clinic].iloc[0]


def _rows(run, claim: int) -> list[tuple]:
    rows = run.ledger[run.ledger["claim"] == claim]
    return [(int(r.day), str(r.kind), int(r.amount_cents), str(r.carc_group), str(r.carc_reason))
            for r in rows.itertuples() if r.kind not in ("charge", "submission")]


def test_a_97_on_the_add_on_line_pays_the_visit_and_the_won_appeal_pays_the_line():
    """99213 ($180, allowed $90.87 x 1.3 = $118.13) with a 93000 EKG ($30, allowed $14.31 x
    1.3 = $18.603 -> $18.60). The remittance pays the visit: CO-45 $61.87, copay $30 (paid at
    the desk), coinsurance 20% of $88.13 = $17.626 -> $17.63, paid $70.50; the EKG's $30 stays
    open. The appeal, won 20 days later, prices the EKG alone: CO-45 $11.40, coinsurance 20% of
    $18.60 = $3.72, paid $14.88."""
    run = _run()
    claim = _visit(run, "99213 93000")
    day = int(claim["first_adjudication_day"])
    rows = _rows(run, int(claim["claim"]))
    assert rows[:6] == [
        (int(claim["charge_day"]), "patient_payment", 3000, "", ""),
        (day, "line_denial", 3000, "CO", "97"),
        (day, "contractual_adjustment", 18000 - 11813, "CO", "45"),
        (day, "transfer_to_patient", 3000, "PR", "3"),
        (day, "transfer_to_patient", 1763, "PR", "2"),
        (day, "payer_payment", 11813 - 3000 - 1763, "", ""),
    ]
    assert (day + 20, "contractual_adjustment", 3000 - 1860, "CO", "45") in rows
    assert (day + 20, "transfer_to_patient", 372, "PR", "2") in rows
    assert (day + 20, "payer_payment", 1860 - 372, "", "") in rows
    assert claim["line_denial_reason"] == "97" and claim["initial_denial_reason"] == ""
    assert claim["payer_paid_cents"] == 7050 + 1488


def test_a_claim_of_one_line_is_denied_whole():
    run = _run()
    claim = _visit(run, "99213")
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[1] == (day, "denial", 0, "CO", "97")
    assert claim["initial_denial_reason"] == "97" and claim["line_denial_reason"] == ""


def test_a_lost_line_appeal_writes_the_line_off_and_leaves_the_visit_paid():
    run = _run({"billing.appeal_success_rate": 0.0})
    claim = _visit(run, "99213 93000")
    day = int(claim["first_adjudication_day"])
    rows = _rows(run, int(claim["claim"]))
    assert (day + 20, "denial_writeoff", 3000, "CO", "97") in rows
    assert not [r for r in rows if r[0] > day and r[1] == "payer_payment"]


def test_a_96_line_is_billed_to_the_patient_in_the_same_remittance():
    """Not covered (96, bill the patient): the patient owes the EKG's allowed $18.60 (PR-96),
    its CO-45 is $11.40; the visit is paid as above."""
    run = _run({"payers[commercial_a].denial.reasons": {"96": 1.0}})
    claim = _visit(run, "99213 93000")
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[1:5] == [
        (day, "line_denial", 3000, "PR", "96"),
        (day, "contractual_adjustment", 3000 - 1860, "CO", "45"),
        (day, "transfer_to_patient", 1860, "PR", "96"),
        (day, "contractual_adjustment", 18000 - 11813, "CO", "45"),
    ]


def test_a_corrected_line_is_paid_after_the_payers_lag():
    """CARC 4 (modifier): corrected and sent the day it is denied, paid ten days later."""
    run = _run({"payers[commercial_a].denial.reasons": {"4": 1.0}})
    claim = _visit(run, "99213 93000")
    day = int(claim["first_adjudication_day"])
    sent = run.ledger[(run.ledger["claim"] == claim["claim"])
                      & (run.ledger["kind"] == "submission")]["day"].tolist()
    assert sent[-1] == day
    assert (day + 10, "payer_payment", 1488, "", "") in _rows(run, int(claim["claim"]))


def test_a_line_no_biller_works_is_written_off_when_its_appeal_window_closes():
    run = _run({"staff.billers.count": 0, "payers[commercial_a].appeal_window_days": 30,
                "billing.rework_minutes_per_denial": 20.0})
    claim = _visit(run, "99213 93000")
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[-1] == (day + 31, "denial_writeoff", 3000, "CO", "97")


def test_denial_kpis_count_a_denied_line_at_its_charge():
    run = _run()
    n = run.calendar.n_days
    claims = run.claims
    decided = claims[claims["first_adjudication_day"].between(0, n - 1)
                     & (claims["submissions"] > 0)]
    lines = decided["line_denial_reason"] != ""
    whole = decided["initial_denial_reason"] != ""
    assert lines.sum() > 10 and whole.sum() > 10
    assert initial_denial_rate(run.ledger, 0, n) == pytest.approx(
        (lines | whole).sum() / len(decided))
    denied_line = run.ledger[run.ledger["kind"] == "line_denial"].set_index("claim")
    line_cents = denied_line["amount_cents"].reindex(decided["claim"]).fillna(0).to_numpy()
    denied = line_cents + whole.to_numpy() * decided["charge_cents"].to_numpy()
    assert initial_denial_rate(run.ledger, 0, n, dollars=True) == pytest.approx(
        denied.sum() / decided["charge_cents"].sum())

    # only commercial_a denies (97), and every appeal is won within 20 days: all denied
    # dollars decided 90 days before the end are recovered, or none if every appeal is lost
    others = {f"payers[{name}].denial.rate": 0.0
              for name in ("medicare", "medicare_advantage", "medicaid", "commercial_b")}
    won = _run(others)
    assert denied_dollars_recovered_pct(won.ledger, 0, n) == pytest.approx(1.0)
    lost = _run({**others, "billing.appeal_success_rate": 0.0, "billing.further_appeals": []})
    assert denied_dollars_recovered_pct(lost.ledger, 0, n) == 0.0


def test_the_835_writer_gives_a_denied_line_as_a_cas_of_the_paid_claim():
    run = _run()
    claim = _visit(run, "99213 93000")
    payments = [p for p in claim_payments(run) if p.claim == claim["claim"]]
    first, line = payments
    assert not first.denied and first.charge_cents == 21000
    assert first.adjustments[("CO", "97")] == 3000 and first.paid_cents == 7050
    assert (line.charge_cents, line.paid_cents, line.replaces) == (3000, 1488, True)
    assert line.adjustments == {("CO", "45"): 1140, ("PR", "2"): 372}


def test_a_line_paid_while_a_payment_plan_runs_is_collected_by_its_last_instalment():
    """Every patient balance goes on a two-month plan; lines won on appeal add their
    coinsurance to balances whose instalments are already set: none is left open."""
    run = _run({"calendar.horizon_days": 200,
                "patient_collections.payment_plans": {"share": 1.0, "min_balance": 0,
                                                      "months": 2, "default_rate": 0.0},
                "patient_collections.pay_probability_per_statement": [0.0],
                "patient_collections.statement_cycle_days": 15,
                "patient_collections.small_balance_writeoff": 0,
                "patient_collections.card_on_file": None})
    claims = run.claims
    lined = claims[(claims["denied_line"] >= 0)
                   & (claims["first_adjudication_day"] < run.calendar.n_days - 80)]
    assert len(lined) > 50
    assert (lined["open_balance_cents"] == 0).all()


def test_claims_with_a_secondary_or_only_non_covered_add_ons_are_denied_whole():
    run = _run({"payers[commercial_a].non_covered": ["93000"],
                "payers[commercial_b].secondary": {"commercial_a": 1.0},
                "payers[commercial_b].denial": {"rate": 1.0, "reasons": {"97": 1.0}}})
    claims = run.claims
    decided = claims[claims["first_adjudication_day"] >= 0]
    ekg = decided[(decided["payer"] == "commercial_a") & (decided["billed_payer"] == "commercial_a")
                  & (decided["codes"] == "99213 93000")]
    assert len(ekg) > 3 and (ekg["line_denial_reason"] == "").all()
    assert (ekg["initial_denial_reason"] == "97").all()
    secondary = decided[(decided["billed_payer"] == "commercial_b")
                        & decided["codes"].str.contains(" ")]
    assert len(secondary) > 3 and (secondary["line_denial_reason"] == "").all()


def test_a_claim_whose_only_open_part_is_its_line_goes_on_at_the_lines_stage():
    """Lines waiting for a biller are in the denial queue, appealed ones in appeal; the state
    carries them at that stage, as claims of the line's charge."""
    from practicesim.state import state_from_run

    run = _run({"billing.appeal_decision_days": 60.0, "calendar.horizon_days": 130,
                "billing.rework_minutes_per_denial": 20.0, "staff.billers.hours_per_day": 1})
    claims = run.claims.set_index("claim")
    line_only = claims[(claims["line_open_cents"] > 0)
                       & (claims["line_open_cents"] == claims["open_balance_cents"])]
    reasons = line_only["open_reason"].astype(str)
    assert (reasons == "in_denial_queue").sum() > 3 and (reasons == "in_appeal").sum() > 3
    assert reasons.isin(["in_denial_queue", "in_appeal"]).all()
    state = state_from_run(run).claims.set_index("claim")
    carried = state.loc[line_only.index.astype(str)]
    assert (carried["stage"].to_numpy()
            == reasons.map({"in_denial_queue": "denied", "in_appeal": "appeal"}).to_numpy()).all()
    assert (carried["charge_cents"] == line_only["line_open_cents"].to_numpy()).all()
    assert (carried["denial_reason"] == line_only["line_denial_reason"].astype(str)
            .to_numpy()).all()
