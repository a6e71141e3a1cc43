"""Denial management: a finite team of billers working a prioritised queue.

Each denial is either written off at once or queued for rework, by its CARC reason
(``billing.denial_actions`` over ``DEFAULT_ACTIONS``): *correct* (fix and resubmit: missing
information, coding, eligibility, coordination of benefits) or *appeal* (medical necessity,
authorisation, bundling). Billers spend ``denial_share_of_biller_time`` of their hours on the
queue each clinic day, taking items in the order of ``queue_priority``; each item takes
``rework_minutes_per_denial``. A correction must reach the payer within the timely-filing limit
(from the date of service) and an appeal must be filed within the appeal window (from the
denial): the deadline day itself still counts, and an item unworked after it is written off
(CO-29 for timely filing). An appeal is decided after ``appeal_decision_days`` and succeeds with
``appeal_success_rate``. A corrected claim denied again is corrected again; a claim denied three
times is written off. From an outsourcing vendor's start (``revenue/vendor.py``), if denials are
in its scope, the vendor works the queue instead, a number of denials a day (its capacity), in
the same priority order and with its own appeal success rate.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.revenue.claims import APPEAL, DENIED, U_APPEALS, U_REWORK, Claim
from practicesim.revenue.context import RevenueContext

DEFAULT_ACTIONS: dict[str, str] = {
    "4": "correct", "11": "correct", "16": "correct", "22": "correct", "27": "correct",
    "31": "correct", "15": "appeal", "197": "appeal", "50": "appeal", "97": "appeal",
    "29": "write_off", "96": "write_off", "109": "write_off", "18": "write_off",
    "B7": "write_off",
}
"""What billers do with a denial by CARC reason; unknown reasons are corrected."""
MAX_DENIALS = 3


@dataclass(slots=True)
class Rework:
    claim: Claim
    action: str
    reason: str
    deadline: int
    minutes: float
    done: bool = False


class DenialQueue:
    """Denials waiting for a biller, worked within the billers' daily minutes."""

    def __init__(self, ctx: RevenueContext, resubmit: Callable[[int, Claim], None],
                 pay: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.resubmit = resubmit
        self.pay = pay
        self.queue: list[tuple[float, int, Rework]] = []
        self.deadlines: list[tuple[int, int, Rework]] = []
        self.appeals: list[list[tuple[Claim, bool]]] = day_buckets(ctx.n_days)
        self.backlog = 0
        self.vendor_carry = 0.0
        """A fraction of a denial the vendor's capacity left over (carried to its next day)."""
        self._seq = 0
        self.appeal_days = ctx.scenario.billing.appeal_decision_days

    def action(self, reason: str) -> str:
        actions = self.ctx.scenario.billing.denial_actions
        return actions.get(reason) or DEFAULT_ACTIONS.get(reason, "correct")

    def receive(self, day: int, claim: Claim, reason: str, denied_day: int | None = None) -> None:
        """A denial arrived on ``day``: write it off or queue it for rework. ``denied_day``: the
        day of the denial when earlier (an opening claim denied before the run)."""
        u = claim.u[U_REWORK + min(max(claim.denials - 1, 0), 2)]
        minutes = self.ctx.scenario.billing.rework_minutes_per_denial.quantile(u)
        action = self.action(reason)
        if claim.denials >= MAX_DENIALS:
            action = "write_off"
        payer = self.ctx.scenario.payers[claim.payer]
        if action == "correct":
            deadline = claim.service_day + payer.timely_filing_days
        else:
            deadline = (day if denied_day is None else denied_day) + payer.appeal_window_days
        if action == "write_off" or deadline < day:
            self._write_off(day, claim, "29" if action == "correct" else reason)
            return
        claim.stage = DENIED
        item = Rework(claim, action, reason, deadline, max(0.0, minutes))
        self._seq += 1
        heapq.heappush(self.queue, (self._priority(item), self._seq, item))
        heapq.heappush(self.deadlines, (deadline, self._seq, item))
        self.backlog += 1

    def _priority(self, item: Rework) -> float:
        policy = self.ctx.scenario.billing.queue_priority
        if policy == "oldest_first":
            return item.claim.service_day
        if policy == "largest_first":
            return -item.claim.balance
        if policy == "deadline_first":
            return item.deadline
        return 0.0

    def _write_off(self, day: int, claim: Claim, reason: str) -> None:
        self.ctx.accounts.reduce(day, claim, lg.DENIAL_WRITEOFF, claim.balance, "CO", reason)
        self.ctx.settle_deposit(day, claim)

    def on_day(self, day: int) -> None:
        self._decide_appeals(day)
        self._expire(day)
        if self.ctx.vendor.works_denials(day):
            self._vendor_works(day)
            return
        billers = self.ctx.scenario.staff.billers
        if not self.ctx.calendar.is_clinic_day[day] or billers.count == 0:
            return
        capacity = (self.ctx.workforce.output("billers", day) * billers.hours_per_day * 60.0
                    * self.ctx.scenario.billing.denial_share_of_biller_time)
        queue = self.queue
        while queue and capacity > 0:
            item = queue[0][2]
            if item.done:
                heapq.heappop(queue)
                continue
            if item.minutes > capacity:
                item.minutes -= capacity
                break
            capacity -= item.minutes
            heapq.heappop(queue)
            self._work(day, item)

    def _vendor_works(self, day: int) -> None:
        """The vendor works the queue in its priority order, up to its capacity today."""
        capacity = self.ctx.vendor.capacity(day, self.ctx.scenario.outsourcing
                                            .denials_worked_per_day)
        if capacity == 0:
            return
        capacity += self.vendor_carry
        queue = self.queue
        while queue and capacity >= 1:
            item = heapq.heappop(queue)[2]
            if item.done:
                continue
            capacity -= 1
            item.claim.vendor_reworked = True
            self._work(day, item)
        self.vendor_carry = capacity if capacity < 1 else 0.0

    def _work(self, day: int, item: Rework) -> None:
        item.done = True
        self.backlog -= 1
        claim = item.claim
        if item.action == "correct":
            claim.correction_error_factor = (
                1.0 if claim.vendor_reworked else self.ctx.workforce.error_factor("billers", day))
            self.resubmit(day, claim)
            return
        claim.stage = APPEAL
        k = U_APPEALS + 2 * min(claim.appeals, 1)
        claim.appeals += 1
        when = day + max(1, math.ceil(self.appeal_days.quantile(claim.u[k + 1])))
        success = self.ctx.scenario.billing.appeal_success_rate
        vendor_rate = self.ctx.scenario.outsourcing.appeal_success_rate
        if self.ctx.vendor.works_denials(day) and vendor_rate is not None:
            success = vendor_rate
        won = claim.u[k] < success
        if when < self.ctx.n_days:
            self.appeals[when].append((claim, won))

    def resume_appeal(self, day: int, claim: Claim, filed_day: int) -> None:
        """An opening claim appealed on ``filed_day`` (before the run), decision pending: the
        decision time is drawn given that it exceeds the days already waited."""
        claim.stage = APPEAL
        claim.appeals = max(claim.appeals, 1)
        waited = self.appeal_days.residual(max(0, day - filed_day - 1), claim.u[U_APPEALS + 1])
        when = max(day, filed_day + max(1, math.ceil(waited)))
        won = claim.u[U_APPEALS] < self.ctx.scenario.billing.appeal_success_rate
        if when < self.ctx.n_days:
            self.appeals[when].append((claim, won))

    def _decide_appeals(self, day: int) -> None:
        for claim, won in self.appeals[day]:
            if won:
                self.pay(day, claim)
            else:
                reason = claim.initial_denial_reason or "50"
                self._write_off(day, claim, reason)
        self.appeals[day] = []

    def _expire(self, day: int) -> None:
        deadlines = self.deadlines
        while deadlines and deadlines[0][0] < day:
            item = heapq.heappop(deadlines)[2]
            if item.done:
                continue
            item.done = True
            self.backlog -= 1
            self._write_off(day, item.claim, "29" if item.action == "correct" else item.reason)
