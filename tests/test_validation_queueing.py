"""Validation of the clinic flow against exact queueing theory.

1. The station-by-station recursion (``clinic.flow.run_day``) against the same day simulated
   the straightforward SimPy way (``clinic.flow_reference``): equal departures on random days.
2. The whole engine configured as an M/M/c queue (walk-ins only, c providers, exponential
   service, other stages skipped) against Erlang C.
3. The whole engine configured as one provider with a fully booked session of equally spaced
   slots, punctual patients, no-shows and exponential service, against the exact Markov chain
   of the number in system seen at each slot (``tests.oracles.slot_queue_distributions``).

Statistical tolerances come from the simulated samples (standard errors over days, which are
independent: each clinic day starts empty); seeds are fixed so the tests are reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practicesim import scenario as sc
from practicesim.clinic import flow
from practicesim.clinic.flow_reference import run_reference
from practicesim.engine import simulate
from practicesim.results import Run
from tests.oracles import (
    erlang_c,
    mmc_mean_wait,
    ratio_estimate,
    slot_mean_overtime,
    slot_mean_waits,
)

ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _queue_scenario(name: str, days: int, providers: dict, visit_minutes: dict,
                    demand: dict, **sections: object) -> sc.Scenario:
    """A one-line, one-payer practice with every stage but the provider skipped (no front
    desk, medical assistants or checkout staff), punctual patients, and a revenue cycle with
    no errors or denials (it plays no part here)."""
    data = {
        "name": name,
        "calendar": {"start": "2030-01-07", "horizon_days": days, "warmup_days": 0,
                     "clinic_days": ALL_WEEK},
        "providers": [providers],
        "staff": {"front_desk": {"count": 0}, "medical_assistants": {"count": 0},
                  "checkout": {"count": 0}},
        "flow": {"punctuality_minutes": 0},
        "service_lines": [{"name": "line", "visit_types": [
            {"name": "visit", "provider_minutes": visit_minutes, "codes": {"99213": 1.0}}]}],
        "fee_schedule": {"99213": {"charge": 180, "medicare_allowed": 90}},
        "demand": [{"service_line": "line", **demand}],
        "payers": [{"name": "plan", "kind": "commercial", "share": 1.0,
                    "denial": {"rate": 0.0}}],
        "billing": {"claim_error_rate": 0.0, "clearinghouse_rejection_rate": 0.0,
                    "missed_charge_rate": 0.0},
        **sections,
    }
    return sc.validate(data, f"tests/{name}")


# --- 1. flow recursion == SimPy reference ------------------------------------------------------


@st.composite
def clinic_days(draw: st.DrawFn) -> tuple[list[tuple[float, flow.DayPatients]],
                                          list[list[list[tuple[float, float]]]],
                                          tuple[int, int, int]]:
    """Several days of booked patients with continuous random times.

    The structure (providers, sessions per provider, patients per day, pool sizes) is drawn by
    hypothesis; the times come from a numpy generator seeded by hypothesis, so they are
    continuous and ties between events have probability zero (FCFS order is then unambiguous,
    and both implementations must agree exactly).
    """
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_providers = draw(st.integers(1, 4))
    pools = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    days, sessions = [], []
    for day in range(draw(st.integers(1, 3))):
        day_sessions = []
        for _ in range(n_providers):
            start = rng.uniform(420, 540)
            end = start + rng.uniform(120, 240)
            spans = [(start, end)]
            if draw(st.booleans()):
                start2 = end + rng.uniform(30, 90)
                spans.append((start2, start2 + rng.uniform(120, 240)))
            day_sessions.append(spans)
        patients = flow.DayPatients()
        impatient = draw(st.booleans())
        video_share = draw(st.sampled_from([0.0, 0.3]))
        for _ in range(draw(st.integers(1, 30))):
            p = int(rng.integers(n_providers))
            a, b = day_sessions[p][int(rng.integers(len(day_sessions[p])))]
            due = float(rng.uniform(a, b))
            on_site = float(rng.random() >= video_share)  # a video visit: no desk, MA, checkout
            patients.add(
                arrival=float(rng.uniform(a - 45, b)), provider=p, session_start=float(a),
                check_in=on_site * float(rng.gamma(2.0, 1.5)),
                rooming=on_site * float(rng.gamma(2.0, 3.0)),
                provider_minutes=float(rng.gamma(2.0, 8.0)),
                checkout=on_site * float(rng.gamma(2.0, 1.5)),
                due=due, patience=float(rng.uniform(0, 40)) if impatient else math.inf,
            )
        days.append((day * 7 * 1440.0, patients))
        sessions.append(day_sessions)
    return days, sessions, pools


@settings(max_examples=30, deadline=None)
@given(clinic_days())
def test_flow_recursion_matches_simpy_reference(
        case: tuple[list[tuple[float, flow.DayPatients]], list, tuple[int, int, int]]) -> None:
    """``run_day`` departures equal the SimPy model's to 1e-9 minutes, patient by patient,
    with and without patients who leave unseen when their wait passes their patience, and with
    video visits that skip the desk, rooming and checkout."""
    days, sessions, (desk, rooms, out) = case
    reference = run_reference(days, desk, rooms, out)
    worst = 0.0
    for (_, patients), day_sessions, expected in zip(days, sessions, reference, strict=True):
        result = flow.run_day(patients, day_sessions, desk, rooms, out, opens=0.0)
        worst = max(worst, float(np.max(np.abs(np.subtract(result.departure, expected)))))
    assert worst <= 1e-9, (
        f"flow.run_day departures differ from flow_reference by up to {worst:.3g} minutes "
        f"(pools desk={desk}, MAs={rooms}, checkout={out})"
    )


# --- 2. M/M/c against Erlang C ---------------------------------------------------------------

MMC_SERVERS = 3
MMC_SERVICE_MEAN = 15.0  # minutes
MMC_RHO = 0.7
MMC_DAYS = 1500
MMC_SKIP_MINUTES = 240  # each day starts empty: drop arrivals in the first 4 hours
MMC_MU = 1.0 / MMC_SERVICE_MEAN
MMC_LAMBDA = MMC_RHO * MMC_SERVERS * MMC_MU  # per minute


@pytest.fixture(scope="module")
def mmc_run() -> Run:
    """c providers in session 00:00-24:00 every day, Poisson walk-ins at a constant rate, no
    appointments. A walk-in goes to the provider who can start soonest: M/M/c FCFS."""
    scenario = _queue_scenario(
        "mmc", MMC_DAYS,
        providers={"name": "doc", "count": MMC_SERVERS, "slot_minutes": 60,
                   "sessions": [{"days": ALL_WEEK, "start": "00:00", "end": "24:00"}]},
        visit_minutes={"dist": "exponential", "mean": MMC_SERVICE_MEAN},
        demand={"requests_per_day": 0,
                "walk_ins_per_hour": {hour: MMC_LAMBDA * 60 for hour in range(24)}},
    )
    return simulate(scenario, seed=11)


def _mmc_waits(run: Run) -> pd.DataFrame:
    visits = run.visits
    return visits[visits["arrival_minutes"] >= MMC_SKIP_MINUTES]


def test_mmc_configuration_is_walk_ins_only(mmc_run: Run) -> None:
    """Every visit is a walk-in and none was turned away (the queue is exactly M/M/c)."""
    booked = int((~mmc_run.visits["walk_in"]).sum())
    turned_away = int(mmc_run.daily["walk_ins_turned_away"].sum())
    assert booked + turned_away == 0, (
        f"M/M/c run has {booked} booked visits and {turned_away} walk-ins turned away"
    )


def _mmc_mean_wait(run: Run) -> tuple[float, float, float]:
    waits = _mmc_waits(run)
    by_day = waits.groupby("day")["wait_for_provider_minutes"].agg(["sum", "count"])
    mean, se = ratio_estimate(by_day["sum"].to_numpy(), by_day["count"].to_numpy())
    return mean, se, mmc_mean_wait(MMC_LAMBDA, MMC_MU, MMC_SERVERS)


def test_mmc_mean_wait_matches_erlang_c_within_standard_errors(mmc_run: Run) -> None:
    """Mean wait for the provider = C(c, a) / (c mu - lambda), within 4 standard errors
    (batch means over days)."""
    mean, se, exact = _mmc_mean_wait(mmc_run)
    assert abs(mean - exact) <= 4 * se, (
        f"M/M/{MMC_SERVERS} rho={MMC_RHO}: simulated Wq {mean:.3f} +- {se:.3f} min, "
        f"Erlang C {exact:.3f} min (z = {(mean - exact) / se:.2f})"
    )


def test_mmc_mean_wait_matches_erlang_c_within_5_percent(mmc_run: Run) -> None:
    """Mean wait for the provider within 5% of Erlang C's Wq."""
    mean, se, exact = _mmc_mean_wait(mmc_run)
    assert abs(mean / exact - 1) <= 0.05, (
        f"M/M/{MMC_SERVERS} rho={MMC_RHO}: simulated Wq {mean:.3f} +- {se:.3f} min is "
        f"{100 * (mean / exact - 1):+.1f}% from Erlang C {exact:.3f} min"
    )


