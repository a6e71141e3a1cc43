"""Providers' panels: who a patient books with (continuity), a new provider's own demand and
her onboarding schedule, and a departed provider's patients."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from practicesim import simulate
from practicesim.calendar import PracticeCalendar
from practicesim.clinic.demand import _WEEKDAYS, UNATTACHED
from practicesim.clinic.scheduling import AppointmentBook
from practicesim.finance import cents
from practicesim.practice import Practice
from practicesim.scenario import ScenarioError
from practicesim.seats import provider_seats, provider_tenures
from practicesim.state import state_from_run
from tests.conftest import build

RAMP = {"requests_per_day": 20.0, "days_to_half": 60.0, "days_to_90pct": 120.0}
NEW_DOCTOR = {
    "name": "new_physician", "start_date": "2027-01-04", "panel_ramp": RAMP,
    "sessions": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
}
"""A physician joining on the first Monday of the reported year (after 90 days of warm-up)."""


def with_new_doctor(updates: dict | None = None) -> dict:
    return {"providers": [{"name": "physician", "count": 2, "slot_minutes": 20,
                           "sessions": NEW_DOCTOR["sessions"]}, NEW_DOCTOR],
            "scheduling.continuity": "own_provider", "scheduling.first_available_share": 0.0,
            **(updates or {})}


def test_onboarding_opens_a_share_of_slots_rising_linearly_to_all():
    """ramp_up_slot_share 0.5 over 20 days: on her first day each session's last 6 of 12 slots
    are closed (12 of 24 open, the first six of each session in a row, so a two-slot visit
    fits); on day 10 share 0.75, round(12 x 0.25) = 3 closed a session; from day 20 all."""
    doctor = {**NEW_DOCTOR, "ramp_up_days": 20, "ramp_up_slot_share": 0.5}
    scenario = build({"calendar.warmup_days": 0, "providers": [doctor]})
    calendar = PracticeCalendar(scenario)
    book = AppointmentBook(provider_seats(scenario), calendar, 0, 30)
    start = calendar.day(scenario.providers[0].start_date)
    assert book.n_free[start][0] == 12
    assert book.free[start][0][:13] == b"\x01" * 6 + b"\x02" * 7
    assert book.n_free[start + 10][0] == 24 - 6
    assert book.n_free[start + 21][0] == 24
    assert book.n_free[start - 1][0] == 0


def test_a_ramp_needs_a_start_date():
    with pytest.raises(ScenarioError, match="panel_ramp needs a start_date"):
        build({"providers[physician].panel_ramp": RAMP})


def test_a_new_providers_requests_follow_her_ramp_curve():
    """Her requests in each 30-day block against the sum of requests_per_day x s(t) x the
    line's weekday and month factors over its clinic days (Poisson: within 4 sd), and her new
    patients' share against n + (1 - n)(1 - s(t))."""
    scenario = build(with_new_doctor({"demand[primary_care].requests_per_day": 0.0,
                                      "demand[primary_care].walk_ins_per_hour": {}}))
    practice = Practice(scenario, seed=2, replication=0)
    calendar, demand = practice.ctx.calendar, scenario.demand[0]
    seat = 2
    start = calendar.day(scenario.providers[1].start_date)
    ramp = scenario.providers[1].panel_ramp
    opening = len(practice.panel)
    for block in range(4):
        days = range(start + 30 * block, start + 30 * (block + 1))
        expected = expected_new = 0.0
        count = new = 0
        for day in days:
            before = len(practice.panel)
            requests = practice.demand.requests(day)
            count += len(requests.patient)
            new += len(practice.panel) - before
            assert all(practice.panel.owner[p] == seat for p in requests.patient)
            if calendar.is_clinic_day[day]:
                s = ramp.share(day - start)
                mean = (ramp.requests_per_day * s
                        * demand.weekday_factors.get(_WEEKDAYS[calendar.weekday[day]], 1.0)
                        * demand.month_factors.get(int(calendar.month[day]), 1.0))
                expected += mean
                expected_new += mean * (demand.new_patient_share
                                        + (1 - demand.new_patient_share) * (1 - s))
        assert abs(count - expected) < 4 * math.sqrt(expected) + 1, (block, count, expected)
        assert abs(new - expected_new) < 4 * math.sqrt(expected_new) + 2, (block, new)
    assert practice.panel.panel_sizes(3)[seat] == len(practice.panel) - opening


