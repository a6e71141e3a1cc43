"""The revenue cycle and what the practice spends: billing and denial rework (``billing``),
patient collections (``patient_collections``), front-office checks (``front_office``), costs
(``costs``) and an outsourced revenue-cycle vendor (``outsourcing``)."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator

from practicesim.distributions import as_dist
from practicesim.scenario.base import (
    Dist,
    Fraction,
    Money,
    NonNegative,
    Section,
    check_shares,
)

MAX_INSTALMENTS = 12
"""The most monthly instalments of a payment plan (each draws a claim's own uniform)."""
MAX_LEVELS = 2
"""The most appeal levels after the first (each draws a claim's own uniforms)."""

DenialAction = Literal["correct", "appeal", "other_coverage", "bill_patient", "write_off"]


class DenialRule(Section):
    """What billers do with a denial of one CARC reason, and its odds.

    ``correct``: fix and send again; paid with ``success_rate`` (None: 1 - the payer's
    ``denial.resubmission_denial_rate``). ``appeal``: the first level wins with
    ``success_rate`` (None: ``billing.appeal_success_rate``), then ``further_appeals``.
    ``other_coverage`` (an eligibility denial: the patient had other coverage, or none): with
    ``success_rate`` the patient's right payer is found and billed (drawn by the payers'
    shares), else the patient is billed at self-pay terms with ``patient_share``, else it is
    written off. ``bill_patient``: the patient owes the payer's allowed amount (a service the
    plan does not cover). ``write_off``: written off at once."""

    action: DenialAction
    success_rate: Fraction | None = None
    patient_share: Fraction = 0.0


def _as_rule(value: Any) -> Any:
    """``"appeal"`` is short for ``{action: appeal}``."""
    return {"action": value} if isinstance(value, str) else value


class AppealLevel(Section):
    """An appeal level after the first (a second-level reconsideration, an external review):
    ``pursued`` of the claims lost at the level before are taken to it, within
    ``window_days`` of that decision; it is decided ``decision_days`` after filing and won
    with ``success_rate``."""

    name: str
    pursued: Fraction
    window_days: int = Field(gt=0)
    success_rate: Fraction
    decision_days: Dist


class UnderpaymentReview(Section):
    """The practice's contract-variance review of paid remittances: it finds
    ``detection_rate`` of the underpaid ones (0: no review, an underpayment is posted as the
    payer's contractual adjustment and lost unseen); a biller appeals each one found (``work_
    minutes.underpayment``) within the payer's ``appeal_window_days`` of the remittance; the
    payer decides ``decision_days`` later and pays the difference with ``success_rate``, else
    it is adjusted off (CO-45)."""

    detection_rate: Fraction = 0.0
    success_rate: Fraction = 0.7
    decision_days: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 30, "p90": 60})


class WorkMinutes(Section):
    """Billers' minutes per item of each work queue (``practicesim/revenue/work.py``); 0: the
    work takes no biller time and is done the day it arises (the model does not track it)."""

    charge_edit: NonNegative = 0.0
    """A claim the scrubber stopped or the clearinghouse rejected, fixed and sent again."""
    posting_exception: NonNegative = 0.0
    """A paid remittance that does not post automatically (``posting_exception_rate``)."""
    secondary_claim: NonNegative = 0.0
    """A secondary claim sent with the primary's remittance (not a crossover)."""
    status_check: NonNegative = 0.0
    """A claim without an answer ``follow_up_days`` after it was sent: a status inquiry, and
    the claim sent again if the payer has no record of it."""
    patient_call: NonNegative = 0.0
    """A patient's call about a statement (``patient_calls_per_statement``)."""
    underpayment: NonNegative = 0.0
    """An underpayment the contract-variance review found, researched and appealed."""
    records_request: NonNegative = 0.0
    """A payer's request for the medical records of a pended claim (``payers[].pend``): the
    records found and sent."""


