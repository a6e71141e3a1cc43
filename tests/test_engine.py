"""The whole practice: reproducibility, claim outcomes, published KPI ranges, dated changes."""

from __future__ import annotations

import pandas as pd
import pytest

from practicesim import Run, simulate
from practicesim.ledger import balance_violations, claim_totals
from tests.conftest import BASELINE, build, payday_cents

TABLES = Run.TABLES


def test_same_seed_gives_identical_tables(small_run):
    again = simulate(build(), seed=3)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(small_run, name), getattr(again, name),
                                      obj=name)


@pytest.mark.parametrize("name", ["ledger", "appointments", "visits", "daily"])
def test_different_seeds_give_different_tables(small_run, name):
    other = simulate(build(), seed=4)
    assert not getattr(small_run, name).equals(getattr(other, name))


def test_replications_are_different_streams(small_run):
    other = simulate(build(), seed=3, replication=1)
    assert not small_run.ledger.equals(other.ledger)


def test_every_claim_balances_at_every_moment(baseline_run):
    assert balance_violations(baseline_run.ledger).empty


def test_claims_table_agrees_with_ledger(baseline_run):
    totals = claim_totals(baseline_run.ledger)
    claims = baseline_run.claims.set_index("claim")
    assert (totals["open_balance"] == claims["open_balance_cents"].reindex(totals.index)).all()
    assert (totals["charge"] == claims["charge_cents"].reindex(totals.index)).all()


def test_every_claim_is_paid_written_off_or_open_with_a_reason(baseline_run):
    claims = baseline_run.claims
    open_claims = claims[claims["status"] == "open"]
    assert set(claims["status"].unique()) <= {"paid", "written_off", "open"}
    assert (open_claims["open_reason"] != "").all()
    closed = claims[claims["status"] != "open"]
    assert (closed["open_balance_cents"] == 0).all()


def test_baseline_volume_is_about_45000_visits(baseline_run):
    assert 42_000 <= baseline_run.kpis()["visits_completed"] <= 48_000


# Plausibility bands. Days in A/R: 28-40 is the primary-care target [M]; MGMA's mean of 61.86
# adjusted days is about 27 days of gross charges (docs/revenue-cycle-figures.md s.7).
@pytest.mark.parametrize(("kpi", "low", "high"), [
    ("days_in_ar", 20, 50),
    ("initial_denial_rate", 0.05, 0.15),
    ("no_show_rate", 0.05, 0.25),
    ("net_collection_rate", 0.90, 0.99),
])
def test_baseline_kpis_land_in_published_ranges(baseline_run, kpi, low, high):
    value = baseline_run.kpis()[kpi]
    assert low <= value <= high, f"{kpi} = {value:.3f}, published range {low}-{high}"


@pytest.fixture(scope="module")
def second_baseline_run():
    from practicesim import load_scenario

    return simulate(load_scenario(BASELINE), seed=2)


