"""Deductibles that reset on 1 January (``payers[].cost_sharing.deductible_plan``).

A patient is on its payer's deductible plan when its own uniform (keyed by what created the
patient, purpose ``"patient_terms"``) is below the plan's ``share``; its deductible-eligible
care elsewhere in a calendar year is the plan's ``care_elsewhere`` at the patient's uniform for
that year (purpose ``"care_elsewhere/<year>"``). Both are the same in every scenario that sees
the patient, whatever order patients were numbered in.

The accumulator of a patient and plan year holds what the practice's claims with dates of
service in that year have put to the deductible, in the order the payer adjudicated them. On a
claim with date of service ``s`` in year ``y``, what is left of the deductible is

    remaining = max(0, deductible - floor(elsewhere(y) * doy(s) / days(y)) - applied(patient, y))

with ``doy(s)`` the days of year ``y`` before day ``s`` (care elsewhere is spent evenly through
the year: none on 1 January) and ``days(y)`` its length, all in integer cents. So patient
responsibility is high in January-April and low in the autumn, as in claims data
(Peterson-KFF, "Deductible Relief Day", 2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from practicesim.calendar import PracticeCalendar
from practicesim.finance import cents
from practicesim.scenario.payers import DeductiblePlan
from practicesim.streams import Streams


def patient_uniforms(streams: Streams, year: int, keys: Sequence[int]
                     ) -> tuple[list[float], list[float], list[float]]:
    """Per patient identity in ``keys``: its uniforms for being on its payer's deductible plan,
    for its care elsewhere in calendar ``year`` and for qualifying for financial assistance
    (``payers[].financial_assistance``): one vectorised call per purpose."""
    terms = streams.keyed("patient_terms", keys, 2)
    elsewhere = streams.keyed(f"care_elsewhere/{year}", keys, 1)[:, 0]
    return terms[:, 0].tolist(), elsewhere.tolist(), terms[:, 1].tolist()


class Deductibles:
    """Deductible accumulators per patient and plan year (calendar year)."""

    def __init__(self, calendar: PracticeCalendar) -> None:
        dates = [calendar.date(d) for d in range(calendar.n_days)]
        self.year = [when.year for when in dates]
        self.day_of_year = [(when - date(when.year, 1, 1)).days for when in dates]
        """Days of the calendar year before each simulation day (0 on 1 January)."""
        self.days_in_year = [(date(when.year + 1, 1, 1) - date(when.year, 1, 1)).days
                             for when in dates]
        self.applied: dict[tuple[int, int], int] = {}
        """(patient, year) -> cents the practice's claims have put to the deductible."""
        self.elsewhere: dict[tuple[int, int], int] = {}
        """(patient, year) -> cents of care elsewhere that year, drawn on first use (from the
        plan in force then; a later dated change of ``care_elsewhere`` applies to patient-years
        not yet seen)."""

    def remaining(self, plan: DeductiblePlan, patient: int, service_day: int,
                  elsewhere_u: float) -> int:
        """What is left of the deductible (cents) for a claim of ``patient`` with date of
        service ``service_day`` (before the run's day 0: counted from that day's year)."""
        day = max(0, service_day)
        key = (patient, self.year[day])
        annual = self.elsewhere.get(key)
        if annual is None:
            annual = self.elsewhere[key] = cents(plan.care_elsewhere.quantile(elsewhere_u))
        used = (annual * self.day_of_year[day] // self.days_in_year[day]
                + self.applied.get(key, 0))
        return max(0, cents(plan.deductible) - used)

    def apply(self, patient: int, service_day: int, amount: int) -> None:
        """The payer put ``amount`` cents of a claim to the patient's deductible."""
        if amount:
            key = (patient, self.year[max(0, service_day)])
            self.applied[key] = self.applied.get(key, 0) + amount


def is_on_plan(plan: DeductiblePlan | None, u: float) -> bool:
    """Whether a patient with plan uniform ``u`` is on ``plan`` (never, without one)."""
    return plan is not None and u < plan.share
