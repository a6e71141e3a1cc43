"""Revenue-cycle mechanisms, each checked on its own or on a run set up to show it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from practicesim import Run, simulate
from practicesim.ledger import claim_totals
from practicesim.practice import Practice
from practicesim.revenue.claims import CLAIM_DRAWS, Claim
from practicesim.scenario import ScenarioError
from tests.conftest import SAME_PAYER, build


def practice(updates: dict | None = None) -> Practice:
    return Practice(build(updates), seed=1, replication=0)


def new_claim(p: Practice, payer: str, charge: int, medicare: int, day: int = 10,
              claim_id: int = 10**6) -> Claim:
    index = [x.name for x in p.ctx.scenario.payers].index(payer)
    claim = Claim(id=claim_id, patient=1, payer=index, provider=0, visit=claim_id,
                  service_day=day, charge_cents=charge, medicare_allowed_cents=medicare,
                  u=[0.5] * CLAIM_DRAWS)
    p.ctx.accounts.open_claim(claim, day)
    return claim


def test_payment_is_allowed_less_patient_responsibility():
    p = practice({"payers[commercial_a].cost_sharing": {"copay": 30, "coinsurance": 0.2,
                                                         "deductible_probability": 0.0}})
    claim = new_claim(p, "commercial_a", charge=18000, medicare=9087)
    p.payers.pay(20, claim)
    totals = claim_totals(p.ctx.accounts.book.frame()).loc[claim.id]
    allowed = round(9087 * 1.30)
    coinsurance = round((allowed - 3000) * 0.2)
    assert totals["contractual_adjustment"] == 18000 - allowed
    assert totals["transfer_to_patient"] == 3000 + coinsurance
    assert totals["payer_payment"] == allowed - 3000 - coinsurance
    assert claim.patient_balance == claim.balance == 3000 + coinsurance


def test_allowed_amount_never_exceeds_the_charge():
    p = practice({"payers[commercial_b].allowed_pct_of_medicare": 5.0})
    claim = new_claim(p, "commercial_b", charge=10000, medicare=9000)
    p.payers.pay(20, claim)
    totals = claim_totals(p.ctx.accounts.book.frame()).loc[claim.id]
    assert totals["contractual_adjustment"] == 0
    assert totals["payer_payment"] + totals["transfer_to_patient"] == 10000


def test_denial_queue_works_largest_first_when_told():
    p = practice({"billing.queue_priority": "largest_first", "staff.billers.count": 1,
                  "billing.rework_minutes_per_denial": 60, "staff.billers.hours_per_day": 1})
    small = new_claim(p, "medicaid", 5000, 4000, claim_id=1)
    large = new_claim(p, "medicaid", 50000, 40000, claim_id=2)
    for claim in (small, large):
        claim.denials = 1
        p.denials.receive(10, claim, "16")
    worked = []
    p.denials.resubmit = lambda day, claim: worked.append(claim.id)
    day = next(d for d in range(11, 30) if p.ctx.calendar.is_clinic_day[d])
    p.work.on_day(day)
    assert worked == [2], "the larger claim is worked first, one per 60 minutes"


def test_unworked_corrections_are_written_off_at_the_timely_filing_limit():
    scenario = build({"staff.billers.count": 0,
                      "payers[commercial_b].timely_filing_days": 40})
    run = simulate(scenario, seed=2)
    ledger = run.ledger
    writeoffs = ledger[(ledger["kind"] == "denial_writeoff") & (ledger["carc_reason"] == "29")
                       & (ledger["payer"] == "commercial_b")]
    age = writeoffs["day"] - writeoffs["service_day"]
    assert len(writeoffs) > 20
    assert (age > 40).all(), "written off on or before the last day to file"
    assert (age == 41).mean() > 0.7
    # the others were denied (the claim, or a line of it) after the limit: written off that day
    denied = ledger[ledger["kind"].isin(["denial", "line_denial"])]
    late = writeoffs[age != 41][["claim", "day"]]
    assert late.merge(denied[["claim", "day"]]).drop_duplicates().shape[0] == len(late), (
        "unworked denials are written off the day after the limit")


def test_bill_anyway_denies_claims_before_enrollment_as_b7():
    scenario = build({"scheduling.uncredentialed_policy": "bill_anyway",
                      "providers[physician].credentialing": {
                          "commercial_a": {"effective": "2027-03-01"}}})
    run = simulate(scenario, seed=4)
    effective = run.calendar.day(date(2027, 3, 1))
    claims = run.claims[(run.claims["payer"] == "commercial_a")
                        & (run.claims["first_adjudication_day"] >= 0)]
    before = claims[claims["service_day"] < effective]
    after = claims[claims["service_day"] >= effective]
    assert len(before) > 50
    assert (before["initial_denial_reason"] == "B7").all()
    assert (after["initial_denial_reason"] != "B7").all()


def held_claims_run(payer: str,
                    updates: dict | None = None) -> tuple[Run, int, pd.DataFrame]:
    """A run under hold_claims with the physicians enrolled with ``payer`` on 2027-03-01, and
    the submissions of services before that date."""
    run = simulate(build({"scheduling.uncredentialed_policy": "hold_claims",
                          "providers[physician].credentialing": {
                              payer: {"effective": "2027-03-01"}}, **(updates or {})}), seed=4)
    effective = run.calendar.day(date(2027, 3, 1))
    ledger = run.ledger
    sent = ledger[(ledger["payer"] == payer) & (ledger["kind"] == "submission")
                  & (ledger["service_day"] < effective)]
    return run, effective, sent


def test_hold_claims_submits_nothing_before_the_effective_date():
    run, effective, sent = held_claims_run("commercial_a",
                                           {"payers[commercial_a].timely_filing_days": 60})
    ledger = run.ledger
    assert len(sent) > 0
    assert (sent["day"] >= effective).all()
    late = sent[sent["day"] - sent["service_day"] > 60]
    lost = ledger[(ledger["claim"].isin(late["claim"])) & (ledger["carc_reason"] == "29")
                  & (ledger["kind"] == "denial_writeoff")]
    assert len(late) > 0
    assert set(lost["claim"]) == set(late["claim"]), "held past timely filing -> CO-29"


def test_do_not_book_keeps_the_payers_patients_off_the_provider_until_enrolled():
    scenario = build({"providers[physician].credentialing": {
        "commercial_a": {"effective": "2027-02-01"}}})
    run = simulate(scenario, seed=4)
    effective = run.calendar.day(date(2027, 2, 1))
    visits = run.visits
    early = visits[(visits["payer"] == "commercial_a") & (visits["day"] < effective)]
    assert early.empty
    later = visits[(visits["payer"] == "commercial_a") & (visits["day"] >= effective)]
    assert len(later) > 50


@pytest.mark.parametrize(("pay", "recovery", "kind"), [(1.0, 0.0, "patient_payment"),
                                                       (0.0, 0.0, "bad_debt")])
def test_patient_balances_are_paid_or_become_bad_debt(pay, recovery, kind):
    p = practice({"patient_collections.pay_probability_per_statement": [pay],
                  "patient_collections.agency_recovery_rate": recovery,
                  "patient_collections.agency_days": 10})
    claim = new_claim(p, "medicare", charge=18000, medicare=9087, day=5)
    p.payers.pay(20, claim)
    owed = claim.patient_balance
    for day in range(21, 120):
        p.patients.on_day(day)
    totals = claim_totals(p.ctx.accounts.book.frame()).loc[claim.id]
    assert totals[kind] == owed
    assert totals["open_balance"] == 0


def test_agency_recoveries_cost_the_agency_fee():
    p = practice({"patient_collections.pay_probability_per_statement": [0.0],
                  "patient_collections.agency_recovery_rate": 1.0,
                  "patient_collections.agency_fee_rate": 0.3,
                  "patient_collections.agency_days": 10})
    claim = new_claim(p, "medicare", charge=18000, medicare=9087, day=5)
    p.payers.pay(20, claim)
    owed = claim.patient_balance
    for day in range(21, 120):
        p.patients.on_day(day)
    assert p.ctx.finance.costs["agency_fees"].sum() == round(owed * 0.3)


def test_held_claims_are_paid_when_enrollment_is_backdated():
    scenario = build({"scheduling.uncredentialed_policy": "hold_claims",
                      "providers[physician].credentialing": {
                          "commercial_a": {"effective": "2027-03-01",
                                           "covers_from": "2026-10-01"}}})
    run = simulate(scenario, seed=4)
    effective = run.calendar.day(date(2027, 3, 1))
    claims = run.claims[(run.claims["payer"] == "commercial_a")
                        & (run.claims["service_day"] < effective)
                        & (run.claims["first_adjudication_day"] >= 0)]
    assert len(claims) > 50
    assert (claims["initial_denial_reason"] != "B7").all()


def test_medicare_pays_services_within_30_days_before_enrollment():
    scenario = build({"scheduling.uncredentialed_policy": "bill_anyway",
                      "providers[physician].credentialing": {
                          "medicare": {"effective": "2027-03-01"}}})
    run = simulate(scenario, seed=4)
    effective = run.calendar.day(date(2027, 3, 1))
    claims = run.claims[(run.claims["payer"] == "medicare")
                        & (run.claims["first_adjudication_day"] >= 0)]
    b7 = claims["initial_denial_reason"] == "B7"
    assert b7[claims["service_day"] < effective - 30].all()
    assert not b7[claims["service_day"] >= effective - 30].any()


def test_hold_claims_waits_for_the_effective_date_even_for_retroactive_services():
    run, effective, sent = held_claims_run("medicare")
    assert len(sent) > 0
    assert (sent["day"] >= effective).all()
    retro = run.claims[(run.claims["payer"] == "medicare")
                       & (run.claims["service_day"] >= effective - 30)
                       & (run.claims["service_day"] < effective)
                       & (run.claims["first_adjudication_day"] >= 0)]
    assert len(retro) > 10
    assert (retro["initial_denial_reason"] != "B7").all(), "30-day retroactive window is paid"


def test_enrollment_takes_effect_a_drawn_processing_time_after_the_application():
    """applied + processing_days: each replication draws its own processing time per
    provider and payer; a scenario that applies 60 days later takes effect exactly 60 days
    later in the same replication (common random numbers); B7 before it, none after."""
    def enrolled(applied: str) -> dict:
        return {"scheduling.uncredentialed_policy": "bill_anyway",
                "providers[physician].credentialing": {"commercial_a": {
                    "applied": applied,
                    "processing_days": {"dist": "uniform", "low": 20, "high": 90}}}}

    early, late = build(enrolled("2026-12-01")), build(enrolled("2027-01-30"))
    payer = [p.name for p in early.payers].index("commercial_a")
    days = {r: [Practice(s, 4, r).ctx.coverage.effective_day(0, payer) for s in (early, late)]
            for r in range(6)}
    assert all(later - first == 60 for first, later in days.values())
    assert len({first for first, _ in days.values()}) > 3, "processing time varies by replication"
    applied = Practice(early, 4, 0).ctx.calendar.day(date(2026, 12, 1))
    assert all(20 <= d - applied <= 90 for d, _ in days.values())
    coverage = Practice(late, 4, 2).ctx.coverage
    run = simulate(late, seed=4, replication=2)
    claims = run.claims[(run.claims["payer"] == "commercial_a")
                        & (run.claims["first_adjudication_day"] >= 0)]
    seat = claims["provider"].astype(str).map({"physician_1": 0, "physician_2": 1})
    effective = seat.map(lambda p: coverage.effective_day(p, payer))
    assert effective.nunique() == 2, "each provider has its own processing time"
    before = claims["service_day"] < effective
    assert before.sum() > 20 and (claims.loc[before, "initial_denial_reason"] == "B7").all()
    assert (claims.loc[~before, "initial_denial_reason"] != "B7").all()


@pytest.mark.parametrize(("enrollment", "message"), [
    ({"applied": "2027-01-01"}, "applied needs processing_days, or the payer's"),
    ({"processing_days": 30}, "processing_days needs applied"),
    ({"effective": "2027-01-01", "applied": "2026-11-01", "processing_days": 30},
     "either effective, or applied"),
])
def test_enrollment_dates_are_checked(enrollment, message):
    with pytest.raises(ScenarioError, match=message):
        build({"providers[physician].credentialing": {"commercial_a": enrollment}})


@pytest.mark.parametrize(("applied", "first"), [("2026-12-01", "2027-01-31"),
                                                ("2027-03-15", "2027-02-13")])
def test_medicare_billing_dates_from_the_later_of_application_and_start(applied, first):
    """42 CFR 424.520(d): billing privileges take effect on the later of the filing date and
    the date services begin, with 30 retroactive days; the approval (applied + processing) is
    when held claims may go out."""
    scenario = build({"providers[physician].start_date": "2027-03-02",
                      "providers[physician].credentialing": {"medicare": {
                          "applied": applied, "processing_days": 50}}})
    practice = Practice(scenario, 1, 0)
    cal = practice.ctx.calendar
    window = practice.ctx.coverage.window(0, 0)
    assert window[0][0] == cal.day(date.fromisoformat(first))
    approved = cal.day(date.fromisoformat(applied)) + 50
    assert practice.ctx.coverage.effective_day(0, 0) == approved


CHECKS_AT_ONCE = {"billing.work_minutes.status_check": 0, "billing.posting_exception_rate": 0}
"""Status checks and postings take no biller time: done the day they arise."""


def _events(run: Run, kind: str) -> pd.DataFrame:
    rows = run.ledger[run.ledger["kind"] == kind]
    return rows[rows["payer"] == "medicare"]


def test_a_claim_the_payer_never_answers_is_sent_again_after_each_follow_up():
    """Medicare answers no submission: each Medicare claim is sent again one day after each
    30-day status inquiry (days s, s + 31, s + 62, ...) and, once past its 70-day timely-filing
    limit, denied CO-29 and written off, never paid."""
    run = simulate(build({"calendar.horizon_days": 150, "payers[medicare].no_response_rate": 1.0,
                          "payers[medicare].timely_filing_days": 70,
                          "billing.follow_up_days": 30, **CHECKS_AT_ONCE}), seed=2)
    sent = _events(run, "submission").groupby("claim")["day"].apply(list)
    claims = run.claims.set_index("claim")
    assert not (run.ledger.loc[run.ledger["payer"] == "medicare", "kind"]
                == "payer_payment").any()
    written = _events(run, "denial_writeoff")
    assert len(written) > 30 and (written["carc_reason"] == "29").all()
    # Medicare's own claims (another payer's claim rebilled to Medicare late is past its limit)
    own = written["claim"][written["claim"].isin(claims.index[claims["payer"] == "medicare"])]
    assert len(own) > 30
    for claim, days in sent.loc[own].items():
        assert days == [days[0] + 31 * k for k in range(len(days))], claim
        service = int(claims.loc[claim, "service_day"])
        assert days[-1] > service + 70 >= days[-2], claim


def test_claims_sent_again_after_no_answer_are_paid_on_their_next_submission():
    """Half of Medicare's submissions go unanswered (each its own draw): a claim paid on its
    k-th submission was sent k times, 31 days apart, with no denial in between; the share of
    claims needing a second submission is about one half."""
    run = simulate(build({"calendar.horizon_days": 150, "payers[medicare].no_response_rate": 0.5,
                          "payers[medicare].denial.rate": 0.0, "billing.claim_error_rate": 0.0,
                          "billing.follow_up_days": 30, **CHECKS_AT_ONCE, **SAME_PAYER}),
                   seed=2)
    sent = _events(run, "submission").groupby("claim")["day"].apply(list)
    paid = _events(run, "payer_payment").drop_duplicates("claim").set_index("claim")
    again = [days for claim, days in sent.loc[paid.index].items() if len(days) > 1]
    assert 0.35 < len(again) / len(paid) < 0.65
    for days in again:
        assert days == [days[0] + 31 * k for k in range(len(days))]
    assert _events(run, "denial").empty


@pytest.mark.parametrize(("rule", "paid_from"), [("approval", "2027-03-01"),
                                                 ("application", "2027-01-15"),
                                                 ("medicare", "2026-12-16")])
def test_a_payers_effective_date_rule_decides_which_held_claims_are_paid(rule, paid_from):
    """The physicians apply to commercial_a on 2027-01-15 (after their start) and the payer
    approves 45 days later, 2027-03-01 (its enrollment_days). Under hold_claims every claim
    waits for the approval; then services from ``paid_from`` are covered and earlier ones are
    never paid (denied B7, or CO-29 when held past timely filing): approval only, back-dated to
    the application, or Medicare's rule (the application, less 30 days)."""
    scenario = build({"scheduling.uncredentialed_policy": "hold_claims",
                      "payers[commercial_a].enrollment_days": 45,
                      "payers[commercial_a].enrollment_effective": rule,
                      "providers[physician].credentialing": {
                          "commercial_a": {"applied": "2027-01-15"}}})
    run = simulate(scenario, seed=4)
    approved, first = (run.calendar.day(date.fromisoformat(d))
                       for d in ("2027-03-01", paid_from))
    payer = [p.name for p in scenario.payers].index("commercial_a")
    assert Practice(scenario, 4, 0).ctx.coverage.effective_day(0, payer) == approved
    claims = run.claims[(run.claims["payer"] == "commercial_a")
                        & (run.claims["first_adjudication_day"] >= 0)]
    sent = run.ledger[(run.ledger["payer"] == "commercial_a")
                      & (run.ledger["kind"] == "submission")]
    assert (sent["day"] >= approved).all()
    b7 = claims["initial_denial_reason"] == "B7"
    before, after = claims["service_day"] < first, claims["service_day"] >= first
    assert before.sum() > 20 and after.sum() > 20
    assert (claims.loc[before, "payer_paid_cents"] == 0).all()
    assert set(claims.loc[before, "initial_denial_reason"]) <= {"B7", "29"}
    assert b7[before].sum() > 10 and not b7[after].any()



