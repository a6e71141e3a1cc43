"""Provider pay models: production pay per work RVU, with a guarantee while a new provider
ramps up, by hand from the run's own claims."""

from __future__ import annotations

from datetime import date

import pytest

from practicesim import simulate
from practicesim.finance import cents
from practicesim.scenario import ScenarioError
from tests.conftest import CLEAN_BILLING, build

SESSIONS = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
RATE = 52.0
"""Dollars per work RVU."""


def month_wrvus(run, provider: str, month: int = 1) -> float:
    """Work RVUs of the provider's claims for services in that month of 2027 (every visit has
    one: no missed charges), from the fee schedule's work RVUs of the billed codes and their
    units."""
    work = {code: fee.rvu.work for code, fee in run.scenario.fee_schedule.items() if fee.rvu}
    day = run.calendar.day
    claims = run.claims[(run.claims["provider"].astype(str) == provider)
                        & (run.claims["service_day"] >= day(date(2027, month, 1)))
                        & (run.claims["service_day"] < day(date(2027, month + 1, 1)))]
    lines = run.lines[run.lines["claim"].isin(claims["claim"])]
    return float((lines["code"].astype(str).map(work) * lines["units"]).sum())


def test_a_month_of_production_pay_is_its_wrvus_times_the_rate_paid_on_the_15th():
    """Two physicians paid $52 per wRVU: on 2027-02-15 the practice pays each her January work
    RVUs times $52 (with benefits and payroll taxes in provider_benefits), and no salary."""
    run = simulate(build({**CLEAN_BILLING, "providers": [
        {"name": "physician", "count": 2, "sessions": SESSIONS, "pay_model": "wrvu",
         "dollars_per_wrvu": RATE}]}), seed=3)
    expected = sum(cents(month_wrvus(run, f"physician_{k}") * RATE) for k in (1, 2))
    assert expected > 2_000_000
    paid = run.daily["provider_compensation_cents"]
    assert paid.iloc[run.calendar.day(date(2027, 2, 15))] == expected
    assert paid.iloc[run.calendar.day(date(2027, 1, 31))] == 0
    loading = run.daily["provider_benefits_cents"].iloc[run.calendar.day(date(2027, 2, 15))]
    assert loading == pytest.approx(expected * (0.132 + 0.062 + 0.0145 + 0.0135), abs=2)


def test_a_new_providers_guarantee_pays_at_least_its_prorated_month():
    """A physician starting 2027-01-11 on $52 per wRVU with a $360,000 guarantee for three
    months: for January (21 of 31 days on staff) she is paid the larger of her wRVUs x $52 and
    $30,000 x 21 / 31 (the guarantee, here the larger); the two salaried physicians' pay on the
    15th is unchanged; after the guarantee (January to March), production alone: May 15 pays
    April's wRVUs x $52."""
    new = {"name": "new_physician", "sessions": SESSIONS, "start_date": "2027-01-11",
           "pay_model": "wrvu", "dollars_per_wrvu": RATE, "guarantee_per_year": 360000,
           "guarantee_months": 3}
    run = simulate(build({**CLEAN_BILLING, "providers": [
        {"name": "physician", "count": 2, "sessions": SESSIONS, "annual_compensation": 290000},
        new]}), seed=3)
    production = month_wrvus(run, "new_physician") * RATE
    guarantee = 360000 / 12 * 21 / 31
    assert production < guarantee, "the ramp-up month falls short of the guarantee"
    salaries = 2 * cents(290000 / 24)
    feb15 = run.daily["provider_compensation_cents"].iloc[run.calendar.day(date(2027, 2, 15))]
    assert feb15 == salaries + cents(guarantee)
    may15 = run.daily["provider_compensation_cents"].iloc[run.calendar.day(date(2027, 5, 15))]
    assert may15 == salaries + cents(month_wrvus(run, "new_physician", 4) * RATE)


def test_production_pay_needs_a_rate():
    with pytest.raises(ScenarioError, match="pay_model wrvu needs dollars_per_wrvu"):
        build({"providers[physician].pay_model": "wrvu"})


def test_collections_pay_is_the_share_of_the_months_cash_on_her_claims():
    """Two physicians paid 50% of their collections: on 2027-02-15 the practice pays half of
    January's cash (all of it collected on their claims: copays at the desk, payers' and
    patients' payments, net of refunds), each physician's share rounded to the cent."""
    run = simulate(build({**CLEAN_BILLING, "providers": [
        {"name": "physician", "count": 2, "sessions": SESSIONS, "pay_model": "collections",
         "collections_share": 0.5}]}), seed=3)
    day = run.calendar.day
    january = run.daily["collections_cents"].iloc[day(date(2027, 1, 1)):day(date(2027, 2, 1))]
    paid = run.daily["provider_compensation_cents"]
    assert january.sum() > 1_000_000
    assert abs(paid.iloc[day(date(2027, 2, 15))] - january.sum() * 0.5) <= 1
    assert paid.iloc[day(date(2027, 1, 31))] == 0, "no salary on a collections model"


