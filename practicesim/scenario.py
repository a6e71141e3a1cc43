"""A practice and its policies as validated, immutable data: the scenario file format.

A scenario is a YAML file validated by the pydantic models below. Money is written in dollars
(converted to integer cents where it is added), durations in minutes, lags and windows in days,
rates as fractions. Unknown keys are errors. A file may ``extends:`` another (path relative to
itself) and override any part: mappings merge key by key, lists of named items (providers,
payers, service lines, demand) merge by ``name`` (an item with ``remove: true`` drops the named
item), other lists and values replace.

Dated changes (``changes:``) say what changes on a date, as dotted key paths::

    changes:
      - date: 2027-03-01
        note: hire a second biller
        set: {staff.billers.count: 2}

List items are addressed by index or by name: ``payers[commercial_a].denial.rate``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import math
import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from practicesim.distributions import DistModel, as_dist

Dist = Annotated[DistModel, BeforeValidator(as_dist)]
Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]
Money = Annotated[float, Field(ge=0)]
"""Dollars in the file; the engine converts to integer cents."""


class ScenarioError(ValueError):
    """A scenario file is wrong: the message names the file, the key path, expected and found."""


class Weekday(StrEnum):
    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"

    @property
    def index(self) -> int:
        """Monday = 0, as ``date.weekday()``."""
        return list(Weekday).index(self)


WEEKDAYS = [Weekday.mon, Weekday.tue, Weekday.wed, Weekday.thu, Weekday.fri]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, validate_default=True,
        allow_inf_nan=False,
    )


def clock_minutes(text: str) -> int:
    """``"08:30"`` -> 510 minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _shares(value: dict[str, float]) -> dict[str, float]:
    """Shares over codes must be >= 0 and sum to 1."""
    total = sum(value.values())
    if abs(total - 1.0) > 1e-6 or any(p < 0 for p in value.values()):
        raise ValueError(f"shares must be >= 0 and sum to 1, got sum {total:g}")
    return value


# --- calendar -------------------------------------------------------------------------------


class Calendar(_Model):
    """When the practice runs. The simulation starts ``warmup_days`` before ``start`` so that
    A/R and queues are filled when reporting begins; KPIs cover ``[start, start + horizon_days)``.
    """

    start: date
    horizon_days: int = Field(gt=0, le=3660)
    warmup_days: int = Field(default=0, ge=0, le=1830)
    clinic_days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    holidays: list[date] = Field(default_factory=list)


# --- providers and staff --------------------------------------------------------------------


class Session(_Model):
    """A block of clinic time repeated on the given weekdays, e.g. 08:00-12:00."""

    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"must be a time of day HH:MM, got {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Session:
        if clock_minutes(self.end) <= clock_minutes(self.start):
            raise ValueError(f"end must be after start ({self.start}), got {self.end}")
        return self


class Enrollment(_Model):
    """A provider's enrollment with one payer.

    ``effective``: the date the enrollment takes effect (None = always enrolled). Or, when the
    date is not known in advance: ``applied``, the date the application went in, and
    ``processing_days``, the payer's processing time (a distribution, days): the enrollment
    takes effect ``ceil(processing_days)`` after ``applied``, drawn per replication from a
    stream keyed by provider and payer (so the same provider and payer get the same draw in
    every scenario of a comparison). The payer pays for services from ``covers_from`` (default:
    the effective date; for Medicare 30 days before it, 42 CFR 424.520(d)). ``lapses``: first
    date of service no longer covered (re-credentialing or revalidation missed), None = never.
    ``renewed``: first date of service covered again after the lapse (None = never renewed);
    services in ``[lapses, renewed)`` are never paid (Medicare reactivates billing privileges
    from the day the new application is received, leaving a gap: 42 CFR 424.555(b); HHS
    Departmental Appeals Board decision CR5613, 2020).
    """

    effective: date | None = None
    applied: date | None = None
    processing_days: Dist | None = None
    covers_from: date | None = None
    lapses: date | None = None
    renewed: date | None = None

    @model_validator(mode="after")
    def _one_way_to_take_effect(self) -> Enrollment:
        if self.renewed is not None and (self.lapses is None or self.renewed <= self.lapses):
            raise ValueError(f"renewed ({self.renewed}) needs a lapses date before it, got "
                             f"lapses {self.lapses}")
        if (self.applied is None) != (self.processing_days is None):
            raise ValueError("applied and processing_days go together (the effective date is "
                             "applied + processing_days)")
        if self.applied is not None and self.effective is not None:
            raise ValueError("give either effective, or applied with processing_days, not both")
        return self


