"""What the parts of the revenue cycle share beyond the practice's context: the accounts (the
ledger and every claim's balances) and the outsourced vendor."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from practicesim import ledger as lg
from practicesim.context import Context
from practicesim.contracts import Allowed, allowed
from practicesim.deductibles import Deductibles
from practicesim.revenue.claims import Accounts, Claim
from practicesim.revenue.vendor import Vendor


@dataclass(slots=True)
class RevenueContext(Context):
    """The practice's ``Context`` with the revenue cycle's shared parts. One object of this
    class is the context of every part of a running practice, clinic and revenue alike."""

    accounts: Accounts
    """Posts to the ledger and keeps each claim's balances."""
    vendor: Vendor
    """The outsourced revenue-cycle vendor, if any (``scenario.outsourcing``)."""
    deductibles: Deductibles
    """Patients' deductible accumulators per plan year."""

    def filing_limit(self, claim: Claim, payer: int | None = None) -> int:
        """The last day (simulation day) a claim may reach ``payer`` (default: the one it is
        billed to): date of service + that payer's ``timely_filing_days``."""
        index = claim.payer if payer is None else payer
        return claim.service_day + self.scenario.payers[index].timely_filing_days

    def allowed(self, claim: Claim, payer: int | None = None,
                skip: Collection[str] = ()) -> Allowed:
        """What ``payer`` (default: the one the claim is billed to) allows for the claim under
        its contract today (``practicesim/contracts.py``), leaving out the lines of the codes
        in ``skip``."""
        index = claim.payer if payer is None else payer
        return allowed(self.scenario.payers[index], self.seats[claim.provider].npp, claim.lines,
                       claim.charge_cents, claim.medicare_allowed_cents, skip)

    def settle_deposit(self, day: int, claim: Claim) -> None:
        """Apply the desk's deposit to the claim's patient balance (a patient payment) and
        refund what exceeds it (cash paid back on ``day``)."""
        deposit = claim.deposit_cents
        if not deposit:
            return
        applied = min(deposit, claim.patient_balance)
        self.accounts.reduce(day, claim, lg.PATIENT_PAYMENT, applied)
        if deposit > applied:
            self.finance.refunded(day, deposit - applied)
        claim.deposit_cents = 0
