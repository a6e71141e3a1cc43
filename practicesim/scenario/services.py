"""What the practice offers and charges: service lines and their visit types
(``service_lines``) and the fee schedule (``fee_schedule``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from practicesim.distributions import as_dist
from practicesim.scenario.base import Dist, Fraction, Money, NonNegative, Section, check_shares
from practicesim.scenario.payers import PriorAuthorization


class Telehealth(Section):
    """A visit type's video modality (``clinic/appointments.py``, ``clinic/flow.py``).

    ``share`` of the visit type's requests are booked as video visits, when the patient's payer
    pays for video visits (``payers[].telehealth_covered``; the others are seen in person).
    A video visit takes the provider's slot as an office visit does, but needs no check-in at the
    desk, no room, no rooming and no checkout (the patient joins from home, place of service 10);
    its no-show odds are the in-person odds times ``no_show_odds_ratio``; the provider's minutes
    are ``provider_minutes`` (default: the visit type's), and the add-on codes billed are
    ``add_ons`` (default: the visit type's; leave out what needs the patient in the room, such as
    a vaccine's administration or an ECG).
    """

    share: Fraction
    """Of the visit type's requests whose payer pays for video, the share booked by video."""
    no_show_odds_ratio: float = Field(default=1.0, gt=0)
    """A video appointment's no-show odds over the same appointment's in the office."""
    provider_minutes: Dist | None = None
    """The provider's minutes of a video visit (None: the visit type's)."""
    add_ons: dict[str, Fraction] | None = None
    """Add-on codes billed with a video visit, and their probabilities (None: the visit
    type's)."""


class VisitType(Section):
    """A kind of visit: its slots, the provider's minutes, and the codes billed.

    ``codes``: one evaluation-and-management (or main) code per visit, drawn with these
    probabilities (must sum to 1). ``add_ons``: each code billed too with its probability.
    ``units``: units billed of a code (default 1): its charge and allowed amount are the fee
    schedule's per-unit figures times the units.
    """

    name: str
    new_patient: bool = False
    share: float = Field(default=1.0, gt=0)
    """Weight among the line's visit types of the same kind (new or established)."""
    slots: int = Field(default=1, ge=1)
    provider_minutes: Dist
    documentation_minutes: Dist = Field(default_factory=lambda: as_dist(0.0))
    """The provider's EHR time for the visit outside the room (notes, orders, the inbox it
    brings), done in her sessions' idle time and, past that, after hours (``SessionStats``)."""
    codes: dict[str, float] = Field(min_length=1)
    add_ons: dict[str, Fraction] = Field(default_factory=dict)
    units: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    supply_cost: Money = 0.0
    """Dollars of supplies used per visit (e.g. allergen extracts), paid on the visit day."""
    prior_authorization: PriorAuthorization | None = None
    telehealth: Telehealth | None = None
    """Its video modality, if the practice offers it by video."""

    @field_validator("codes")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return check_shares(value)

    @model_validator(mode="after")
    def _units_of_billed_codes(self) -> VisitType:
        video_add_ons = self.telehealth.add_ons if self.telehealth is not None else None
        for code in self.units:
            if code not in self.codes and code not in self.add_ons and code not in (
                    video_add_ons or {}):
                raise ValueError(f"units: code {code} is not among the visit type's codes or "
                                 f"add_ons {sorted({*self.codes, *self.add_ons})}")
        return self


class ServiceLine(Section):
    name: str
    visit_types: list[VisitType] = Field(min_length=1)


class Rvu(Section):
    """A code's relative value units in the Medicare physician fee schedule (non-facility):
    physician work, practice expense, malpractice."""

    work: NonNegative
    pe: NonNegative
    mp: NonNegative


class Locality(Section):
    """The practice's Medicare payment locality: its geographic practice cost indices (GPCI)
    for work, practice expense and malpractice, from CMS's physician fee schedule (Addendum E
    of each year's final rule). 1, 1, 1 is the national amount."""

    name: str = "national"
    work_gpci: Annotated[float, Field(gt=0)] = 1.0
    pe_gpci: Annotated[float, Field(gt=0)] = 1.0
    mp_gpci: Annotated[float, Field(gt=0)] = 1.0

    @property
    def national(self) -> bool:
        """All three indices are 1 (no geographic adjustment)."""
        return self.work_gpci == self.pe_gpci == self.mp_gpci == 1.0


class FeeScheduleEntry(Section):
    """The practice's charge for a code and Medicare's national allowed amount for it
    (dollars, per unit), with its RVUs (``rvu``: needed to price it in a locality other than
    the national one). ``preventive``: a preventive service that plans cover without cost
    sharing (ACA section 2713; Medicare's wellness visits and vaccines), unless a payer's
    ``preventive_cost_sharing`` says otherwise."""

    charge: Money
    medicare_allowed: Money
    preventive: bool = False
    rvu: Rvu | None = None

    def medicare_in(self, locality: Locality) -> float:
        """Medicare's allowed amount in ``locality`` (dollars, per unit): the national amount
        times (work x work GPCI + PE x PE GPCI + MP x MP GPCI) / (work + PE + MP), which is
        the PFS formula (RVUs x GPCIs x conversion factor) with the conversion factor the
        national amount implies."""
        rvu = self.rvu
        if locality.national or rvu is None or rvu.work + rvu.pe + rvu.mp == 0:
            return self.medicare_allowed
        weighted = (rvu.work * locality.work_gpci + rvu.pe * locality.pe_gpci
                    + rvu.mp * locality.mp_gpci)
        return self.medicare_allowed * weighted / (rvu.work + rvu.pe + rvu.mp)
