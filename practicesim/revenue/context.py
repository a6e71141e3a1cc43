"""What the parts of the revenue cycle share beyond the practice's context: the accounts (the
ledger and every claim's balances) and the outsourced vendor."""

from __future__ import annotations

from dataclasses import dataclass

from practicesim.context import Context
from practicesim.revenue.claims import Accounts
from practicesim.revenue.vendor import Vendor


@dataclass(slots=True)
class RevenueContext(Context):
    """The practice's ``Context`` with the revenue cycle's shared parts. One object of this
    class is the context of every part of a running practice, clinic and revenue alike."""

    accounts: Accounts
    """Posts to the ledger and keeps each claim's balances."""
    vendor: Vendor
    """The outsourced revenue-cycle vendor, if any (``scenario.outsourcing``)."""
