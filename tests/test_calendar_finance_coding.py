"""Calendar, payroll and overhead, coding capacity and the claim scrubber."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from practicesim import simulate
from practicesim.calendar import PracticeCalendar
from practicesim.finance import Finance
from practicesim.practice import Practice
from practicesim.revenue.claims import CLAIM_DRAWS, Claim
from practicesim.seats import provider_seats
from practicesim.streams import Streams
from practicesim.workforce import ROLES, Workforce
from tests.conftest import build


def test_calendar_maps_days_and_skips_weekends_and_holidays():
    scenario = build()
    cal = PracticeCalendar(scenario)
    assert cal.date(cal.warmup) == date(2027, 1, 1)
    assert cal.day(date(2027, 1, 1)) == cal.warmup
    assert not cal.is_clinic_day[cal.day(date(2027, 1, 1))], "New Year's Day is a holiday"
    assert not cal.is_clinic_day[cal.day(date(2027, 1, 2))], "Saturday"
    assert cal.is_clinic_day[cal.day(date(2027, 1, 4))], "Monday"


def test_payroll_is_paid_on_the_15th_and_last_day_of_each_month(small_run):
    daily = small_run.daily.set_index("date")
    paid = daily[daily["provider_compensation_cents"] > 0].index
    assert all(d.day == 15 or (d + np.timedelta64(1, "D")).day == 1 for d in paid)
    per_payday = small_run.scenario.providers[0]
    expected = 2 * round(per_payday.annual_compensation / 24 * 100)
    assert set(daily.loc[paid, "provider_compensation_cents"]) == {expected}


def test_overhead_is_booked_on_the_first_of_each_month(small_run):
    daily = small_run.daily.set_index("date")
    booked = daily[daily["overhead_cents"] > 0]
    assert all(d.day == 1 for d in booked.index)
    assert set(booked["overhead_cents"]) == {
        round(small_run.scenario.costs.fixed_overhead_per_month * 100)}


def test_coders_code_no_more_minutes_a_day_than_they_have():
    p = Practice(build({"staff.coders.count": 1, "staff.coders.hours_per_day": 1,
                        "billing.coding_minutes_per_claim": 10}), seed=1, replication=0)
    coded = []
    p.coding.to_submission = lambda day, claim: coded.append(day)
    for i in range(20):
        p.coding.receive(5, Claim(i, 1, 0, 0, i, 5, 1000, 500, u=[0.5] * CLAIM_DRAWS))
    days = [d for d in range(6, 30) if p.ctx.calendar.is_clinic_day[d]][:3]
    for day in range(6, days[-1] + 1):
        p.coding.on_day(day)
    assert [coded.count(d) for d in days] == [6, 6, 6]
    assert len(p.coding) == 2


@pytest.mark.parametrize(("errors", "catch"), [(0.2, 1.0), (0.2, 0.0), (0.3, 0.5)])
def test_clean_claim_rate_follows_scrubber_and_rejections(errors, catch):
    run = simulate(build({"billing.claim_error_rate": errors,
                          "billing.scrubber_catch_rate": catch,
                          "billing.clearinghouse_rejection_rate": 0.05}), seed=6)
    expected = (1 - errors * catch) * (1 - 0.05)
    assert run.kpis()["clean_claim_rate"] == pytest.approx(expected, abs=0.02)
    claims = run.claims[run.claims["first_adjudication_day"] >= 0]
    missed = claims[claims["has_error"] & (claims["submissions"] > 0)]
    if catch == 1.0:
        assert missed.empty, "a perfect scrubber lets no error through"
    else:
        # an error denies the claim (16), or one of its add-on lines (4, 11: line-level)
        reasons = missed["initial_denial_reason"].where(
            missed["line_denial_reason"] == "", missed["line_denial_reason"])
        assert reasons.isin(["16", "4", "11"]).all()
        assert (missed["initial_denial_reason"].isin(["16", "4", "11"])
                | missed["line_denial_reason"].isin(["4", "11"])).all()


def _finance_year(updates: dict) -> tuple[np.ndarray, dict[str, np.ndarray], PracticeCalendar]:
    """The costs of 2026, day by day, of a practice with ``updates`` and no staff."""
    scenario = build({"calendar.start": "2026-01-01", "calendar.warmup_days": 0,
                      "calendar.horizon_days": 365, "calendar.holidays": [],
                      **{f"staff.{role}.count": 0 for role in ROLES}, **updates})
    calendar = PracticeCalendar(scenario)
    workforce = Workforce([(0, scenario)], calendar, Streams(1, 0))
    finance = Finance(calendar, provider_seats(scenario), workforce)
    for day in range(calendar.n_days):
        finance.on_day(day, scenario)
    return np.arange(calendar.n_days), finance.costs, calendar


def test_a_years_benefits_and_payroll_taxes_of_two_physicians():
    """$290,000 a year: benefits 13.2% ($38,280), Social Security 6.2% up to the 2026 wage base
    ($11,439.00 on $184,500, reached in the 16th pay), Medicare 1.45% ($4,205) and other 1.35%
    ($3,915): $57,839 for the one on staff all year. The one starting 1 July is paid
    $145,000, all under the wage base: 13.2% + 6.2% + 1.45% + 1.35% = 22.2% of it, $32,190.
    Each pay is rounded to the cent (36 pays: within 18 cents)."""
    taxes = {"social_security_rate": 0.062, "social_security_wage_base": 184500,
             "medicare_rate": 0.0145, "other_rate": 0.0135}
    _, costs, _ = _finance_year({
        "costs.benefits_rate": 0.132, "costs.payroll_taxes": taxes,
        "providers": [
            {"name": "a", "annual_compensation": 290000,
             "sessions": [{"start": "08:00", "end": "12:00"}]},
            {"name": "b", "annual_compensation": 290000, "start_date": "2026-07-01",
             "sessions": [{"start": "08:00", "end": "12:00"}]}]})
    assert costs["provider_compensation"].sum() == 36 * round(290_000 / 24 * 100)
    expected = 57_839_00 + 32_190_00
    assert abs(int(costs["provider_benefits"].sum()) - expected) <= 18


def test_a_hires_one_time_and_monthly_costs():
    """Recruiting $60,000 and a $31,473 signing bonus on the start date; each month on staff
    the malpractice premium and education allowance's twelfths, the EHR licence and two exam
    rooms: ($12,500 + $3,969) / 12 + $500 + 2 x $600 = $3,072.42 a month, six months."""
    _, costs, calendar = _finance_year({
        "costs.exam_room_per_month": 600,
        "providers": [
            {"name": "new", "annual_compensation": 290000, "start_date": "2026-07-01",
             "recruiting_cost": 60000, "signing_bonus": 31473, "malpractice_per_year": 12500,
             "cme_per_year": 3969, "ehr_per_month": 500, "exam_rooms": 2,
             "sessions": [{"start": "08:00", "end": "12:00"}]}]})
    start = calendar.day(date(2026, 7, 1))
    assert costs["hiring_costs"][start] == 91_473_00 == costs["hiring_costs"].sum()
    monthly = costs["provider_costs"][costs["provider_costs"] > 0]
    assert len(monthly) == 6 and set(monthly.tolist()) == {round((16_469 / 12 + 1_700) * 100)}
    assert costs["provider_costs"][:start].sum() == 0


def test_a_provider_on_staff_part_of_a_month_pays_its_costs():
    """Starting on 15 July and leaving on 10 November: the monthly costs of July to November
    (five months, July's booked on the 1st for the month she starts in); pay from the 15th of
    July (the 15th is a pay day) to 31 October, the last pay day before 10 November: 8 pays."""
    _, costs, calendar = _finance_year({"providers": [
        {"name": "p", "annual_compensation": 120000, "start_date": "2026-07-15",
         "end_date": "2026-11-10", "ehr_per_month": 500,
         "sessions": [{"start": "08:00", "end": "12:00"}]}]})
    booked = np.flatnonzero(costs["provider_costs"])
    assert [calendar.date(d).month for d in booked] == [7, 8, 9, 10, 11]
    assert int(costs["provider_costs"].sum()) == 5 * 500_00
    assert int(costs["provider_compensation"].sum()) == 8 * 500_000


def test_the_wage_base_counts_from_the_start_date_and_resets_each_january():
    """$290,000 from 1 February 2026: 22 pays of $12,083.33 in 2026 ($265,833), Social
    Security on the first $184,500 ($11,439, reached in the 16th pay); in 2027 the count starts
    again: Social Security on $184,500 of the year's $290,000."""
    taxes = {"social_security_rate": 0.062, "social_security_wage_base": 184500}
    scenario = build({"calendar.start": "2026-01-01", "calendar.warmup_days": 0,
                      "calendar.horizon_days": 730, "calendar.holidays": [],
                      **{f"staff.{role}.count": 0 for role in ROLES},
                      "costs.payroll_taxes": taxes, "costs.benefits_rate": 0.0,
                      "providers": [{"name": "p", "annual_compensation": 290000,
                                     "start_date": "2026-02-01",
                                     "sessions": [{"start": "08:00", "end": "12:00"}]}]})
    calendar = PracticeCalendar(scenario)
    finance = Finance(calendar, provider_seats(scenario), Workforce([(0, scenario)], calendar,
                                                                    Streams(1, 0)))
    for day in range(calendar.n_days):
        finance.on_day(day, scenario)
    taxes_paid = finance.costs["provider_benefits"]
    first_year = calendar.day(date(2027, 1, 1))
    assert abs(int(taxes_paid[:first_year].sum()) - 11_439_00) <= 11
    assert abs(int(taxes_paid[first_year:].sum()) - 11_439_00) <= 12
