"""Pended claims (``payers[].pend``): the payer's manual review delays its decision; a records
request waits for a biller to send the chart, or denies the claim CO-252 after the payer's
deadline. Exact days on short runs where every commercial_a claim is paid clean, against the
same run without pends (its claims keep their own random numbers)."""

from __future__ import annotations

import copy

import simpy

from practicesim import simulate
from practicesim.practice import Practice
from practicesim.revenue.work import KINDS
from tests.conftest import CLEAN_BILLING, build

CLEAN = {
    "calendar.horizon_days": 120, **CLEAN_BILLING,
    "billing.work_minutes.status_check": 0.0,
    "payers[commercial_a].denial.rate": 0.0, "payers[commercial_a].no_response_rate": 0.0,
    "payers[commercial_a].underpayment.rate": 0.0,
    "payers[commercial_a].lag_days": 10.0,
}
PLAIN = {"payers[commercial_a].pend": {"rate": 0.0}}
REVIEW = {"payers[commercial_a].pend": {"rate": 1.0, "records_share": 0.0, "days": 20.0}}
RECORDS = {"payers[commercial_a].pend": {"rate": 1.0, "records_share": 1.0, "days": 20.0,
                                         "records_deadline_days": 45},
           "billing.work_minutes.records_request": 0.0}


def _claims(extra: dict | None = None):
    run = simulate(build({**copy.deepcopy(CLEAN), **(extra or PLAIN)}), seed=4)
    claims = run.claims[run.claims["payer"] == "commercial_a"].set_index("claim")
    return run, claims


def _early(claims):
    """Claims first sent in the first 30 days (all decided within the run)."""
    return claims[claims["first_submission_day"].between(0, 30)]


def test_a_claim_pended_for_manual_review_is_decided_its_review_days_later():
    _, plain = _claims()
    _, pended = _claims(REVIEW)
    both = _early(plain).index.intersection(pended.index)
    assert len(both) >= 20
    delay = (pended.loc[both, "first_adjudication_day"]
             - plain.loc[both, "first_adjudication_day"])
    assert (delay == 20).all()
    assert pended.loc[both, "pended"].all() and not pended.loc[both, "records_requested"].any()
    assert not _early(plain)["pended"].any()
    # the decision is the same one: paid the same cents
    assert (pended.loc[both, "payer_paid_cents"] == plain.loc[both, "payer_paid_cents"]).all()


def test_records_sent_the_day_they_are_asked_for_are_reviewed_as_a_manual_review_is():
    _, plain = _claims()
    _, asked = _claims(RECORDS)
    both = _early(plain).index.intersection(asked.index)
    assert len(both) >= 20
    delay = asked.loc[both, "first_adjudication_day"] - plain.loc[both, "first_adjudication_day"]
    assert (delay == 20).all()
    assert asked.loc[both, "records_requested"].all()


def test_records_nobody_sends_are_denied_co_252_the_day_after_the_payers_deadline():
    _, plain = _claims()
    run, asked = _claims({**RECORDS, "billing.work_minutes.records_request": 20.0,
                          "staff.billers.count": 0})
    both = _early(plain).index.intersection(asked.index)
    assert len(both) >= 20
    claims = asked.loc[both]
    assert (claims["first_adjudication_day"]
            == plain.loc[both, "first_adjudication_day"] + 45 + 1).all()
    assert (claims["initial_denial_reason"] == "252").all()
    denials = run.ledger[(run.ledger["kind"] == "denial") & run.ledger["claim"].isin(both)]
    assert set(zip(denials["carc_group"].astype(str), denials["carc_reason"].astype(str),
                   strict=True)) == {("CO", "252")}


def test_records_requests_take_the_billers_minutes():
    scenario = build({**copy.deepcopy(CLEAN), **RECORDS,
                      "billing.work_minutes.records_request": 15.0})
    practice = Practice(scenario, 4, 0)
    env = simpy.Environment()
    env.process(practice.process(env, None))
    env.run()
    claims = [c for c in practice.ctx.accounts.claims if c.records_requested]
    sent = sum(c.first_adjudication_day >= 0 and c.initial_denial_reason != "252"
               for c in claims)
    spent = practice.work.minutes[:, KINDS.index("records_request")].sum()
    # 15 minutes for each request sent (and decided within the run), at most 15 for each
    # request made (flagged when the payer asks)
    assert sent > 100
    assert 15 * sent <= spent <= 15 * len(claims)


def test_a_claim_waiting_for_its_records_is_status_checked_and_denied_if_never_sent():
    """With a 60-day payer lag before the request and no billers' time for records (none sent),
    every such claim gets its 30-day status check and, 45 days after the request, CO-252."""
    scenario = build({**copy.deepcopy(CLEAN), **RECORDS,
                      "payers[commercial_a].lag_days": 60.0,
                      "billing.work_minutes.status_check": 1.0,
                      "billing.work_minutes.records_request": 10_000.0})
    practice = Practice(scenario, 4, 0)
    checked = set()
    add = practice.work.add

    def counting(day, kind, claim, *args, **kwargs):
        if kind == KINDS.index("status_check"):
            checked.add(claim.id)
        return add(day, kind, claim, *args, **kwargs)

    practice.work.add = counting
    env = simpy.Environment()
    env.process(practice.process(env, None))
    env.run()
    commercial_a = [p.name for p in scenario.payers].index("commercial_a")
    denied = [c for c in practice.ctx.accounts.claims
              if c.initial_denial_reason == "252" and c.payer == commercial_a]
    assert len(denied) > 20
    assert all(c.records_requested and c.id in checked for c in denied)
    assert all(c.first_adjudication_day == c.first_submission_day + 60 + 45 + 1 for c in denied)
