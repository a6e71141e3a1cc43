"""Payer adjudication: when the remittance comes, and what it says.

A claim accepted by the payer on day d is adjudicated on day ``d + max(floor_days,
ceil(lag), 1)``, the lag drawn from the payer's distribution (Medicare never pays a clean claim
before day 14), and its remittance is posted ``ceil(posting_lag_days)`` later. It is then
either denied with a CARC reason, or paid:

- allowed: by the payer's contract, line by line (``practicesim/contracts.py``: Medicare's
  allowed x ``allowed_pct_of_medicare`` or a ``fee_table``, x ``npp_pct`` for a nurse
  practitioner, at most the charge); lines it does not cover are the patient's (PR-49)
- contractual adjustment (CO-45) = charge - allowed - non-covered charges
- patient responsibility: the non-covered charges (PR-49), copay (PR-3, when the main line is
  cost-shared), then of the cost-shared allowed (preventive lines are not) for a patient on the
  payer's deductible plan (``cost_sharing.deductible_plan``) what is left of its deductible
  this year (PR-1, ``practicesim.deductibles``) and the plan's ``coinsurance`` of the rest
  (PR-2); otherwise either the rest to the deductible (PR-1, with ``deductible_probability``)
  or ``coinsurance`` of the rest (PR-2); a desk deposit is then applied to the patient's part
  and the excess refunded
- payer payment = allowed - patient responsibility.

A patient with secondary coverage (``payers[].secondary``) has the patient responsibility sent
to the secondary (``send_to_secondary``, ``pay_as_secondary``: ``payers[].as_secondary``); only
what the secondary leaves is billed to the patient.

Denials on a first submission: a claim with an error the scrubber missed is denied with one of
``billing.error_denial_reasons``; otherwise with probability ``denial.rate`` and a reason from
``denial.reasons``. A provider not enrolled with the payer on the date of service is denied
B7. A corrected claim is denied again with ``denial.resubmission_denial_rate``. A submission the
payer never answers (``no_response_rate``, each submission its own draw) waits for the
practice's status inquiry ``billing.follow_up_days`` later (a status check in the billers'
queues, ``revenue/work.py``) and is sent again when the check is worked (a claim still
unanswered past its timely-filing limit is then denied CO-29); a claim the payer answers later
than that is checked too, every ``follow_up_days`` until it does, at no other effect. A paid
remittance (a won appeal's too) is posted by hand with ``billing.posting_exception_rate``
(when a biller works it), and a secondary claim that is not a crossover goes out when a biller
sends it. A first
submission the payer pends (``pend.rate``) is decided ``pend.days`` after its lag; one held for
the medical records (``pend.records_share``) gets a request after the lag, a biller sends them
(a records request in the billers' queues) and the payer decides ``pend.days`` later; records
not sent within ``pend.records_deadline_days`` of the request: the claim is denied CO-252.
A first-pass eligibility denial (``front_office.eligibility_reasons``) of a visit whose
coverage was verified before it is avoided with ``front_office.eligibility_fix_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.revenue.claims import (
    AT_PAYER,
    AT_SECONDARY,
    TIMELY_FILING,
    U_DENY,
    U_NO_RESPONSE,
    U_PEND,
    U_PEND_DAYS,
    U_POSTING_EXCEPTION,
    U_REASON,
    U_RECORDS,
    U_RESUBMITTED,
    U_SECONDARY_LAG,
    U_SECONDARY_POSTING,
    U_SECONDARY_SEND,
    U_UNDERPAID,
    U_UNDERPAYMENT_DAYS,
    U_UNDERPAYMENT_FOUND,
    U_UNDERPAYMENT_WON,
    Claim,
)
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.denials import denial_rule
from practicesim.revenue.lines import LineDenials
from practicesim.revenue.work import (
    POSTING,
    RECORDS,
    SECONDARY,
    STATUS_CHECK,
    UNDERPAYMENT,
    Task,
    WorkQueues,
)
from practicesim.scenario.payers import Payer

RECORDS_MISSING = "252"
"""CARC of a pended claim whose records did not reach the payer by its deadline (an
attachment or other documentation is required to adjudicate the claim)."""


def _resubmission(claim: Claim) -> int:
    """Where this resubmission's draws start in ``claim.u`` (the second and later share)."""
    return U_RESUBMITTED + 3 * min(claim.submissions - 2, 1)


