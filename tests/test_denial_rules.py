"""What billers do with each denial by its CARC reason, and its odds (practicesim.revenue.denials):
eligibility denials billed to the right payer or the patient, non-covered services billed to the
patient, corrections with their own odds, appeal levels. Hand calculations to the cent."""

from __future__ import annotations

from practicesim import simulate
from practicesim.ledger import claim_totals
from practicesim.metrics import primary_payers
from practicesim.practice import Practice
from practicesim.revenue.claims import CLAIM_DRAWS, Claim
from tests.conftest import build

CHARGE, MEDICARE = 18000, 9000


def practice(updates: dict) -> Practice:
    return Practice(build({"staff.billers.count": 1, **updates}), seed=1, replication=0)


def denied_claim(p: Practice, payer: str, reason: str, day: int = 20) -> Claim:
    index = [x.name for x in p.ctx.scenario.payers].index(payer)
    claim = Claim(id=7, patient=7, payer=index, provider=0, visit=7, service_day=10,
                  charge_cents=CHARGE, medicare_allowed_cents=MEDICARE, u=[0.5] * CLAIM_DRAWS)
    p.ctx.accounts.open_claim(claim, 10)
    claim.denials = 1
    claim.initial_denial_reason = reason
    p.denials.receive(day, claim, reason)
    return claim


def run_days(p: Practice, first: int, last: int) -> None:
    for day in range(first, last):
        p.denials.on_day(day)
        p.work.on_day(day)
        p.payers.on_day(day)
        p.submission.on_day(day)


def rows(p: Practice, claim: Claim):
    ledger = p.ctx.accounts.book.frame()
    return ledger[ledger["claim"] == claim.id]


def test_a_non_covered_service_is_billed_to_the_patient_at_the_allowed_amount():
    """CO-96 from commercial_a (130% of Medicare): the patient owes $117.00, the other $63.00
    of the $180.00 charge is a contractual adjustment; no biller time, billed at once."""
    p = practice({})
    claim = denied_claim(p, "commercial_a", "96")
    totals = claim_totals(rows(p, claim)).loc[claim.id]
    assert totals["contractual_adjustment"] == CHARGE - 11700
    assert totals["transfer_to_patient"] == 11700
    assert claim.patient_balance == claim.balance == 11700
    assert p.denials.backlog == 0


def test_an_eligibility_denial_with_no_other_coverage_is_billed_at_self_pay_terms():
    """CO-27 worked by a biller, no other payer found, the patient billed: the self-pay price
    is the charge less the 45% self-pay discount, $99.00."""
    p = practice({"billing.denial_actions": {"27": {"action": "other_coverage",
                                                    "success_rate": 0.0,
                                                    "patient_share": 1.0}}})
    claim = denied_claim(p, "commercial_a", "27")
    assert p.denials.backlog == 1
    run_days(p, 20, 30)
    patient = rows(p, claim)
    transfer = patient[patient["kind"] == "transfer_to_patient"]
    assert transfer["amount_cents"].tolist() == [9900]
    assert transfer[["carc_group", "carc_reason"]].values.tolist() == [["", ""]]
    assert claim_totals(patient).loc[claim.id, "contractual_adjustment"] == CHARGE - 9900


def test_by_default_coverage_ended_is_the_patients_and_an_unknown_member_is_half_written_off():
    """The package's rules, the claim's draws all 0.5: no other plan found (0.5 >= 0.3); a CO-27
    (coverage ended, PR-27 in payers' remittances) is billed to the patient (0.5 < 1.0), a CO-31
    (patient not identified as insured) is written off (0.5 >= 0.5)."""
    ended = practice({})
    claim = denied_claim(ended, "commercial_a", "27")
    run_days(ended, 20, 30)
    assert claim_totals(rows(ended, claim)).loc[claim.id, "transfer_to_patient"] == 9900
    unknown = practice({})
    claim = denied_claim(unknown, "commercial_a", "31")
    run_days(unknown, 20, 30)
    assert claim_totals(rows(unknown, claim)).loc[claim.id, "denial_writeoff"] == CHARGE


def test_an_eligibility_denial_written_off_when_neither_payer_nor_patient_is_found():
    p = practice({"billing.denial_actions": {"27": {"action": "other_coverage",
                                                    "success_rate": 0.0,
                                                    "patient_share": 0.0}}})
    claim = denied_claim(p, "commercial_a", "27")
    run_days(p, 20, 30)
    assert claim_totals(rows(p, claim)).loc[claim.id, "denial_writeoff"] == CHARGE


def test_eligibility_denials_are_billed_to_the_right_payer_which_then_pays():
    """Every commercial_a claim is denied CO-27 and the right payer is always found: the claims
    go out again in other payers' names, are paid by them, and count as theirs (primary payer,
    A/R), never as commercial_a's payments (a claim the second payer denies for eligibility
    too is billed to the patient, not back to the first)."""
    run = simulate(build({"calendar.horizon_days": 120,
                          "payers[commercial_a].denial.rate": 1.0,
                          "payers[commercial_a].denial.reasons": {"27": 1.0},
                          "billing.claim_error_rate": 0.0,
                          "billing.denial_actions": {"27": {"action": "other_coverage",
                                                            "success_rate": 1.0}}}), seed=3)
    ledger = run.ledger
    charged = set(ledger.loc[(ledger["kind"] == "charge")
                             & (ledger["payer"] == "commercial_a"), "claim"])
    denied = ledger[(ledger["kind"] == "denial") & ledger["claim"].isin(charged)]
    first = denied.drop_duplicates("claim")
    assert len(first) > 50 and (first["carc_reason"] == "27").all()
    assert (first["payer"] == "commercial_a").all()
    paid = ledger[(ledger["kind"] == "payer_payment") & ledger["claim"].isin(charged)]
    assert len(paid) > 20
    assert (paid["payer"] != "commercial_a").all()
    primary = primary_payers(ledger)
    assert (primary.loc[paid["claim"].unique()] != "commercial_a").all()