def test_mmc_probability_of_waiting_matches_erlang_c(mmc_run: Run) -> None:
    """Share of walk-ins who wait at all = C(c, a), within 4 standard errors."""
    waits = _mmc_waits(mmc_run)
    waited = waits.assign(waited=waits["wait_for_provider_minutes"] > 0)
    by_day = waited.groupby("day")["waited"].agg(["sum", "count"])
    share, se = ratio_estimate(by_day["sum"].to_numpy(), by_day["count"].to_numpy())
    exact = erlang_c(MMC_SERVERS, MMC_LAMBDA / MMC_MU)
    assert abs(share - exact) <= 4 * se, (
        f"M/M/{MMC_SERVERS} rho={MMC_RHO}: P(wait > 0) simulated {share:.4f} +- {se:.4f}, "
        f"Erlang C {exact:.4f}"
    )


def test_mmc_provider_busy_minutes_are_work_less_spill_over(mmc_run: Run) -> None:
    """Provider minutes busy inside the 00:00-24:00 session, summed over providers, per day =
    work arrived - work still unfinished at 24:00 (an exact conservation identity for a
    work-conserving queue that starts the day empty). In expectation: lambda T / mu - E[V],
    with the unfinished work at the end of a 24-hour day that of the stationary queue,
    E[V] = (Lq + a) / mu (each waiting patient a full service, each in service an exponential
    residual), Lq = lambda Wq. Within 4 standard errors over days."""
    per_day = mmc_run.sessions.groupby("day")["busy_minutes"].sum()
    mean = float(per_day.mean())
    se = float(per_day.std() / np.sqrt(len(per_day)))
    lq = MMC_LAMBDA * mmc_mean_wait(MMC_LAMBDA, MMC_MU, MMC_SERVERS)
    exact = MMC_LAMBDA * 1440 / MMC_MU - (lq + MMC_LAMBDA / MMC_MU) / MMC_MU
    assert abs(mean - exact) <= 4 * se, (
        f"busy provider-minutes per day {mean:.2f} +- {se:.2f}, expected {exact:.2f} "
        f"(work arrived {MMC_LAMBDA * 1440 / MMC_MU:.2f} less stationary unfinished work)"
    )