def test_supervising_physician_bills_the_allowed_share_at_once_and_holds_the_rest():
    """A new physician not enrolled with commercial_a until 2027-03-01, whose plans allow
    billing under a supervising physician for 40% of visits: that share of her earlier visits
    is billed under her enrolled colleague at once and paid (no CO-B7), within sampling error
    of 40% (4 sd); the rest are held until the enrolment, as under hold_claims."""
    sessions = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    run = simulate(build({"scheduling.uncredentialed_policy": "supervising_physician",
                          "payers[commercial_a].supervised_billing_share": 0.4,
                          "providers": [{"name": "physician", "sessions": sessions},
                                        {"name": "new_physician", "sessions": sessions,
                                         "credentialing": {
                                             "commercial_a": {"effective": "2027-03-01"}}}]}),
                   seed=4)
    effective = run.calendar.day(date(2027, 3, 1))
    claims = run.claims[(run.claims["payer"] == "commercial_a")
                        & (run.claims["service_day"] < effective)
                        & (run.claims["provider"] == "new_physician")]
    supervised = claims[claims["supervised"]]
    held = claims[~claims["supervised"]]
    n = len(claims)
    assert n > 60
    assert abs(len(supervised) / n - 0.4) < 4 * (0.4 * 0.6 / n) ** 0.5
    assert (supervised["first_submission_day"] < effective).mean() > 0.9
    adjudicated = supervised[supervised["first_adjudication_day"] >= 0]
    assert len(adjudicated) and (adjudicated["initial_denial_reason"] != "B7").all()
    sent = held[held["first_submission_day"] >= 0]
    assert len(sent) and (sent["first_submission_day"] >= effective).all()
    after = run.claims[(run.claims["service_day"] >= effective)]
    assert not after["supervised"].any(), "enrolled: billed under her own NPI"
    supervisors = supervised["supervising_provider"].astype(str)
    assert (supervisors != supervised["provider"].astype(str)).all()
    assert set(supervisors) == {"physician"}