def test_base_plus_bonus_pays_the_salary_and_a_quarterly_bonus_above_the_threshold():
    """A $200,000 base with $45 per wRVU above 3,000 wRVUs a year: each 15th and month end
    pays the salary; on 2027-04-15 the bonus for January to March is $45 x (the quarter's
    wRVUs - 3,000 x 90 / 365); no bonus is paid on the other 15ths."""
    run = simulate(build({**CLEAN_BILLING, "providers": [
        {"name": "physician", "sessions": SESSIONS, "pay_model": "base_plus_bonus",
         "annual_compensation": 200000, "dollars_per_wrvu": 45,
         "bonus_wrvu_threshold": 3000}]}), seed=3)
    quarter = sum(month_wrvus(run, "physician", m) for m in (1, 2, 3))
    bonus = 45 * (quarter - 3000 * 90 / 365)
    assert bonus > 1000, "the quarter's work passes the threshold"
    paid = run.daily["provider_compensation_cents"]
    day = run.calendar.day
    # the lines table holds the lines as last billed (a corrected line may differ slightly
    # from the visit's): within $5 of the bonus
    assert paid.iloc[day(date(2027, 4, 15))] == pytest.approx(
        cents(200000 / 24) + cents(bonus), abs=500)
    assert paid.iloc[day(date(2027, 5, 15))] == cents(200000 / 24)
    assert paid.iloc[day(date(2027, 3, 31))] == cents(200000 / 24)


def test_production_pay_counts_in_the_accrual_view_in_the_month_earned():
    """Production pay with its benefits is a cost of the month earned in the accrual view:
    what is paid on 2027-02-15 is booked on 2027-01-31; the run's last month, paid after the
    run, is booked on its last day (2027-05-30) although it is never paid within it; every
    other month earned is paid in the run."""
    run = simulate(build({**CLEAN_BILLING, "providers": [
        {"name": "physician", "count": 2, "sessions": SESSIONS, "pay_model": "wrvu",
         "dollars_per_wrvu": RATE}]}), seed=3)
    daily, day = run.daily, run.calendar.day
    paid = daily["production_paid_cents"].iloc[day(date(2027, 2, 15))]
    assert paid == (daily["provider_compensation_cents"] + daily["provider_benefits_cents"]
                    ).iloc[day(date(2027, 2, 15))]
    assert daily["production_earned_cents"].iloc[day(date(2027, 1, 31))] == paid
    last = run.calendar.n_days - 1
    assert run.calendar.date(last) == date(2027, 5, 30)
    assert daily["production_earned_cents"].iloc[last] > 0
    # January to April are paid in the run (Feb 15 to May 15), May (to the 30th) only earned
    assert (daily["production_earned_cents"].sum() - daily["production_earned_cents"].iloc[last]
            == daily["production_paid_cents"].sum())
    assert (daily["accrued_costs_cents"] == daily["costs_cents"] - daily["production_paid_cents"]
            + daily["production_earned_cents"]).all()


def test_other_pay_models_need_their_terms():
    with pytest.raises(ScenarioError, match="pay_model collections needs collections_share"):
        build({"providers[physician].pay_model": "collections"})
    with pytest.raises(ScenarioError, match="pay_model base_plus_bonus needs dollars_per_wrvu"):
        build({"providers[physician].pay_model": "base_plus_bonus"})


def test_base_plus_bonus_stops_social_security_at_the_wage_base_on_salary_and_bonus_together():
    """A $150,000 base and $45 for every wRVU (threshold 0) over 2027: salary and three
    quarterly bonuses pass the $184,500 wage base, so the year's provider benefits are
    13.2% benefits + 6.2% Social Security on the first $184,500 only + 2.8% Medicare and other
    taxes on all of the pay (each payment rounded to the cent)."""
    run = simulate(build({**CLEAN_BILLING, "calendar.horizon_days": 365, "providers": [
        {"name": "physician", "sessions": SESSIONS, "pay_model": "base_plus_bonus",
         "annual_compensation": 150000, "dollars_per_wrvu": 45,
         "bonus_wrvu_threshold": 0}]}), seed=3)
    pay = run.daily["provider_compensation_cents"].sum() / 100
    assert pay > 250000
    loading = run.daily["provider_benefits_cents"].sum() / 100
    by_hand = 0.132 * pay + 0.062 * 184500 + (0.0145 + 0.0135) * pay
    assert loading == pytest.approx(by_hand, abs=0.6)


def test_the_accrual_view_books_a_partial_months_guarantee_prorated_at_the_runs_end():
    """A physician starting 2027-01-11 with a $720,000 guarantee and a run ending on
    2027-03-10: March's pay (due April 15, after the run) is earned on March 10 as the
    guarantee of 10 of March's 31 days (her production falls short of it), with benefits
    and taxes: 60,000 x 10 / 31 x (1 + 0.132 + 0.062 + 0.028)."""
    new = {"name": "new_physician", "sessions": SESSIONS, "start_date": "2027-01-11",
           "pay_model": "wrvu", "dollars_per_wrvu": RATE, "guarantee_per_year": 720000,
           "guarantee_months": 3}
    run = simulate(build({**CLEAN_BILLING, "calendar.horizon_days": 69, "providers": [
        {"name": "physician", "sessions": SESSIONS, "annual_compensation": 290000}, new]}),
        seed=3)
    assert run.calendar.date(run.calendar.n_days - 1) == date(2027, 3, 10)
    guarantee = 60000 * 10 / 31
    earned = run.daily["production_earned_cents"].iloc[-1] / 100
    assert earned == pytest.approx(guarantee * (1 + 0.132 + 0.062 + 0.0145 + 0.0135), abs=0.02)
    assert run.daily["production_earned_cents"].iloc[run.calendar.day(date(2027, 2, 28))] > 0