# --- 3. appointment session against the exact slot chain ----------------------------------------

SLOT_MINUTES = 20
SESSION_START, SESSION_END = 8 * 60, 12 * 60
SLOTS = (SESSION_END - SESSION_START) // SLOT_MINUTES
SLOT_SERVICE_MEAN = 20.0
SLOT_MU = 1.0 / SLOT_SERVICE_MEAN
NO_SHOW = 0.1
SLOT_DAYS = 2500


@pytest.fixture(scope="module")
def slot_run() -> Run:
    """One provider, 08:00-12:00 every day in 20-minute slots, booked full by heavy demand
    (patients accept any lead time), fixed no-show rate, no cancellations, punctual patients,
    exponential service, no walk-ins."""
    scenario = _queue_scenario(
        "slots", SLOT_DAYS,
        providers={"name": "doc", "slot_minutes": SLOT_MINUTES, "sessions": [
            {"days": ALL_WEEK, "start": "08:00", "end": "12:00"}]},
        visit_minutes={"dist": "exponential", "mean": SLOT_SERVICE_MEAN},
        demand={"requests_per_day": 3 * SLOTS},
        scheduling={"patient_tolerance_days": 100_000, "early_cancel_rate": 0.0,
                    "overbook_per_session": 0, "min_lead_days": 1},
        no_shows={"base_rate": NO_SHOW, "lead_time_odds_ratio_per_week": 1.0,
                  "reminder_share": 0.0, "late_cancel_rate": 0.0},
    )
    return simulate(scenario, seed=5)


