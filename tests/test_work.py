"""The billers' work queues (practicesim.revenue.work): what a day's minutes buy, in which
order, and what waits for a biller; and the properties a staffing decision relies on."""

from __future__ import annotations

import collections
import itertools
from datetime import date

import pytest

from practicesim import simulate
from practicesim.practice import Practice
from practicesim.revenue import work as wq
from practicesim.revenue.claims import CLAIM_DRAWS, Claim
from tests.conftest import SAME_PAYER, build

ALL_AT_ONCE = {"billing.work_minutes": {}, "billing.posting_exception_rate": 0.0,
               "billing.patient_calls_per_statement": 0.0}


def office(updates: dict) -> tuple[Practice, int]:
    """A practice to drive by hand, and its first clinic day after day 10."""
    p = Practice(build(updates), seed=1, replication=0)
    day = next(d for d in range(11, 40) if p.ctx.calendar.is_clinic_day[d])
    return p, day


def claim(p: Practice, claim_id: int, charge: int = 10000, service_day: int = 5) -> Claim:
    c = Claim(id=claim_id, patient=claim_id, payer=0, provider=0, visit=claim_id,
              service_day=service_day, charge_cents=charge, medicare_allowed_cents=charge // 2,
              u=[0.5] * CLAIM_DRAWS)
    p.ctx.accounts.open_claim(c, service_day)
    return c


def test_a_days_minutes_bound_the_work_and_an_unfinished_item_carries_its_rest():
    """One biller, 60 minutes a day, items of 25 minutes: two done on the first day and 10
    minutes into the third, which needs its last 15 the next day, then one more."""
    p, day = office({"staff.billers.count": 1, "staff.billers.hours_per_day": 1})
    done = []
    for i in range(5):
        p.work.add(day, wq.POSTING, claim(p, i), day, lambda d, t: done.append((d, t.claim.id)),
                   minutes=25)
    p.work.on_day(day)
    assert done == [(day, 0), (day, 1)]
    following = next(d for d in range(day + 1, day + 10) if p.ctx.calendar.is_clinic_day[d])
    p.work.on_day(following)
    assert done[2:] == [(following, 2), (following, 3)]
    assert p.work.pending[wq.POSTING] == 1


def test_patients_calls_are_answered_before_other_work():
    """40 statements go out today at half a call each, 6 minutes a call: 120 of the biller's
    150 minutes go to the phone, and one 25-minute item of the rest gets done."""
    p, day = office({"staff.billers.count": 1, "staff.billers.hours_per_day": 2.5,
                     "billing.patient_calls_per_statement": 0.5,
                     "billing.work_minutes.patient_call": 6})
    for _ in range(40):
        p.work.expect_calls(day)
    assert p.work.calls[day] == pytest.approx(120)
    done = []
    for i in range(3):
        p.work.add(day, wq.SECONDARY, claim(p, i), day, lambda d, t: done.append(t.claim.id),
                   minutes=25)
    p.work.on_day(day)
    assert done == [0]


def test_calls_on_a_closed_day_or_beyond_the_billers_minutes_come_the_next_day():
    """Statements sent on a weekend bring their calls on the next clinic day; calls beyond a
    day's minutes carry to the next day, so no patient's call is lost."""
    p, day = office({"staff.billers.count": 1, "staff.billers.hours_per_day": 1,
                     "billing.patient_calls_per_statement": 1.0,
                     "billing.work_minutes.patient_call": 10})
    closed = next(d for d in range(day, day + 10) if not p.ctx.calendar.is_clinic_day[d])
    opened = next(d for d in range(closed, closed + 10) if p.ctx.calendar.is_clinic_day[d])
    for _ in range(8):
        p.work.expect_calls(closed)
    for d in range(closed, opened + 1):
        p.work.on_day(d)
    assert p.work.calls[opened] == pytest.approx(80)
    assert p.work.calls[opened + 1] == pytest.approx(20)


@pytest.mark.parametrize(("policy", "order"), [
    ("fifo", [1, 2, 3]), ("deadline_first", [3, 2, 1]), ("largest_first", [2, 3, 1]),
    ("oldest_first", [3, 1, 2]),
])
def test_the_priority_policy_orders_items_across_queues(policy, order):
    """A denial, a status check and a posting exception, in that order of arrival: the policy
    decides which of the three the biller's one item's worth of minutes goes to first."""
    p, day = office({"staff.billers.count": 1, "staff.billers.hours_per_day": 1,
                     "billing.queue_priority": policy})
    done = []
    record = lambda d, t: done.append(t.claim.id)  # noqa: E731
    items = [(1, wq.DENIAL, 5000, 3, 200), (2, wq.STATUS_CHECK, 90000, 4, 100),
             (3, wq.POSTING, 20000, 2, day)]
    for claim_id, kind, charge, service_day, deadline in items:
        p.work.add(day, kind, claim(p, claim_id, charge, service_day), deadline, record,
                   minutes=20)
    p.work.on_day(day)
    assert done == order


