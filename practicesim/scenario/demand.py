"""Who asks for visits and how they are booked: appointment requests per service line
(``demand``, with a ramp for a new line), scheduling policy (``scheduling``) and no-shows
(``no_shows``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from practicesim.scenario.base import Dist, Fraction, NonNegative, Section
from practicesim.scenario.calendar import Weekday
from practicesim.scenario.people import LogisticRamp


class Ramp(LogisticRamp):
    """Demand growing along a logistic curve from ``start`` (a new service line): on day t
    after ``start`` the rate is ``1 / (1 + exp(-k (t - days_to_half)))`` of the full rate,
    ``k = ln 9 / (days_to_90pct - days_to_half)``; before ``start`` there is none."""

    start: date


class Demand(Section):
    """Appointment requests for one service line.

    Requests on a clinic day ~ Poisson(requests_per_day * weekday factor * month factor *
    ramp share * G), G ~ Gamma(mean 1, cv ``dispersion``) (``dispersion`` 0: plain Poisson;
    no ``ramp``: share 1).
    """

    service_line: str
    requests_per_day: float = Field(ge=0)
    new_patient_share: Fraction = 0.15
    dispersion: float = Field(default=0.0, ge=0)
    weekday_factors: dict[Weekday, NonNegative] = Field(default_factory=dict)
    month_factors: dict[Annotated[int, Field(ge=1, le=12)], NonNegative] = Field(
        default_factory=dict)
    walk_ins_per_hour: dict[Annotated[int, Field(ge=0, le=23)], NonNegative] = Field(
        default_factory=dict)
    """Poisson walk-in rate by clock hour (0-23) on clinic days, e.g. ``{8: 0.5, 9: 1.0}``."""
    ramp: Ramp | None = None

    @property
    def name(self) -> str:
        return self.service_line


class Scheduling(Section):
    """How requests become appointments."""

    booking_horizon_days: int = Field(default=90, gt=0)
    min_lead_days: int = Field(default=1, ge=0)
    """0 allows same-day booking."""
    patient_tolerance_days: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 21, "p90": 60}
    )
    """Longest lead time a patient accepts; beyond it the request is lost (booked elsewhere)."""
    uncredentialed_policy: Literal["do_not_book", "hold_claims", "bill_anyway",
                                   "supervising_physician", "refer_out"] = "do_not_book"
    """What the practice does while a provider is not enrolled with a patient's payer:
    ``do_not_book``, she is not booked for its patients (her own patients go to a colleague
    with ``colleague_share``, else are lost); ``refer_out``, the same, but the practice refers
    every one of her patients to a colleague (booked with the earliest colleague within the
    patient's tolerance, else lost); ``hold_claims``, she sees them and the claims wait for the
    enrolment (then paid for the dates the payer's rule covers, the rest denied); ``bill_anyway``,
    claims go out at once (denied CO-B7 outside the covered dates);
    ``supervising_physician``, she sees them, and a visit is billed under an enrolled
    supervising physician where the payer allows it (``payers[].supervised_billing_share``),
    else its claim is held as under ``hold_claims``."""
    overbook_per_session: int = Field(default=0, ge=0)
    """Extra appointments booked in each session on top of its slots, at its first slot time."""
    overbook_no_show_rate: Fraction = 0.0
    """Overbooking by expected no-shows: the share of appointments the practice expects to be
    missed (no-shows and late cancellations); each session of n slots gets ``round(n x rate)``
    extra appointments, each doubling a slot spread evenly through the session."""
    early_cancel_rate: Fraction = 0.05
    """Cancelled with notice (at least a day); the slot returns to the book."""
    continuity: Literal["any_provider", "own_provider"] = "any_provider"
    """``any_provider``: every request takes the earliest slot of any provider.
    ``own_provider``: patients belong to a provider's panel (the provider they were first
    booked with; the opening panel split among the providers on staff on the first day in
    proportion to their slots in the first four weeks); an established patient is booked with
    their own provider if she has a slot within their tolerance, else takes a colleague's
    earliest slot with probability ``colleague_share``, else is lost; a patient whose provider
    has left stays with the practice (and joins the panel of whoever sees them) with
    probability ``retained_share``, else leaves for good (and asks for no more visits)."""
    first_available_share: Fraction = 0.0
    """Requests that take the earliest slot of any provider whoever the patient's own provider
    is (an acute need, or convenience), under ``own_provider``; the patient keeps her own."""
    colleague_share: Fraction = 0.5
    """Established patients who accept a colleague when their own provider has no slot within
    their tolerance (``own_provider`` only)."""
    retained_share: Fraction = 0.7
    """Patients of a departed provider who stay with the practice (``own_provider`` only)."""
    panel_size: int = Field(default=20000, ge=1)
    """Established patients at the start (the panel grows with new ones). Not tied to the
    number of providers, so adding one leaves every request's patient and payer unchanged (a
    new provider's own patients, ``providers[].panel_ramp``, are kept apart)."""


class NoShows(Section):
    """Probability that a booked patient does not come.

    ``logit p = logit(base_rate) + ln(lead_time_odds_ratio_per_week) * lead_days / 7
    + ln(reminder_odds_ratio) * reminded``; late cancellations (under a day's notice) are drawn
    apart with ``late_cancel_rate``. Odds ratios of 1 and no reminders give a fixed rate.
    """

    base_rate: Fraction = 0.08
    lead_time_odds_ratio_per_week: float = Field(default=1.0, gt=0)
    reminder_share: Fraction = 0.0
    reminder_odds_ratio: float = Field(default=1.0, gt=0)
    late_cancel_rate: Fraction = 0.0
    model: str | None = None
    """A fitted no-show model (JSON written by ``practicesim calibrate``; a path relative to
    the scenario file that names it): when given, it gives each appointment's probability in
    place of ``base_rate`` and the odds ratios (``clinic.noshows.FittedNoShows``)."""
