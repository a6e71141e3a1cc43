"""Scrubbing, clearinghouse and submission of claims to payers.

A coded claim carries an error a scrubber edit could catch with ``claim_error_rate``; the scrubber
catches ``scrubber_catch_rate`` of those, and a biller fixes the claim (a charge edit in the
billers' queues, ``revenue/work.py``), which goes out when fixed and no sooner than
``scrub_fix_days`` later. Errors it misses are denied by the payer. The clearinghouse rejects
``clearinghouse_rejection_rate`` of first submissions as malformed (a rejection is not a denial:
the claim never reached the payer); it is fixed the same way (``rejection_fix_days``) and sent
again. A claim is *clean* when it needed neither. Claims an outsourced vendor
coded use its error and catch rates (``outsourcing``; unset: the practice's). A claim reaching the
payer after its timely-filing limit is denied (CO-29). Under the ``hold_claims`` policy, claims of a
provider not yet enrolled with the payer wait for the enrollment to take effect, then go out (the
payer pays those whose service dates it covers).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from practicesim import ledger as lg
from practicesim.context import day_buckets
from practicesim.finance import cents
from practicesim.revenue.claims import (
    HELD,
    TIMELY_FILING,
    U_CATCH,
    U_ERROR,
    U_REJECT,
    U_REJECTION_FIX,
    U_SCRUB_FIX,
    Claim,
)
from practicesim.revenue.context import RevenueContext, supervised_by
from practicesim.revenue.work import CHARGE_EDIT, Task, WorkQueues


class Submission:
    """Sends coded and corrected claims to the payer on the day they are due."""

    def __init__(self, ctx: RevenueContext, work: WorkQueues,
                 to_payer: Callable[[int, Claim], None]) -> None:
        self.ctx = ctx
        self.work = work
        self.to_payer = to_payer
        self.due: list[list[Claim]] = day_buckets(ctx.n_days)

    def prepare(self, day: int, claim: Claim) -> None:
        """A claim leaves coding: scrub it and queue it for submission (the scrubber's catch
        counts as the first attempt, today)."""
        claim.first_attempt_day = day
        billing = self.ctx.scenario.billing
        error_rate, catch_rate = billing.claim_error_rate, billing.scrubber_catch_rate
        if claim.vendor_coded:
            vendor = self.ctx.scenario.outsourcing
            error_rate = _either(vendor.claim_error_rate, error_rate)
            catch_rate = _either(vendor.scrubber_catch_rate, catch_rate)
        elif self.ctx.scenario.staff.coders.count:
            error_rate = min(1.0, error_rate * self.ctx.workforce.error_factor("coders", day))
        u = claim.u
        has_error = u[U_ERROR] < error_rate
        caught = u[U_CATCH] < catch_rate
        if has_error and caught:
            claim.scrubber_caught = True
            fix = billing.scrub_fix_days.quantile(u[U_SCRUB_FIX])
            self._edit(day, claim, day + max(1, math.ceil(fix)))
        else:
            claim.has_error = has_error
            self._schedule(day, claim)

    def _edit(self, day: int, claim: Claim, ready: int) -> None:
        """A claim the scrubber stopped or the clearinghouse rejected on ``day`` waits for a
        biller's fix; it goes out the day after the fix, and not before ``ready``."""
        self.work.add(day, CHARGE_EDIT, claim, self.ctx.filing_limit(claim), self._edited,
                      ready=ready)

    def _edited(self, day: int, task: Task) -> None:
        self._schedule(max(day + 1, task.ready), task.claim)

    def resubmit(self, day: int, claim: Claim) -> None:
        """A claim corrected on ``day`` goes out in the next day's batch."""
        claim.has_error = False
        self._schedule(day + 1, claim)

    def resend(self, day: int, claim: Claim) -> None:
        """A claim the payer never answered, found on ``day`` by a status inquiry, goes out
        again, as it was, in the next day's batch."""
        self._schedule(day + 1, claim)

    def _schedule(self, day: int, claim: Claim) -> None:
        if day < self.ctx.n_days:
            self.due[day].append(claim)

    def on_day(self, day: int) -> None:
        scenario = self.ctx.scenario
        coverage = self.ctx.coverage
        hold = scenario.scheduling.uncredentialed_policy in ("hold_claims",
                                                             "supervising_physician")
        rejection_rate = scenario.billing.clearinghouse_rejection_rate
        fee = cents(scenario.costs.clearinghouse_fee_per_claim)
        for claim in self.due[day]:
            if hold and not supervised_by(claim, claim.payer) and (
                    claim.submissions == 0 or claim.rebilled):
                effective = coverage.effective_day(claim.provider, claim.payer)
                if day < effective:
                    claim.stage = HELD
                    self._schedule(effective, claim)
                    continue
            if (claim.submissions == 0 and not claim.rejected
                    and claim.u[U_REJECT] < rejection_rate):
                claim.rejected = True
                refix = scenario.billing.rejection_fix_days.quantile(claim.u[U_REJECTION_FIX])
                self._edit(day, claim, day + max(1, math.ceil(refix)))
                continue
            self._send(day, claim, fee)
        self.due[day] = []

    def _send(self, day: int, claim: Claim, fee: int) -> None:
        accounts = self.ctx.accounts
        if claim.submissions == 0:
            claim.first_submission_day = day
        claim.submissions += 1
        accounts.event(day, claim, lg.SUBMISSION)
        self.ctx.finance.add(day, "clearinghouse_fees", fee)
        if day > self.ctx.filing_limit(claim):
            claim.denials += 1
            if not claim.initial_denial_reason and claim.denials == 1:
                claim.initial_denial_reason = TIMELY_FILING
                claim.first_adjudication_day = day
            accounts.event(day, claim, lg.DENIAL, "CO", TIMELY_FILING)
            accounts.reduce(day, claim, lg.DENIAL_WRITEOFF, claim.balance, "CO",
                            TIMELY_FILING)
            self.ctx.settle_deposit(day, claim)
            return
        self.to_payer(day, claim)


def _either(own: float | None, practice: float) -> float:
    """A vendor's own rate where the scenario gives one, else the practice's."""
    return practice if own is None else own
