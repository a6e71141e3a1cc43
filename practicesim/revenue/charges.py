"""Charge capture and coding.

A completed visit becomes a claim after the charge lag (days from visit to charge entry); a
share of charges is never captured (missed charges: revenue that never exists); both are drawn
from the visit's own uniforms. At charge entry each claim gets its own random numbers
(``Claim.u``, keyed by its visit's identity) and its first payer lag from them, and the
patient's secondary payer (``payers[].secondary``, keyed by the patient). Entered charges
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

import numpy as np

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.encounter import V_CHARGE_LAG, V_MISSED, Encounter
from practicesim.revenue.claims import (
    CLAIM_DRAWS,
    SUBMISSION,
    U_CODING,
    U_FIRST_LAG,
    U_FIRST_POSTING,
    Claim,
)
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.payers import pick


class ChargeCapture:
    """Turns completed visits into posted charges after the charge lag."""

    def __init__(self, ctx: RevenueContext, to_coding: Callable[[int, Claim, float], None],
                 to_self_pay: Callable[[int, Claim, int], None]) -> None:
        self.ctx = ctx
        self.to_coding = to_coding
        self.to_self_pay = to_self_pay
        self.due: list[list[Claim]] = day_buckets(ctx.n_days)
        self.missed_charges = [0] * ctx.n_days
        self.unposted_desk_cents = [0] * ctx.n_days
        """Desk cash (copay and deposit) taken on a visit whose charge was missed or is entered
        after the run: cash the practice has, on no claim of the ledger (unapplied patient
        payments)."""
        self.unbilled_cents = [0] * ctx.n_days
        """Expected net revenue (``Encounter.expected_cents``) of visits whose charge is entered
        after the run, by date of service: earned, not yet billed (``practicesim.accrual``)."""

    def capture(self, day: int, encounters: list[Encounter]) -> None:
        """Visits completed on ``day``: each claim is entered after its charge lag, or never
        (a missed charge), both drawn from the visit's own uniforms."""
        billing = self.ctx.scenario.billing
        lags = billing.charge_lag_days.quantiles(
            np.fromiter((e.u[V_CHARGE_LAG] for e in encounters), dtype=float,
                        count=len(encounters)))
        missed_rate, n_days, due = billing.missed_charge_rate, self.ctx.n_days, self.due
        for encounter, lag in zip(encounters, lags.tolist(), strict=True):
            entry = day + max(0, math.ceil(lag))
            desk = encounter.copay_collected_cents + encounter.deposit_cents
            if encounter.u[V_MISSED] < missed_rate:
                self.missed_charges[day] += 1
                self.unposted_desk_cents[day] += desk
            elif entry < n_days:
                due[entry].append(Claim.of(encounter))
            else:
                self.unposted_desk_cents[day] += desk
                self.unbilled_cents[day] += encounter.expected_cents

    def on_day(self, day: int) -> None:
        """Post the charges entered today. Each claim gets its own random draws here, keyed by
        its visit's identity, so neither its other events nor other claims shift them."""
        accounts = self.ctx.accounts
        self_pay = self.ctx.self_pay_index
        due = self.due[day]
        if not due:
            return
        draws = self.ctx.streams.keyed("claim", [claim.key for claim in due], CLAIM_DRAWS)
        lags = self._first_lags(due, draws[:, U_FIRST_LAG]).tolist()
        billing = self.ctx.scenario.billing
        postings = billing.posting_lag_days.quantiles(draws[:, U_FIRST_POSTING]).tolist()
        coding = billing.coding_minutes_per_claim.quantiles(draws[:, U_CODING]).tolist()
        secondaries = self._secondaries(due)
        for claim, u, lag, posting, minutes, secondary in zip(
                due, draws, lags, postings, coding, secondaries, strict=True):
            claim.u = array("d", u.tobytes())
            claim.secondary = secondary
            claim.first_lag = lag
            claim.first_posting_lag = posting
            accounts.open_claim(claim, day)
            if claim.payer in self_pay:
                self.to_self_pay(day, claim, claim.copay_collected_cents)
                continue
            if claim.copay_collected_cents:
                accounts.reduce(day, claim, lg.PATIENT_PAYMENT, claim.copay_collected_cents)
            self.to_coding(day, claim, minutes)
        self.due[day] = []

    def _secondaries(self, due: list[Claim]) -> list[int]:
        """Each claim's secondary payer (index, -1 for none), picked from its primary payer's
        ``secondary`` shares (in their order) by the patient's coverage uniform: a patient keeps
        its secondary on every claim, and in every scenario with the same shares whatever order
        its patients were numbered in (the uniform is keyed by what created the patient)."""
        payers = self.ctx.scenario.payers
        if not any(p.secondary for p in payers):
            return [-1] * len(due)
        index = {p.name: i for i, p in enumerate(payers)}
        out = []
        for claim in due:
            shares = payers[claim.payer].secondary
            draw = claim.coverage_u
            name = pick(shares, draw) if draw < sum(shares.values()) else ""
            out.append(index[name] if name else -1)
        return out

    def _first_lags(self, due: list[Claim], u: np.ndarray) -> np.ndarray:
        """Each claim's first payer lag (days) from its uniform, by its payer's distribution."""
        payers = np.fromiter((claim.payer for claim in due), dtype=np.int64, count=len(due))
        lags = np.empty(len(due))
        terms = self.ctx.scenario.payers
        for payer in np.unique(payers).tolist():
            at = payers == payer
            lags[at] = terms[payer].lag_days.quantiles(u[at])
        return lags


class CodingQueue:
    """Coders work entered charges in order, within their minutes each clinic day."""

    def __init__(self, ctx: RevenueContext, to_submission: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.to_submission = to_submission
        self.queue: deque[list] = deque()
        """[claim, coding minutes left, entry day] in order of entry."""
        self.vendor_carry = 0.0
        """A fraction of a claim the vendor's capacity left over (carried to its next day)."""

    def receive(self, day: int, claim: Claim, minutes: float | None = None) -> None:
        """An entered charge joins the queue; its coding ``minutes`` come from its own draws
        (``coding_minutes_per_claim`` at ``u[U_CODING]``; computed here when not given)."""
        if minutes is None:
            minutes = self.ctx.scenario.billing.coding_minutes_per_claim.quantile(
                claim.u[U_CODING])
        self.queue.append([claim, max(0.0, minutes), day])

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