def test_no_claim_is_billed_under_a_supervisor_when_no_physician_is_enrolled():
    """Both physicians wait for commercial_a's enrolment: there is no enrolled physician to
    bill under, so every claim of the gap is held."""
    run = simulate(build({"scheduling.uncredentialed_policy": "supervising_physician",
                          "payers[commercial_a].supervised_billing_share": 1.0,
                          "providers[physician].credentialing": {
                              "commercial_a": {"effective": "2027-03-01"}}}), seed=4)
    assert not run.claims["supervised"].any()


def test_a_supervised_claim_is_the_supervisors_only_with_the_payer_it_was_drawn_for():
    """Supervision is arranged with the primary: rebilled to another payer, or sent to a
    secondary, the claim is judged by its own provider's enrolment with that payer."""
    p = practice({"providers[physician].credentialing": {
        "commercial_a": {"effective": "2027-06-01"}, "medicaid": {"effective": "2027-06-01"}}})
    names = [x.name for x in p.ctx.scenario.payers]
    claim = new_claim(p, "commercial_a", charge=18000, medicare=9087, day=120)
    claim.supervisor = 1
    commercial_a, medicaid = names.index("commercial_a"), names.index("medicaid")
    assert p.ctx.enrolled(claim, commercial_a)
    assert not p.ctx.enrolled(claim, medicaid)
    claim.rebilled, claim.charged_payer, claim.payer = True, commercial_a, medicaid
    assert not p.ctx.enrolled(claim, medicaid), "a rebill leaves the supervision behind"


def test_medicare_allows_no_billing_under_a_supervising_physician():
    with pytest.raises(ScenarioError, match="supervised_billing_share must be 0 for Medicare"):
        build({"payers[medicare].supervised_billing_share": 0.5})
