"""Charge capture and coding.

A completed visit becomes a claim after the charge lag (days from visit to charge entry); a
share of charges is never captured (missed charges: revenue that never exists). At charge entry
each claim draws its own random numbers (``Claim.u``) and its first payer lag. Entered charges
wait for a coder: coders have ``count * hours_per_day * 60`` minutes each clinic day and code
claims first come, first served, each taking ``coding_minutes_per_claim``. Self-pay visits need
no claim to a payer and go straight to patient billing. From an outsourcing vendor's start
(``revenue/vendor.py``) the vendor codes the queue instead, within its own daily capacity.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Callable

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.encounter import Encounter
from practicesim.revenue.claims import CLAIM_DRAWS, SUBMISSION, Claim
from practicesim.revenue.context import RevenueContext


class ChargeCapture:
    """Turns completed visits into posted charges after the charge lag."""

    def __init__(self, ctx: RevenueContext, to_coding: Callable[[int, Claim], None],
                 to_self_pay: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.to_coding = to_coding
        self.to_self_pay = to_self_pay
        self.due: list[list[Claim]] = day_buckets(ctx.n_days)
        billing = ctx.scenario.billing
        self.lag = ctx.streams.buffer("charge_lag", dist=billing.charge_lag_days)
        self.missed = ctx.streams.buffer("missed_charge")
        self.missed_charges = [0] * ctx.n_days
        self.unposted_desk_cents = [0] * ctx.n_days
        """Desk cash taken on a visit whose charge was missed or is entered after the run: cash
        the practice has, on no claim of the ledger (unapplied patient payments)."""
        self.claim_draws = ctx.streams.get("claim_draws")
        self.payer_lag = [ctx.streams.buffer("payer_lag", p.name, "first", dist=p.lag_days)
                          for p in ctx.scenario.payers]
        self.posting_lag = ctx.streams.buffer("posting_lag", "first",
                                              dist=billing.posting_lag_days)

    def capture(self, day: int, encounter: Encounter) -> None:
        """A visit was completed on ``day``; its claim is entered after the charge lag."""
        lag = self.lag()
        entry = day + max(0, math.ceil(lag))
        if self.missed() < self.ctx.scenario.billing.missed_charge_rate:
            self.missed_charges[day] += 1
            self.unposted_desk_cents[day] += encounter.copay_collected_cents
        elif entry < self.ctx.n_days:
            self.due[entry].append(Claim.of(encounter))
        else:
            self.unposted_desk_cents[day] += encounter.copay_collected_cents

    def on_day(self, day: int) -> None:
        """Post the charges entered today. Each claim gets its own random draws here, in the
        order of the visits, so later events of one claim never shift another's draws."""
        accounts = self.ctx.accounts
        self_pay = self.ctx.self_pay_index
        due = self.due[day]
        draws = self.claim_draws.random((len(due), CLAIM_DRAWS))
        for claim, u in zip(due, draws, strict=True):
            claim.u = array("d", u.tobytes())
            claim.first_lag = self.payer_lag[claim.payer]()
            claim.first_posting_lag = self.posting_lag()
            accounts.open_claim(claim, day)
            if claim.copay_collected_cents:
                accounts.reduce(day, claim, lg.PATIENT_PAYMENT, claim.copay_collected_cents)
            if claim.payer in self_pay:
                self.to_self_pay(day, claim)
            else:
                self.to_coding(day, claim)
        self.due[day] = []


class CodingQueue:
    """Coders work entered charges in order, within their minutes each clinic day."""

    def __init__(self, ctx: RevenueContext, to_submission: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.to_submission = to_submission
        self.queue: deque[list] = deque()
        """[claim, coding minutes left, entry day] in order of entry."""
        self.vendor_carry = 0.0
        """A fraction of a claim the vendor's capacity left over (carried to its next day)."""
        self.minutes = ctx.streams.buffer("coding_minutes",
                                          dist=ctx.scenario.billing.coding_minutes_per_claim)

    def receive(self, day: int, claim: Claim) -> None:
        self.queue.append([claim, max(0.0, self.minutes()), day])

    def on_day(self, day: int) -> None:
        if self.ctx.vendor.codes(day):
            self._vendor_codes(day)
            return
        coders = self.ctx.scenario.staff.coders
        if coders.count == 0:
            capacity = math.inf
        elif self.ctx.calendar.is_clinic_day[day]:
            capacity = self.ctx.workforce.output("coders", day) * coders.hours_per_day * 60.0
        else:
            return
        queue = self.queue
        while queue and capacity > 0:
            item = queue[0]
            if item[1] > capacity:
                item[1] -= capacity
                break
            capacity -= item[1]
            queue.popleft()
            claim = item[0]
            claim.stage = SUBMISSION
            self.to_submission(day, claim)

    def _vendor_codes(self, day: int) -> None:
        """The vendor codes, in order of entry, the claims entered at least its
        ``submit_lag_days`` ago, up to its capacity today."""
        terms = self.ctx.scenario.outsourcing
        capacity = self.ctx.vendor.capacity(day, terms.claims_coded_per_day)
        if capacity == 0:
            return
        capacity += self.vendor_carry
        ready = day - terms.submit_lag_days
        queue = self.queue
        while queue and capacity >= 1 and queue[0][2] <= ready:
            claim = queue.popleft()[0]
            capacity -= 1
            claim.vendor_coded = True
            claim.stage = SUBMISSION
            self.to_submission(day, claim)
        self.vendor_carry = capacity if capacity < 1 else 0.0

    def __len__(self) -> int:
        return len(self.queue)
