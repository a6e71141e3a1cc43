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

Production pay (``pay_model`` wrvu, collections and base_plus_bonus's bonus) is paid after the
period it is earned in; ``Finance.production_earned`` books it, with its benefits and taxes, on
the period's last day instead (the accrual view, ``practicesim/accrual.py``), including the
periods whose pay day falls after the run.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt

import numpy as np
import pandas as pd

from practicesim.calendar import PracticeCalendar
from practicesim.scenario import Costs, Provider, Scenario
from practicesim.seats import on_staff
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


def _monthly_provider_costs(seat: Provider, costs: Costs) -> float:
    """A provider's costs of one month (dollars): a twelfth of the malpractice premium and
    education allowance, the EHR licences and the added exam rooms."""
    return ((seat.malpractice_per_year + seat.cme_per_year) / 12 + seat.ehr_per_month
            + seat.exam_rooms * costs.exam_room_per_month)


def _guarantee(seat: Provider, first: dt.date, last: dt.date, through: dt.date) -> float:
    """A production-paid provider's guaranteed pay for the month ``[first, last]`` up to
    ``through`` (dollars): ``guarantee_per_year / 12`` times the share of the month's days she
    is on staff up to ``through``, in the ``guarantee_months`` calendar months from her
    ``start_date`` (none without one)."""
    if seat.start_date is None or not seat.guarantee_months:
        return 0.0
    months = (first.year - seat.start_date.year) * 12 + first.month - seat.start_date.month
    if not 0 <= months < seat.guarantee_months:
        return 0.0
    return seat.guarantee_per_year / 12 * _days_on_staff(seat, first, through) / (
        (last - first).days + 1)


def _days_on_staff(seat: Provider, first: dt.date, last: dt.date) -> int:
    """Days from ``first`` to ``last`` (inclusive) the provider is on staff."""
    start = max(first, seat.start_date) if seat.start_date else first
    end = min(last, seat.end_date - dt.timedelta(days=1)) if seat.end_date else last
    return max(0, (end - start).days + 1)


def _period(seat: Provider, when: dt.date) -> tuple[dt.date, dt.date] | None:
    """The production period a pay day ``when`` (a 15th) pays for: the previous calendar
    month, or for ``base_plus_bonus`` the previous quarter if that month ended one (else
    None)."""
    last = when.replace(day=1) - dt.timedelta(days=1)
    if seat.pay_model != "base_plus_bonus":
        return last.replace(day=1), last
    if last.month % 3:
        return None
    return last.replace(month=last.month - 2, day=1), last


def _pay_day(period_end: dt.date) -> dt.date:
    """The 15th after a production period ending on ``period_end``."""
    return (period_end + dt.timedelta(days=1)).replace(day=15)


def _salary_pays_before(seat: Provider, when: dt.date) -> int:
    """Salary pay days (the 15th and the month's last day) in the year of ``when`` before it on
    which the provider was on staff."""
    start = dt.date(when.year, 1, 1)
    if seat.start_date is not None and seat.start_date > start:
        start = seat.start_date
    until = min(when, seat.end_date) if seat.end_date is not None else when
    return _pays_since(start, until) if start < until else 0


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
        self.producers = [s for s, seat in enumerate(seats)
                          if seat.pay_model in ("wrvu", "base_plus_bonus")]
        """Seats whose pay counts work RVUs (``pay_model`` wrvu and base_plus_bonus)."""
        self.collectors = frozenset(s for s, seat in enumerate(seats)
                                    if seat.pay_model == "collections")
        """Seats paid a share of their collections."""
        self.production_seats = sorted({*self.producers, *self.collectors})
        """Seats paid after the period they earn their pay in (``_pay_production``)."""
        self.wrvus: dict[tuple[int, int, int], float] = {}
        """(seat, year, month) -> work RVUs of the seat's visits completed in that month."""
        self.collected_by: dict[tuple[int, int, int], int] = {}
        """(seat, year, month) -> cents collected on the seat's claims in that month."""
        self.paid_this_year: dict[tuple[int, int], float] = {}
        """(seat, year) -> production pay paid so far in that year (dollars)."""
        self.production_paid = np.zeros(calendar.n_days, dtype=np.int64)
        """Production pay with its benefits and taxes, on the day paid (cents; in ``costs``)."""
        self.production_earned = np.zeros(calendar.n_days, dtype=np.int64)
        """The same on the last day of the period it was earned in (cents; the accrual view)."""

    def produced(self, seat: int, day: int, wrvus: float) -> None:
        """Work RVUs of a visit ``seat`` completed on ``day`` (production pay)."""
        self._add_to_month(self.wrvus, seat, day, wrvus)

    def book_one_time(self, scenario: Scenario) -> None:
        """Book the scenario's one-time costs on their dates (those before the run's first day
        were paid before it, as a warm start's state already reflects, and are not booked)."""
        for cost in scenario.costs.one_time:
            self.add(self.calendar.day(cost.date), "one_time_costs", cents(cost.amount))

    def add(self, day: int, category: str, amount_cents: int) -> None:
        """Book a cost paid on ``day``."""
        if 0 <= day < self.calendar.n_days:
            self.costs[category][day] += amount_cents

    def collected(self, day: int, amount_cents: int, vendor_fee_rate: float = 0.0,
                  provider: int = -1) -> None:
        """Cash received on ``day`` on a claim of ``provider`` (a seat; -1: none); an
        outsourced vendor's fee (``vendor_fee_rate`` of it) is due on it."""
        self.collections[day] += amount_cents
        if vendor_fee_rate:
            self.add(day, "vendor_fees", round(amount_cents * vendor_fee_rate))
        if provider in self.collectors:
            self._add_to_month(self.collected_by, provider, day, amount_cents)

    def refunded(self, day: int, amount_cents: int, provider: int = -1) -> None:
        """Cash paid back on ``day`` to a patient of ``provider`` (a desk deposit above what
        they owed)."""
        self.collections[day] -= amount_cents
        self.refunds[day] += amount_cents
        if provider in self.collectors:
            self._add_to_month(self.collected_by, provider, day, -amount_cents)

    def _add_to_month(self, table: dict, seat: int, day: int, amount: float) -> None:
        """Add ``amount`` to ``table[(seat, year, month)]`` of ``day``'s month."""
        when = self.calendar.date(day)
        key = (seat, when.year, when.month)
        table[key] = table.get(key, 0) + amount

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
                if on_staff(seat, when, month_end))))
        for role in _ROLE_CATEGORY:
            hired = self.workforce.hires(role, day)
            if hired:
                self.add(day, "hiring_costs",
                         cents(hired * getattr(scenario.staff, role).hiring_cost))
        starting = sum(seat.recruiting_cost + seat.signing_bonus for seat in self.seats
                       if seat.start_date == when)
        if starting:
            self.add(day, "hiring_costs", cents(starting))
        if when.day == 15 and self.production_seats:
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
        for s, seat in enumerate(self.seats):
            if seat.pay_model not in ("salary", "base_plus_bonus") or not on_staff(
                    seat, when, when):
                continue
            pay = seat.annual_compensation / 24
            self.add(day, "provider_compensation", cents(pay))
            earlier = _salary_pays_before(seat, when) * pay + self.paid_this_year.get(
                (s, when.year), 0.0)
            loading = pay * costs.benefits_rate + payroll_taxes(pay, earlier, costs)
            if loading:
                self.add(day, "provider_benefits", cents(loading))

    def _pay_production(self, day: int, when: dt.date, costs: Costs) -> None:
        """On the 15th: each production-paid seat's pay for the period just ended (``_period``;
        ``period_pay``), with benefits and payroll taxes (Social Security to the wage base on
        her pay so far in the year), booked as paid today and as earned on the period's last
        day."""
        for s in self.production_seats:
            period = _period(self.seats[s], when)
            if period is None:
                continue
            pay = self.period_pay(s, *period)
            if pay <= 0:
                continue
            total = self._loaded(s, when, pay, costs)
            self.paid_this_year[s, when.year] = self.paid_this_year.get((s, when.year), 0.0) + pay
            self.add(day, "provider_compensation", cents(pay))
            self.add(day, "provider_benefits", total - cents(pay))
            self.production_paid[day] += total
            earned = self.calendar.day(period[1])
            if earned >= 0:
                self.production_earned[earned] += total

    def period_pay(self, seat_index: int, first: dt.date, last: dt.date,
                   through: dt.date | None = None) -> float:
        """Production pay (dollars) a seat earned in the period ``[first, last]`` up to
        ``through`` (default: its end): ``wrvu``, its work RVUs x ``dollars_per_wrvu``;
        ``collections``, ``collections_share`` of its collections; both at least the prorated
        guarantee (in a month); ``base_plus_bonus``, ``dollars_per_wrvu`` x its work RVUs
        above ``bonus_wrvu_threshold`` x days on staff / days of the year. 0 for a period she
        is not on staff. Collections on her claims after she left are not hers."""
        seat = self.seats[seat_index]
        through = through or last
        if not on_staff(seat, first, through):
            return 0.0
        months = [(first.year, m) for m in range(first.month, last.month + 1)]
        if seat.pay_model == "collections":
            collected = sum(self.collected_by.get((seat_index, y, m), 0) for y, m in months)
            return max(seat.collections_share * collected / 100,
                       _guarantee(seat, first, last, through))
        wrvus = sum(self.wrvus.get((seat_index, y, m), 0.0) for y, m in months)
        if seat.pay_model == "wrvu":
            return max(wrvus * seat.dollars_per_wrvu, _guarantee(seat, first, last, through))
        year_days = 366 if pycalendar.isleap(first.year) else 365
        covered = seat.bonus_wrvu_threshold * _days_on_staff(seat, first, through) / year_days
        return max(0.0, wrvus - covered) * seat.dollars_per_wrvu

    def _loaded(self, s: int, when: dt.date, pay: float, costs: Costs,
                earlier: float = 0.0) -> int:
        """``pay`` (dollars) paid on ``when`` with the employer's benefits and payroll taxes,
        in cents (Social Security to the wage base counts her salary and production pay paid
        earlier in the year, and ``earlier`` dollars more)."""
        seat = self.seats[s]
        before = self.paid_this_year.get((s, when.year), 0.0) + earlier
        if seat.pay_model == "base_plus_bonus":
            before += seat.annual_compensation / 24 * _salary_pays_before(seat, when)
        return cents(pay) + cents(pay * costs.benefits_rate + payroll_taxes(pay, before, costs))

    def close(self, costs: Costs) -> None:
        """At the run's end: book as earned the production pay of the periods whose pay day
        falls after the run (a period still running is cut at the run's last day)."""
        end = self.calendar.date(self.calendar.n_days - 1)
        for s in self.production_seats:
            first = (end.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            pending: dict[int, float] = {}
            for _ in range(4):
                last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
                period = _period(self.seats[s], _pay_day(last))
                if period is not None and period[0] <= end < _pay_day(period[1]):
                    stop = min(period[1], end)
                    pay = self.period_pay(s, period[0], period[1], stop)
                    day = self.calendar.day(stop)
                    paid_on = _pay_day(period[1])
                    if pay > 0 and day >= 0:
                        self.production_earned[day] += self._loaded(
                            s, paid_on, pay, costs, pending.get(paid_on.year, 0.0))
                        pending[paid_on.year] = pending.get(paid_on.year, 0.0) + pay
                first = last + dt.timedelta(days=1)

    def frame(self) -> pd.DataFrame:
        """Daily costs by category (cents), total costs and collections."""
        df = pd.DataFrame({f"{c}_cents": v for c, v in self.costs.items()})
        df["costs_cents"] = sum(self.costs.values())
        df["revenue_cycle_costs_cents"] = sum(self.costs[c] for c in REVENUE_CYCLE_COSTS)
        df["collections_cents"] = self.collections
        df["refunds_cents"] = self.refunds
        df["production_paid_cents"] = self.production_paid
        df["production_earned_cents"] = self.production_earned
        return df