def test_a_correction_rule_sets_its_own_odds():
    """Every claim leaves coding with an error and is denied CO-16; the payers would deny every
    corrected claim again, but the rule says a corrected CO-16 is always paid."""
    run = simulate(build({"calendar.horizon_days": 120, "billing.claim_error_rate": 1.0,
                          "billing.scrubber_catch_rate": 0.0,
                          "billing.error_denial_reasons": {"16": 1.0},
                          **{f"payers[{p}].denial.resubmission_denial_rate": 1.0
                             for p in ("medicare", "medicaid", "commercial_a", "commercial_b",
                                       "medicare_advantage")},
                          "billing.denial_actions": {"16": {"action": "correct",
                                                            "success_rate": 1.0}}}), seed=3)
    denials = run.ledger[run.ledger["kind"] == "denial"]
    sixteen = denials[denials["carc_reason"] == "16"]
    assert len(sixteen) > 500
    assert sixteen["claim"].is_unique, "no corrected claim is denied CO-16 again"


def test_a_lost_first_appeal_is_taken_to_the_next_level_and_won_there():
    """CO-50 appealed: the first level always lost, the second always pursued and won. The
    claim is paid after both decisions (30 days at the median, then a biller files the second
    level, decided 20 days later), having been appealed twice."""
    p = practice({"billing.appeal_success_rate": 0.0,
                  "billing.appeal_decision_days": 30,
                  "billing.further_appeals": [{"name": "second_level", "pursued": 1.0,
                                               "window_days": 60, "success_rate": 1.0,
                                               "decision_days": 20}]})
    claim = denied_claim(p, "commercial_a", "50")
    run_days(p, 20, 120)
    paid = rows(p, claim)
    paid = paid[paid["kind"] == "payer_payment"]
    assert len(paid) == 1 and claim.appeals == 2
    clinic = p.ctx.calendar.is_clinic_day
    filed = next(d for d in range(20, 40) if clinic[d])
    second = next(d for d in range(filed + 30, filed + 40) if clinic[d])
    assert paid["day"].iloc[0] == second + 20


def test_an_appeal_lost_at_the_last_level_is_written_off_with_its_first_reason():
    p = practice({"billing.appeal_success_rate": 0.0, "billing.further_appeals": [
        {"name": "second_level", "pursued": 1.0, "window_days": 60, "success_rate": 0.0,
         "decision_days": 10}]})
    claim = denied_claim(p, "commercial_a", "50")
    run_days(p, 20, 200)
    written = rows(p, claim)
    written = written[written["kind"] == "denial_writeoff"]
    assert written[["carc_reason", "amount_cents"]].values.tolist() == [["50", CHARGE]]
    assert claim.appeals == 2


def test_a_non_covered_service_keeps_the_desk_copay_and_bills_the_rest_of_the_allowed():
    """CO-96 after the desk took a $30 copay: the patient owes the $117.00 allowed amount, $87.00
    of it still open; when the copay is above the allowed amount ($13.00) the patient owes the
    copay it paid and nothing more (no refund, as in a paid remittance): the rows still add up
    to the charge, as the payer's remittance does."""
    for medicare, owed in ((MEDICARE, 11700), (1000, 3000)):
        p = practice({})
        index = [x.name for x in p.ctx.scenario.payers].index("commercial_a")
        claim = Claim(id=7, patient=7, payer=index, provider=0, visit=7, service_day=10,
                      charge_cents=CHARGE, medicare_allowed_cents=medicare,
                      u=[0.5] * CLAIM_DRAWS)
        p.ctx.accounts.open_claim(claim, 10)
        p.ctx.accounts.reduce(10, claim, "patient_payment", 3000)
        claim.denials = 1
        p.denials.receive(20, claim, "96")
        totals = claim_totals(rows(p, claim)).loc[claim.id]
        assert totals["contractual_adjustment"] + totals["transfer_to_patient"] == CHARGE
        assert totals["transfer_to_patient"] == owed
        assert claim.balance == claim.patient_balance == owed - 3000


def test_an_appeal_level_dropped_by_a_dated_change_writes_the_claim_off():
    """A second-level appeal waits for a biller when a dated change removes the level: it is
    written off with the claim's first reason, not filed at a level that no longer exists."""
    p = practice({"billing.appeal_success_rate": 0.0, "billing.appeal_decision_days": 30,
                  "billing.further_appeals": [{"name": "second_level", "pursued": 1.0,
                                               "window_days": 60, "success_rate": 1.0,
                                               "decision_days": 20}]})
    claim = denied_claim(p, "commercial_a", "50")
    day = 20
    while not (claim.stage == "in_denial_queue" and claim.appeals == 1):
        run_days(p, day, day + 1)
        day += 1
    p.ctx.scenario = p.ctx.scenario.with_changes({"billing.further_appeals": []})
    run_days(p, day, 200)
    written = rows(p, claim)
    written = written[written["kind"] == "denial_writeoff"]
    assert written[["carc_reason", "amount_cents"]].values.tolist() == [["50", CHARGE]]
