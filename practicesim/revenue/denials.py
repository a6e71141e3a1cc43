"""Denial management: the denials in the billers' queue, their deadlines and appeals.

Each denial is either written off at once or queued for rework, by its CARC reason
(``billing.denial_actions`` over ``DEFAULT_ACTIONS``): *correct* (fix and resubmit: missing
information, coding, eligibility, coordination of benefits) or *appeal* (medical necessity,
authorisation, bundling). Billers work it among their other work (``practicesim/revenue/
work.py``); each takes ``rework_minutes_per_denial``. A correction must reach the payer within
the timely-filing limit (from the date of service) and an appeal must be filed within the
appeal window (from the denial): the deadline day itself still counts, and an item unworked
after it is written off (CO-29 for timely filing). An appeal is decided after
``appeal_decision_days`` and succeeds with ``appeal_success_rate``. A corrected claim denied
again is corrected again; a claim denied three times is written off. From an outsourcing
vendor's start (``revenue/vendor.py``), if denials are in its scope, the vendor works them
instead, a number a day (its capacity), in the same priority order and with its own appeal
success rate.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.revenue.claims import APPEAL, DENIED, U_APPEALS, U_REWORK, Claim
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.work import DENIAL, Task, WorkQueues

DEFAULT_ACTIONS: dict[str, str] = {
    "4": "correct", "11": "correct", "16": "correct", "22": "correct", "27": "correct",
    "31": "correct", "15": "appeal", "197": "appeal", "50": "appeal", "97": "appeal",
    "29": "write_off", "96": "write_off", "109": "write_off", "18": "write_off",
    "B7": "write_off",
}
"""What billers do with a denial by CARC reason; unknown reasons are corrected."""
MAX_DENIALS = 3


class DenialQueue:
    """Denials waiting for rework, their deadlines, and appeals waiting for a decision."""

    def __init__(self, ctx: RevenueContext, work: WorkQueues,
                 resubmit: Callable[[int, Claim], None],
                 pay: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.work = work
        self.resubmit = resubmit
        self.pay = pay
        self.deadlines: list[tuple[int, int, Task]] = []
        self.appeals: list[list[tuple[Claim, bool]]] = day_buckets(ctx.n_days)
        self._seq = 0
        self.appeal_days = ctx.scenario.billing.appeal_decision_days

    @property
    def backlog(self) -> int:
        """Denials waiting for rework."""
        return self.work.pending[DENIAL]

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
        task = self.work.add(day, DENIAL, claim, deadline, self._work, minutes,
                             action=action, reason=reason)
        self._seq += 1
        heapq.heappush(self.deadlines, (deadline, self._seq, task))

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
            task = heapq.heappop(deadlines)[2]
            if task.done:
                continue
            self.work.cancel(task)
            self._write_off(day, task.claim, "29" if task.action == "correct" else task.reason)
