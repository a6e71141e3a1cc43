"""Costs and cash: payroll, overhead, revenue-cycle costs, and the practice's cash balance.

Every cost is booked in integer cents on the day it is paid: salaries and provider compensation
semi-monthly (the 15th and the last day of each month, 1/24 of the annual figure for each person on
the payroll that day, each role's total rounded to the cent: vacant positions are not paid), with
the employer's benefits (``costs.benefits_rate`` of the pay) and payroll taxes on it (Social
Security up to the year's wage base, counted per person from the year's first pay day: the
pay days' number in the year times the pay; Medicare; the other legally required costs): a staff
role's in its payroll category (fully loaded), a provider's as ``provider_benefits``;
each provider's malpractice premium and education allowance (1/12 a month), EHR licences and
added exam rooms on the 1st of each month the provider is on staff for a day or more
(``provider_costs``), and recruiting and a
signing bonus on the start date (``hiring_costs``, as staff hires' costs on each hire's first
day); overhead and software on the 1st of each month, clearinghouse fees
per claim sent, statement costs when statements go out, agency and vendor fees as collections come
in (a vendor's setup fee on its start), prior authorization requests' cost on the request day,
supplies on the visit day, one-time costs on their dates. Cash on day d = starting cash +
collections up to d - costs up to d.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt

import numpy as np
import pandas as pd

from practicesim.calendar import PracticeCalendar
from practicesim.scenario import Costs, Provider, Scenario
from practicesim.workforce import Workforce

COST_CATEGORIES = (
    "provider_compensation", "provider_benefits", "provider_costs", "front_office_payroll",
    "clinical_staff_payroll", "coding_payroll", "billing_payroll", "other_payroll", "overhead",
    "rcm_software", "clearinghouse_fees", "statement_costs", "agency_fees", "vendor_fees",
    "hiring_costs", "front_office_costs", "supplies", "one_time_costs", "staff_overtime",
    "interest",
)
REVENUE_CYCLE_COSTS = (
    "coding_payroll", "billing_payroll", "rcm_software", "clearinghouse_fees",
    "statement_costs", "agency_fees", "vendor_fees",
)
"""Costs counted in cost to collect."""

_ROLE_CATEGORY = {
    "front_desk": "front_office_payroll", "checkout": "front_office_payroll",
    "medical_assistants": "clinical_staff_payroll", "coders": "coding_payroll",
    "billers": "billing_payroll", "other": "other_payroll",
}


def cents(dollars: float) -> int:
    """Dollars to integer cents, rounded half to even."""
    return round(dollars * 100)


def payroll_taxes(pay: float, paid_before: float, costs: Costs) -> float:
    """The employer's payroll taxes (dollars) on one person's ``pay`` when ``paid_before``
    dollars were paid to them earlier in the calendar year: Social Security on the part of the
    pay under the wage base, Medicare and the other legally required costs on all of it."""
    taxes = costs.payroll_taxes
    taxable = min(pay, max(0.0, taxes.social_security_wage_base - paid_before))
    return (taxes.social_security_rate * taxable
            + (taxes.medicare_rate + taxes.other_rate) * pay)


def _on_staff_between(seat: Provider, first: dt.date, last: dt.date) -> bool:
    """The provider is on staff on some day from ``first`` to ``last`` (inclusive): from
    ``start_date``, before ``end_date``."""
    return (seat.start_date is None or seat.start_date <= last) and (
        seat.end_date is None or first < seat.end_date)


def _monthly_provider_costs(seat: Provider, costs: Costs) -> float:
    """A provider's costs of one month (dollars): a twelfth of the malpractice premium and
    education allowance, the EHR licences and the added exam rooms."""
    return ((seat.malpractice_per_year + seat.cme_per_year) / 12 + seat.ehr_per_month
            + seat.exam_rooms * costs.exam_room_per_month)


def _guarantee(seat: Provider, first: dt.date, last: dt.date) -> float:
    """A production-paid provider's guaranteed pay for the month ``[first, last]`` (dollars):
    ``guarantee_per_year / 12`` times the share of the month's days she is on staff, in the
    ``guarantee_months`` calendar months from her ``start_date`` (none without one)."""
    if seat.start_date is None or not seat.guarantee_months:
        return 0.0
    months = (first.year - seat.start_date.year) * 12 + first.month - seat.start_date.month
    if not 0 <= months < seat.guarantee_months:
        return 0.0
    start = max(first, seat.start_date)
    end = min(last, seat.end_date - dt.timedelta(days=1)) if seat.end_date else last
    days = (end - start).days + 1
    return seat.guarantee_per_year / 12 * max(0, days) / ((last - first).days + 1)


def _pays_since(start: dt.date, when: dt.date) -> int:
    """Pay days (the 15th and the month's last day) from ``start`` to before ``when``, in the
    year of ``when`` (``start`` in that year)."""
    count = 0
    for month in range(start.month, when.month + 1):
        last = pycalendar.monthrange(when.year, month)[1]
        for pay_day in (15, last):
            if start <= dt.date(when.year, month, pay_day) < when:
                count += 1
    return count


class Finance:
    """The practice's costs by category and day (integer cents)."""

    def __init__(self, calendar: PracticeCalendar, seats: list[Provider],
                 workforce: Workforce) -> None:
        self.calendar = calendar
        self.seats = seats
        self.workforce = workforce
        self.costs = {c: np.zeros(calendar.n_days, dtype=np.int64) for c in COST_CATEGORIES}
        self.collections = np.zeros(calendar.n_days, dtype=np.int64)
        """Cash received per day, net of refunds (cents)."""
        self.refunds = np.zeros(calendar.n_days, dtype=np.int64)
        """Desk deposits paid back to patients per day (cents)."""
        self.producers = [s for s, seat in enumerate(seats) if seat.pay_model == "wrvu"]
        """Seats paid by production (``pay_model: wrvu``)."""
        self.wrvus: dict[tuple[int, int, int], float] = {}
        """(seat, year, month) -> work RVUs of the seat's visits completed in that month."""
        self.paid_this_year: dict[tuple[int, int], float] = {}
        """(seat, year) -> production pay paid so far in that year (dollars)."""

    def produced(self, seat: int, day: int, wrvus: float) -> None:
        """Work RVUs of a visit ``seat`` completed on ``day`` (production pay)."""
        when = self.calendar.date(day)
        key = (seat, when.year, when.month)
        self.wrvus[key] = self.wrvus.get(key, 0.0) + wrvus

    def book_one_time(self, scenario: Scenario) -> None:
        """Book the scenario's one-time costs on their dates (those before the run's first day
        were paid before it, as a warm start's state already reflects, and are not booked)."""
        for cost in scenario.costs.one_time:
            self.add(self.calendar.day(cost.date), "one_time_costs", cents(cost.amount))

    def add(self, day: int, category: str, amount_cents: int) -> None:
        """Book a cost paid on ``day``."""
        if 0 <= day < self.calendar.n_days:
            self.costs[category][day] += amount_cents

    def collected(self, day: int, amount_cents: int, vendor_fee_rate: float = 0.0) -> None:
        """Cash received on ``day``; an outsourced vendor's fee (``vendor_fee_rate`` of it) is
        due on it."""
        self.collections[day] += amount_cents
        if vendor_fee_rate:
            self.add(day, "vendor_fees", round(amount_cents * vendor_fee_rate))

    def refunded(self, day: int, amount_cents: int) -> None:
        """Cash paid back to patients on ``day`` (a desk deposit above what they owed)."""
        self.collections[day] -= amount_cents
        self.refunds[day] += amount_cents

    def on_day(self, day: int, scenario: Scenario) -> None:
        """Book the payroll, overhead, provider and software costs that fall on ``day``."""
        when = self.calendar.date(day)
        last = pycalendar.monthrange(when.year, when.month)[1]
        costs = scenario.costs
        if when.day == 1:
            self.add(day, "overhead", cents(costs.fixed_overhead_per_month))
            self.add(day, "rcm_software", cents(costs.rcm_software_per_month))
            month_end = when.replace(day=last)
            self.add(day, "provider_costs", cents(sum(
                _monthly_provider_costs(seat, costs) for seat in self.seats
                if _on_staff_between(seat, when, month_end))))
        for role in _ROLE_CATEGORY:
            hired = self.workforce.hires(role, day)
            if hired:
                self.add(day, "hiring_costs",
                         cents(hired * getattr(scenario.staff, role).hiring_cost))
        starting = sum(seat.recruiting_cost + seat.signing_bonus for seat in self.seats
                       if seat.start_date == when)
        if starting:
            self.add(day, "hiring_costs", cents(starting))
        if when.day == 15 and self.producers:
            self._pay_production(day, when, costs)
        if when.day not in (15, last):
            return
        earlier_pays = 2 * (when.month - 1) + (when.day != 15)
        for role, category in _ROLE_CATEGORY.items():
            staff = getattr(scenario.staff, role)
            paid = self.workforce.present(role, day)
            pay = staff.annual_salary / 24
            self.add(day, category, cents(paid * pay))
            loading = paid * (pay * costs.benefits_rate
                              + payroll_taxes(pay, earlier_pays * pay, costs))
            if loading:
                self.add(day, category, cents(loading))
        for seat in self.seats:
            if seat.pay_model != "salary" or not _on_staff_between(seat, when, when):
                continue
            pay = seat.annual_compensation / 24
            self.add(day, "provider_compensation", cents(pay))
            earlier = earlier_pays * pay if seat.start_date is None or (
                seat.start_date.year < when.year) else _pays_since(seat.start_date, when) * pay
            loading = pay * costs.benefits_rate + payroll_taxes(pay, earlier, costs)
            if loading:
                self.add(day, "provider_benefits", cents(loading))

    def _pay_production(self, day: int, when: dt.date, costs: Costs) -> None:
        """On the 15th: each production-paid seat's pay for the previous month, its wRVUs
        times ``dollars_per_wrvu``, at least the prorated guarantee in its guarantee months,
        with benefits and payroll taxes (Social Security to the wage base on its pay so far in
        the year)."""
        month_end = when.replace(day=1) - dt.timedelta(days=1)
        month_start = month_end.replace(day=1)
        for s in self.producers:
            seat = self.seats[s]
            if not _on_staff_between(seat, month_start, month_end):
                continue
            pay = self.wrvus.get((s, month_start.year, month_start.month), 0.0) * (
                seat.dollars_per_wrvu)
            pay = max(pay, _guarantee(seat, month_start, month_end))
            if pay <= 0:
                continue
            before = self.paid_this_year.get((s, when.year), 0.0)
            self.paid_this_year[s, when.year] = before + pay
            self.add(day, "provider_compensation", cents(pay))
            self.add(day, "provider_benefits", cents(
                pay * costs.benefits_rate + payroll_taxes(pay, before, costs)))

    def frame(self) -> pd.DataFrame:
        """Daily costs by category (cents), total costs and collections."""
        df = pd.DataFrame({f"{c}_cents": v for c, v in self.costs.items()})
        df["costs_cents"] = sum(self.costs.values())
        df["revenue_cycle_costs_cents"] = sum(self.costs[c] for c in REVENUE_CYCLE_COSTS)
        df["collections_cents"] = self.collections
        df["refunds_cents"] = self.refunds
        return df