class Provider(_Model):
    """A provider, or ``count`` identical providers named ``name_1 .. name_n``."""

    name: str
    count: int = Field(default=1, ge=1)
    sessions: list[Session] = Field(min_length=1)
    slot_minutes: int = Field(default=20, gt=0)
    start_date: date | None = None
    end_date: date | None = None
    annual_compensation: Money = 0.0
    credentialing: dict[str, Enrollment] = Field(default_factory=dict)
    """Per payer name; a payer not listed is enrolled throughout."""

    @model_validator(mode="after")
    def _dates_ordered(self) -> Provider:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError(f"end_date must be after start_date ({self.start_date}), "
                             f"got {self.end_date}")
        return self


class StaffRole(_Model):
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


class Staff(_Model):
    """Front desk (check-in), checkout, medical assistants (rooming), coders and billers."""

    front_desk: StaffRole = StaffRole()
    checkout: StaffRole = StaffRole()
    medical_assistants: StaffRole = StaffRole()
    coders: StaffRole = StaffRole()
    billers: StaffRole = StaffRole()
    other: StaffRole = StaffRole()
    """Staff with no modelled task (managers, nurses): salary only."""


class VisitFlow(_Model):
    """Patient flow through the clinic, in minutes. A stage whose staff count is 0 is skipped,
    so the flow can be reduced to the provider stage alone."""

    punctuality_minutes: Dist = Field(default_factory=lambda: as_dist(0.0))
    """Arrival minus appointment time (negative = early)."""
    check_in_minutes: Dist = Field(default_factory=lambda: as_dist(3.0))
    rooming_minutes: Dist = Field(default_factory=lambda: as_dist(6.0))
    checkout_minutes: Dist = Field(default_factory=lambda: as_dist(3.0))


# --- service lines, fee schedule, demand ------------------------------------------------------


class PriorAuthorization(_Model):
    """Payers that must authorize a visit type before it happens (``clinic/appointments.py``).

    A request from a patient of one of ``payers`` waits ``days`` (drawn) for the decision
    before it can be booked; the payer refuses ``refusal_rate`` of requests (no visit). Of the
    visits done, ``missing_rate`` go out without a valid authorization (expired, wrong code or
    units) and are denied CO-197. Each request costs ``cost`` dollars of staff time.
    """

    payers: list[str] = Field(min_length=1)
    days: Dist = Field(default_factory=lambda: {"dist": "lognormal", "median": 5, "p90": 14})
    refusal_rate: Fraction = 0.0
    missing_rate: Fraction = 0.0
    cost: Money = 0.0


class VisitType(_Model):
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
    codes: dict[str, float] = Field(min_length=1)
    add_ons: dict[str, Fraction] = Field(default_factory=dict)
    units: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    supply_cost: Money = 0.0
    """Dollars of supplies used per visit (e.g. allergen extracts), paid on the visit day."""
    prior_authorization: PriorAuthorization | None = None

    @field_validator("codes")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value)

    @model_validator(mode="after")
    def _units_of_billed_codes(self) -> VisitType:
        for code in self.units:
            if code not in self.codes and code not in self.add_ons:
                raise ValueError(f"units: code {code} is not among the visit type's codes or "
                                 f"add_ons {sorted({*self.codes, *self.add_ons})}")
        return self


class ServiceLine(_Model):
    name: str
    visit_types: list[VisitType] = Field(min_length=1)


class FeeScheduleEntry(_Model):
    """The practice's charge for a code and Medicare's allowed amount for it (dollars)."""

    charge: Money
    medicare_allowed: Money