def test_the_opening_panel_is_split_by_weekly_slots_among_providers_on_staff():
    """Two physicians on staff from the start share the opening panel evenly (binomial, within
    4 sd); the physician joining later starts with none."""
    scenario = build(with_new_doctor())
    practice = Practice(scenario, seed=1, replication=0)
    sizes = practice.panel.panel_sizes(3)
    n = scenario.scheduling.panel_size
    assert sizes[2] == 0
    assert sum(sizes) == n
    assert abs(sizes[0] - n / 2) < 4 * math.sqrt(n / 4)


def appointments_by_patient(run, before_day: int) -> dict[int, set[str]]:
    a = run.appointments
    a = a[a.day < before_day]
    out: dict[int, set[str]] = {}
    for patient, provider in zip(a.patient, a.provider.astype(str), strict=True):
        out.setdefault(patient, set()).add(provider)
    return out


def test_without_colleagues_every_patient_books_with_one_provider():
    """colleague_share 0: an attached patient is only ever booked with their own provider
    (the practice is full, so some are lost rather than booked with a colleague); with
    colleague_share 1, some patients see two providers."""
    busy = {"demand[primary_care].requests_per_day": 60.0}
    loyal = simulate(build(with_new_doctor({"scheduling.colleague_share": 0.0, **busy})),
                     seed=3)
    seen = appointments_by_patient(loyal, loyal.appointments.day.max() + 1)
    assert max(len(providers) for providers in seen.values()) == 1
    flexible = simulate(build(with_new_doctor({"scheduling.colleague_share": 1.0, **busy})),
                        seed=3)
    seen = appointments_by_patient(flexible, flexible.appointments.day.max() + 1)
    assert sum(len(providers) > 1 for providers in seen.values()) > 10
    assert loyal.kpis().lost_request_rate > flexible.kpis().lost_request_rate


@pytest.mark.parametrize("retained", [0.0, 0.5, 1.0])
def test_a_departed_providers_patients_stay_with_the_retained_share(retained: float):
    """A physician leaves on 2027-03-01: with retained_share 0 none of her patients is booked
    afterwards and none asks (they left the practice); otherwise the share who stay ask and
    are booked with the other physician, whose panel they join; with 0.5 about half as many
    of her patients are booked afterwards as with 1 (a binomial share, within 5 sd)."""
    later = {}
    for share in sorted({retained, 1.0}):
        scenario = build({"scheduling.continuity": "own_provider",
                          "scheduling.first_available_share": 0.0,
                          "scheduling.retained_share": share,
                          "providers": [{"name": "stays", "sessions": NEW_DOCTOR["sessions"]},
                                        {"name": "leaves", "end_date": "2027-03-01",
                                         "sessions": NEW_DOCTOR["sessions"]}]})
        practice = Practice(scenario, seed=4, replication=0)
        leaving_day = int(PracticeCalendar(scenario).day(scenario.providers[1].end_date))
        for day in range(practice.ctx.n_days):
            practice.day(day)
        table = practice.scheduler.table
        hers = {a.patient for a in table if a.provider == 1 and a.request_day < leaving_day}
        after = [a for a in table if a.request_day >= leaving_day and a.patient in hers]
        assert {a.provider for a in after} <= {0}
        assert all(practice.panel.owner[a.patient] == 0 for a in after)
        later[share] = len({a.patient for a in after})
    if retained == 0.0:
        assert later[0.0] == 0
    elif retained == 0.5:
        n = later[1.0]
        assert n > 80
        assert abs(later[0.5] - n / 2) < 5 * math.sqrt(n / 4)


def test_any_provider_continuity_attaches_patients_but_books_the_earliest_slot():
    """The default (``any_provider``): the earliest slot of any provider, whoever the patient's
    provider is, so patients spread across both physicians."""
    practice = Practice(build({"scheduling.continuity": "any_provider"}), seed=3,
                        replication=0)
    for day in range(practice.ctx.n_days):
        practice.day(day)
    seen: dict[int, set[int]] = {}
    for a in practice.scheduler.table:
        seen.setdefault(a.patient, set()).add(a.provider)
    assert Counter(len(p) for p in seen.values())[2] > 100
    opening = practice.ctx.scenario.scheduling.panel_size
    assert all(practice.panel.owner[p] >= 0 for p in seen if p >= opening)


def test_unattached_patients_join_the_panel_of_the_first_provider_who_sees_them():
    practice = Practice(build({"scheduling.continuity": "own_provider"}), seed=5, replication=0)
    opening = len(practice.panel)
    for day in range(120):
        practice.day(day)
    first: dict[int, int] = {}
    for a in practice.scheduler.table:
        first.setdefault(a.patient, a.provider)
    new_patients = [p for p in first if p >= opening]
    assert len(new_patients) > 100
    assert all(practice.panel.owner[p] == first[p] for p in new_patients)
    assert UNATTACHED in practice.panel.owner[opening:]