class Billing(Section):
    """Charge capture, coding, scrubbing, submission, the billers' work queues and denial
    rework."""

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
    follow_up_days: int = Field(default=30, gt=0)
    """Days after a submission with no answer from the payer when the practice checks the
    claim's status (a 276/277 inquiry) and, finding it not on file, sends it again."""
    rejection_fix_days: Dist = Field(default_factory=lambda: as_dist(2.0))
    error_denial_reasons: dict[str, float] = Field(
        default_factory=lambda: {"16": 0.6, "4": 0.2, "11": 0.2}
    )
    """CARC mix of denials caused by errors the scrubber missed (sums to 1)."""
    line_level_reasons: list[str] = Field(
        default_factory=lambda: ["4", "11", "96", "97", "151", "204"])
    """CARCs a payer gives to one line of a claim (X12 CARC list: 4 modifier, 11 diagnosis
    inconsistent with the procedure, 96 and 204 not covered, 97 included in another service's
    payment, 151 frequency): on a first decision of a claim with add-on lines, one of those is
    denied and the others paid (``revenue/lines.py``); a claim of one line is denied whole.
    Reasons of the claim (eligibility, authorization, timely filing, missing information) and
    the provider's enrolment (B7) deny every line."""
    rework_minutes_per_denial: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 15, "p90": 35}
    )
    work_minutes: WorkMinutes = WorkMinutes()
    posting_exception_rate: Fraction = 0.0
    """Share of paid remittances (primary and secondary) a biller posts by hand."""
    patient_calls_per_statement: NonNegative = 0.0
    """Calls from patients to the billing office per statement sent."""
    queue_priority: Literal["fifo", "oldest_first", "largest_first", "deadline_first"] = "fifo"
    """The order billers take items in, across all their queues: ``fifo`` (as they arose),
    ``oldest_first`` (date of service), ``largest_first`` (open balance),
    ``deadline_first`` (the day the item must be done by). Patients' calls come first."""
    appeal_success_rate: Fraction = 0.55
    appeal_decision_days: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 30, "p90": 60}
    )
    further_appeals: list[AppealLevel] = Field(default_factory=list, max_length=MAX_LEVELS)
    """Appeal levels after the first, in order (none: a lost first appeal is written off)."""
    underpayment_review: UnderpaymentReview = UnderpaymentReview()
    denial_actions: dict[str, Annotated[DenialRule, BeforeValidator(_as_rule)]] = Field(
        default_factory=dict)
    """CARC -> what billers do and its odds; codes not listed use the package defaults
    (``revenue/denials.py``, docs)."""

    @field_validator("error_denial_reasons")
    @classmethod
    def _sums_to_one(cls, value: dict[str, float]) -> dict[str, float]:
        return check_shares(value)


class CardOnFile(Section):
    """Cards on file: ``share`` of the patient balances an insurer's remittance leaves belong to
    a patient whose card the practice keeps (drawn per claim; self-pay visits are collected at
    the desk and by statement); the balance is charged to it ``charge_days`` after it arises and
    is declined with ``decline_rate`` (then statements go out as for any balance)."""

    share: Fraction
    decline_rate: Fraction = 0.10
    charge_days: int = Field(default=1, ge=0)


class PaymentPlans(Section):
    """Payment plans: a balance of at least ``min_balance`` dollars left unpaid after the first
    statement goes on a plan with probability ``share``: ``months`` monthly instalments (the
    balance split evenly, the first month's taking the odd cents), the first one statement
    cycle after that statement; each month the patient defaults with ``default_rate`` (per
    instalment), and the rest goes to the agency as an unpaid balance would."""

    share: Fraction
    min_balance: Money = 200.0
    months: int = Field(default=6, ge=2, le=MAX_INSTALMENTS)
    default_rate: Fraction = 0.04


class PatientCollections(Section):
    """Patient balances: desk collection, monthly statements, agency, bad debt.

    After each statement the patient pays the whole balance with the next probability of
    ``pay_probability_per_statement``; after the last one unpaid, the balance goes to the
    agency, which recovers ``agency_recovery_rate`` of accounts (keeping ``agency_fee_rate``);
    the rest is written off as bad debt.
    """

    desk_collection_rate: Fraction = 0.85
    """Share of visits whose patient pays what the desk asks on the day of the visit."""
    point_of_service: Literal["copay", "estimate"] = "copay"
    """What the desk asks an insured patient for: the plan's ``copay``, or an ``estimate`` of
    the whole patient responsibility (copay, what is left of the deductible as the payer's
    eligibility response shows it on the day, coinsurance of the rest) from patients without
    secondary coverage. The part beyond the copay is a deposit, applied to the claim's patient
    balance when the payer's remittance is posted; what exceeds the balance is refunded then
    (or when the claim is written off)."""
    estimate_collection_rate: Fraction = 0.70
    """Share of visits whose patient pays the deposit the desk asks for (at most
    ``desk_collection_rate``: a patient who pays the deposit pays the copay too)."""
    self_pay_desk_rate: Fraction | None = None
    """Share of self-pay visits paid in full (after the discount) at the desk; None: the
    ``desk_collection_rate``."""
    self_pay_pay_probability_per_statement: list[Fraction] | None = Field(
        default=None, min_length=1, max_length=6)
    """The statements' pay probabilities for self-pay balances; None: those of insured
    patients' balances (``pay_probability_per_statement``)."""
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
    small_balance_writeoff: Money = 0.0
    """A patient balance of at most this many dollars when it arises is written off (bad debt
    with reason ``small_balance``) instead of billed."""
    card_on_file: CardOnFile | None = None
    payment_plans: PaymentPlans | None = None


