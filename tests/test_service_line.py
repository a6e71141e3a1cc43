"""A new service line (``scenarios/new_service_line.yaml``): demand ramping up along a logistic
curve, codes billed in units, supplies, prior authorization (waits, refusals, CO-197 denials)
and one-time start-up costs, each checked against a hand calculation."""

from __future__ import annotations

import copy
import math
from datetime import date

import numpy as np
import pytest

from practicesim import Scenario, load_scenario, simulate
from practicesim.scenario import Ramp, ScenarioError, load_raw, set_path, validate
from tests.conftest import ROOT, SMALL

START = date(2027, 1, 4)
AUTHORIZING = ["commercial_a", "commercial_b", "medicare_advantage", "medicaid"]


def with_allergy(authorization: dict | None = None, updates: dict | None = None) -> Scenario:
    """The small practice with spare capacity (20 primary care requests a day for two
    physicians), every appointment kept, patients accepting any lead time, and an allergy line
    (10 requests a day at full rate, ramping from 2027-01-04) whose skin test bills 40 units of
    95004 and 10 of 95024 with probability 0.3."""
    raw = copy.deepcopy(load_raw(SMALL))
    raw["fee_schedule"]["95004"] = {"charge": 8, "medicare_allowed": 3.66}
    raw["fee_schedule"]["95024"] = {"charge": 16, "medicare_allowed": 7.99}
    raw["service_lines"].append({"name": "allergy", "visit_types": [{
        "name": "skin_test", "provider_minutes": 10, "codes": {"95004": 1.0},
        "add_ons": {"95024": 0.3}, "units": {"95004": 40, "95024": 10}, "supply_cost": 35,
        "prior_authorization": authorization}]})
    raw["demand"].append({"service_line": "allergy", "requests_per_day": 10,
                          "new_patient_share": 0.0,
                          "ramp": {"start": str(START), "days_to_half": 40, "days_to_90pct": 80}})
    raw["costs"]["one_time"] = [{"date": str(START), "amount": 18000, "note": "equipment"},
                                {"date": "2027-02-01", "amount": 6000, "note": "training"}]
    for key, value in {"demand[primary_care].requests_per_day": 20,
                       "scheduling.early_cancel_rate": 0.0,
                       "scheduling.patient_tolerance_days": 1000,
                       "no_shows.base_rate": 0.0, "no_shows.late_cancel_rate": 0.0,
                       **(updates or {})}.items():
        set_path(raw, key, value)
    return validate(raw, "allergy practice")


def test_the_ramp_is_logistic_through_its_half_and_ninety_percent_days():
    ramp = Ramp(start=START, days_to_half=120, days_to_90pct=240)
    assert ramp.share(-1) == 0.0
    assert ramp.share(120) == pytest.approx(0.5)
    assert ramp.share(240) == pytest.approx(0.9)
    assert ramp.share(0) == pytest.approx(1 / (1 + 9 ** (120 / 120)))
    with pytest.raises(ValueError, match="days_to_90pct"):
        Ramp(start=START, days_to_half=120, days_to_90pct=100)


def test_requests_follow_the_ramp_within_poisson_noise():
    """Allergy requests over each 30-day window after the start = sum over its clinic days of
    10 x share(t), within four Poisson standard deviations; none before the start."""
    scenario = with_allergy()
    run = simulate(scenario, seed=5)
    cal = run.calendar
    start = cal.day(START)
    appointments = run.appointments[run.appointments["service_line"] == "allergy"]
    booked = np.bincount(appointments["request_day"], minlength=cal.n_days)
    assert booked[:start].sum() == 0
    ramp = scenario.demand[1].ramp
    for first in range(start, start + 120, 30):
        days = [d for d in range(first, first + 30) if cal.is_clinic_day[d]]
        expected = sum(10 * ramp.share(d - start) for d in days)
        assert booked[days].sum() == pytest.approx(expected, abs=4 * math.sqrt(expected) + 1)


def test_units_price_a_claim_and_supplies_are_paid_on_the_visit_day():
    """A skin test's charge is 40 x $8, plus 10 x $16 when intradermal tests are added; its
    Medicare allowed amount 40 x $3.66 (+ 10 x $7.99). Supplies: $35 a skin test, paid on the
    visit day."""
    run = simulate(with_allergy(), seed=5)
    visits = run.visits[run.visits["visit_type"] == "skin_test"]
    claims = run.claims[run.claims["visit"].isin(visits["visit"])]
    assert len(claims) > 200
    assert set(claims["charge_cents"]) == {40 * 800, 40 * 800 + 10 * 1600}
    assert set(claims["medicare_allowed_cents"]) == {40 * 366, 40 * 366 + 10 * 799}
    with_add_on = (claims["charge_cents"] > 40 * 800).mean()
    assert with_add_on == pytest.approx(0.3, abs=4 * math.sqrt(0.3 * 0.7 / len(claims)))
    per_day = np.bincount(visits["day"], minlength=run.calendar.n_days) * 3500
    np.testing.assert_array_equal(run.daily["supplies_cents"].to_numpy(), per_day)


