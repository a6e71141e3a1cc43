"""Staff turnover, vacancies and ramp-up (practicesim/workforce.py) against renewal theory, and
their effect on the revenue cycle."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from practicesim import simulate
from practicesim.calendar import PracticeCalendar
from practicesim.practice import Practice
from practicesim.streams import Streams
from practicesim.workforce import Workforce
from tests.conftest import build

TURNOVER = {"turnover_per_year": 0.5, "vacancy_days": 30, "ramp_up_days": 60,
            "ramp_up_productivity": 0.5, "hiring_cost": 4000}


def billers(count: int, years: int, **terms: object):
    scenario = build({"staff.billers": {"count": count, "hours_per_day": 8,
                                        "annual_salary": 47000, **terms},
                      "calendar.horizon_days": 365 * years, "calendar.warmup_days": 0})
    calendar = PracticeCalendar(scenario)
    return scenario, calendar, Workforce([(0, scenario)], calendar, Streams(1, 0))


def test_without_turnover_everyone_is_present_at_full_output():
    _, calendar, workforce = billers(3, 1)
    days = range(calendar.n_days)
    assert {workforce.present("billers", d) for d in days} == {3}
    assert {workforce.output("billers", d) for d in days} == {3.0}
    assert sum(workforce.hires("billers", d) for d in days) == 0


def test_turnover_matches_renewal_theory():
    """Tenure ~ exponential(mean 730 days), then 30 days vacant, then a hire ramping from half
    output to full over 60 days: in the long run a position is filled 730 / 760 of the time,
    its output is (730 - 15) / 760 of full, and it hires 365 / 760 times a year."""
    positions, years = 200, 10
    _, calendar, workforce = billers(positions, years, **TURNOVER)
    late = range(2 * 365, calendar.n_days)  # past the tenured start
    present = np.mean([workforce.present("billers", d) for d in late]) / positions
    output = np.mean([workforce.output("billers", d) for d in late]) / positions
    hires = sum(workforce.hires("billers", d) for d in late) / positions / (len(late) / 365)
    assert present == pytest.approx(730 / 760, abs=0.01)
    assert output == pytest.approx(715 / 760, abs=0.01)
    assert hires == pytest.approx(365 / 760, rel=0.08)


def test_a_position_added_by_a_dated_change_is_a_hire_that_ramps_up():
    scenario = build({"staff.billers": {"count": 1, "ramp_up_days": 10,
                                        "ramp_up_productivity": 0.2, "hiring_cost": 3000},
                      "changes": [{"date": "2027-01-01", "set": {"staff.billers.count": 2}}]})
    practice = Practice(scenario, 1, 0)
    workforce, day = practice.ctx.workforce, practice.ctx.calendar.day(
        scenario.calendar.start)
    assert workforce.output("billers", day - 1) == 1.0
    assert workforce.hires("billers", day) == 1
    assert workforce.output("billers", day) == pytest.approx(1.2)
    assert workforce.output("billers", day + 5) == pytest.approx(1.6)
    assert workforce.output("billers", day + 10) == pytest.approx(2.0)
    run = simulate(scenario, seed=1)
    assert run.daily["hiring_costs_cents"].sum() == 300000
    assert run.daily.loc[day, "hiring_costs_cents"] == 300000


def test_turnover_costs_hires_saves_vacant_pay_and_slows_denial_rework():
    """Same replication with and without biller turnover: the staff's comings and goings are
    the only difference (their own stream), so payroll falls by the vacancies, hiring costs are
    booked per hire, and the denial backlog is larger."""
    stable = build({"staff.billers.count": 2})
    churn = build({"staff.billers.count": 2,
                   **{f"staff.billers.{k}": v for k, v in TURNOVER.items()},
                   "staff.billers.turnover_per_year": 3.0, "staff.billers.vacancy_days": 60})
    a, b = simulate(stable, seed=2), simulate(churn, seed=2)
    practice = Practice(churn, 2, 0)
    hires = sum(practice.ctx.workforce.hires("billers", d) for d in range(a.calendar.n_days))
    assert hires > 0
    assert b.daily["hiring_costs_cents"].sum() == hires * 400000
    assert b.daily["billing_payroll_cents"].sum() < a.daily["billing_payroll_cents"].sum()
    assert b.daily["denial_backlog"].mean() > a.daily["denial_backlog"].mean()
    assert (a.visits["provider_start_minutes"].to_numpy()
            == b.visits["provider_start_minutes"].to_numpy()).all(), "the clinic is untouched"


def test_turnover_terms_cannot_change_mid_run():
    """The staff timeline is drawn when the run starts: a dated change of turnover is refused
    rather than silently ignored; a dated change of the hiring cost is fine."""
    from practicesim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"turnover_per_year.*cannot change mid-run"):
        build({"changes": [{"date": "2027-02-01",
                            "set": {"staff.billers.turnover_per_year": 0.3}}]})
    scenario = build({"staff.billers.ramp_up_days": 5, "changes": [
        {"date": "2027-02-01", "set": {"staff.billers.hiring_cost": 500}},
        {"date": "2027-03-01", "set": {"staff.billers.count": 2}}]})
    run = simulate(scenario, seed=1)
    hired = run.calendar.day(date(2027, 3, 1))
    assert run.daily.loc[hired, "hiring_costs_cents"] == 50000


def test_a_new_hire_makes_more_errors_until_ramped_up():
    """A tenured coder and a second hired on 2027-01-01 at three quarters of full output and
    five times the usual error rate, both ramping linearly over 40 days: on day t of the hire
    the team's error factor is (1 + p(t) f(t)) / (1 + p(t)), p(t) = 0.75 + 0.25 t / 40,
    f(t) = 5 - 4 t / 40; then 1. Claims the team codes on the hire's first ten days are caught
    by the scrubber at about that multiple of the usual 12% x 75%."""
    scenario = build({"staff.coders": {"count": 1, "hours_per_day": 8, "ramp_up_days": 40,
                                       "ramp_up_productivity": 0.75,
                                       "ramp_up_error_factor": 5.0},
                      "changes": [{"date": "2027-01-01", "set": {"staff.coders.count": 2}}]})
    practice = Practice(scenario, 1, 0)
    workforce, hired = practice.ctx.workforce, practice.ctx.calendar.day(date(2027, 1, 1))
    for t in (0, 10, 39):
        p, f = 0.75 + 0.25 * t / 40, 5 - 4 * t / 40
        assert workforce.error_factor("coders", hired + t) == pytest.approx((1 + p * f) / (1 + p))
    assert workforce.error_factor("coders", hired - 1) == 1.0
    assert workforce.error_factor("coders", hired + 40) == 1.0
    run = simulate(scenario, seed=1)
    claims = run.claims[run.claims["first_attempt_day"] >= 0]
    days = claims["first_attempt_day"]
    first = days.between(hired, hired + 9)
    factor = np.array([workforce.error_factor("coders", d) for d in days[first]])
    expected = (0.12 * factor * 0.75).mean()
    caught = claims.loc[first, "scrubber_caught"].mean()
    assert expected > 2.5 * 0.12 * 0.75
    noise = (expected * (1 - expected) / first.sum()) ** 0.5
    assert caught == pytest.approx(expected, abs=3 * noise)
    before = claims.loc[days < hired, "scrubber_caught"].mean()
    assert before == pytest.approx(0.12 * 0.75, abs=0.015)


def test_a_new_billers_corrections_are_denied_again_more_often():
    """A tenured biller and a second hired on 2027-01-01 at full output but six times the usual
    errors, falling to 1 over 60 days; payers deny 30% of claims for missing information
    (corrected and resubmitted) and 10% of corrections again: corrections sent in the hire's
    first 20 days are denied again at about the team factor (1 + f(t)) / 2 times the payers'
    10% rate; those sent before the hire at about 10%."""
    scenario = build({"staff.billers": {"count": 1, "hours_per_day": 8, "ramp_up_days": 60,
                                        "ramp_up_error_factor": 6.0},
                      **{f"payers[{p}].denial": {"rate": 0.3, "reasons": {"16": 1.0},
                                                 "resubmission_denial_rate": 0.1}
                         for p in ("medicare", "medicaid", "medicare_advantage",
                                   "commercial_a", "commercial_b")},
                      "changes": [{"date": "2027-01-01", "set": {"staff.billers.count": 2}}]})
    run = simulate(scenario, seed=2)
    hired = run.calendar.day(date(2027, 1, 1))
    ledger = run.ledger[run.ledger["kind"].isin(["submission", "denial", "payer_payment"])]
    outcomes = []
    for _, events in ledger.groupby("claim", observed=True):
        kinds, days = events["kind"].tolist(), events["day"].tolist()
        for i in range(1, len(kinds) - 1):
            if kinds[i] == "submission" and kinds[i - 1] == "denial":
                outcomes.append((days[i], kinds[i + 1] == "denial"))
    sent = np.array([day for day, _ in outcomes])
    again = np.array([denied for _, denied in outcomes])
    window = (sent > hired) & (sent <= hired + 20)
    assert window.sum() > 40
    factor = np.mean([(1 + 6 - 5 * (d - 1 - hired) / 60) / 2 for d in sent[window]])
    assert again[window].mean() == pytest.approx(
        0.1 * factor, abs=3 * (0.1 * factor * (1 - 0.1 * factor) / window.sum()) ** 0.5)
    early = sent <= hired
    assert again[early].mean() == pytest.approx(0.1, abs=3 * (0.09 / early.sum()) ** 0.5)