class Ramp(_Model):
    """Demand growing along a logistic curve from ``start`` (a new service line): on day t
    after ``start`` the rate is ``1 / (1 + exp(-k (t - days_to_half)))`` of the full rate,
    ``k = ln 9 / (days_to_90pct - days_to_half)``; before ``start`` there is none."""

    start: date
    days_to_half: float = Field(gt=0)
    days_to_90pct: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Ramp:
        if self.days_to_90pct <= self.days_to_half:
            raise ValueError(f"days_to_90pct must be above days_to_half ({self.days_to_half:g}),"
                             f" got {self.days_to_90pct:g}")
        return self

    def share(self, days_since_start: float) -> float:
        """Share of the full rate ``days_since_start`` days after ``start``."""
        if days_since_start < 0:
            return 0.0
        k = math.log(9.0) / (self.days_to_90pct - self.days_to_half)
        return 1.0 / (1.0 + math.exp(-k * (days_since_start - self.days_to_half)))


class Demand(_Model):
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


class Scheduling(_Model):
    """How requests become appointments."""

    booking_horizon_days: int = Field(default=90, gt=0)
    min_lead_days: int = Field(default=1, ge=0)
    """0 allows same-day booking."""
    patient_tolerance_days: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 21, "p90": 60}
    )
    """Longest lead time a patient accepts; beyond it the request is lost (booked elsewhere)."""
    uncredentialed_policy: Literal["do_not_book", "hold_claims", "bill_anyway"] = "do_not_book"
    overbook_per_session: int = Field(default=0, ge=0)
    """Extra appointments booked in each session on top of its slots, at its first slot time."""
    overbook_no_show_rate: Fraction = 0.0
    """Overbooking by expected no-shows: the share of appointments the practice expects to be
    missed (no-shows and late cancellations); each session of n slots gets ``round(n x rate)``
    extra appointments, each doubling a slot spread evenly through the session."""
    early_cancel_rate: Fraction = 0.05
    """Cancelled with notice (at least a day); the slot returns to the book."""
    panel_size: int = Field(default=20000, ge=1)
    """Established patients at the start (the panel grows with new ones). Not tied to the
    number of providers, so adding one leaves every request's patient and payer unchanged."""


class NoShows(_Model):
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


# --- payers --------------------------------------------------------------------------------


class Denials(_Model):
    """Denials on first adjudication, besides those caused by claim errors the scrubber missed.

    ``reasons``: CARC code -> share of these denials (sums to 1).
    """

    rate: Fraction = 0.05
    reasons: dict[str, float] = Field(default_factory=lambda: {"16": 1.0})
    resubmission_denial_rate: Fraction = 0.10
    """Chance a corrected, resubmitted claim is denied again."""

    @field_validator("reasons")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value)


class CostSharing(_Model):
    """Patient responsibility on an adjudicated claim: copay (PR-3, dollars per visit), then
    with ``deductible_probability`` the rest of the allowed amount goes to the deductible
    (PR-1), otherwise ``coinsurance`` of the rest is the patient's (PR-2)."""

    copay: Money = 0.0
    coinsurance: Fraction = 0.0
    deductible_probability: Fraction = 0.0


class Payer(_Model):
    """A payer (insurer) or self-pay.

    ``allowed_pct_of_medicare``: allowed amount per code as a fraction of Medicare's (1.0 =
    Medicare). ``lag_days``: days from submission to remittance, never below ``floor_days``
    (0 by default; set 14 for Medicare, whose clean claims are not paid earlier). Self-pay
    patients get ``self_pay_discount`` off charges and owe the rest.
    """

    name: str
    kind: Literal["medicare", "medicaid", "commercial", "medicare_advantage", "self_pay"]
    share: float = Field(gt=0)
    """Share of the practice's patients (normalised over payers)."""
    allowed_pct_of_medicare: float = Field(default=1.0, gt=0)
    lag_days: Dist = Field(default_factory=lambda: {"dist": "lognormal", "median": 14, "p90": 28})
    floor_days: int = Field(default=0, ge=0)
    denial: Denials = Denials()
    timely_filing_days: int = Field(default=365, gt=0)
    appeal_window_days: int = Field(default=120, gt=0)
    cost_sharing: CostSharing = CostSharing()
    self_pay_discount: Fraction = 0.0


# --- billing, patient collections, costs ------------------------------------------------------

DenialAction = Literal["correct", "appeal", "write_off"]


