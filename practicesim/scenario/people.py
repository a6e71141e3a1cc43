"""The practice's people: providers and their clinic sessions (``providers``), staff roles
and their turnover (``staff``), and the patient's flow through them (``flow``)."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from practicesim.distributions import as_dist
from practicesim.scenario.base import Dist, Fraction, Money, NonNegative, Section
from practicesim.scenario.calendar import CLOCK, WEEKDAYS, Weekday, clock_minutes
from practicesim.scenario.payers import Enrollment


class Session(Section):
    """A block of clinic time repeated on the given weekdays, e.g. 08:00-12:00."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not CLOCK.match(value):
            raise ValueError(f"must be a time of day HH:MM, got {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if clock_minutes(self.end) <= clock_minutes(self.start):
            raise ValueError(f"end must be after start ({self.start}), got {self.end}")
        return self


def logistic_share(days: float, days_to_half: float, days_to_90pct: float) -> float:
    """Share of a full rate ``days`` after a ramp's start on the logistic curve
    ``1 / (1 + exp(-k (days - days_to_half)))``, ``k = ln 9 / (days_to_90pct - days_to_half)``
    (0 before the start)."""
    if days < 0:
        return 0.0
    k = math.log(9.0) / (days_to_90pct - days_to_half)
    return 1.0 / (1.0 + math.exp(-k * (days - days_to_half)))


class LogisticRamp(Section):
    """A rate growing along a logistic curve from a start: ``days_since_start`` days after it
    the share of the full rate is ``1 / (1 + exp(-k (t - days_to_half)))``,
    ``k = ln 9 / (days_to_90pct - days_to_half)`` (``logistic_share``)."""

    days_to_half: float = Field(gt=0)
    days_to_90pct: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> LogisticRamp:
        if self.days_to_90pct <= self.days_to_half:
            raise ValueError(f"days_to_90pct must be above days_to_half ({self.days_to_half:g}),"
                             f" got {self.days_to_90pct:g}")
        return self

    def share(self, days_since_start: float) -> float:
        """Share of the full rate ``days_since_start`` days after the start."""
        return logistic_share(days_since_start, self.days_to_half, self.days_to_90pct)


class PanelRamp(LogisticRamp):
    """A new provider's own demand: the patients her arrival brings (referrals, the practice's
    marketing, patients asking for a new doctor), growing along a logistic curve from her
    ``start_date`` to ``requests_per_day`` once her panel is mature.

    On a clinic day ``t`` days after the start she receives ``Poisson(requests_per_day x
    s(t) x the line's weekday and month factors)`` requests of her own, ``s(t)`` the logistic
    share (``logistic_share``); a request is a new patient with probability ``n + (1 - n)
    (1 - s(t))`` (``n``: the line's ``new_patient_share``: an empty panel's requests are all
    new patients, a mature one's as the practice's), else one of her own panel's patients. Her
    new patients join her panel at once and book with her first (then, as her established
    patients, with a colleague with ``scheduling.colleague_share``, else they are lost); they
    are not among the patients the practice's own demand draws from."""

    service_line: str | None = None
    """The service line of her requests (None: the first)."""
    requests_per_day: float = Field(gt=0)
    """Her own requests on a clinic day once her panel is mature."""


class Provider(Section):
    """A provider, or ``count`` identical providers named ``name_1 .. name_n``."""

    name: str
    count: int = Field(default=1, ge=1)
    sessions: list[Session] = Field(min_length=1)
    slot_minutes: int = Field(default=20, gt=0)
    start_date: date | None = None
    end_date: date | None = None
    annual_compensation: Money = 0.0
    """Salary (dollars a year), paid 1/24 on the 15th and the month's last day (``pay_model:
    salary``)."""
    pay_model: Literal["salary", "wrvu", "collections", "base_plus_bonus"] = "salary"
    """``salary``: ``annual_compensation``. ``wrvu``: production pay, each calendar month's
    work RVUs of her completed visits times ``dollars_per_wrvu``, paid on the 15th of the next
    month. ``collections``: ``collections_share`` of the cash collected on her claims (payers'
    and patients' payments, the desk's copays, net of refunds) in each calendar month, paid on
    the 15th of the next month. For both, while ``guarantee_months`` from ``start_date`` run,
    at least ``guarantee_per_year / 12`` a month (prorated by her days on staff in the month).
    ``base_plus_bonus``: ``annual_compensation`` as a salary, and each calendar quarter a bonus
    of ``dollars_per_wrvu`` for each work RVU above the quarter's share of
    ``bonus_wrvu_threshold`` (the threshold times her days on staff in the quarter / the days
    of the year), paid on the 15th after the quarter."""
    dollars_per_wrvu: Money = 0.0
    collections_share: Fraction = 0.0
    """``pay_model: collections``: her share of the cash collected on her claims (about 50% in
    the traditional private-practice model, Medscape, "Physician Payment Incentives, Bonuses,
    and RVUs"; primary-care physicians' pay was 0.558 of their collections in MGMA's 2011
    survey)."""
    bonus_wrvu_threshold: NonNegative = 0.0
    """``pay_model: base_plus_bonus``: work RVUs a year the base salary covers (commonly set
    near the MGMA median: 4,763 for family medicine in 2014)."""
    guarantee_per_year: Money = 0.0
    guarantee_months: int = Field(default=0, ge=0)
    credentialing: dict[str, Enrollment] = Field(default_factory=dict)
    """Per payer name; a payer not listed is enrolled throughout."""
    npp: bool = False
    """A nurse practitioner or physician assistant billing under their own NPI: payers pay
    their ``npp_pct`` of the allowed amount (Medicare 85%, 42 CFR 414.56 and 414.52)."""
    incident_to_share: Fraction = 0.0
    """For an ``npp`` provider: the share of her established patients' visits that meet the
    incident-to conditions (a physician's plan of care, a physician on site supervising) and
    are billed under a supervising physician's NPI, so every payer pays its full physician
    rate (Medicare Benefit Policy Manual ch. 15 s.60); new patients' visits never are."""
    recruiting_cost: Money = 0.0
    """Recruiter's fee, interviews, relocation and onboarding (dollars), paid on
    ``start_date`` (a provider without one was hired before the run: nothing)."""
    signing_bonus: Money = 0.0
    """Paid on ``start_date`` (dollars; none for a provider without one)."""
    malpractice_per_year: Money = 0.0
    """Professional liability premium (dollars a year), paid 1/12 on the 1st of each month
    the provider is on staff (for a day or more: a start on the 4th pays that month's)."""
    cme_per_year: Money = 0.0
    """Continuing medical education allowance (dollars a year), paid as the malpractice
    premium."""
    ehr_per_month: Money = 0.0
    """The provider's EHR and practice-management licences (dollars a month), paid on the 1st
    of each month on staff."""
    exam_rooms: int = Field(default=0, ge=0)
    """Exam rooms the practice adds for this provider, each at ``costs.exam_room_per_month``
    on the 1st of each month on staff (0: the provider uses rooms the practice has, whose cost
    is in its overhead)."""

    turnover_per_year: NonNegative = 0.0
    """Departures per provider-year (a Poisson rate): each holder of the seat leaves after an
    exponential time from her start (or the run's first day), unless her ``end_date`` comes
    first (``practicesim.seats.provider_tenures``). Physicians in medical groups 6.8% a year
    (AMGA/Cejka 2012); NPs and PAs 11.5% (same survey)."""
    replacement_days: Dist | None = None
    """Days from a departure to the successor's start (None: the seat is not filled again).
    The successor has the seat's terms and its recruiting cost and signing bonus, is enrolled
    with every payer from her start (her applications filed when she signs), and may leave in
    turn."""

    panel_ramp: PanelRamp | None = None
    """A new provider's own demand while her panel fills (None: no demand of her own; she
    sees the practice's patients who find her slots first)."""
    ramp_up_days: int = Field(default=0, ge=0)
    """Days after ``start_date`` over which her schedule opens to full (onboarding); for a
    seat without a ``start_date``, its successors' (``turnover_per_year``; none without
    turnover)."""
    ramp_up_slot_share: Fraction = 1.0
    """Share of her slots open on her first day, rising linearly to all of them after
    ``ramp_up_days``; each session's last slots are the closed ones (shorter sessions)."""

    @model_validator(mode="after")
    def _dates_ordered(self) -> Provider:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError(f"end_date must be after start_date ({self.start_date}), "
                             f"got {self.end_date}")
        if self.pay_model in ("wrvu", "base_plus_bonus") and self.dollars_per_wrvu <= 0:
            raise ValueError(f"pay_model {self.pay_model} needs dollars_per_wrvu above 0, got "
                             f"{self.dollars_per_wrvu:g}")
        if self.pay_model == "collections" and self.collections_share <= 0:
            raise ValueError("pay_model collections needs collections_share above 0, got "
                             f"{self.collections_share:g}")
        if self.incident_to_share and not self.npp:
            raise ValueError("incident_to_share applies to a nurse practitioner or physician "
                             f"assistant (npp: true), got {self.incident_to_share:g} with npp "
                             "false")
        if self.start_date is None and not self.turnover_per_year and self.panel_ramp:
            raise ValueError("panel_ramp needs a start_date (when the ramp starts) or turnover "
                             "(her successors' ramps), got neither")
        return self


class StaffRole(Section):
    """``count`` positions of one role, and its turnover (``practicesim/workforce.py``)."""

    count: int = Field(default=0, ge=0)
    hours_per_day: float = Field(default=8.0, gt=0, le=24)
    annual_salary: Money = 0.0
    turnover_per_year: NonNegative = 0.0
    """Departures per position per year (a Poisson rate; 0.3 = 30% annual turnover)."""
    vacancy_days: Dist = Field(default_factory=lambda: as_dist(0.0))
    """Days a position stays empty after a departure."""
    ramp_up_days: int = Field(default=0, ge=0)
    """Days a new hire takes to reach full output."""
    ramp_up_productivity: Fraction = 1.0
    """A new hire's output on the first day, as a share of full output."""
    ramp_up_error_factor: float = Field(default=1.0, ge=1)
    """A new hire's error rate on the first day as a multiple of the usual one, falling
    linearly to 1 over ``ramp_up_days`` (coders: claim errors; billers: corrected claims denied
    again)."""
    hiring_cost: Money = 0.0
    """Recruiting and training cost of each hire (dollars)."""


class Staff(Section):
    """Front desk (check-in), checkout, medical assistants (rooming), coders and billers."""

    front_desk: StaffRole = StaffRole()
    checkout: StaffRole = StaffRole()
    medical_assistants: StaffRole = StaffRole()
    coders: StaffRole = StaffRole()
    billers: StaffRole = StaffRole()
    other: StaffRole = StaffRole()
    """Staff with no modelled task (managers, nurses): salary only."""


class VisitFlow(Section):
    """Patient flow through the clinic, in minutes. A stage whose staff count is 0 is skipped,
    so the flow can be reduced to the provider stage alone."""

    punctuality_minutes: Dist = Field(default_factory=lambda: as_dist(0.0))
    """Arrival minus appointment time (negative = early)."""
    check_in_minutes: Dist = Field(default_factory=lambda: as_dist(3.0))
    rooming_minutes: Dist = Field(default_factory=lambda: as_dist(6.0))
    checkout_minutes: Dist = Field(default_factory=lambda: as_dist(3.0))
    walk_out_minutes: Dist | None = None
    """A patient's patience: one who must wait for the provider past this many minutes after
    the later of their arrival and their appointment time leaves unseen (no visit, no bill).
    None: nobody leaves."""