def test_work_that_takes_no_minutes_is_done_the_day_it_arises():
    p, day = office({"staff.billers.count": 0, **ALL_AT_ONCE})
    done = []
    task = p.work.add(day, wq.SECONDARY, claim(p, 1), day, lambda d, t: done.append(d))
    assert done == [day] and task.done and p.work.pending == [0] * len(wq.KINDS)


def _paid_claims(run) -> set[int]:
    rows = run.ledger[run.ledger["kind"] == "payer_payment"]
    return set(rows["claim"])


def test_remittances_posted_by_hand_wait_for_a_biller():
    """Every paid remittance needs a biller and there is none: no payer payment is ever
    posted, and the claims stay with the payer; a vendor that does the posting posts them."""
    updates = {"calendar.horizon_days": 120, "staff.billers.count": 0,
               "billing.posting_exception_rate": 1.0, **SAME_PAYER}
    run = simulate(build(updates), seed=3)
    assert not _paid_claims(run)
    insured = run.claims[(run.claims["payer"] != "self_pay")
                         & (run.claims["open_balance_cents"] > 0)]
    assert (insured["open_reason"]
            .astype(str).isin(["awaiting_payer", "in_denial_queue", "awaiting_coding",
                               "awaiting_submission"])).all()
    vendor = simulate(build({**updates, "outsourcing.start": "2026-01-01",
                             "outsourcing.scope": ["posting"]}), seed=3)
    assert len(_paid_claims(vendor)) > 500


def test_a_lost_claim_is_sent_again_only_when_a_biller_checks_it():
    """Medicare answers no submission. Without billers no claim is ever sent twice; with
    billers whose time goes to nothing else, each is sent again the day after its check, 30
    days after it was sent or on the next clinic day."""
    updates = {"calendar.horizon_days": 150, "payers[medicare].no_response_rate": 1.0,
               "billing.follow_up_days": 30, **ALL_AT_ONCE,
               "billing.work_minutes.status_check": 5}
    idle = simulate(build({**updates, "staff.billers.count": 0}), seed=2)
    sent = idle.ledger[(idle.ledger["kind"] == "submission") & (idle.ledger["payer"] == "medicare")]
    assert len(sent) > 100 and sent["claim"].is_unique
    busy = simulate(build({**updates, "staff.billers.count": 2}), seed=2)
    sent = busy.ledger[(busy.ledger["kind"] == "submission") & (busy.ledger["payer"] == "medicare")]
    gaps = sent.groupby("claim")["day"].diff().dropna()
    assert len(gaps) > 100 and (gaps >= 31).all() and (gaps <= 34).all()


def test_a_slow_claim_is_checked_every_follow_up_interval_until_its_answer():
    """Medicare takes 75 days to answer every claim: each claim is checked on days 30 and 60
    after it was sent (both before its answer), never on day 90."""
    p = Practice(build({"calendar.horizon_days": 200, **ALL_AT_ONCE,
                        "billing.work_minutes.status_check": 10,
                        "payers[medicare].no_response_rate": 0.0,
                        "payers[medicare].pend.rate": 0.0,
                        "payers[medicare].lag_days": 75, "payers[medicare].floor_days": 0}),
                 seed=1, replication=0)
    checked = collections.Counter()
    add = p.work.add

    def counting(day, kind, c, *args, **kwargs):
        if kind == wq.STATUS_CHECK:
            checked[c.id] += 1
        return add(day, kind, c, *args, **kwargs)

    p.work.add = counting
    for day in range(p.ctx.n_days):
        p.day(day)
    medicare = [x.name for x in p.ctx.scenario.payers].index("medicare")
    answered = [c for c in p.ctx.accounts.claims
                if c.payer == medicare and c.submissions == 1 and c.first_adjudication_day >= 0
                and c.first_adjudication_day - c.first_submission_day >= 75]
    assert len(answered) > 50
    assert all(checked[c.id] == 2 for c in answered)


