"""Calendar, payroll and overhead, coding capacity and the claim scrubber."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from practicesim import simulate
from practicesim.calendar import PracticeCalendar
from practicesim.practice import Practice
from practicesim.revenue.claims import CLAIM_DRAWS, Claim
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