def test_first_available_requests_take_any_providers_earliest_slot():
    """first_available_share 1: every request takes the earliest slot of any provider, as
    under any_provider, and patients keep the provider they were first booked with; 0: each
    attached patient books with her own provider only (colleague_share 0)."""
    base = with_new_doctor({"scheduling.colleague_share": 0.0})
    pooled = simulate(build({**base, "scheduling.first_available_share": 1.0}), seed=3)
    loyal = simulate(build(base), seed=3)
    last = pooled.appointments.day.max() + 1
    assert Counter(len(p) for p in appointments_by_patient(pooled, last).values())[2] > 100
    assert max(len(p) for p in appointments_by_patient(loyal, last).values()) == 1
    assert pooled.kpis()["continuity_upc"] < loyal.kpis()["continuity_upc"] - 0.2


def test_refer_out_books_her_unenrolled_patients_with_colleagues_instead_of_losing_them():
    """She is not enrolled with commercial_a until 2027-04-01 and patients stay with their own
    provider (colleague_share 0): under do_not_book her own commercial_a patients find no slot
    and are lost; under refer_out the practice refers them to a colleague. Same random
    numbers: fewer requests lost, more commercial_a visits with her colleagues before April,
    and none with her in either."""
    late = {"providers[new_physician].credentialing": {
        "commercial_a": {"effective": "2027-04-01"}}, "scheduling.colleague_share": 0.0}
    runs = {policy: simulate(build(with_new_doctor(
        {**late, "scheduling.uncredentialed_policy": policy})), seed=3)
        for policy in ("do_not_book", "refer_out")}
    april = runs["refer_out"].calendar.day(date(2027, 4, 1))

    def gap_visits(run, mine: bool):
        v = run.visits
        return ((v["payer"] == "commercial_a") & (v["day"] < april)
                & ((v["provider"] == "new_physician") == mine)).sum()

    assert gap_visits(runs["do_not_book"], True) == gap_visits(runs["refer_out"], True) == 0
    referred = gap_visits(runs["refer_out"], False) - gap_visits(runs["do_not_book"], False)
    assert referred > 20
    lost = {p: r.daily["requests_lost"].iloc[:april].sum() for p, r in runs.items()}
    assert lost["refer_out"] < lost["do_not_book"] - 20


def test_a_seats_tenures_chain_departures_and_replacements():
    """Two departures a year and a 30-day vacancy over 2027-2029: each holder leaves after an
    exponential time from her start, her successor starts 30 days later with the seat's terms,
    enrolled with every payer; the last holder stays to the end."""
    seat = build({"providers[physician].turnover_per_year": 2.0,
                  "providers[physician].replacement_days": 30,
                  "providers[physician].credentialing": {
                      "commercial_a": {"effective": "2027-03-01"}}}).providers[0]
    first, last = date(2027, 1, 1), date(2029, 12, 31)
    tenures = provider_tenures(seat, np.random.default_rng(7), first, last)
    assert len(tenures) >= 3
    assert tenures[0].name == seat.name and tenures[0].start_date is None
    for k, (gone, successor) in enumerate(itertools.pairwise(tenures), start=1):
        assert successor.name == f"{seat.name}_r{k}"
        assert successor.start_date == gone.end_date + timedelta(days=30)
        assert successor.credentialing == {} and successor.sessions == seat.sessions
    assert tenures[-1].end_date is None
    assert all(t.end_date <= last for t in tenures[:-1])


def test_every_holder_stays_an_exponential_time_from_her_own_start():
    """Two departures a year, 30-day vacancies, over 30 years and 60 seats: every tenure ends
    after it starts, and the completed tenures last 365 / 2 days on average (plus half a day:
    whole days, rounded up), within 4 standard errors (an exponential's sd is its mean)."""
    seat = build({"providers[physician].turnover_per_year": 2.0,
                  "providers[physician].replacement_days": 30}).providers[0]
    first, last = date(2027, 1, 1), date(2056, 12, 31)
    lengths = []
    for s in range(60):
        tenures = provider_tenures(seat, np.random.default_rng(s), first, last)
        for t in tenures[:-1]:
            start = t.start_date or first
            assert start < t.end_date
            lengths.append((t.end_date - start).days)
    mean = 365 / 2 + 0.5
    assert abs(np.mean(lengths) - mean) < 4 * mean / len(lengths) ** 0.5


