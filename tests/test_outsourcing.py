"""Outsourcing revenue-cycle work to a vendor (``scenario.outsourcing``, ``revenue/vendor.py``):
who does the work from the start date, at what capacity in the transition, with what error and
denial rates, and what the fee comes to, each checked against a hand calculation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from practicesim import load_scenario, simulate
from practicesim.revenue.denials import DEFAULT_RULES
from practicesim.revenue.vendor import Vendor
from practicesim.scenario import ScenarioError
from tests.conftest import ROOT, build

START = date(2027, 1, 1)


def outsourced(**terms) -> dict:
    return {"outsourcing": {"start": str(START), **terms}}


def vendor_run(updates: dict, seed: int = 4):
    scenario = build(updates)
    run = simulate(scenario, seed=seed)
    return scenario, run, run.calendar.day(START)


def test_the_vendor_codes_every_claim_entered_after_its_start_and_none_before():
    _, run, start = vendor_run(outsourced(scope=["coding"]))
    claims = run.claims[(run.claims["payer"] != "self_pay")
                        & (run.claims["first_attempt_day"] >= 0)]
    by_vendor = claims["vendor_coded"]
    assert by_vendor.sum() > 1000
    assert (claims.loc[by_vendor, "first_attempt_day"] >= start).all()
    assert not (claims.loc[~by_vendor, "first_attempt_day"] >= start).any()
    assert not claims["vendor_reworked"].any(), "denials stay in-house outside the scope"


def test_the_transition_caps_what_the_vendor_codes_each_day_at_its_rising_capacity():
    """Capacity on business day d = 30 x (0.4 + 0.6 (d - start) / 40), below the ~40 claims a day
    the practice enters at first, so a backlog builds: on each day the vendor codes the whole
    part of its capacity plus the fraction carried from the day before, never more; over the
    transition the claims coded add up to its summed capacity (to within one claim)."""
    terms = {"claims_coded_per_day": 30, "transition_days": 40, "transition_productivity": 0.4,
             "submit_lag_days": 0}
    scenario, run, start = vendor_run(outsourced(scope=["coding"], **terms))
    vendor = Vendor(scenario, run.calendar)
    claims = run.claims[run.claims["vendor_coded"]]
    per_day = np.bincount(claims["first_attempt_day"], minlength=run.calendar.n_days)
    days = np.arange(start, start + 40)
    capacity = np.array([vendor.capacity(d, 30) for d in days])
    assert capacity[run.calendar.is_clinic_day[days]] == pytest.approx(
        30 * (0.4 + 0.6 * (days[run.calendar.is_clinic_day[days]] - start) / 40))
    assert (per_day[days] <= np.floor(np.cumsum(capacity)) - np.concatenate(
        ([0], np.cumsum(per_day[days])[:-1])) + 1e-9).all()
    assert per_day[days].sum() == pytest.approx(capacity.sum(), abs=1)
    backlog = run.daily["coding_backlog"].to_numpy()
    assert backlog[start + 39] > 5 * backlog[start - 1], "a transition backlog builds"


def test_vendor_error_and_denial_rates_apply_to_the_claims_it_sends():
    """A vendor with no coding errors and payer-specific edits preventing every rate-driven
    denial: its claims carry no error and are never denied on first adjudication (credentialing
    aside); the in-house claims before it still are, at about the in-house rates."""
    _, run, _ = vendor_run(outsourced(scope=["coding"], claim_error_rate=0.0,
                                      denial_rate_factor=0.0))
    claims = run.claims[(run.claims["payer"] != "self_pay")
                        & (run.claims["first_adjudication_day"] >= 0)]
    vendor, house = claims[claims["vendor_coded"]], claims[~claims["vendor_coded"]]
    assert len(vendor) > 1000 and len(house) > 1000
    assert not vendor["has_error"].any() and not vendor["scrubber_caught"].any()
    assert (vendor["initial_denial_reason"].isin(["", "B7"])).all()
    caught = house["scrubber_caught"].mean()
    assert caught == pytest.approx(0.12 * 0.75, abs=0.02)


def test_the_fee_on_collections_is_the_rate_times_every_payer_and_statement_payment():
    """fee_base collections: vendor fees on each day from the start = sum over that day's payer
    payments and patient statement or agency payments of round(rate x amount), plus the setup
    fee on the start day; nothing before. Desk copays carry no fee (the desk collects nothing
    here, so every patient payment in the ledger came by statement or agency)."""
    rate = 0.07
    _, run, start = vendor_run({**outsourced(fee_rate=rate, setup_fee=2500),
                                "patient_collections.desk_collection_rate": 0.0,
                                "patient_collections.self_pay_desk_rate": 0.0})
    ledger = run.ledger
    paid = ledger[ledger["kind"].isin(["payer_payment", "patient_payment"])]
    by_hand = (paid["amount_cents"] * rate).round().groupby(paid["day"]).sum()
    by_hand = by_hand.reindex(range(run.calendar.n_days), fill_value=0).to_numpy().copy()
    by_hand[:start] = 0
    by_hand[start] += 250_000
    np.testing.assert_array_equal(run.daily["vendor_fees_cents"].to_numpy(), by_hand)


NO_UNDERPAYMENTS = {f"payers[{name}].underpayment.rate": 0.0
                    for name in ("medicare_advantage", "commercial_a", "commercial_b")}


def test_a_contingency_fee_falls_only_on_payments_of_claims_whose_denial_the_vendor_worked():
    rate = 0.2
    _, run, start = vendor_run({**outsourced(scope=["denials"], fee_rate=rate,
                                             fee_base="recovered_denials"), **NO_UNDERPAYMENTS})
    reworked = run.claims.loc[run.claims["vendor_reworked"], "claim"]
    assert len(reworked) > 50
    ledger = run.ledger
    # payments after the denial (of the claim, or of a line: the other lines were paid in the
    # remittance that denied it, before the vendor worked it)
    denied = ledger[ledger["kind"].isin(["denial", "line_denial"])].groupby("claim")["day"].min()
    paid = ledger[(ledger["kind"] == "payer_payment") & ledger["claim"].isin(reworked)]
    paid = paid[paid["day"] > paid["claim"].map(denied)]
    assert (paid["day"] >= start).all()
    assert run.daily["vendor_fees_cents"].sum() == (paid["amount_cents"] * rate).round().sum()
    assert not run.claims["vendor_coded"].any(), "coding stays in-house outside the scope"


def test_a_contingency_fee_falls_on_the_underpayments_the_vendor_recovered():
    """No denials; every underpayment found: the vendor's only fees are on the differences it
    recovered from the appeals it filed, not on the payments the payer made before nor on the
    appeals the billers filed before its start."""
    rate = 0.2
    no_denials = {f"payers[{name}].denial.rate": 0.0 for name in (
        "medicare", "medicare_advantage", "medicaid", "commercial_a", "commercial_b")}
    _, run, start = vendor_run({**outsourced(scope=["denials"], fee_rate=rate,
                                             fee_base="recovered_denials"), **no_denials,
                                "billing.claim_error_rate": 0.0,
                                "billing.underpayment_review.detection_rate": 1.0})
    ledger = run.ledger
    reworked = run.claims.loc[run.claims["vendor_reworked"], "claim"]
    recovered = ledger[(ledger["kind"] == "payer_payment")
                       & (ledger["carc_reason"].astype(str) == "underpayment")
                       & ledger["claim"].isin(reworked)]
    assert len(recovered) > 20 and (recovered["day"] >= start).all()
    assert run.daily["vendor_fees_cents"].sum() == (
        recovered["amount_cents"] * rate).round().sum()


def test_the_vendor_works_denials_within_its_capacity_and_appeals_at_its_success_rate():
    """With no limit the vendor works each denial the business day it arrives, so the backlog
    at the end of every business day after the start is zero; with an appeal success rate of 1
    every appeal it files is won. (Remittances all post themselves: one a biller posts by hand
    after the vendor's day may bring a denied line the vendor works the next day.)"""
    _, run, start = vendor_run({**outsourced(scope=["denials"], appeal_success_rate=1.0),
                                "billing.posting_exception_rate": 0.0})
    daily = run.daily
    after = daily[(daily["day"] >= start) & daily["clinic_day"]]
    assert (after["denial_backlog"] == 0).all()
    before = daily[(daily["day"] < start) & daily["clinic_day"] & (daily["day"] > 30)]
    assert before["denial_backlog"].mean() > 0
    ledger = run.ledger
    reworked = ledger["claim"].isin(run.claims.loc[run.claims["vendor_reworked"], "claim"])
    appealed = ledger["carc_reason"].isin(
        [code for code, rule in DEFAULT_RULES.items() if rule.action == "appeal"])
    assert (reworked & appealed & (ledger["kind"] == "denial")).sum() > 10
    # the vendor's rate is its first level's: a claim the practice lost an appeal on before
    # the vendor started may go on to a further level the vendor files, at that level's odds
    first_denied = ledger[ledger["kind"] == "denial"].groupby("claim")["day"].min()
    since = ledger["claim"].isin(first_denied.index[first_denied >= start])
    assert not (reworked & appealed & since & (ledger["kind"] == "denial_writeoff")).any()


def test_outsourcing_start_cannot_move_by_a_dated_change():
    with pytest.raises(ScenarioError, match="outsourcing"):
        build({"changes": [{"date": "2027-02-01", "set": {"outsourcing.start": "2027-02-01"}}]})


def test_outsourcing_scenarios_cut_costs_by_the_staff_they_let_go():
    """outsource_rcm lets the two coders ($50,000) and two of three billers ($47,000) go from
    2027-02-01: over the 11 months to the year's end, 22 semi-monthly paydays of 1/24 of their
    salaries, with benefits and payroll taxes on them (22.2%), are saved (no turnover in the
    baseline)."""
    base = simulate(load_scenario(ROOT / "scenarios" / "baseline.yaml"), seed=1)
    out = simulate(load_scenario(ROOT / "scenarios" / "outsource_rcm.yaml"), seed=1)
    reported = base.daily["reporting"]
    saved = {role: (base.daily.loc[reported, f"{role}_payroll_cents"].sum()
                    - out.daily.loc[reported, f"{role}_payroll_cents"].sum()) / 100
             for role in ("coding", "billing")}
    loaded = 1.222
    assert saved["coding"] == pytest.approx(2 * 50_000 / 24 * 22 * loaded, abs=1)
    assert saved["billing"] == pytest.approx(2 * 47_000 / 24 * 22 * loaded, abs=1)
