"""The billers' work: every item of their queues, done within the minutes they have.

Billers have ``count x hours_per_day x 60`` minutes each clinic day (less vacancies and new
hires' ramp-up, ``practicesim/workforce.py``). Patients' calls about their statements come
first: ``patient_calls_per_statement x work_minutes.patient_call`` minutes for each statement
sent that day (an expected load, not a draw); calls on a day the office is closed, or beyond the
billers' minutes, are taken the next day (patients call back). The rest goes to the items of
seven queues, taken in the order of ``billing.queue_priority`` across all of them:

- charge edits: a claim the scrubber stopped or the clearinghouse rejected (``work_minutes.
  charge_edit``); once worked it goes out, no sooner than its fix days allow;
- posting exceptions: a paid remittance that does not post automatically
  (``posting_exception_rate``, ``work_minutes.posting_exception``); it is posted when worked;
- secondary claims: the secondary's claim, sent with the primary's remittance when worked
  (``work_minutes.secondary_claim``; crossovers need no biller);
- status checks: a claim without an answer ``follow_up_days`` after it was sent
  (``work_minutes.status_check``); a lost claim is sent again when its check is worked, a slow
  one is checked again ``follow_up_days`` later until its remittance comes;
- denials (``rework_minutes_per_denial``, drawn per claim): corrected or appealed when worked
  (``practicesim/revenue/denials.py``, which also writes off those past their deadlines);
- underpayments the contract-variance review found (``work_minutes.underpayment``): appealed
  when worked, adjusted off if not worked within the payer's appeal window;
- records requests of pended claims (``work_minutes.records_request``, ``payers[].pend``): the
  records go to the payer when worked; not sent by the payer's deadline, the claim is denied.

An item not finished in a day keeps the minutes it still needs for the next. Work whose minutes
are 0 is done the day it arises. A practice without billers does none of the work that takes
their time. An outsourcing vendor does the work in its scope from its start
(``revenue/vendor.py``): denials, status checks, underpayments and records requests up to its
capacity, in the same order; charge edits of the claims it coded, posting exceptions, secondary
claims and patients' calls at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from practicesim.revenue.claims import TIMELY_FILING, Claim
from practicesim.revenue.context import RevenueContext

CHARGE_EDIT, POSTING, SECONDARY, STATUS_CHECK, DENIAL, UNDERPAYMENT, RECORDS = range(7)
KINDS = ("charge_edit", "posting_exception", "secondary_claim", "status_check", "denial",
         "underpayment", "records_request")
"""Queue names, by kind (the ``billing.work_minutes`` field of each but denials)."""
FOLLOW_UP = (STATUS_CHECK, DENIAL, UNDERPAYMENT, RECORDS)
"""Kinds in the follow-up queue (an outsourcing vendor's ``denials`` scope)."""
NEVER = 1 << 62


@dataclass(slots=True)
class Task:
    """One item of a biller's queue. Days are simulation days."""

    kind: int
    claim: Claim
    minutes: float
    """Minutes of work it still needs."""
    deadline: int
    """The last day it may be done by (orders ``deadline_first``)."""
    then: Callable[[int, Task], None]
    """What happens when it is done, on the day it is done."""
    ready: int = 0
    """The earliest day its result may take effect (a fix that waits for information)."""
    void_day: int = NEVER
    """From this day the item is moot and leaves the queue unworked (a status check of a
    claim whose remittance came)."""
    action: str = ""
    reason: str = ""
    level: int = 0
    """A denial's appeal level (0: the first)."""
    done: bool = False


class WorkQueues:
    """The billers' queues, worked each clinic day within their minutes."""

    def __init__(self, ctx: RevenueContext) -> None:
        self.ctx = ctx
        self.office: list[tuple[float, int, Task]] = []
        """Charge edits, posting exceptions and secondary claims."""
        self.follow_up: list[tuple[float, int, Task]] = []
        """Status checks, denials, underpayments and records requests (an outsourcing vendor's
        ``denials`` scope)."""
        self.calls = np.zeros(ctx.n_days)
        """Minutes of patients' calls expected per day."""
        self.minutes = np.zeros((ctx.n_days, len(KINDS) + 1))
        """Billers' minutes spent per day on each queue (columns in ``KINDS`` order) and on
        patients' calls (the last column)."""
        self.pending = [0] * len(KINDS)
        """Items waiting, by kind."""
        self.vendor_carry = 0.0
        """A fraction of an item the vendor's capacity left over (carried to its next day)."""
        self._seq = 0

    def add(self, day: int, kind: int, claim: Claim, deadline: int,
            then: Callable[[int, Task], None], minutes: float | None = None,
            **fields: object) -> Task:
        """An item arises on ``day``: done at once if it takes no biller time (or the vendor
        does it without limit), else queued. ``minutes`` default: ``work_minutes`` of its
        kind."""
        if minutes is None:
            minutes = getattr(self.ctx.scenario.billing.work_minutes, KINDS[kind])
        task = Task(kind, claim, max(0.0, minutes), deadline, then, **fields)
        vendor = self.ctx.vendor
        at_once = (task.minutes == 0 and kind != DENIAL) or (
            kind in (POSTING, SECONDARY) and vendor.does("posting", day)) or (
            kind == CHARGE_EDIT and claim.vendor_coded)
        if at_once:
            task.done = True
            then(day, task)
            return task
        self._seq += 1
        queue = self.follow_up if kind in FOLLOW_UP else self.office
        heapq.heappush(queue, (self._priority(task), self._seq, task))
        self.pending[kind] += 1
        return task

    def _priority(self, task: Task) -> float:
        policy = self.ctx.scenario.billing.queue_priority
        if policy == "oldest_first":
            return task.claim.service_day
        if policy == "largest_first":
            return -task.claim.balance
        if policy == "deadline_first":
            return task.deadline
        return 0.0

    def cancel(self, task: Task) -> None:
        """Take a queued item out unworked (it leaves the heap when it reaches the top)."""
        if not task.done:
            task.done = True
            self.pending[task.kind] -= 1

    def expect_calls(self, day: int) -> None:
        """A statement goes out on ``day``: the calls it brings, in expected minutes."""
        if day < self.ctx.n_days:
            billing = self.ctx.scenario.billing
            self.calls[day] += billing.patient_calls_per_statement * (
                billing.work_minutes.patient_call)

    def on_day(self, day: int) -> None:
        """The vendor's and the billers' work of ``day``."""
        vendor_follows_up = self.ctx.vendor.does("denials", day)
        if vendor_follows_up:
            self._vendor_works(day)
        billers = self.ctx.scenario.staff.billers
        if billers.count == 0:
            return
        if not self.ctx.calendar.is_clinic_day[day]:
            self._carry_calls(day, self.calls[day])
            return
        capacity = self.ctx.workforce.output("billers", day) * billers.hours_per_day * 60.0
        spent = self.minutes[day]
        if not self.ctx.vendor.does("patient_calls", day):
            spent[-1] = min(self.calls[day], capacity)
            capacity -= self.calls[day]
            if capacity < 0:
                self._carry_calls(day, -capacity)
        queues = [self.office] if vendor_follows_up else [self.office, self.follow_up]
        while capacity > 0:
            queue = _first(queues)
            if queue is None:
                return
            task = queue[0][2]
            if task.done or day >= task.void_day:
                heapq.heappop(queue)
                self.cancel(task)
                continue
            if task.minutes > capacity:
                task.minutes -= capacity
                spent[task.kind] += capacity
                return
            capacity -= task.minutes
            spent[task.kind] += task.minutes
            heapq.heappop(queue)
            self._finish(day, task)

    def _carry_calls(self, day: int, minutes: float) -> None:
        """Calls not answered on ``day`` (a day the office is closed, or billers' minutes
        short of them) are taken the next day: patients call back."""
        if day + 1 < self.ctx.n_days:
            self.calls[day + 1] += minutes

    def _vendor_works(self, day: int) -> None:
        """The vendor works status checks and denials in their order, up to its capacity."""
        capacity = self.ctx.vendor.capacity(day, self.ctx.scenario.outsourcing
                                            .denials_worked_per_day)
        if capacity == 0:
            return
        capacity += self.vendor_carry
        queue = self.follow_up
        while queue and capacity >= 1:
            task = heapq.heappop(queue)[2]
            if task.done or day >= task.void_day:
                self.cancel(task)
                continue
            capacity -= 1
            if task.kind in (DENIAL, UNDERPAYMENT):
                task.claim.vendor_reworked = True
            self._finish(day, task)
        self.vendor_carry = capacity if capacity < 1 else 0.0

    def _finish(self, day: int, task: Task) -> None:
        task.done = True
        self.pending[task.kind] -= 1
        task.then(day, task)


def _first(queues: list[list[tuple[float, int, Task]]]) -> list[tuple[float, int, Task]] | None:
    """The queue whose first item comes first (priority, then arrival), None if all are
    empty."""
    best = None
    for queue in queues:
        if queue and (best is None or queue[0][:2] < best[0][:2]):
            best = queue
    return best


class Deadlines:
    """Queued rework items (denials, denied lines) by their deadline, to write off those still
    unworked after it."""

    def __init__(self, work: WorkQueues) -> None:
        self.work = work
        self._heap: list[tuple[int, int, Task]] = []
        self._seq = 0

    def add(self, task: Task) -> None:
        """Watch ``task`` until its ``deadline``."""
        self._seq += 1
        heapq.heappush(self._heap, (task.deadline, self._seq, task))

    def expired(self, day: int) -> list[tuple[Task, str]]:
        """Items still unworked after their deadline, before ``day``, taken out of the queues,
        each with the CARC of its write-off: an appeal's own reason, else timely filing
        (29)."""
        out = []
        heap = self._heap
        while heap and heap[0][0] < day:
            task = heapq.heappop(heap)[2]
            if task.done:
                continue
            self.work.cancel(task)
            out.append((task, task.reason if task.action == "appeal" else TIMELY_FILING))
        return out