class Billing(_Model):
    """Charge capture, coding, scrubbing, submission and denial rework."""

    charge_lag_days: Dist = Field(default_factory=lambda: {"dist": "gamma", "mean": 2, "cv": 0.7})
    missed_charge_rate: Fraction = 0.01
    coding_minutes_per_claim: Dist = Field(default_factory=lambda: as_dist(4.0))
    claim_error_rate: Fraction = 0.12
    """Claims leaving coding with an error a scrubber edit can catch."""
    scrubber_catch_rate: Fraction = 0.75
    scrub_fix_days: Dist = Field(default_factory=lambda: as_dist(1.0))
    clearinghouse_rejection_rate: Fraction = 0.02
    posting_lag_days: Dist = Field(default_factory=lambda: as_dist(0.0))
    """Days from a remittance (ERA) arriving to its posting in the ledger."""
    rejection_fix_days: Dist = Field(default_factory=lambda: as_dist(2.0))
    error_denial_reasons: dict[str, float] = Field(
        default_factory=lambda: {"16": 0.6, "4": 0.2, "11": 0.2}
    )
    """CARC mix of denials caused by errors the scrubber missed (sums to 1)."""
    rework_minutes_per_denial: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 15, "p90": 35}
    )
    denial_share_of_biller_time: Fraction = 0.5
    queue_priority: Literal["fifo", "oldest_first", "largest_first", "deadline_first"] = "fifo"
    appeal_success_rate: Fraction = 0.55
    appeal_decision_days: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 30, "p90": 60}
    )
    denial_actions: dict[str, DenialAction] = Field(default_factory=dict)
    """CARC -> what billers do; codes not listed use the package defaults (docs)."""

    @field_validator("error_denial_reasons")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return _shares(value)


class PatientCollections(_Model):
    """Patient balances: desk collection, monthly statements, agency, bad debt.

    After each statement the patient pays the whole balance with the next probability of
    ``pay_probability_per_statement``; after the last one unpaid, the balance goes to the
    agency, which recovers ``agency_recovery_rate`` of accounts (keeping ``agency_fee_rate``);
    the rest is written off as bad debt.
    """

    desk_collection_rate: Fraction = 0.85
    """Copays (and self-pay estimates) collected at the desk on the day of the visit."""
    statement_cycle_days: int = Field(default=30, gt=0)
    pay_probability_per_statement: list[Fraction] = Field(
        default_factory=lambda: [0.45, 0.30, 0.20], min_length=1, max_length=6
    )
    agency_recovery_rate: Fraction = 0.15
    agency_fee_rate: Fraction = 0.30
    agency_days: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 90, "p90": 240}
    )
    statement_cost: Money = 1.0


class FrontOffice(_Model):
    """Front-office work before the visit (the practice management checklist)."""

    eligibility_check_share: Fraction = 0.0
    """Share of appointments booked at least two days ahead whose coverage is verified 48 hours
    before the visit."""
    eligibility_fix_rate: Fraction = 0.8
    """Share of a verified visit's eligibility problems that the check finds and fixes before
    the claim goes out."""
    eligibility_reasons: list[str] = Field(
        default_factory=lambda: ["22", "24", "26", "27", "31", "32", "33", "109", "177", "200"])
    """CARC reasons of eligibility problems: coordination of benefits, capitated plan, coverage
    not yet in force or ended, patient not identified as insured or not an eligible dependent,
    no dependent coverage, not covered by this payer, eligibility requirements not met, lapse
    in coverage."""
    eligibility_check_cost: Money = 0.0
    """Dollars per check: the real-time eligibility transaction and the front desk's time."""
    reminder_cost: Money = 0.0
    """Dollars per appointment reminder sent (e.g. a text message service)."""


class OneTimeCost(_Model):
    """A cost paid once (dollars), e.g. equipment or training for a new service line."""

    date: dt.date
    amount: Money
    note: str = ""


class Costs(_Model):
    """Operating costs besides salaries (dollars)."""

    fixed_overhead_per_month: Money = 0.0
    rcm_software_per_month: Money = 0.0
    clearinghouse_fee_per_claim: Money = 0.0
    one_time: list[OneTimeCost] = Field(default_factory=list)
    """Costs paid once on their dates (booked as ``one_time_costs``)."""


