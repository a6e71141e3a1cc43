"""A completed visit as the clinic hands it to charge capture (an encounter not yet billed):
what the engine passes from the clinic to the revenue cycle, which makes the visit's claim of it.
"""

from __future__ import annotations

from typing import NamedTuple


class Encounter(NamedTuple):
    """One completed visit's billing facts. Money in integer cents; days are simulation days.
    A named tuple: one is made per visit, and it is cheap to make."""

    visit: int
    """The visit's number in the run (its claim, if its charge is entered, has this id)."""
    patient: int
    payer: int
    provider: int
    service_day: int
    charge_cents: int
    """The codes' charges (fee schedule, per unit)."""
    medicare_allowed_cents: int
    """What Medicare allows for the same codes (payers' allowed amounts scale from it)."""
    copay_collected_cents: int
    """Cash the desk took on the day of the visit (0 if it asked for none or got none)."""
    authorization_missing: bool
    """The payer required a prior authorization the visit lacks."""
    verified: bool
    """The patient's coverage was verified before the visit."""