def test_a_secondary_claim_goes_out_when_a_biller_sends_it():
    """Medicare patients' Medigap is billed by the practice (no crossover): without
    billers no secondary ever pays; with them it does."""
    updates = {"calendar.horizon_days": 150, **ALL_AT_ONCE,
               "billing.work_minutes.secondary_claim": 8,
               "payers[medigap].as_secondary.crossover": False}
    idle = simulate(build({**updates, "staff.billers.count": 0}), seed=4)
    busy = simulate(build({**updates, "staff.billers.count": 1}), seed=4)
    paid = lambda run: run.ledger[(run.ledger["kind"] == "payer_payment")  # noqa: E731
                                  & (run.ledger["payer"] == "medigap")]
    assert paid(idle).empty
    assert len(paid(busy)) > 50


# --- properties a staffing decision relies on ----------------------------------------------

TOLERANCE = 0.0025
"""More biller time can move collections down by this share of collections: work done sooner
changes the order in which a patient's claims meet the deductible and when money lands inside
the reported window, not how much is collected (measured: at most 0.14% on the small
practice)."""


def _collections(hours: float, denial_factor: float, seed: int = 1) -> float:
    base = build({})
    rates = {f"payers[{p.name}].denial.rate": min(1.0, p.denial.rate * denial_factor)
             for p in base.payers}
    run = simulate(build({**rates, "calendar.horizon_days": 180,
                          "staff.billers.hours_per_day": hours}), seed=seed)
    return float(run.kpis()["collections"])


@pytest.mark.parametrize("denial_factor", [1.0, 3.0])
def test_more_biller_time_never_lowers_collections(denial_factor):
    """The small practice's biller at 4, 6 and 8 hours a day, on the same random numbers."""
    collected = [_collections(hours, denial_factor) for hours in (4, 6, 8)]
    for less, more in itertools.pairwise(collected):
        assert more >= less * (1 - TOLERANCE), collected


def test_the_value_of_biller_time_rises_with_the_denial_rate_without_a_jump():
    """Two more hours of a biller a day (4 -> 6) are worth more collections as denials rise
    from 1x to 3x the baseline's rates, step by step, with no single step carrying most of the
    rise, up to a plateau: from about 2.5x both 4 and 6 hours are short of the work, the two
    extra hours are always fully used and their value levels off (a step may fall by 5% of the
    largest value, the noise of a paired difference there; measured, seed 1: $22.8k, $38.3k,
    $56.0k, $63.9k, $61.1k)."""
    factors = (1.0, 1.5, 2.0, 2.5, 3.0)
    value = [_collections(6, f) - _collections(4, f) for f in factors]
    rise = max(value) - value[0]
    assert rise > 0.5 * value[0] > 0, value
    steps = [b - a for a, b in itertools.pairwise(value)]
    assert min(steps) > -0.05 * max(value), value
    assert max(steps) < 0.6 * rise, value


def test_billers_leave_on_a_dated_change_and_the_queues_grow():
    """All billers leave mid-run: from that day nothing of theirs is worked, so the work
    waiting at the end is larger than with them."""
    change = [{"date": date(2027, 3, 1).isoformat(), "set": {"staff.billers.count": 0}}]
    stay = Practice(build({}), seed=2, replication=0)
    leave = Practice(build({"changes": change}), seed=2, replication=0)
    for p in (stay, leave):
        for day in range(p.ctx.n_days):
            p.day(day)
    assert sum(leave.work.pending) > 5 * max(1, sum(stay.work.pending))


def test_a_won_appeals_payment_is_a_posting_exception_like_any_remittance():
    """The payer pays after an appeal; its remittance, the claim's posting exception (its own
    draw under the rate), waits for a biller like a first one."""
    from practicesim import ledger as lg
    from practicesim.revenue.claims import U_POSTING_EXCEPTION

    p, day = office({"billing.posting_exception_rate": 0.5,
                     "billing.work_minutes.posting_exception": 30.0})
    c = claim(p, 1)
    u = list(c.u)
    u[U_POSTING_EXCEPTION] = 0.1
    c.u = u
    p.denials.appeals[day].append((c, True, 0, "50"))
    p.denials.on_day(day)
    assert p.work.pending[wq.POSTING] == 1 and c.paid_by_payer == 0
    p.work.on_day(day)
    assert p.work.pending[wq.POSTING] == 0 and c.paid_by_payer > 0
    rows = p.ctx.accounts.book.frame()
    assert (rows.loc[rows["kind"] == lg.PAYER_PAYMENT, "day"] == day).all()