class Outsourcing(_Model):
    """A revenue-cycle vendor that takes over work from ``start`` (``practicesim/revenue/
    vendor.py``). ``scope``: ``coding`` (coding, scrubbing and claim submission) and/or
    ``denials`` (denial management). The vendor's performance terms left unset are the
    practice's own (``billing``): a vendor is assumed no better and no worse unless the file
    says so. Its capacity rises linearly from ``transition_productivity`` to full over
    ``transition_days`` after ``start``: work that arrives faster waits, a transition backlog."""

    start: date | None = None
    """First day the vendor does the work (None: everything stays in-house)."""
    scope: list[Literal["coding", "denials"]] = Field(
        default_factory=lambda: ["coding", "denials"], min_length=1)
    fee_rate: Fraction = 0.06
    """The vendor's fee, a share of the collections in ``fee_base``."""
    fee_base: Literal["collections", "recovered_denials"] = "collections"
    """``collections``: payer payments, patient statement payments and collection-agency
    recoveries from ``start`` on (desk copays excluded); ``recovered_denials``: only payer
    payments on claims whose denial the vendor worked (a contingency fee, usual for
    denial-management-only contracts)."""
    setup_fee: Money = 0.0
    """One-time dollars paid on ``start`` (implementation, interfaces, training)."""
    transition_days: int = Field(default=60, ge=0)
    transition_productivity: Fraction = 0.5
    claims_coded_per_day: float | None = Field(default=None, gt=0)
    """Claims the vendor codes and sends per business day at full capacity (None: no limit)."""
    submit_lag_days: int = Field(default=1, ge=0)
    """Days from charge entry until the vendor can code a claim (its turnaround)."""
    claim_error_rate: Fraction | None = None
    scrubber_catch_rate: Fraction | None = None
    denial_rate_factor: float = Field(default=1.0, ge=0)
    """Multiplies the payers' denial rates on claims the vendor sends (its front-end edits and
    payer-specific rules: below 1 for a vendor that prevents denials)."""
    denials_worked_per_day: float | None = Field(default=None, gt=0)
    """Denials the vendor works (corrects or appeals) per business day at full capacity (None:
    no limit)."""
    appeal_success_rate: Fraction | None = None


# --- dated changes and the whole scenario -----------------------------------------------------


class Change(_Model):
    date: dt.date
    set: dict[str, Any] = Field(min_length=1)
    note: str = ""