def test_prior_authorization_delays_booking_refuses_some_and_is_paid_for():
    """Authorization takes exactly 9 days: no skin test of an authorizing payer's patient is
    booked sooner than 9 days after the request, Medicare's (no authorization) can be. The
    payer refuses a fifth of requests: refused / (refused + booked) is 0.2 within binomial
    noise. Each request costs $12: front-office costs are 12 x (refused + booked)."""
    scenario = with_allergy({"payers": AUTHORIZING, "days": 9, "refusal_rate": 0.2, "cost": 12})
    run = simulate(scenario, seed=6)
    tests = run.appointments[run.appointments["visit_type"] == "skin_test"]
    authorized = tests["payer"].isin(AUTHORIZING)
    assert (tests.loc[authorized, "lead_days"] >= 9).all()
    assert (tests.loc[~authorized, "lead_days"] < 9).any()
    refused = run.daily["requests_refused_authorization"].sum()
    asked = refused + authorized.sum()
    assert refused / asked == pytest.approx(0.2, abs=4 * math.sqrt(0.2 * 0.8 / asked))
    assert run.daily["front_office_costs_cents"].sum() == 1200 * asked


def test_visits_without_a_valid_authorization_are_denied_197():
    """With missing_rate 0.1, a tenth of the authorizing payers' skin test claims are sent
    without a valid authorization, and exactly those are denied CO-197 on first adjudication;
    no other payer's claim is."""
    scenario = with_allergy({"payers": AUTHORIZING, "days": 2, "missing_rate": 0.1},
                            {f"payers[{p}].denial.rate": 0.0 for p in AUTHORIZING}
                            | {"billing.claim_error_rate": 0.0})
    run = simulate(scenario, seed=7)
    claims = run.claims[run.claims["first_adjudication_day"] >= 0]
    missing = claims["authorization_missing"]
    assert missing.sum() > 10
    assert claims.loc[missing, "payer"].isin(AUTHORIZING).all()
    assert (claims.loc[missing, "initial_denial_reason"] == "197").all()
    assert not (claims.loc[~missing & claims["payer"].isin(AUTHORIZING),
                           "initial_denial_reason"] == "197").any()
    tests = claims["charge_cents"] >= 40 * 800
    share = missing[tests & claims["payer"].isin(AUTHORIZING)].mean()
    n = (tests & claims["payer"].isin(AUTHORIZING)).sum()
    assert share == pytest.approx(0.1, abs=4 * math.sqrt(0.09 / n))


def test_one_time_costs_are_paid_on_their_dates():
    run = simulate(with_allergy(), seed=5)
    cal = run.calendar
    costs = run.daily["one_time_costs_cents"]
    assert costs[cal.day(START)] == 1_800_000
    assert costs[cal.day(date(2027, 2, 1))] == 600_000
    assert costs.sum() == 2_400_000


def test_prior_authorization_must_name_known_payers_and_units_billed_codes():
    with pytest.raises(ScenarioError, match="unknown payer 'acme'"):
        with_allergy({"payers": ["acme"]})
    raw = copy.deepcopy(load_raw(SMALL))
    set_path(raw, "service_lines[primary_care].visit_types[0].units", {"95004": 2})
    with pytest.raises(ScenarioError, match="units"):
        validate(raw, "bad units")


def test_the_new_service_line_scenario_adds_revenue_and_costs():
    """new_service_line.yaml against the baseline, same seed: its allergy visits bring charges,
    it pays the $24,000 start-up on 2027-01-04, supplies and one more medical assistant, and
    the existing primary care patients wait longer for an appointment (the testing uses the
    physicians' slots)."""
    base = simulate(load_scenario(ROOT / "scenarios" / "baseline.yaml"), seed=2)
    new = simulate(load_scenario(ROOT / "scenarios" / "new_service_line.yaml"), seed=2)
    reported = new.daily["reporting"]
    assert new.daily.loc[reported, "one_time_costs_cents"].sum() == 2_400_000
    assert new.daily.loc[reported, "supplies_cents"].sum() > 0
    assert (new.daily.loc[reported, "clinical_staff_payroll_cents"].sum()
            > base.daily.loc[reported, "clinical_staff_payroll_cents"].sum())
    lead = {name: run.appointments[(run.appointments["service_line"] == "primary_care")
                                   & (run.appointments["day"] >= run.calendar.warmup)
                                   ]["lead_days"].mean()
            for name, run in (("base", base), ("new", new))}
    assert lead["new"] > lead["base"]