def _short_of(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


# The re-calibrated baseline's targets (issue 13 s.5), on seeds 1 and 2. Those it does not reach
# yet are strict xfails with what it carries and why.
@pytest.mark.parametrize(("kpi", "low", "high"), [
    ("days_in_ar", 28, 40),
    ("ar_over_90_pct", 0.10, 0.20),
    pytest.param("insurance_ar_over_90_pct", 0.05, 0.15, marks=_short_of(
        "2.3-3.3% (seeds 1-4): pended claims and appeals are the only long waits, and the "
        "billers work every item by its deadline")),
    ("initial_denial_rate", 0.05, 0.12),
    ("denied_dollars_recovered_pct", 0.35, 0.65),
    pytest.param("net_collection_rate", 0.95, 0.99, marks=_short_of(
        "93.5% (seeds 1-4): denial write-offs 2.2-2.4% and bad debt 3.3-3.4% of net revenue; "
        "Dunn et al. 2021 put revenue lost to billing problems near 5% at this payer mix")),
    pytest.param("bad_debt_pct", 0.01, 0.03, marks=_short_of(
        "3.3-3.4% (seeds 1-4): self-pay is about half of it")),
    ("self_pay_collection_rate", 0.20, 0.50),
])
def test_baseline_meets_the_recalibration_targets(baseline_run, second_baseline_run, kpi, low,
                                                  high):
    for run in (baseline_run, second_baseline_run):
        value = run.kpis()[kpi]
        assert low <= value <= high, f"{kpi} = {value:.3f}, target {low}-{high}"


def test_patients_pay_a_fifth_to_a_third_of_collections(baseline_run, second_baseline_run):
    """Patient share of collections 20-35% (issue 13 s.5): patient payments / all payments
    posted in the reported year."""
    for run in (baseline_run, second_baseline_run):
        ledger = run.ledger[run.ledger["day"] >= run.calendar.warmup]
        paid = ledger.groupby("kind", observed=True)["amount_cents"].sum()
        share = paid["patient_payment"] / (paid["patient_payment"] + paid["payer_payment"])
        assert 0.20 <= share <= 0.35, share


def test_monthly_days_in_ar_is_stable_from_the_first_reported_month(baseline_run):
    """The warm-up fills A/R: month-end days in A/R across the reported year stay within a
    narrow band (no ramp from an empty practice)."""
    from practicesim.metrics import days_in_ar

    cal = baseline_run.calendar
    month_ends = [d for d in range(cal.warmup, cal.n_days)
                  if cal.date(d + 1).day == 1 or d == cal.n_days - 1]
    values = [days_in_ar(baseline_run.ledger, d) for d in month_ends]
    assert max(values) - min(values) < 0.2 * (sum(values) / len(values)), values


def test_warmup_transactions_are_excluded_from_kpis(small_run):
    daily = small_run.daily
    reporting = daily[daily["reporting"]]
    assert small_run.kpis()["charges"] == reporting["charge_cents"].sum() / 100
    assert reporting["day"].min() == small_run.calendar.warmup


def test_cash_is_starting_cash_plus_collections_minus_costs(small_run):
    daily = small_run.daily
    start = round(small_run.scenario.starting_cash * 100)
    expected = start + (daily["collections_cents"] - daily["costs_cents"]).cumsum()
    assert (daily["cash_cents"] == expected).all()


def test_collections_are_ledger_payments_plus_unposted_desk_cash(small_run):
    """Collections, net of refunds = the ledger's payments + desk cash on no claim + desk
    deposits not yet applied at the end."""
    ledger = small_run.ledger
    paid = ledger[ledger["kind"].isin(["payer_payment", "patient_payment"])]
    daily = small_run.daily
    assert daily["desk_cash_unposted_cents"].sum() > 0, "missed charges with a copay expected"
    assert daily["collections_cents"].sum() == (paid["amount_cents"].sum()
                                                 + daily["desk_cash_unposted_cents"].sum()
                                                 + daily["desk_deposits_held_cents"].sum())


def test_desk_copays_are_cash_on_the_day_of_the_visit(small_run):
    ledger, daily = small_run.ledger, small_run.daily.set_index("day")
    first_cash_day = daily.index[daily["collections_cents"] > 0].min()
    assert first_cash_day in set(small_run.visits["day"])
    assert ledger["day"].min() > small_run.visits["day"].min(), "postings follow the charge lag"
    posted = ledger.loc[(ledger["day"] == first_cash_day) & ledger["kind"].isin(
        ["payer_payment", "patient_payment"]), "amount_cents"].sum()
    assert daily.loc[first_cash_day, "collections_cents"] > posted, (
        "the day's desk copays are cash that day, before their charges are posted")


def test_a_dated_hire_adds_biller_payroll_from_its_date():
    scenario = build({"changes": [{"date": "2027-03-01", "set": {"staff.billers.count": 3}}]})
    run = simulate(scenario, seed=3)
    daily = run.daily.set_index("date")["billing_payroll_cents"]
    before = daily[daily.index < "2027-03-01"]
    after = daily[daily.index >= "2027-03-01"]
    salary = scenario.staff.billers.annual_salary
    assert set(before[before > 0]) == {payday_cents(scenario, 1, salary)}
    assert set(after[after > 0]) == {payday_cents(scenario, 3, salary)}


def test_a_change_dated_inside_the_warmup_stays_in_force():
    run = simulate(build({"changes": [{"date": "2026-11-02",
                                       "set": {"staff.billers.count": 2}}]}), seed=3)
    daily = run.daily.set_index("date")["billing_payroll_cents"]
    late = daily[(daily.index >= "2026-11-15") & (daily > 0)]
    salary = run.scenario.staff.billers.annual_salary
    assert set(late) == {payday_cents(run.scenario, 2, salary)}


def test_lost_request_rate_counts_every_request(small_run):
    daily = small_run.daily
    booked = small_run.appointments.groupby("request_day").size()
    assert (daily["requests"] - daily["requests_lost"]).sum() == booked.sum()