class Scenario(_Model):
    """A whole practice: immutable and picklable, so replications can run in other processes."""

    name: str
    description: str = ""
    calendar: Calendar
    providers: list[Provider] = Field(min_length=1)
    staff: Staff = Staff()
    flow: VisitFlow = VisitFlow()
    service_lines: list[ServiceLine] = Field(min_length=1)
    fee_schedule: dict[str, FeeScheduleEntry] = Field(min_length=1)
    demand: list[Demand] = Field(min_length=1)
    scheduling: Scheduling = Scheduling()
    no_shows: NoShows = NoShows()
    payers: list[Payer] = Field(min_length=1)
    billing: Billing = Billing()
    patient_collections: PatientCollections = PatientCollections()
    costs: Costs = Costs()
    front_office: FrontOffice = FrontOffice()
    outsourcing: Outsourcing = Outsourcing()
    starting_cash: float = 0.0
    changes: list[Change] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)
    """Where values come from: key path (``payers[medicaid].denial.rate``, or a part of the
    scenario such as ``payers[medicaid]``) -> text (``calibrated from data: ...``,
    ``contract signed 2026-10``). Reports print it beside the value; ``practicesim calibrate``
    fills it. Not part of ``hash`` (it does not change what is simulated). A scenario file's
    entries must name values of the file's scenario (``validate``); an empty text drops an
    entry inherited through ``extends`` (e.g. of a payer the child removes); an entry whose value
    a later change removes simply no longer applies."""

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        _unique("providers", [p.name for p in self.providers])
        _unique("payers", [p.name for p in self.payers])
        _unique("service_lines", [s.name for s in self.service_lines])
        payer_names = {p.name for p in self.payers}
        for i, provider in enumerate(self.providers):
            for payer in provider.credentialing:
                if payer not in payer_names:
                    raise ValueError(
                        f"providers[{i}].credentialing: unknown payer {payer!r}, "
                        f"expected one of {sorted(payer_names)}"
                    )
        lines = {s.name for s in self.service_lines}
        for i, demand in enumerate(self.demand):
            if demand.service_line not in lines:
                raise ValueError(
                    f"demand[{i}].service_line: unknown service line {demand.service_line!r}, "
                    f"expected one of {sorted(lines)}"
                )
        for s, line in enumerate(self.service_lines):
            for v, visit_type in enumerate(line.visit_types):
                for code in [*visit_type.codes, *visit_type.add_ons]:
                    if code not in self.fee_schedule:
                        raise ValueError(
                            f"service_lines[{s}].visit_types[{v}]: code {code} is not in "
                            "fee_schedule"
                        )
                authorization = visit_type.prior_authorization
                for payer in authorization.payers if authorization else []:
                    if payer not in payer_names:
                        raise ValueError(
                            f"service_lines[{s}].visit_types[{v}].prior_authorization.payers: "
                            f"unknown payer {payer!r}, expected one of {sorted(payer_names)}")
        return self

    @property
    def hash(self) -> str:
        """SHA-256 of the scenario's canonical JSON (``sources`` left out): equal scenarios
        have equal hashes."""
        text = json.dumps(self.model_dump(mode="json", by_alias=True, exclude={"sources"}),
                          sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_changes(self, updates: dict[str, Any]) -> Scenario:
        """A copy with dotted key paths set (``{"staff.billers.count": 3}``), re-validated."""
        data = self.model_dump(mode="json", by_alias=True)
        for path, value in updates.items():
            set_path(data, path, value)
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(_explain(exc, data, None)) from None

    def epochs(self) -> list[tuple[date, Scenario]]:
        """The scenario in force from each change date on: ``[(first simulated day, s0), (d1,
        s1), ...]``. Changes on the same date apply together, in file order."""
        first = self.calendar.start - dt.timedelta(days=self.calendar.warmup_days)
        base = self.model_copy(update={"changes": []})
        out: list[tuple[date, Scenario]] = [(first, base)]
        for change in sorted(self.changes, key=lambda c: c.date):
            current = out[-1][1].with_changes(change.set)
            if change.date == out[-1][0] and len(out) > 1:
                out[-1] = (change.date, current)
            else:
                out.append((change.date, current))
        return out


def _unique(key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{key}[{i}].name: duplicate name {name!r}")
        seen.add(name)


# --- key paths ------------------------------------------------------------------------------

_PART = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def parse_path(path: str) -> list[str | int]:
    """``"payers[commercial_a].denial.rate"`` -> ``["payers", "commercial_a", "denial", "rate"]``;
    a bracketed integer becomes an index."""
    parts: list[str | int] = []
    for name, bracket in _PART.findall(path):
        if bracket:
            parts.append(int(bracket) if bracket.lstrip("-").isdigit() else bracket)
        else:
            parts.append(name)
    if not parts:
        raise ScenarioError(f"empty key path {path!r}")
    return parts


def _child(node: Any, key: str | int, path: str) -> Any:
    if isinstance(node, list):
        if isinstance(key, int):
            if not -len(node) <= key < len(node):
                raise ScenarioError(f"{path}: index {key} out of range (list of {len(node)})")
            return key
        for i, item in enumerate(node):
            if isinstance(item, dict) and key in (item.get("name"), item.get("service_line")):
                return i
        names = [item.get("name") or item.get("service_line") for item in node]
        raise ScenarioError(f"{path}: no item named {key!r}, expected one of {names}")
    if isinstance(node, dict):
        return key
    raise ScenarioError(f"{path}: cannot index into a {type(node).__name__} with {key!r}")


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted key path inside nested dicts and lists (a scenario's
    ``model_dump``); ``ScenarioError`` when the path names nothing there."""
    node: Any = data
    for key in parse_path(path):
        try:
            node = node[_child(node, key, path)]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError(f"{path}: no {key!r} here") from None
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted key path inside nested dicts and lists (in place). Missing
    mapping keys are created; whether they are allowed is for validation to say."""
    parts = parse_path(path)
    node: Any = data
    for key in parts[:-1]:
        k = _child(node, key, path)
        if isinstance(node, dict) and k not in node:
            node[k] = {}
        node = node[k]
    node[_child(node, parts[-1], path)] = value


# --- loading --------------------------------------------------------------------------------


def _merge(base: Any, over: Any) -> Any:
    """Overlay ``over`` on ``base``: dicts by key, lists of named dicts by name."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(over, list) and _named(base) and _named(over):
        out_list = list(base)
        index = {_name_of(item): i for i, item in enumerate(base)}
        for item in over:
            name = _name_of(item)
            if item.get("remove"):
                out_list = [x for x in out_list if _name_of(x) != name]
                index = {_name_of(x): i for i, x in enumerate(out_list)}
            elif name in index:
                out_list[index[name]] = _merge(out_list[index[name]], item)
            else:
                index[name] = len(out_list)
                out_list.append(item)
        return out_list
    return over


def _name_of(item: dict[str, Any]) -> Any:
    return item.get("name", item.get("service_line"))


def _named(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and _name_of(i) is not None for i in items)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, expected a scenario YAML file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected UTF-8 YAML)") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}:{where}: not valid YAML ({exc.__class__.__name__})") from None
    except ValueError as exc:
        raise ScenarioError(f"{path}: a value cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of scenario sections, got {data!r:.60}")
    return data


def load_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario file's data with its ``extends:`` chain merged, not yet validated."""
    path = Path(path)
    data = _read_yaml(path)
    _resolve_model_path(data, path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = (path.parent / str(parent)).resolve()
    if parent_path in _seen:
        raise ScenarioError(f"{path}: extends: {parent} makes a cycle")
    base = load_raw(parent_path, (*_seen, parent_path))
    validate(base, parent_path)
    return _merge(base, data)


def _resolve_model_path(data: dict[str, Any], path: Path) -> None:
    """A ``no_shows.model`` path is relative to the file that names it: make it absolute."""
    section = data.get("no_shows")
    if isinstance(section, dict) and isinstance(section.get("model"), str):
        model = Path(section["model"])
        if not model.is_absolute():
            section["model"] = str((path.parent / model).resolve())


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge ``extends:`` and validate a scenario file; raise ScenarioError on mistakes.

    >>> s = load_scenario("scenarios/baseline.yaml")  # doctest: +SKIP
    >>> s.calendar.horizon_days  # doctest: +SKIP
    365
    """
    return validate(load_raw(path), Path(path))


def validate(data: dict[str, Any], source: str | Path) -> Scenario:
    """Validate scenario data; errors name ``source`` and the key path."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_explain(exc, data, source)) from None
    _check_sources(scenario, source)
    current = scenario.model_copy(update={"changes": []})
    order = sorted(range(len(scenario.changes)), key=lambda k: scenario.changes[k].date)
    for i in order:
        change = scenario.changes[i]
        try:
            changed = current.with_changes(change.set)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: changes[{i}] ({change.date}): {exc}") from None
        problem = _structural_change(current, changed)
        if problem:
            raise ScenarioError(f"{source}: changes[{i}] ({change.date}): {problem}")
        current = changed
    return scenario


def _check_sources(scenario: Scenario, source: str | Path) -> None:
    """Every ``sources`` key with a text names a value of the scenario."""
    if not scenario.sources:
        return
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"sources"})
    for path, text in scenario.sources.items():
        try:
            if text:
                get_path(data, path)
        except ScenarioError:
            raise ScenarioError(f"{source}: sources: {path!r} is not a key path of this "
                                "scenario (e.g. payers[medicaid].denial.rate; an empty text "
                                "drops an inherited entry)") from None


_WORKFORCE_TERMS = ("turnover_per_year", "vacancy_days", "ramp_up_days", "ramp_up_productivity",
                    "ramp_up_error_factor")
"""Staff terms the workforce timeline is drawn from when a run starts."""


def _structural_change(before: Scenario, after: Scenario) -> str:
    """Why a dated change cannot apply mid-run ("" if it can). Staff counts and hours, payer
    terms (allowed amounts, denial rates, cost sharing, filing limits), demand rates, no-show
    parameters, billing rates and policies, collection rules and costs may change; what the
    engine fixes when a run starts (the practice's structure and the distributions behind its
    random draws) may not, so that no change is accepted and then silently ignored."""
    for key in ("providers", "payers", "service_lines", "demand"):
        old = [(x.name, getattr(x, "count", 1)) for x in getattr(before, key)]
        new = [(x.name, getattr(x, "count", 1)) for x in getattr(after, key)]
        if old != new:
            hint = " (give a provider a start_date or end_date instead)" if (
                key == "providers") else " (use a separate scenario file instead)"
            return f"{key} cannot be added, removed or re-counted by a dated change{hint}"
    billing = ("charge_lag_days", "posting_lag_days", "coding_minutes_per_claim",
               "scrub_fix_days", "rejection_fix_days", "rework_minutes_per_denial",
               "appeal_decision_days")
    fixed = {
        "providers": lambda s: s.providers,
        "service lines and visit types": lambda s: s.service_lines,
        "payers' kind, share and lag_days": lambda s: [
            (p.kind, p.share, p.lag_days) for p in s.payers],
        f"billing.{{{', '.join(billing)}}}": lambda s: [getattr(s.billing, k) for k in billing],
        "patient_collections.agency_days": lambda s: s.patient_collections.agency_days,
        "flow": lambda s: s.flow,
        "calendar": lambda s: s.calendar,
        "starting_cash": lambda s: s.starting_cash,
        "costs.one_time": lambda s: s.costs.one_time,
        "no_shows.model": lambda s: s.no_shows.model,
        "outsourcing.{start, scope, transition_days, transition_productivity}": lambda s: (
            s.outsourcing.start, s.outsourcing.scope, s.outsourcing.transition_days,
            s.outsourcing.transition_productivity),
        "scheduling.{overbook_per_session, overbook_no_show_rate, booking_horizon_days, "
        "panel_size}": lambda s: (
            s.scheduling.overbook_per_session, s.scheduling.overbook_no_show_rate,
            s.scheduling.booking_horizon_days, s.scheduling.panel_size),
        f"staff.<role>.{{{', '.join(_WORKFORCE_TERMS)}}}": lambda s: [
            tuple(getattr(getattr(s.staff, role), k) for k in _WORKFORCE_TERMS)
            for role in type(s.staff).model_fields],
    }
    for what, part in fixed.items():
        if part(before) != part(after):
            return (f"{what} cannot change mid-run: they are fixed when a run starts "
                    "(use a separate scenario file instead)")
    return ""


_TAGS = {"fixed", "exponential", "lognormal", "gamma", "normal", "uniform", "empirical"}


def _explain(exc: ValidationError, data: dict[str, Any], source: str | Path | None) -> str:
    """One line per error: ``file: key.path: what was expected, got what was found``."""
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"]
           if p not in _TAGS and p != "[key]" and not str(p).startswith("function-")]
        key = _format_loc(loc)
        lines.append(f"{source}: {key}: {_message(err, loc, data)}" if source else
                     f"{key}: {_message(err, loc, data)}")
    return "\n".join(dict.fromkeys(lines))


def _format_loc(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(err: Any, loc: list[Any], data: dict[str, Any]) -> str:
    kind, ctx, found = err["type"], err.get("ctx", {}), err.get("input")
    if kind == "extra_forbidden":
        siblings = _siblings(loc, data)
        close = difflib.get_close_matches(str(loc[-1]), siblings, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "required key is missing"
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}",
              "less_than": "< {lt}", "less_than_equal": "<= {le}"}
    if kind in bounds:
        limit = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        return f"must be {bounds[kind].format(**limit)}, got {found!r}"
    if kind == "union_tag_invalid":
        return f"dist must be one of {sorted(_TAGS)}, got {ctx.get('tag')!r}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg'][0].lower()}{err['msg'][1:]}, got {found!r:.80}"


def _siblings(loc: list[Any], data: Any) -> list[str]:
    """The keys the model accepts beside an unknown key (for a 'did you mean')."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        model = _inner_model(field.annotation) if field else None
    return list(model.model_fields) if model is not None and hasattr(model, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