def pick(shares: dict[str, float], u: float) -> str:
    """The key whose cumulative share first exceeds ``u`` (u uniform in [0, 1))."""
    total = 0.0
    key = ""
    for key, share in shares.items():
        total += share
        if u < total:
            return key
    return key


class Adjudication:
    """Payers' decisions on submitted claims, and the posting of their remittances."""

    def __init__(self, ctx: RevenueContext, work: WorkQueues, lines: LineDenials,
                 to_denials: Callable[[int, Claim, str], None],
                 to_patient: Callable[[int, Claim], None],
                 to_resend: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.work = work
        self.lines = lines
        self.to_denials = to_denials
        self.to_patient = to_patient
        self.to_resend = to_resend
        self.due: list[list[Claim]] = day_buckets(ctx.n_days)
        self.unanswered: list[list[Claim]] = day_buckets(ctx.n_days)
        """Claims the payer never answered, by the day the practice follows them up."""
        self.slow: list[list[tuple[Claim, int]]] = day_buckets(ctx.n_days)
        """Claims the payer answers after the follow-up interval, by the day they are checked:
        (claim, the day the payer answers)."""
        self.requests: list[list[Claim]] = day_buckets(ctx.n_days)
        """Pended claims whose medical records the payer asks for, by the day it asks."""
        self.records_due: list[list[Task]] = day_buckets(ctx.n_days)
        """Records requests, by the day after the payer's deadline (denied if still unsent)."""
        self.secondary_due: list[list[Claim]] = day_buckets(ctx.n_days)
        self.underpayments: list[list[tuple[Claim, Task, bool | None]]] = day_buckets(
            ctx.n_days)
        """Found underpayments: decisions on their appeals (claim, task, won?) and the expiry
        of those still unworked when the appeal window closes (won: None)."""
        payers = ctx.scenario.payers
        self.lags = [p.lag_days for p in payers]
        self.posting_lag = ctx.scenario.billing.posting_lag_days

    def receive(self, day: int, claim: Claim) -> None:
        """The payer accepted the claim on ``day``; schedule its remittance, or, if the payer
        never answers this submission, the practice's follow-up."""
        payer = self.ctx.scenario.payers[claim.payer]
        claim.stage = AT_PAYER
        submissions = claim.submissions
        n_days = self.ctx.n_days
        if claim.u[U_NO_RESPONSE + (submissions - 1 if submissions < 4 else 3)] < (
                payer.no_response_rate):
            follow_up = day + self.ctx.scenario.billing.follow_up_days
            if follow_up < n_days:
                self.unanswered[follow_up].append(claim)
            return
        if submissions == 1:
            lag, posting = claim.first_lag, claim.first_posting_lag
        else:
            u = claim.u[_resubmission(claim) + 1:]
            lag = self.lags[claim.payer].quantile(u[0])
            posting = self.posting_lag.quantile(u[1])
        answered = day + max(payer.floor_days, math.ceil(lag), 1)
        if submissions == 1 and claim.u[U_PEND] < payer.pend.rate:
            claim.pended = True
            if claim.u[U_RECORDS] < payer.pend.records_share:
                if answered < n_days:
                    self.requests[answered].append(claim)
                self._check_if_slow(day, claim, answered)
                return
            answered += self._pend_days(claim, payer)
        posting_days = math.ceil(posting)
        when = answered + (posting_days if posting_days > 0 else 0)
        if when < n_days:
            self.due[when].append(claim)
        self._check_if_slow(day, claim, answered)

    @staticmethod
    def _pend_days(claim: Claim, payer: Payer) -> int:
        """Days the payer's manual review of a pended claim takes."""
        return max(1, math.ceil(payer.pend.days.quantile(claim.u[U_PEND_DAYS])))

    def _request_records(self, day: int, claim: Claim) -> None:
        """The payer asks on ``day`` for the medical records of a pended claim: a biller sends
        them, by the payer's deadline, else the claim is denied CO-252 the day after it."""
        claim.records_requested = True
        deadline = day + self.ctx.scenario.payers[claim.payer].pend.records_deadline_days
        task = self.work.add(day, RECORDS, claim, deadline, self._records_sent)
        if not task.done and deadline + 1 < self.ctx.n_days:
            self.records_due[deadline + 1].append(task)

    def _records_sent(self, day: int, task: Task) -> None:
        """The records reach the payer on ``day``: it decides after its review days, and the
        remittance is posted after the posting lag."""
        claim = task.claim
        answered = day + self._pend_days(claim, self.ctx.scenario.payers[claim.payer])
        when = answered + max(0, math.ceil(claim.first_posting_lag))
        if when < self.ctx.n_days:
            self.due[when].append(claim)
        self._check_if_slow(day, claim, answered)

    def _check_if_slow(self, day: int, claim: Claim, answered: int) -> None:
        """A claim sent on ``day`` that the payer answers only on ``answered`` gets a status
        check every ``follow_up_days`` before that (when checks take billers' time)."""
        billing = self.ctx.scenario.billing
        check = day + billing.follow_up_days
        if billing.work_minutes.status_check and check < answered and check < self.ctx.n_days:
            self.slow[check].append((claim, answered))

    def resume(self, day: int, claim: Claim, submitted_day: int, u_lag: float,
               u_posting: float) -> None:
        """An opening claim sent to the payer on ``submitted_day`` (before the run) and not yet
        posted. Its remittance is posted ``max(floor, ceil(lag), 1) + ceil(posting)`` days
        after submission, as for any claim; given that this is not before ``day``, the lag is
        drawn conditioned on ``ceil(lag) >= day - submitted_day - ceil(posting)`` unless the
        payer's floor alone already holds the claim that long."""
        payer = self.ctx.scenario.payers[claim.payer]
        posting = max(0, math.ceil(self.posting_lag.quantile(u_posting)))
        needed = day - submitted_day - posting
        dist = self.lags[claim.payer]
        if max(payer.floor_days, 1) >= needed:
            lag = dist.quantile(u_lag)
        else:
            lag = dist.residual(needed - 1, u_lag)
        claim.stage = AT_PAYER
        when = submitted_day + max(payer.floor_days, math.ceil(lag), 1) + posting
        if when < self.ctx.n_days:
            self.due[max(day, when)].append(claim)

    def on_day(self, day: int) -> None:
        for claim in self.unanswered[day]:
            self.work.add(day, STATUS_CHECK, claim, self.ctx.filing_limit(claim), self._resend)
        self.unanswered[day] = []
        for claim, answered in self.slow[day]:
            self.work.add(day, STATUS_CHECK, claim, self.ctx.filing_limit(claim), self._checked,
                          void_day=answered)
        self.slow[day] = []
        for claim in self.requests[day]:
            self._request_records(day, claim)
        self.requests[day] = []
        for task in self.records_due[day]:
            if not task.done:
                self.work.cancel(task)
                self._deny(day, task.claim, RECORDS_MISSING)
        self.records_due[day] = []
        for claim in self.due[day]:
            reason = self._denial_reason(claim, claim.denials == 0)
            if reason and self.lines.splits(claim, reason):
                reason = ""
            if reason:
                self._deny(day, claim, reason)
            else:
                self.post(day, claim)
            if claim.first_adjudication_day < 0:
                claim.first_adjudication_day = day
        self.due[day] = []
        rate = self.ctx.scenario.billing.posting_exception_rate
        for claim in self.secondary_due[day]:
            u = self._secondary_decision(day, claim)
            if u is None:
                continue
            if u < rate:
                self.work.add(day, POSTING, claim, day, self._posted_as_secondary)
            else:
                self.pay_as_secondary(day, claim)
        self.secondary_due[day] = []
        for claim, task, won in self.underpayments[day]:
            if won is not None:
                self._close_underpayment(day, claim, won)
            elif not task.done:
                self.work.cancel(task)
                self._close_underpayment(day, claim, False)
        self.underpayments[day] = []

    def post(self, day: int, claim: Claim) -> None:
        """The payer's paid remittance arrives on ``day`` (a first decision, a corrected claim,
        or a won appeal): posted at once, or by a biller when it is a posting exception."""
        if claim.u[U_POSTING_EXCEPTION] < self.ctx.scenario.billing.posting_exception_rate:
            self.work.add(day, POSTING, claim, day, self._posted)
        else:
            self.pay(day, claim)

    def _deny(self, day: int, claim: Claim, reason: str) -> None:
        """The payer denies the claim on ``day`` with CARC ``reason``."""
        if claim.first_adjudication_day < 0:
            claim.first_adjudication_day = day
            claim.initial_denial_reason = reason
        claim.denials += 1
        self.ctx.accounts.event(day, claim, lg.DENIAL, "CO", reason)
        self.to_denials(day, claim, reason)

    def _resend(self, day: int, task: Task) -> None:
        self.to_resend(day, task.claim)

    def _checked(self, day: int, task: Task) -> None:
        """A slow claim's status check found it in process: check again later."""
        self._check_if_slow(day, task.claim, task.void_day)

    def _posted(self, day: int, task: Task) -> None:
        self.pay(day, task.claim)

    def _posted_as_secondary(self, day: int, task: Task) -> None:
        self.pay_as_secondary(day, task.claim)

    def _denial_reason(self, claim: Claim, first: bool) -> str:
        """The CARC the payer denies the claim with ("" if it pays): ``first`` (never denied
        before; a claim sent again after no answer is still on its first pass), from its errors
        and the payer's denial rate; else (a corrected claim) with the resubmission rate."""
        payer = self.ctx.scenario.payers[claim.payer]
        if not self.ctx.enrolled(claim, claim.payer):
            return "B7"
        if claim.authorization_missing and first:
            return "197"
        if not first:
            rule = denial_rule(self.ctx.scenario, claim.initial_denial_reason)
            again = payer.denial.resubmission_denial_rate
            if rule.action == "correct" and rule.success_rate is not None:
                again = 1.0 - rule.success_rate
            again *= claim.correction_error_factor
            if claim.u[_resubmission(claim)] < again:
                return claim.initial_denial_reason or pick(payer.denial.reasons,
                                                           claim.u[U_REASON])
            return ""
        draw, mix = claim.u[U_DENY], claim.u[U_REASON]
        if claim.has_error:
            return pick(self.ctx.scenario.billing.error_denial_reasons, mix)
        rate = payer.denial.rate
        if claim.vendor_coded:
            rate = min(1.0, rate * self.ctx.scenario.outsourcing.denial_rate_factor)
        if draw < rate:
            reason = pick(payer.denial.reasons, mix)
            office = self.ctx.scenario.front_office
            # given a denial, draw / rate is a fresh uniform, independent of the reason's draw
            if (claim.verified and reason in office.eligibility_reasons
                    and draw / rate < office.eligibility_fix_rate):
                return ""
            return reason
        return ""

    def pay(self, day: int, claim: Claim) -> None:
        """Post a paid remittance: contractual adjustment, patient responsibility (the charges
        of non-covered lines, then cost sharing), payment."""
        ctx = self.ctx
        payer = ctx.scenario.payers[claim.payer]
        accounts = ctx.accounts
        contract = ctx.allowed(claim, omit=claim.denied_line)
        line = self.lines.decide(day, claim) if claim.denied_line >= 0 else 0
        non_covered = contract.non_covered
        # Cash the desk took is not refunded: the patient's part is at least that (matters when
        # a dated change or a rebilled claim changes the terms after the visit).
        taken = claim.copay_collected_cents
        desk = taken - non_covered if taken > non_covered else 0
        allowed = desk if desk > contract.allowed else contract.allowed
        copay, deductible, coinsurance = ctx.responsibility(claim, payer.cost_sharing, contract,
                                                            allowed, desk)
        contracted = allowed - copay - deductible - coinsurance
        short = self._underpaid(claim, payer, contracted)
        found = short > 0 and claim.u[U_UNDERPAYMENT_FOUND] < (
            ctx.scenario.billing.underpayment_review.detection_rate)
        claim.underpayment_open = short if found else 0
        to_secondary = claim.secondary >= 0 and (
            copay - (taken if taken < copay else copay) + deductible + coinsurance > 0)
        # an underpayment not found is posted as the payer's 835 says: a larger CO-45
        accounts.remit(day, claim, claim.charge_cents - line - allowed - non_covered + short - (
            claim.underpayment_open), copay, deductible, coinsurance, contracted - short,
                       to_secondary, non_covered)
        fee_rate = ctx.vendor.fee_rate(day, ctx.scenario.outsourcing, claim)
        ctx.finance.collected(day, contracted - short, fee_rate, claim.provider)
        if found:
            self._review(day, claim, payer.appeal_window_days)
        if to_secondary:
            self.send_to_secondary(day, claim)
        else:
            ctx.settle_deposit(day, claim)
            if claim.patient_balance:
                self.to_patient(day, claim)
        self.lines.rework(day, claim)

    def _underpaid(self, claim: Claim, payer: Payer, contracted: int) -> int:
        """Cents the payer withholds of its ``contracted`` payment (``payers[].underpayment``),
        recorded on the claim."""
        terms = payer.underpayment
        short = 0
        if contracted > 0 and claim.u[U_UNDERPAID] < terms.rate:
            short = round(contracted * terms.short)
        claim.contracted_cents = contracted
        claim.underpaid_cents = short
        return short

    def _review(self, day: int, claim: Claim, window: int) -> None:
        """An underpayment found on ``day``: a biller researches and appeals it, within the
        payer's appeal window, else it is adjusted off the day after the window closes."""
        deadline = day + window
        task = self.work.add(day, UNDERPAYMENT, claim, deadline, self._appealed)
        if not task.done and deadline + 1 < self.ctx.n_days:
            self.underpayments[deadline + 1].append((claim, task, None))

    def _appealed(self, day: int, task: Task) -> None:
        """The underpayment's appeal goes to the payer: decided ``decision_days`` later."""
        claim = task.claim
        review = self.ctx.scenario.billing.underpayment_review
        if day > task.deadline:
            self._close_underpayment(day, claim, False)
            return
        when = day + max(1, math.ceil(review.decision_days.quantile(
            claim.u[U_UNDERPAYMENT_DAYS])))
        if when < self.ctx.n_days:
            won = claim.u[U_UNDERPAYMENT_WON] < review.success_rate
            self.underpayments[when].append((claim, task, won))

    def _close_underpayment(self, day: int, claim: Claim, won: bool) -> None:
        """The payer pays the difference (``won``), else the practice adjusts it off (both
        posted with reason ``underpayment``, no CAS group)."""
        owed, claim.underpayment_open = claim.underpayment_open, 0
        if won:
            self.ctx.accounts.reduce(day, claim, lg.PAYER_PAYMENT, owed, "", lg.UNDERPAYMENT)
            claim.underpayment_recovered_cents += owed
            fee_rate = self.ctx.vendor.fee_rate(day, self.ctx.scenario.outsourcing, claim)
            self.ctx.finance.collected(day, owed, fee_rate, claim.provider)
        else:
            self.ctx.accounts.reduce(day, claim, lg.CONTRACTUAL, owed, "", lg.UNDERPAYMENT)

    def send_to_secondary(self, day: int, claim: Claim, sent: bool = False) -> None:
        """The primary's remittance was posted on ``day``: the secondary receives the claim at
        once (crossover; or already ``sent``, a warm start's claim) or when a biller sends it
        (a secondary claim in the billers' queues), no sooner than ``send_days`` later."""
        rule = self.ctx.scenario.payers[claim.secondary].as_secondary
        claim.stage = AT_SECONDARY
        if rule.crossover or sent:
            self._at_secondary(day, claim, resumed=sent)
            return
        send = max(0, math.ceil(rule.send_days.quantile(claim.u[U_SECONDARY_SEND])))
        self.work.add(day, SECONDARY, claim, self.ctx.filing_limit(claim, claim.secondary),
                      self._secondary_sent, ready=day + send)

    def _secondary_decision(self, day: int, claim: Claim) -> float | None:
        """None if the secondary denies the claim on ``day`` (past its timely-filing limit, or
        one of the first claims it denies: ``as_secondary.denial_rate``; a secondary that has
        not enrolled the provider only pays nothing, B7), else a uniform for
        the posting-exception draw (the claim's own, rescaled past the denial draw, so that a
        denial rate of 0 leaves it as it was)."""
        terms = self.ctx.scenario.payers[claim.secondary].as_secondary
        u = claim.u[U_POSTING_EXCEPTION + 1]
        if not self.ctx.enrolled(claim, claim.secondary):
            return u  # a provider it has not enrolled: it pays nothing (B7, pay_as_secondary)
        sent = claim.secondary_sent_day
        if sent >= 0 and sent > self.ctx.filing_limit(claim, claim.secondary):
            self._deny_secondary(day, claim, TIMELY_FILING)
            return None
        rate = terms.denial_rate
        if u < rate:
            if claim.secondary_denials == 0:
                self._deny_secondary(day, claim, terms.denial_reason)
                return None
            return u / rate
        return (u - rate) / (1 - rate)

    def _deny_secondary(self, day: int, claim: Claim, reason: str) -> None:
        """The secondary denies the claim on ``day`` (CO-``reason``, in its name): past the
        filing limit its part is written off, else a biller sends the claim again."""
        self.ctx.accounts.event(day, claim, lg.DENIAL, "CO", reason, payer=claim.secondary)
        if reason == TIMELY_FILING:
            self.ctx.accounts.write_off_secondary(day, claim, reason)
            self.ctx.settle_deposit(day, claim)
            if claim.patient_balance:
                self.to_patient(day, claim)
            return
        claim.secondary_denials += 1
        self.work.add(day, SECONDARY, claim, self.ctx.filing_limit(claim, claim.secondary),
                      self._secondary_sent, ready=day)

    def _secondary_sent(self, day: int, task: Task) -> None:
        self._at_secondary(max(day, task.ready), task.claim)

    def _at_secondary(self, day: int, claim: Claim, resumed: bool = False) -> None:
        """The secondary receives the claim on ``day`` (``resumed``: a warm start's claim it
        received before the run, whose day is not known); its remittance is posted after its
        lag and the posting lag."""
        u = claim.u
        if not resumed:
            claim.secondary_sent_day = day
        lag = max(1, math.ceil(self.lags[claim.secondary].quantile(u[U_SECONDARY_LAG])))
        posting = max(0, math.ceil(self.posting_lag.quantile(u[U_SECONDARY_POSTING])))
        when = day + lag + posting
        if when < self.ctx.n_days:
            self.secondary_due[when].append(claim)

    def pay_as_secondary(self, day: int, claim: Claim) -> None:
        """Post the secondary's remittance: of each part the primary left (copay, deductible,
        coinsurance) its ``pays`` share, at most (``up_to_own_allowed``) its own allowed amount
        less the primary's payment; the rest to the patient, or written off (CO-23) when the
        secondary's patients cannot be billed. A secondary the provider is not enrolled with
        pays nothing (written off as CO-B7 when its patients cannot be billed)."""
        terms = self.ctx.scenario.payers[claim.secondary]
        rule = terms.as_secondary
        parts = claim.secondary_parts
        enrolled = self.ctx.enrolled(claim, claim.secondary)
        pays = [round(part * rule.pays.get(name, 0.0)) if enrolled else 0
                for part, name in zip(parts, ("copay", "deductible", "coinsurance"), strict=True)]
        if rule.up_to_own_allowed:
            primary = self.ctx.scenario.payers[claim.payer]
            own = self.ctx.allowed(claim, claim.secondary, primary.non_covered).allowed
            excess = sum(pays) - max(0, own - claim.paid_by_payer - claim.prior_paid_cents)
            for i in range(3):
                cut = min(max(excess, 0), pays[i])
                pays[i] -= cut
                excess -= cut
        left = tuple(part - pay for part, pay in zip(parts, pays, strict=True))
        paid = sum(pays)
        adjusted = 0 if rule.bills_patient else sum(left)
        self.ctx.accounts.remit_secondary(day, claim, paid, adjusted,
                                          left if rule.bills_patient else (0, 0, 0),
                                          "23" if enrolled else "B7")
        fee_rate = self.ctx.vendor.fee_rate(day, self.ctx.scenario.outsourcing, claim)
        self.ctx.finance.collected(day, paid, fee_rate, claim.provider)
        self.ctx.settle_deposit(day, claim)
        if claim.patient_balance:
            self.to_patient(day, claim)
