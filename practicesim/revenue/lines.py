"""Line-level denials: a payer pays a claim but one of its lines.

On its first decision of a claim with add-on lines, a payer that denies it with a line-level
CARC (``billing.line_level_reasons``: 4, 11, 96, 97, 151, 204 by default) denies one line
instead, drawn with equal odds among the lines after the visit's main code that the payer
covers (one it does not cover is the patient's already, PR-49), and pays the others in the
same remittance. A claim of one line (or no covered add-on), a claim denied before, a reason
whose rule is ``other_coverage`` (eligibility concerns the whole claim), a claim whose
patient paid the desk more than its other lines' charges, or a claim of a patient with
secondary coverage (the line's cost sharing would need a second secondary claim, not
modelled) is denied whole
(``revenue/denials.py``). The ledger gets a ``line_denial`` row with the line's charge; then,
by the reason's rule (``billing.denial_actions`` over the package defaults):

- *bill_patient* (96, 204: a service the plan does not cover): the patient owes the line's
  allowed amount under the payer's contract (PR-``reason``), the rest of its charge is a
  contractual adjustment (CO-45), both in the remittance;
- *write_off*: the line's charge is written off at once (CO-``reason``);
- *correct* (4, 11: a modifier or diagnosis to fix) and *appeal* (97, 151): the line's charge
  stays open, owed by the payer, while a biller works it as a denial (its rework minutes, in
  the billers' denial queue; or the outsourcing vendor's): a corrected claim goes to the payer
  and is decided after its lag and posting lag, paid unless denied again (the rule's
  ``success_rate``, else the payer's ``resubmission_denial_rate``, times a new biller's error
  factor); an appeal is decided after ``appeal_decision_days``, won with the rule's
  ``success_rate`` (else ``appeal_success_rate``; the vendor's rate when it works denials).
  A lost line is written off (CO-``reason``): a second correction or a further appeal level
  is not pursued for one line. A line not worked within its deadline (the appeal window from
  the denial; the timely-filing limit for a correction) is written off (CO-29 for a
  correction).

A paid line is priced alone: its allowed amount by the payer's contract, its cost sharing as
for a claim without a copay (what is left of the patient's deductible, then coinsurance), and
posted at once (not a posting exception). The
patient's part joins the claim's patient balance: billed at once when no statement cycle of
the claim is running, else collected by it (a payment plan's last instalment takes what is
left).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.contracts import Allowed, allowed
from practicesim.encounter import Line
from practicesim.revenue.claims import (
    APPEAL,
    AT_PAYER,
    DENIED,
    TIMELY_FILING,
    U_LINE,
    U_LINE_DAYS,
    U_LINE_POSTING,
    U_LINE_WON,
    U_REWORK,
    Claim,
)
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.denials import denial_rule
from practicesim.revenue.work import DENIAL, Deadlines, Task, WorkQueues


class LineDenials:
    """Denied lines of paid claims: what the remittance does with them, and their rework."""

    def __init__(self, ctx: RevenueContext, work: WorkQueues,
                 to_patient: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.work = work
        self.to_patient = to_patient
        self.decisions: list[list[tuple[Claim, bool]]] = day_buckets(ctx.n_days)
        """Per day: corrected or appealed lines decided that day (claim, paid?)."""
        self.deadlines = Deadlines(work)

    def splits(self, claim: Claim, reason: str) -> bool:
        """Whether the payer's denial of ``claim`` with ``reason`` denies one line
        (then recorded on the claim: ``denied_line``, ``line_denial_reason``) rather than the
        claim."""
        scenario = self.ctx.scenario
        if (len(claim.lines) < 2 or claim.denials or claim.denied_line >= 0
                or claim.secondary >= 0 or reason not in scenario.billing.line_level_reasons
                or denial_rule(scenario, reason).action == "other_coverage"
                or not self.ctx.enrolled(claim, claim.payer)):
            return False
        non_covered = scenario.payers[claim.payer].non_covered
        covered = [i for i in range(1, len(claim.lines))
                   if claim.lines[i].code not in non_covered]
        if not covered:
            return False
        line = covered[min(int(claim.u[U_LINE] * len(covered)), len(covered) - 1)]
        if claim.balance < claim.lines[line].charge_cents:
            return False  # what the patient paid at the desk covers part of the line
        claim.denied_line = line
        claim.line_denial_reason = reason
        return True

    def decide(self, day: int, claim: Claim) -> int:
        """Post the denied line's rows of the payer's remittance on ``day`` (before its other
        rows) and return the line's charge, which the rest of the remittance leaves out."""
        line = claim.lines[claim.denied_line]
        reason = claim.line_denial_reason
        action = denial_rule(self.ctx.scenario, reason).action
        accounts = self.ctx.accounts
        billed = action == "bill_patient"
        accounts.line_denial(day, claim, line.charge_cents, "PR" if billed else "CO", reason)
        if billed:
            owed = self._allowed(claim, line)[0]
            accounts.reduce(day, claim, lg.CONTRACTUAL, line.charge_cents - owed, "CO", "45")
            accounts.transfer_to_patient(day, claim, owed, reason)
        elif action == "write_off":
            accounts.reduce(day, claim, lg.DENIAL_WRITEOFF, line.charge_cents, "CO", reason)
        else:
            claim.line_open = line.charge_cents
        return line.charge_cents

    def rework(self, day: int, claim: Claim) -> None:
        """After the remittance of ``day``: a line held open goes to the billers' denial
        queue, unless past its deadline already (then written off)."""
        if not claim.line_open:
            return
        reason = claim.line_denial_reason
        action = denial_rule(self.ctx.scenario, reason).action
        payer = self.ctx.scenario.payers[claim.payer]
        if action == "appeal":
            deadline = day + payer.appeal_window_days
        else:
            deadline = self.ctx.filing_limit(claim)
        if deadline < day:
            self._write_off(day, claim, TIMELY_FILING)
            return
        if not claim.patient_balance:
            claim.stage = DENIED
        minutes = self.ctx.scenario.billing.rework_minutes_per_denial.quantile(claim.u[U_REWORK])
        task = self.work.add(day, DENIAL, claim, deadline, self._work, minutes, action=action,
                             reason=reason)
        self.deadlines.add(task)

    def on_day(self, day: int) -> None:
        """Lines decided today are paid or written off; lines past their deadlines unworked
        are written off (before the billers' day)."""
        for claim, paid in self.decisions[day]:
            if paid:
                self._pay(day, claim)
            else:
                self._write_off(day, claim, claim.line_denial_reason)
        self.decisions[day] = []
        for task, reason in self.deadlines.expired(day):
            self._write_off(day, task.claim, reason)

    def _work(self, day: int, task: Task) -> None:
        """A biller (or the vendor) corrects or appeals the line on ``day``: its decision day
        and outcome come from the claim's own draws."""
        claim = task.claim
        scenario = self.ctx.scenario
        payer = scenario.payers[claim.payer]
        rule = denial_rule(scenario, task.reason)
        u = claim.u
        if not claim.patient_balance:
            claim.stage = APPEAL if task.action == "appeal" else AT_PAYER
        if task.action == "appeal":
            days = max(1, math.ceil(scenario.billing.appeal_decision_days.quantile(
                u[U_LINE_DAYS])))
            success = rule.success_rate
            if success is None:
                success = scenario.billing.appeal_success_rate
            vendor_rate = scenario.outsourcing.appeal_success_rate
            if self.ctx.vendor.works_denials(day) and vendor_rate is not None:
                success = vendor_rate
            paid = u[U_LINE_WON] < success
        else:
            self.ctx.accounts.event(day, claim, lg.SUBMISSION)
            lag = payer.lag_days.quantile(u[U_LINE_DAYS])
            posting = scenario.billing.posting_lag_days.quantile(u[U_LINE_POSTING])
            days = max(payer.floor_days, math.ceil(lag), 1) + max(0, math.ceil(posting))
            again = payer.denial.resubmission_denial_rate
            if rule.success_rate is not None:
                again = 1.0 - rule.success_rate
            if not claim.vendor_reworked:
                again *= self.ctx.workforce.error_factor("billers", day)
            paid = u[U_LINE_WON] >= again
        when = day + days
        if when < self.ctx.n_days:
            self.decisions[when].append((claim, paid))

    def _allowed(self, claim: Claim, line: Line) -> tuple[int, int]:
        """The payer's allowed amount for the line alone, and its cost-shared part (cents); a
        line of a code the payer does not cover is allowed its charge, all the patient's."""
        payer = self.ctx.scenario.payers[claim.payer]
        contract = allowed(payer, self.ctx.billed_as_npp(claim, claim.payer), (line,),
                           line.charge_cents, line.medicare_cents, video=claim.telehealth)
        return (contract.allowed + contract.non_covered,
                contract.cost_shared + contract.non_covered)

    def _pay(self, day: int, claim: Claim) -> None:
        """The payer pays the line on ``day``: CO-45 above its allowed amount, the patient's
        deductible and coinsurance (PR-1, PR-2), the payment."""
        line = claim.lines[claim.denied_line]
        payer = self.ctx.scenario.payers[claim.payer]
        amount, shared = self._allowed(claim, line)
        _, deductible, coinsurance = self.ctx.responsibility(
            claim, payer.cost_sharing, Allowed(amount, shared, False, 0), amount, 0)
        accounts = self.ctx.accounts
        claim.line_open = 0
        before = claim.patient_balance
        accounts.reduce(day, claim, lg.CONTRACTUAL, line.charge_cents - amount, "CO", "45")
        accounts.transfer_to_patient(day, claim, deductible, "1")
        accounts.transfer_to_patient(day, claim, coinsurance, "2")
        paid = amount - deductible - coinsurance
        accounts.reduce(day, claim, lg.PAYER_PAYMENT, paid)
        fee_rate = self.ctx.vendor.fee_rate(day, self.ctx.scenario.outsourcing, claim)
        self.ctx.finance.collected(day, paid, fee_rate, claim.provider)
        if claim.patient_balance and not before:
            self.to_patient(day, claim)

    def _write_off(self, day: int, claim: Claim, reason: str) -> None:
        """The line's open charge is written off (CO-``reason``)."""
        owed, claim.line_open = claim.line_open, 0
        self.ctx.accounts.reduce(day, claim, lg.DENIAL_WRITEOFF, owed, "CO", reason)

