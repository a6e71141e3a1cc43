"""A completed visit as the clinic hands it to charge capture (an encounter not yet billed):
what the engine passes from the clinic to the revenue cycle, which makes the visit's claim of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

V_PUNCTUALITY, V_CHECK_IN, V_ROOMING, V_PROVIDER, V_CHECKOUT = range(5)
V_DESK, V_AUTHORIZATION, V_CHARGE_LAG, V_MISSED = range(5, 9)
V_CODES = 9
"""A visit's own uniforms (``Encounter.u``), keyed by its identity (``streams.Streams.keyed``,
purpose ``"visit"``): the arrival's flow times (punctuality, check-in, rooming, provider,
checkout), the desk's copay, a missing authorization, the charge lag, a missed charge, then its
codes from ``V_CODES`` on (the main code, then each add-on in order)."""


def visit_draws(max_add_ons: int) -> int:
    """The width of a visit's block of uniforms when a visit type has up to ``max_add_ons``."""
    return V_CODES + 1 + max_add_ons


class Line(NamedTuple):
    """One billed code: its units, and its charge and Medicare allowed amount for them
    (cents); ``preventive``: the fee schedule's flag (``practicesim/contracts.py``);
    ``coded``: the code the visit was coded with, when the payer is billed another in its place
    (``payers[].substitutes``)."""

    code: str
    units: int
    charge_cents: int
    medicare_cents: int
    preventive: bool
    coded: str = ""


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
    """The copay (or self-pay amount) the desk took on the day of the visit (0 if it asked for
    none or got none)."""
    authorization_missing: bool
    """The payer required a prior authorization the visit lacks."""
    verified: bool
    """The patient's coverage was verified before the visit."""
    key: int
    """The visit's identity (its request's, or the walk-in's): keys the visit's and its claim's
    random draws, so the same visit draws the same numbers in every scenario."""
    u: Sequence[float]
    """The visit's own uniforms, indexed by ``V_*``."""
    coverage_u: float
    """The patient's uniform for its secondary payer (``PatientPanel.coverage``)."""
    plan_u: float = 1.0
    """The patient's uniform for its payer's deductible plan (``practicesim.deductibles``)."""
    elsewhere_u: float = 0.5
    """The patient's uniform for its care elsewhere in the year of the visit."""
    deposit_cents: int = 0
    """The desk's estimate of patient responsibility beyond the copay, taken on the day of the
    visit and held until the payer's remittance (``patient_collections.point_of_service``)."""
    assisted: bool = False
    """The patient qualifies for the practice's financial assistance (self-pay)."""
    lines: tuple[Line, ...] = ()
    """The codes billed, main code first (their charges add up to ``charge_cents``)."""
    incident_to: bool = False
    """An NPP's visit billed incident-to a supervising physician (paid the physician rate)."""
    supervisor: int = -1
    """The enrolled supervising physician (seat) a not-yet-enrolled provider's visit is billed
    under (``scheduling.uncredentialed_policy: supervising_physician``; paid the physician
    rate); -1: none."""
    telehealth: bool = False
    """A video visit with the patient at home (place of service 10; ``visit_types[].telehealth``):
    its payer allows ``telehealth_pct`` of the office rate."""
    expected_cents: int = -1
    """What the practice expects to be paid for it on the day of the visit: its payer's
    contracted allowed amount plus the charges of the lines it does not cover (the patient's),
    or a self-pay patient's charge less the discount (-1: unknown)."""
