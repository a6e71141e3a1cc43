"""Denial management: what billers do with each denial, its deadlines, odds and appeals.

Each denial's CARC reason maps to a rule (``billing.denial_actions`` over ``DEFAULT_RULES``):

- *correct* (missing information, coding): fixed and sent again; the payer pays it with the
  rule's ``success_rate`` (default: 1 - the payer's ``resubmission_denial_rate``);
- *appeal* (medical necessity, authorisation, bundling): filed within the payer's appeal window
  and decided ``appeal_decision_days`` later, won with the rule's ``success_rate`` (default
  ``appeal_success_rate``); a lost appeal goes on to the ``further_appeals`` levels in turn,
  each taken with its ``pursued`` share, filed within its window (a new item for the billers),
  decided after its ``decision_days`` and won with its ``success_rate``; lost at the last
  level, it is written off with the claim's first denial reason;
- *other_coverage* (eligibility: coordination of benefits, coverage ended, patient not found,
  wrong payer): the same payer rarely pays. Worked by a biller, the patient's right payer is
  found with ``success_rate`` (drawn among the other insurers by their shares; the claim is
  billed to it the next day, its later rows in that payer's name; once only: a second
  eligibility denial is not rebilled); else the patient is billed
  at self-pay terms (the self-pay discount) with ``patient_share``, else it is written off;
- *bill_patient* (a service the plan does not cover): the patient owes the payer's allowed
  amount (the rest a contractual adjustment), billed by statement;
- *write_off*: written off at once.

Billers work each denial among their other work (``practicesim/revenue/work.py``), taking
``rework_minutes_per_denial`` (a further appeal level too). A correction or a rebilling must
reach the payer within the timely-filing limit (from the date of service) and an appeal must
be filed within its window: the deadline day itself still counts, and an item unworked after
it is written off (CO-29 for timely filing). A claim denied three times is written off. From
an outsourcing vendor's start (``revenue/vendor.py``), if denials are in its scope, the vendor
works them instead, a number a day (its capacity), in the same priority order and with its own
appeal success rate (at the first level).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.contracts import rebilled_lines
from practicesim.revenue.claims import (
    APPEAL,
    DENIED,
    TIMELY_FILING,
    U_APPEALS,
    U_LEVELS,
    U_OTHER_COVERAGE,
    U_REWORK,
    Claim,
)
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.work import DENIAL, Deadlines, Task, WorkQueues
from practicesim.scenario import DenialRule, Scenario


def _rules(action: str, reasons: str, **odds: float) -> dict[str, DenialRule]:
    return {reason: DenialRule(action=action, **odds) for reason in reasons.split()}


DEFAULT_RULES: dict[str, DenialRule] = {
    **_rules("correct", "4 11 16 125 252"),
    **_rules("appeal", "15 50 97 197 151"),
    # coordination of benefits: the other payer is usually on file
    **_rules("other_coverage", "22", success_rate=0.8, patient_share=0.5),
    # wrong payer or contractor billed
    **_rules("other_coverage", "109", success_rate=0.7, patient_share=0.5),
    # coverage ended: PR-27, the patient owes what no other plan pays
    **_rules("other_coverage", "27", success_rate=0.3, patient_share=1.0),
    # patient not identified as insured, not an eligible dependent
    **_rules("other_coverage", "31 33", success_rate=0.3, patient_share=0.5),
    **_rules("bill_patient", "96 204"),
    **_rules("write_off", "18 29 B7"),
}
"""What billers do with a denial by CARC reason, and its odds; unknown reasons are corrected.
The odds of ``other_coverage`` are assumptions (docs/model-reference.md)."""
CORRECT = DenialRule(action="correct")
MAX_DENIALS = 3


def denial_rule(scenario: Scenario, reason: str) -> DenialRule:
    """The scenario's rule for a CARC reason, else the package default, else *correct*."""
    return scenario.billing.denial_actions.get(reason) or DEFAULT_RULES.get(reason, CORRECT)