class Phones(Section):
    """The practice's phone lines (``clinic/phones.py``), answered by ``staff`` of the front
    desk's people present (the others check patients in; at least one does).

    Each appointment request is a booking call unless booked online (``online_share``, drawn
    per request); besides, each appointment kept today brings ``calls_per_visit`` other calls
    to the desk that day (confirmations, rescheduling, directions, billing questions: a Poisson
    count). Calls arrive through the day by ``hourly_shares`` (hour of the day -> weight),
    uniformly within the hour, and are answered in order of arrival; each takes
    ``minutes_per_call``. A caller on hold longer than her ``patience_minutes`` hangs up; a
    hung-up booking call loses its request with ``lost_share`` (the patient does not call back),
    else the patient calls back and is booked as usual.
    """

    staff: int = Field(ge=1)
    online_share: Fraction = 0.0
    calls_per_visit: NonNegative = 0.0
    minutes_per_call: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 2.5, "p90": 5})
    patience_minutes: Dist = Field(
        default_factory=lambda: {"dist": "lognormal", "median": 2, "p90": 6})
    lost_share: Fraction = 0.3
    hourly_shares: dict[Annotated[int, Field(ge=0, le=23)], NonNegative] = Field(
        default_factory=lambda: dict.fromkeys(range(8, 17), 1.0))

    @field_validator("hourly_shares")
    @classmethod
    def _some_hour(cls, value: dict[int, float]) -> dict[int, float]:
        if not sum(value.values()) > 0:
            raise ValueError(f"hourly_shares must give some hour a weight above 0, got {value}")
        return value


class FrontOffice(Section):
    """Front-office work before the visit (the practice management checklist)."""

    phones: Phones | None = None
    """The phone lines as a queue (None: calls are not modelled)."""

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


class OneTimeCost(Section):
    """A cost paid once (dollars), e.g. equipment or training for a new service line."""

    date: dt.date
    amount: Money
    note: str = ""


class PayrollTaxes(Section):
    """The employer's payroll taxes on each salary and provider compensation: Social Security
    at ``social_security_rate`` of each person's pay up to ``social_security_wage_base``
    (dollars a calendar year), Medicare at ``medicare_rate`` of all of it, and the other legally
    required costs (unemployment insurance, workers' compensation) at ``other_rate``."""

    social_security_rate: Fraction = 0.0
    social_security_wage_base: Money = 0.0
    medicare_rate: Fraction = 0.0
    other_rate: Fraction = 0.0


class Costs(Section):
    """Operating costs besides salaries (dollars). ``benefits_rate``: the employer's insurance
    and retirement contributions as a share of each salary and provider compensation, paid with
    it; ``payroll_taxes`` on the same pay. ``exam_room_per_month``: the cost of each exam room
    a provider's ``exam_rooms`` adds (rent of the room and its share of common space,
    equipment)."""

    fixed_overhead_per_month: Money = 0.0
    rcm_software_per_month: Money = 0.0
    clearinghouse_fee_per_claim: Money = 0.0
    benefits_rate: Fraction = 0.0
    payroll_taxes: PayrollTaxes = PayrollTaxes()
    exam_room_per_month: Money = 0.0
    overtime_rate: float = Field(default=1.5, ge=1.0)
    """Overtime pay as a multiple of the hourly wage (``annual_salary / (hours_per_day x
    260)``): front-desk, rooming and checkout staff present stay until their stage's last
    patient is done, and the minutes past the end of the day's last session are paid at this
    rate, with payroll taxes (``staff_overtime``)."""
    one_time: list[OneTimeCost] = Field(default_factory=list)
    """Costs paid once on their dates (booked as ``one_time_costs``)."""


class LineOfCredit(Section):
    """A bank line of credit (``practicesim/financing.py``): on a day cash would fall below
    ``floor`` the practice draws what keeps it at the floor, up to ``limit`` outstanding; on a
    day cash is above the floor it repays what it can without going below it. Interest accrues
    each day on the balance owed at the start of the day at ``rate_per_year / 365`` and is paid
    on the month's last day (a cost, ``interest``). ``limit`` 0: no line."""

    limit: Money = 0.0
    floor: Money = 0.0
    rate_per_year: Fraction = 0.0


class Outsourcing(Section):
    """A revenue-cycle vendor that takes over work from ``start`` (``practicesim/revenue/
    vendor.py``). ``scope``: ``coding`` (coding, scrubbing, claim submission and the edits
    of its claims), ``denials`` (denial management and the status checks of unanswered
    claims), ``posting`` (posting exceptions and secondary claims), ``patient_calls``
    (patients' calls about statements). The vendor's performance terms left unset are the
    practice's own (``billing``): a vendor is assumed no better and no worse unless the file
    says so. Its capacity rises linearly from ``transition_productivity`` to full over
    ``transition_days`` after ``start``: work that arrives faster waits, a transition backlog."""

    start: date | None = None
    """First day the vendor does the work (None: everything stays in-house)."""
    scope: list[Literal["coding", "denials", "posting", "patient_calls"]] = Field(
        default_factory=lambda: ["coding", "denials"], min_length=1)
    fee_rate: Fraction = 0.06
    """The vendor's fee, a share of the collections in ``fee_base``."""
    fee_base: Literal["collections", "recovered_denials"] = "collections"
    """``collections``: payer payments, patient statement payments and collection-agency
    recoveries from ``start`` on (desk copays excluded); ``recovered_denials``: only payer
    payments on claims whose denial or underpayment the vendor worked (a contingency fee, usual
    for denial-management-only contracts)."""
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
    """Denials and status checks the vendor works (corrects, appeals, follows up) per business
    day at full capacity (None: no limit). Its other work (``posting``, ``patient_calls``) has
    no limit."""
    appeal_success_rate: Fraction | None = None