def test_a_seat_that_closes_or_opens_later_bounds_its_holders():
    """A seat closed on 2028-06-30 is not filled past it: every holder leaves by then and no
    successor starts on or after it. A seat opening on 2027-06-01 loses its first holder only
    after her start."""
    closing = build({"providers[physician].turnover_per_year": 2.0,
                     "providers[physician].replacement_days": 30,
                     "providers[physician].end_date": "2028-06-30"}).providers[0]
    opening = build({"providers[physician].turnover_per_year": 2.0,
                     "providers[physician].start_date": "2027-06-01"}).providers[0]
    first, last = date(2027, 1, 1), date(2029, 12, 31)
    for s in range(40):
        tenures = provider_tenures(closing, np.random.default_rng(s), first, last)
        assert all(t.end_date is not None and t.end_date <= date(2028, 6, 30) for t in tenures)
        assert all(t.start_date is None or t.start_date < date(2028, 6, 30) for t in tenures)
        later = provider_tenures(opening, np.random.default_rng(s), first, last)[0]
        assert later.end_date is None or later.end_date > date(2027, 6, 1)


def test_departures_within_a_year_follow_the_exponential_rate():
    """With 0.3 departures a year, the share of 4,000 seats whose first holder leaves within
    365 days is 1 - exp(-0.3) = 25.9%, within 4 binomial sd."""
    seat = build({"providers[physician].turnover_per_year": 0.3}).providers[0]
    first, last = date(2027, 1, 1), date(2027, 12, 31)
    gone = sum(provider_tenures(seat, np.random.default_rng(s), first, last)[0].end_date
               is not None for s in range(4000))
    expected = 1 - math.exp(-0.3)
    assert abs(gone / 4000 - expected) < 4 * (expected * (1 - expected) / 4000) ** 0.5


def test_a_departed_physician_stops_seeing_patients_and_her_successor_starts_with_costs():
    """Turnover 1.5 a year with a 60-day vacancy: a seat that loses its physician has no
    sessions from her last day to her successor's start; the successor's recruiting cost and
    signing bonus are paid on her start date."""
    scenario = build({"providers[physician].turnover_per_year": 1.5,
                      "providers[physician].replacement_days": 60,
                      "providers[physician].recruiting_cost": 30000,
                      "providers[physician].signing_bonus": 20000})
    practice = Practice(scenario, seed=3, replication=0)
    successors = [s for s in practice.ctx.seats if "_r" in s.name]
    assert successors, "at 1.5 a year some seat turns over within the run"
    run = simulate(scenario, seed=3)
    sessions = run.sessions
    day = run.calendar.day
    for seat in successors:
        before = next(s for s in practice.ctx.seats if s.end_date is not None
                      and s.end_date + timedelta(days=60) == seat.start_date)
        gap = sessions[(sessions["provider"] == before.name)
                       & (sessions["day"] >= day(before.end_date))]
        assert gap.empty
        mine = sessions[sessions["provider"] == seat.name]
        assert mine["day"].min() >= day(seat.start_date)
        assert run.daily["hiring_costs_cents"].iloc[day(seat.start_date)] >= 5_000_000
    # each pay day pays the holders on staff that day, no one for a vacant seat
    pay = cents(scenario.providers[0].annual_compensation / 24)
    for when in pd.date_range(run.calendar.day0, periods=run.calendar.n_days).date:
        if when.day != 15:
            continue
        on_staff = sum((s.start_date is None or s.start_date <= when)
                       and (s.end_date is None or when < s.end_date) for s in practice.ctx.seats)
        assert run.daily["provider_compensation_cents"].iloc[day(when)] == on_staff * pay


def test_a_run_with_successors_hands_on_a_state_the_next_run_opens():
    """The end state names a successor by the seat she holds, so the next run (its own
    turnover drawn from its first day) opens it; appointments with a holder who, in its draws,
    has left by then are not kept."""
    scenario = build({"providers[physician].turnover_per_year": 1.5,
                      "providers[physician].replacement_days": 60})
    first = simulate(scenario, seed=3)
    assert first.claims["provider"].astype(str).str.contains("_r").any()
    state = state_from_run(first)
    assert set(state.appointments["provider"]) <= {"physician_1", "physician_2"}
    assert set(state.claims["provider"]) <= {"physician_1", "physician_2"}
    for seed in (1, 2, 3, 4):
        run = simulate(state.starting(scenario), seed=seed, state=state)
        assert run.daily["visits_completed"].sum() > 0
