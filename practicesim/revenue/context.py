"""What the parts of the revenue cycle share beyond the practice's context: the accounts (the
ledger and every claim's balances) and the outsourced vendor."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from practicesim import ledger as lg
from practicesim.context import Context
from practicesim.contracts import Allowed, allowed
from practicesim.deductibles import Deductibles, is_on_plan
from practicesim.finance import cents
from practicesim.revenue.claims import U_DEDUCTIBLE, Accounts, Claim
from practicesim.revenue.vendor import Vendor
from practicesim.scenario.payers import CostSharing


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

    def enrolled(self, claim: Claim, payer: int) -> bool:
        """The payer (index) pays for the claim's date of service under the NPI it is billed
        under: a supervising physician's for its primary (``Claim.supervisor``), else its
        provider's enrolment."""
        return supervised_by(claim, payer) or self.coverage.covers(claim.provider, payer,
                                                                    claim.service_day)

    def allowed(self, claim: Claim, payer: int | None = None,
                skip: Collection[str] = (), omit: int = -1) -> Allowed:
        """What ``payer`` (default: the one the claim is billed to) allows for the claim under
        its contract today (``practicesim/contracts.py``), leaving out the lines of the codes
        in ``skip`` and the line at index ``omit`` (a denied line; -1: none)."""
        index = claim.payer if payer is None else payer
        lines = claim.lines
        if omit >= 0:
            lines = lines[:omit] + lines[omit + 1:]
        return allowed(self.scenario.payers[index], self.billed_as_npp(claim, index), lines,
                       claim.charge_cents, claim.medicare_allowed_cents, skip, claim.telehealth)

    def billed_as_npp(self, claim: Claim, payer: int) -> bool:
        """The claim is billed to ``payer`` under a nurse practitioner's or physician
        assistant's own NPI (not incident-to, nor under a supervising physician)."""
        return self.seats[claim.provider].npp and not (claim.incident_to
                                                       or supervised_by(claim, payer))

    def responsibility(self, claim: Claim, sharing: CostSharing, contract: Allowed,
                       allowed: int, desk: int) -> tuple[int, int, int]:
        """Copay, deductible and coinsurance (cents) of a paid claim with ``allowed`` cents:
        the copay if one is due (at least ``desk``, what the desk took beyond non-covered
        lines), then of the cost-shared rest, on the patient's deductible plan what is left of
        its deductible (and that is put to its accumulator), else the flat
        ``deductible_probability``; then coinsurance of the rest."""
        plan = sharing.deductible_plan
        on_plan = is_on_plan(plan, claim.plan_u)
        terms = plan if on_plan else sharing
        shared = contract.cost_shared
        copay = 0
        if contract.copay_due:
            copay = cents(terms.copay)
            copay = shared if shared < copay else copay
        copay = desk if desk > copay else copay
        copay = allowed if allowed < copay else copay
        rest = (allowed if allowed < shared else shared) - copay
        rest = rest if rest > 0 else 0
        if on_plan:
            deductibles = self.deductibles
            left = deductibles.remaining(plan, claim.patient, claim.service_day,
                                         claim.elsewhere_u)
            deductible = left if left < rest else rest
            deductibles.apply(claim.patient, claim.service_day, deductible)
            return copay, deductible, round((rest - deductible) * plan.coinsurance)
        if claim.u[U_DEDUCTIBLE] < sharing.deductible_probability:
            return copay, rest, 0
        return copay, 0, round(rest * sharing.coinsurance)

    def settle_deposit(self, day: int, claim: Claim) -> None:
        """Apply the desk's deposit to the claim's patient balance (a patient payment) and
        refund what exceeds it (cash paid back on ``day``)."""
        deposit = claim.deposit_cents
        if not deposit:
            return
        applied = min(deposit, claim.patient_balance)
        self.accounts.reduce(day, claim, lg.PATIENT_PAYMENT, applied)
        if deposit > applied:
            self.finance.refunded(day, deposit - applied, claim.provider)
        claim.deposit_cents = 0


def supervised_by(claim: Claim, payer: int) -> bool:
    """The claim is billed to ``payer`` (index) under its supervising physician: the primary
    the supervision was drawn for (a payer it is rebilled to, or its secondary, judges its own
    provider's enrolment)."""
    return claim.supervisor >= 0 and payer == claim.primary