class DenialQueue:
    """Denials waiting for rework, their deadlines, and appeals waiting for a decision."""

    def __init__(self, ctx: RevenueContext, work: WorkQueues,
                 resubmit: Callable[[int, Claim], None], pay: Callable[[int, Claim], None],
                 to_patient: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.work = work
        self.resubmit = resubmit
        self.pay = pay
        self.to_patient = to_patient
        self.deadlines = Deadlines(work)
        self.appeals: list[list[tuple[Claim, bool, int, str]]] = day_buckets(ctx.n_days)
        """Per day: appeals decided that day (claim, won?, level, denial reason)."""
        self.appeal_days = ctx.scenario.billing.appeal_decision_days

    @property
    def backlog(self) -> int:
        """Denials waiting for rework."""
        return self.work.pending[DENIAL]

    def receive(self, day: int, claim: Claim, reason: str, denied_day: int | None = None) -> None:
        """A denial arrived on ``day``: act on it at once or queue it for a biller.
        ``denied_day``: the day of the denial when earlier (an opening claim denied before the
        run)."""
        u = claim.u[U_REWORK + min(max(claim.denials - 1, 0), 2)]
        minutes = self.ctx.scenario.billing.rework_minutes_per_denial.quantile(u)
        action = denial_rule(self.ctx.scenario, reason).action
        if claim.denials >= MAX_DENIALS:
            action = "write_off"
        if action == "bill_patient":
            self._bill_patient(day, claim, reason)
            return
        if action == "appeal":
            window = self.ctx.scenario.payers[claim.payer].appeal_window_days
            deadline = (day if denied_day is None else denied_day) + window
        else:
            deadline = self.ctx.filing_limit(claim)
        if action == "write_off" or deadline < day:
            late = reason if action in ("appeal", "write_off") else TIMELY_FILING
            self._write_off(day, claim, late)
            return
        self._queue(day, claim, deadline, minutes, action, reason, 0)

    def _queue(self, day: int, claim: Claim, deadline: int, minutes: float, action: str,
               reason: str, level: int) -> None:
        claim.stage = DENIED
        task = self.work.add(day, DENIAL, claim, deadline, self._work, minutes,
                             action=action, reason=reason, level=level)
        self.deadlines.add(task)

    def _write_off(self, day: int, claim: Claim, reason: str) -> None:
        self.ctx.accounts.reduce(day, claim, lg.DENIAL_WRITEOFF, claim.balance, "CO", reason)
        self.ctx.settle_deposit(day, claim)

    def on_day(self, day: int) -> None:
        """Appeals decided today, and denials past their deadlines written off (before the
        billers' day)."""
        self._decide_appeals(day)
        self._expire(day)

    def _work(self, day: int, item: Task) -> None:
        claim = item.claim
        if item.action == "correct":
            claim.correction_error_factor = (
                1.0 if claim.vendor_reworked else self.ctx.workforce.error_factor("billers", day))
            self.resubmit(day, claim)
        elif item.action == "other_coverage":
            self._other_coverage(day, claim, item.reason)
        else:
            self._appeal(day, claim, item.level, item.reason)

    def _appeal(self, day: int, claim: Claim, level: int, reason: str) -> None:
        """File the appeal of ``level`` (0: the first) on ``day``; its outcome and decision day
        come from the claim's own draws."""
        claim.stage = APPEAL
        billing = self.ctx.scenario.billing
        if level == 0:
            k = U_APPEALS + 2 * min(claim.appeals, 1)
            days = self.appeal_days.quantile(claim.u[k + 1])
            success = denial_rule(self.ctx.scenario, reason).success_rate
            if success is None:
                success = billing.appeal_success_rate
            vendor_rate = self.ctx.scenario.outsourcing.appeal_success_rate
            if self.ctx.vendor.works_denials(day) and vendor_rate is not None:
                success = vendor_rate
            won = claim.u[k] < success
        elif level > len(billing.further_appeals):  # the level was dropped by a dated change
            self._write_off(day, claim, claim.initial_denial_reason or "50")
            return
        else:
            spec = billing.further_appeals[level - 1]
            base = U_LEVELS + 4 * (level - 1)
            days = spec.decision_days.quantile(claim.u[base + 2])
            won = claim.u[base + 1] < spec.success_rate
        claim.appeals += 1
        when = day + max(1, math.ceil(days))
        if when < self.ctx.n_days:
            self.appeals[when].append((claim, won, level, reason))

    def resume_appeal(self, day: int, claim: Claim, filed_day: int) -> None:
        """An opening claim appealed on ``filed_day`` (before the run), decision pending: the
        decision time is drawn given that it exceeds the days already waited."""
        claim.stage = APPEAL
        claim.appeals = max(claim.appeals, 1)
        waited = self.appeal_days.residual(max(0, day - filed_day - 1), claim.u[U_APPEALS + 1])
        when = max(day, filed_day + max(1, math.ceil(waited)))
        won = claim.u[U_APPEALS] < self.ctx.scenario.billing.appeal_success_rate
        if when < self.ctx.n_days:
            self.appeals[when].append((claim, won, 0, claim.initial_denial_reason))

    def _decide_appeals(self, day: int) -> None:
        """Won appeals are paid; a lost one goes to the next level (its ``pursued`` share, as
        a new item for the billers) or is written off."""
        further = self.ctx.scenario.billing.further_appeals
        rework = self.ctx.scenario.billing.rework_minutes_per_denial
        for claim, won, level, reason in self.appeals[day]:
            if won:
                self.pay(day, claim)
                continue
            if level < len(further):
                spec, base = further[level], U_LEVELS + 4 * level
                if claim.u[base] < spec.pursued:
                    minutes = rework.quantile(claim.u[base + 3])
                    self._queue(day, claim, day + spec.window_days, minutes, "appeal", reason,
                                level + 1)
                    continue
            self._write_off(day, claim, claim.initial_denial_reason or "50")
        self.appeals[day] = []

    def _other_coverage(self, day: int, claim: Claim, reason: str) -> None:
        """An eligibility denial worked on ``day``: bill the patient's right payer if found (in
        the next day's batch), else the patient at self-pay terms, else write it off."""
        rule = denial_rule(self.ctx.scenario, reason)
        u = claim.u
        if not claim.rebilled and u[U_OTHER_COVERAGE] < (rule.success_rate or 0.0):
            other = self._other_payer(claim, u[U_OTHER_COVERAGE + 1])
            if other >= 0:
                claim.charged_payer = claim.payer
                claim.payer = other
                claim.rebilled = True
                claim.lines = rebilled_lines(self.ctx.scenario, self.ctx.scenario.payers[other],
                                             claim.lines)
                claim.secondary = -1
                claim.correction_error_factor = 1.0
                self.resubmit(day, claim)
                return
        if u[U_OTHER_COVERAGE + 2] < rule.patient_share:
            payers = self.ctx.scenario.payers
            discount = next((p.self_pay_discount for i, p in enumerate(payers)
                             if i in self.ctx.self_pay_index), 0.0)
            self._to_patient(day, claim, round(claim.charge_cents * (1 - discount)), "", "")
            return
        self._write_off(day, claim, reason)

    def _other_payer(self, claim: Claim, u: float) -> int:
        """An insurer other than the claim's, drawn by the payers' shares (-1: none)."""
        payers = self.ctx.scenario.payers
        others = [i for i, p in enumerate(payers)
                  if p.share > 0 and i != claim.payer and i not in self.ctx.self_pay_index]
        total = sum(payers[i].share for i in others)
        cumulative = 0.0
        for i in others:
            cumulative += payers[i].share / total
            if u < cumulative:
                return i
        return others[-1] if others else -1

    def _bill_patient(self, day: int, claim: Claim, reason: str) -> None:
        """A service the plan does not cover: the patient owes the payer's allowed amount."""
        contract = self.ctx.allowed(claim)
        self._to_patient(day, claim, contract.allowed + contract.non_covered, "45", reason)

    def _to_patient(self, day: int, claim: Claim, owed: int, adjustment: str,
                    reason: str) -> None:
        """The patient owes ``owed`` cents in all (at least what it paid at the desk), less what
        it paid: the charge above it is a contractual adjustment (CO-``adjustment``) and the
        whole ``owed`` a transfer PR-``reason`` (both "": the practice's own self-pay terms,
        no CARC); then the desk's deposit is applied and the balance billed."""
        accounts = self.ctx.accounts
        # what the patient paid at the desk (before the run too, on a warm start's claim): a
        # denied claim has no payer payment. As in a remittance, the patient owes at least that
        # (a copay taken is not refunded), so the rows add up to the charge, as an 835's do.
        paid = claim.charge_cents - claim.balance
        owed = min(max(owed, paid), claim.charge_cents)
        accounts.reduce(day, claim, lg.CONTRACTUAL, claim.charge_cents - owed,
                        "CO" if adjustment else "", adjustment)
        accounts.transfer_to_patient(day, claim, owed, reason)
        claim.patient_balance = claim.balance
        self.ctx.settle_deposit(day, claim)
        if claim.balance:
            self.to_patient(day, claim)

    def _expire(self, day: int) -> None:
        for task, reason in self.deadlines.expired(day):
            self._write_off(day, task.claim, reason)