def test_slot_session_is_fully_booked_every_day(slot_run: Run) -> None:
    """Every clinic day after the first (nothing can be booked for day 0) has all its slots
    booked, so slot k's patient is always the k-th of the session."""
    appointments = slot_run.appointments
    due = appointments[(appointments["day"] >= 1) & (appointments["day"] < SLOT_DAYS)]
    per_day = due.groupby("day").size().reindex(range(1, SLOT_DAYS), fill_value=0)
    short = per_day[per_day != SLOTS]
    assert short.empty, f"{len(short)} days are not booked with exactly {SLOTS} appointments: " \
        f"{short.head().to_dict()}"


def test_slot_no_show_rate_is_the_fixed_rate(slot_run: Run) -> None:
    """With odds ratios of 1 and no reminders, P(no-show) = base_rate (binomial, 4 SE)."""
    appointments = slot_run.appointments
    due = appointments[appointments["status"].isin(["completed", "no_show"])]
    share = float((due["status"] == "no_show").mean())
    se = float(np.sqrt(NO_SHOW * (1 - NO_SHOW) / len(due)))
    assert abs(share - NO_SHOW) <= 4 * se, (
        f"no-show share {share:.4f} over {len(due)} appointments, expected {NO_SHOW} +- {se:.4f}"
    )


def test_slot_mean_waits_match_exact_markov_chain(slot_run: Run) -> None:
    """Mean wait for the provider of the patient in slot k (given they show) = E[N_k] / mu,
    N_k from the exact chain, for every slot k, within 4 standard errors."""
    visits = slot_run.visits
    slot = np.rint((visits["arrival_minutes"] - SESSION_START) / SLOT_MINUTES).astype(int)
    table = visits.assign(slot=slot).groupby("slot")["wait_for_provider_minutes"].agg(
        ["mean", "std", "count"]).reindex(range(SLOTS))
    table["exact"] = slot_mean_waits(SLOTS, SLOT_MINUTES, SLOT_MU, NO_SHOW)
    table["se"] = table["std"] / np.sqrt(table["count"])
    table["z"] = (table["mean"] - table["exact"]) / table["se"].where(table["se"] > 0)
    off = (table["mean"] - table["exact"]).abs() > 4 * table["se"] + 1e-9
    assert not off.any(), (
        f"slot waits differ from the exact chain beyond 4 SE at slots {list(table.index[off])}:"
        f"\n{table.round(3).to_string()}"
    )


def test_slot_mean_overtime_matches_exact_markov_chain(slot_run: Run) -> None:
    """Mean provider overtime past the session's end = E[N_n] / mu (the N_n patients left at
    the end each need an exponential service), within 4 standard errors."""
    sessions = slot_run.sessions
    overtime = sessions.loc[sessions["day"] >= 1, "overtime_minutes"]
    mean = float(overtime.mean())
    se = float(overtime.std() / np.sqrt(len(overtime)))
    exact = slot_mean_overtime(SLOTS, SLOT_MINUTES, SLOT_MU, NO_SHOW)
    assert abs(mean - exact) <= 4 * se, (
        f"mean overtime {mean:.3f} +- {se:.3f} min over {len(overtime)} sessions, "
        f"exact {exact:.3f} min"
    )


def test_slot_session_busy_minutes_match_exact_markov_chain(slot_run: Run) -> None:
    """Provider minutes busy inside the session = work brought by the patients who show less
    the work left at the session's end: E = (n (1 - p) - E[N_n]) / mu, within 4 standard
    errors (sessions counted as busy only inside their window)."""
    sessions = slot_run.sessions
    busy = sessions.loc[sessions["day"] >= 1, "busy_minutes"]
    mean = float(busy.mean())
    se = float(busy.std() / np.sqrt(len(busy)))
    exact = (SLOTS * (1 - NO_SHOW) * SLOT_SERVICE_MEAN
             - slot_mean_overtime(SLOTS, SLOT_MINUTES, SLOT_MU, NO_SHOW))
    assert abs(mean - exact) <= 4 * se, (
        f"mean busy minutes per session {mean:.3f} +- {se:.3f}, exact {exact:.3f}"
    )
