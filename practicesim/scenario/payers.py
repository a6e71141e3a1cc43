"""Payers and what they require: the ``payers`` section (allowed amounts, payment lags,
denials, cost sharing), a provider's enrollment (credentialing) with a payer, and prior
authorization of a visit type."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from practicesim.scenario.base import Dist, Fraction, Money, Section, check_shares


class Denials(Section):
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
        return check_shares(value)


class DeductiblePlan(Section):
    """A plan whose annual deductible applies to office visits (a high-deductible plan, or
    traditional Medicare's Part B deductible), held by ``share`` of the payer's patients.

    Each patient on it has a deductible accumulator per plan year, reset on 1 January: the
    ``deductible`` (dollars a year) is used up by the patient's care elsewhere
    (``care_elsewhere``: dollars a year of deductible-eligible care outside the practice, drawn
    per patient and year, spent evenly through the year) and by the practice's own claims, in
    the order the payer adjudicates them. A claim pays ``copay`` (PR-3), then what is left of
    the deductible (PR-1, at most the rest of the allowed amount), then ``coinsurance`` of the
    rest (PR-2)."""

    share: Fraction
    deductible: Money
    copay: Money = 0.0
    coinsurance: Fraction = 0.0
    care_elsewhere: Dist = Field(default_factory=lambda: {"dist": "fixed", "value": 0})


class Underpayment(Section):
    """``rate``: share of the claims this payer pays (as a primary) below its contract;
    ``short``: the share of the contracted payment it withholds on such a claim."""

    rate: Fraction = 0.0
    short: Fraction = 0.2


class Pend(Section):
    """Claims the payer's system does not adjudicate on its own: ``rate`` of the claims it
    receives the first time are pended for manual review and decided ``days`` after its lag
    would have; of those, ``records_share`` wait for the practice's medical records (a request,
    or Medicare's additional documentation request): the request comes after the payer's lag,
    a biller sends the records (``billing.work_minutes.records_request``), and the payer
    decides ``days`` after it has them; records not sent within ``records_deadline_days`` of
    the request: the claim is denied CO-252 (documentation required) and worked as a denial."""

    rate: Fraction = 0.0
    days: Dist = Field(default_factory=lambda: {"dist": "lognormal", "median": 21, "p90": 45})
    records_share: Fraction = 0.0
    records_deadline_days: int = Field(default=45, gt=0)


class CostSharing(Section):
    """Patient responsibility on an adjudicated claim: copay (PR-3, dollars per visit), then
    with ``deductible_probability`` the rest of the allowed amount goes to the deductible
    (PR-1), otherwise ``coinsurance`` of the rest is the patient's (PR-2). Patients on the
    ``deductible_plan`` (if any) follow its terms instead."""

    copay: Money = 0.0
    coinsurance: Fraction = 0.0
    deductible_probability: Fraction = 0.0
    deductible_plan: DeductiblePlan | None = None


class AsSecondary(Section):
    """How a payer pays when it is a patient's secondary coverage.

    After the primary's remittance, the patient responsibility it left (PR-3 copay, PR-1
    deductible, PR-2 coinsurance) goes to the secondary: at once when the primary forwards the
    claim (``crossover``: Medicare's COBA crossover to Medigap and Medicaid), else as a secondary
    claim the practice sends with the primary's remittance ``send_days`` after its posting. The
    secondary decides after its own ``lag_days`` (and the posting lag) and pays ``pays`` (a
    share per part: ``copay``, ``deductible``, ``coinsurance``) of each part; with
    ``up_to_own_allowed`` at most its own allowed amount less the primary's payment (Medicaid's
    "lesser-of" rule, an employer plan's coordination of benefits). What it leaves goes to the
    patient (PR), or with ``bills_patient: false`` is written off (CO-23: a dual-eligible
    patient cannot be billed Medicare cost sharing).

    A secondary denies ``denial_rate`` of the claims it first receives, with CARC
    ``denial_reason`` (by default 16: information missing, such as the primary's remittance): a
    biller sends the claim again (a secondary claim in the billers' queues), and the secondary
    decides it after its lag. A secondary claim that reaches the secondary after its
    ``timely_filing_days`` (from the date of service) is denied CO-29 and its part written off.
    """

    crossover: bool = False
    send_days: Dist = Field(default_factory=lambda: {"dist": "lognormal", "median": 5, "p90": 15})
    pays: dict[Literal["copay", "deductible", "coinsurance"], Fraction] = Field(
        default_factory=lambda: {"copay": 1.0, "deductible": 1.0, "coinsurance": 1.0})
    up_to_own_allowed: bool = False
    bills_patient: bool = True
    denial_rate: Fraction = 0.0
    denial_reason: str = "16"


class FinancialAssistance(Section):
    """The practice's financial-assistance (sliding-fee) policy for self-pay patients: ``share``
    of them qualify (by income; each keeps its standing, drawn per patient) and get
    ``discount`` off charges instead of the ``self_pay_discount``, posted as a contractual
    adjustment with reason ``charity`` (charity care, not bad debt)."""

    share: Fraction
    discount: Fraction = 1.0


class Payer(Section):
    """A payer (insurer) or self-pay.

    The contract (``practicesim/contracts.py``): ``allowed_pct_of_medicare``: allowed
    amount per code as a fraction of Medicare's (1.0 = Medicare), unless ``fee_table`` gives the
    code's allowed dollars per unit; ``npp_pct``: the share of that allowed for a nurse
    practitioner or physician assistant billing under their own NPI (``providers[].npp``);
    ``non_covered``: codes the payer does not cover (the patient owes their charge, PR-49);
    ``substitutes``: codes the practice bills this payer in place of others (Medicare: the
    annual wellness visit for a routine physical); ``preventive_cost_sharing``: the plan charges
    copay, deductible and coinsurance on preventive codes (``fee_schedule[code].preventive``),
    which ACA section 2713 forbids for all but grandfathered plans.

    ``lag_days``: days from submission to remittance, never below ``floor_days``
    (0 by default; set 14 for Medicare, whose clean claims are not paid earlier). Self-pay
    patients get ``self_pay_discount`` off charges and owe the rest, or, when they qualify
    for the practice's ``financial_assistance``, its discount. ``secondary``: shares of
    this payer's patients whose secondary coverage is each named payer (the rest have none);
    ``as_secondary``: how this payer pays as someone's secondary.
    """

    name: str
    kind: Literal["medicare", "medicaid", "commercial", "medicare_advantage", "medigap",
                  "self_pay"]
    share: float = Field(ge=0)
    """Share of the practice's patients as their primary payer (normalised over payers; 0 for
    a payer that is only ever secondary, such as Medigap)."""
    secondary: dict[str, Fraction] = Field(default_factory=dict)
    as_secondary: AsSecondary = AsSecondary()
    allowed_pct_of_medicare: float = Field(default=1.0, gt=0)
    fee_table: dict[str, Money] = Field(default_factory=dict)
    """Contracted allowed dollars per unit, by code (codes not listed: by
    ``allowed_pct_of_medicare``)."""
    npp_pct: float = Field(default=1.0, gt=0, le=1)
    telehealth_covered: bool = True
    """The payer pays for video visits with the patient at home (place of service 10); if not,
    its patients are booked in person, and a video visit booked while it did is held in the
    office once it no longer does (``visit_types[].telehealth``)."""
    telehealth_pct: float = Field(default=1.0, gt=0, le=1)
    """What the payer allows for a video visit as a share of the same visit in the office (1:
    payment parity), applied when it adjudicates the claim."""
    enrollment_days: Dist | None = None
    """Days from a provider's enrollment application to this payer's approval: taken by a
    ``credentialing`` entry with ``applied`` and no ``processing_days`` of its own."""
    enrollment_effective: Literal["approval", "application", "medicare"] | None = None
    """Which dates of service the payer pays a newly enrolled provider for: ``approval``, from
    the approval only; ``application``, back-dated to the later of the application's receipt
    and her start (several Medicaid programmes); ``medicare``, Medicare's rule (the later of
    the filing and the start of services, and 30 days before it: 42 CFR 424.520(d),
    424.521(a)). None: ``medicare`` for a payer of kind medicare, else ``approval``."""
    supervised_billing_share: Fraction = 0.0
    """Under ``scheduling.uncredentialed_policy: supervising_physician``: the share of this
    payer's plans that pay for a not-yet-enrolled provider's visits billed under an enrolled
    supervising physician's NPI (the physician rate). 0 by default: Medicare forbids it outside
    incident-to (Pub. 100-04 ch. 1 s.30.2; reciprocal billing and locum tenens arrangements
    cover an absent physician, not a new hire), and commercial plans rarely allow it (Texas
    Medical Association: UnitedHealthcare and BCBS of Texas stopped paying NP and PA services
    billed under the supervising physician's NPI)."""
    non_covered: list[str] = Field(default_factory=list)
    substitutes: dict[str, str] = Field(default_factory=dict)
    preventive_cost_sharing: bool = False
    underpayment: Underpayment = Underpayment()
    lag_days: Dist = Field(default_factory=lambda: {"dist": "lognormal", "median": 14, "p90": 28})
    floor_days: int = Field(default=0, ge=0)
    denial: Denials = Denials()
    timely_filing_days: int = Field(default=365, gt=0)
    appeal_window_days: int = Field(default=120, gt=0)
    pend: Pend = Pend()
    no_response_rate: Fraction = 0.0
    """Share of the claims this payer receives that it never answers (lost, or pended without
    a 277CA or an 835): the claim waits until the practice's status inquiry,
    ``billing.follow_up_days`` after it was sent, and is then sent again."""
    cost_sharing: CostSharing = CostSharing()
    self_pay_discount: Fraction = 0.0
    financial_assistance: FinancialAssistance | None = None

    @model_validator(mode="after")
    def _medicare_bills_no_one_under_another_npi(self) -> Payer:
        if self.kind == "medicare" and self.supervised_billing_share:
            raise ValueError("supervised_billing_share must be 0 for Medicare (a provider not "
                             "enrolled cannot bill under another's NPI outside incident-to), "
                             f"got {self.supervised_billing_share:g}")
        return self


class Enrollment(Section):
    """A provider's enrollment with one payer.

    ``effective``: the date the enrollment takes effect (None = always enrolled). Or, when the
    date is not known in advance: ``applied``, the date the application went in, and
    ``processing_days``, the payer's processing time (a distribution, days): the enrollment
    takes effect ``ceil(processing_days)`` after ``applied``, drawn per replication from a
    stream keyed by provider and payer (so the same provider and payer get the same draw in
    every scenario of a comparison). The payer pays for services from ``covers_from`` (default:
    the effective date, or as the payer's ``enrollment_effective`` rule says; for Medicare 30
    days before it, 42 CFR 424.520(d)); ``processing_days`` may be left to the payer's
    ``enrollment_days``. ``lapses``: first
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
        if self.processing_days is not None and self.applied is None:
            raise ValueError("processing_days needs applied (the effective date is applied + "
                             "processing_days)")
        if self.applied is not None and self.effective is not None:
            raise ValueError("give either effective, or applied with processing_days, not both")
        return self


class PriorAuthorization(Section):
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
