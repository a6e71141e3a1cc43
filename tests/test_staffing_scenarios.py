"""The staffing what-ifs against the baseline, on the same replications and on shortened
horizons: a fifth front-desk person (``scenarios/hire_front_desk.yaml``) is paid exactly its
salary from its date and shortens the wait to be roomed by about what queueing theory allows;
a ninth physician (``scenarios/hire_provider.yaml``) turns its slots into visits as a hand
calculation says when demand exceeds capacity, and at the baseline's demand wins back most of
the requests the practice was losing."""

from __future__ import annotations

import math
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from practicesim import Run, Scenario, load_scenario, simulate
from practicesim.calendar import session_slots
from practicesim.clinic.phones import phone_lines
from practicesim.finance import COST_CATEGORIES
from practicesim.metrics import late_cancel_rate, no_show_rate
from practicesim.practice import Practice
from tests.conftest import ROOT

SCENARIOS = ROOT / "scenarios"
HIRED = date(2027, 1, 1)
"""The front-desk hire's date (the dated change in hire_front_desk.yaml)."""
FRONT_DESK_HORIZON = {"calendar.horizon_days": 90, "calendar.warmup_days": 30,
                      "flow.walk_out_minutes": None}
"""Jan-Mar 2027; nobody leaves unseen (a shorter wait would keep some), so the same patients
come in both scenarios."""
PROVIDER_HORIZON = {"calendar.horizon_days": 181, "calendar.warmup_days": 30}
"""From 2026-12-02 to 2027-06-30: the book is full before the physician starts (2027-03-01)."""
STEADY = (date(2027, 4, 1), date(2027, 7, 1))
"""Visits measured a month after the physician's start, when the new book has filled."""
REPLICATIONS = 3
FIXED_STAFF = {"providers[physician].turnover_per_year": 0.0,
               "providers[nurse_practitioner].turnover_per_year": 0.0,
               "front_office.phones": None}
"""No provider leaves and every request gets through on the phone: the mechanism tests compare
slot capacities by hand."""
PROVIDER_MINUTES_PER_DAY = 8 * 60
"""The sessions of every physician in the baseline and the hire: 08:00-12:00, 13:00-17:00."""


def load(name: str, updates: dict[str, object]) -> Scenario:
    return load_scenario(SCENARIOS / name).with_changes(updates)


@pytest.fixture(scope="module")
def front_desk_runs() -> tuple[Run, Run]:
    """The baseline and the front-desk hire, same replication (Jan-Mar 2027)."""
    return (simulate(load("baseline.yaml", FRONT_DESK_HORIZON), seed=1),
            simulate(load("hire_front_desk.yaml", FRONT_DESK_HORIZON), seed=1))


def paydays(run: Run) -> np.ndarray:
    """Whether each simulation day is a payday: the 15th or the last day of its month."""
    dates = run.daily["date"]
    return ((dates.dt.day == 15) | dates.dt.is_month_end).to_numpy()


def test_front_desk_hire_adds_exactly_its_salary_from_its_date(front_desk_runs):
    """The role's payroll is paid semi-monthly, salaries and their loading (benefits 13.2%,
    Social Security 6.2% under the wage base, Medicare 1.45%, other 1.35%: 22.2%) each one
    amount rounded to the cent: with five people round(5 x $38,000 / 24) = $7,916.67 and
    round(0.222 x $7,916.67) = $1,757.50, with four $6,333.33 and $1,406.00, so each payday
    from the hire on costs $1,583.34 + $351.50 = $1,934.84 more, within two cents of 1.222 /
    24 of the salary. Jan-Mar has six paydays. The hiring cost is paid once, on the first day;
    no other payroll moves."""
    base, hire = front_desk_runs
    terms = hire.scenario.staff.front_desk
    assert terms.annual_salary == base.scenario.staff.front_desk.annual_salary == 38000
    costs = hire.scenario.costs
    taxes = costs.payroll_taxes
    loading = (costs.benefits_rate + taxes.social_security_rate + taxes.medicare_rate
               + taxes.other_rate)
    assert loading == pytest.approx(0.222)
    pay = terms.annual_salary / 24
    per_payday = sum(round(5 * pay * f * 100) - round(4 * pay * f * 100) for f in (1, loading))
    assert per_payday == 193484
    assert abs(per_payday - terms.annual_salary * 100 * (1 + loading) / 24) <= 2

    hired = hire.calendar.day(HIRED)
    days = np.arange(hire.calendar.n_days)
    expected = np.where(paydays(hire) & (days >= hired), per_payday, 0)
    extra = (hire.daily["front_office_payroll_cents"]
             - base.daily["front_office_payroll_cents"]).to_numpy()
    assert extra.tolist() == expected.tolist()
    assert extra[hired:].sum() == 6 * per_payday

    hiring = hire.daily["hiring_costs_cents"].to_numpy()
    assert hiring[hired] == terms.hiring_cost * 100 == 250000
    assert hiring.sum() == hiring[hired]
    assert base.daily["hiring_costs_cents"].sum() == 0
    others = [c for c in COST_CATEGORIES if c.endswith("payroll") and c != "front_office_payroll"]
    for category in [*others, "provider_compensation"]:
        column = f"{category}_cents"
        assert hire.daily[column].equals(base.daily[column]), category


def mean_wait_for_erlang_c(arrivals_per_minute: float, service_minutes: float,
                           servers: int) -> float:
    """Mean wait in queue (minutes) of an M/M/c station (Erlang C)."""
    load = arrivals_per_minute * service_minutes
    rho = load / servers
    tail = load**servers / math.factorial(servers) / (1 - rho)
    waiting = tail / (sum(load**k / math.factorial(k) for k in range(servers)) + tail)
    return waiting * service_minutes / (servers - load)


def test_front_desk_hire_answers_more_calls_only_from_its_date(front_desk_runs):
    """Before the hire both runs are the same visit for visit. After it the fifth person takes
    a third phone line (two people check patients in on both sides): about 310 calls a clinic
    day of mean 2.5 x exp(sigma^2 / 2) = 2.80 minutes (lognormal median 2.5, P90 5) over the
    nine hours the lines are open are an offered load of about 1.6 lines, so two lines run at
    about 80% and, with calls bunched into the mornings and callers who hang up after a median
    two minutes, lose a good share of them; a third line cuts the share who hang up by more
    than half, and with it the requests lost on the phone. The desk at check-in is unchanged."""
    base, hire = front_desk_runs
    hired = hire.calendar.day(HIRED)
    flow = ["arrival_minutes", "provider_start_minutes", "departure_minutes",
            "total_wait_minutes"]
    before = [run.visits.loc[run.visits["day"] < hired, flow].reset_index(drop=True)
              for run in (base, hire)]
    assert len(before[0]) > 2000
    pd.testing.assert_frame_equal(before[0], before[1])

    phones = hire.scenario.front_office.phones
    handle = phones.minutes_per_call.mean
    assert handle == pytest.approx(2.5 * math.exp(
        (math.log(2) / NormalDist().inv_cdf(0.9)) ** 2 / 2))
    after = [run.daily[(run.daily["day"] >= hired) & run.daily["clinic_day"]]
             for run in (base, hire)]
    load = after[0]["calls"].mean() * handle / (9 * 60)
    assert load == pytest.approx(1.6, abs=0.15)
    hung_up = [d["calls_abandoned"].sum() / d["calls"].sum() for d in after]
    assert hung_up[0] > 0.1 and hung_up[1] < hung_up[0] / 2
    assert after[1]["requests_lost_on_phone"].sum() < after[0]["requests_lost_on_phone"].sum() / 2
    assert hire.scenario.epochs()[-1][1].front_office.phones.staff == phones.staff + 1 == 3
    for scenario, people, lines in ((base.scenario, 4, 2), (hire.scenario, 5, 3)):
        practice = Practice(scenario, seed=1, replication=0)
        day = next(d for d in range(hired, practice.ctx.n_days)
                   if practice.ctx.workforce.present("front_desk", d) == people)
        practice.ctx.scenario = scenario.epochs()[-1][1]
        assert phone_lines(practice.ctx, day) == lines
        assert practice.clinic._at_work("front_desk", day) == 2  # check-in unchanged


def steady_state(run: Run) -> dict[str, float]:
    """Per clinic day of ``STEADY``: completed visits and lost requests, and the no-show and
    late-cancellation rates of the appointments due then."""
    start, end = (run.calendar.day(d) for d in STEADY)
    daily = run.daily.iloc[start:end]
    daily = daily[daily["clinic_day"]]
    return {"visits": float(daily["visits_completed"].mean()),
            "lost": float(daily["requests_lost"].mean()),
            "no_show": no_show_rate(run.appointments, start, end),
            "late_cancel": late_cancel_rate(run.appointments, start, end)}


def paired_steady_states(updates: dict[str, object], hire_only: dict[str, object] | None = None
                         ) -> list[tuple[dict[str, float], dict[str, float]]]:
    """(baseline, hire) steady states for replications 0..REPLICATIONS-1 (``hire_only``:
    changes to the hire alone)."""
    base = load("baseline.yaml", PROVIDER_HORIZON | FIXED_STAFF | updates)
    hire = load("hire_provider.yaml", PROVIDER_HORIZON | FIXED_STAFF | updates | (
        {"providers[new_physician].turnover_per_year": 0.0} | (hire_only or {})))
    return [(steady_state(simulate(base, seed=1, replication=r)),
             steady_state(simulate(hire, seed=1, replication=r))) for r in range(REPLICATIONS)]


def slots_per_appointment(scenario: Scenario) -> float:
    """Mean slots a request takes, from the demand's mix: new patients' visits take their own
    slots; established patients' are split by the visit types' shares."""
    demand = scenario.demand[0]
    types = scenario.service_lines[0].visit_types
    new = [t for t in types if t.new_patient]
    established = [t for t in types if not t.new_patient]
    weight = sum(t.share for t in established)
    return (demand.new_patient_share * sum(t.slots for t in new) / len(new)
            + (1 - demand.new_patient_share) * sum(t.share * t.slots for t in established)
            / weight)


def new_physician_slots_per_day(scenario: Scenario) -> int:
    """The new physician's slots on a clinic day: 8 hours of 20-minute slots, 24."""
    new = next(p for p in scenario.providers if p.name == "new_physician")
    slots = sum(len(session_slots(s, new.slot_minutes, 0)) for s in new.sessions)
    assert slots == PROVIDER_MINUTES_PER_DAY // 20 == 24
    return slots


def test_every_enrollment_is_effective_before_the_visits_are_measured():
    """On time, the practice applies six months ahead, so each payer has enrolled the new
    physician by the start date (at most 180 days after 2026-09-01) in every replication."""
    hire = load("hire_provider.yaml", PROVIDER_HORIZON)
    start = date(2027, 3, 1)
    for replication in range(REPLICATIONS):
        practice = Practice(hire, 1, replication)
        seat = [s.name for s in practice.ctx.seats].index("new_physician")
        for payer, terms in enumerate(hire.payers):
            if terms.kind not in ("self_pay", "medigap"):  # Medigap follows Medicare
                effective = practice.ctx.coverage.effective_day(seat, payer)
                assert practice.ctx.calendar.date(effective) <= start, terms.name


NO_OWN_DEMAND = {"providers[new_physician].panel_ramp": None}
"""The hire without requests of her own: the practice's demand alone fills her book."""
ANY_PROVIDER = {"scheduling.continuity": "any_provider"}
"""Every request takes the earliest slot of any provider (no panels)."""


def test_ninth_physician_adds_its_slots_as_visits_when_demand_exceeds_capacity():
    """With 300 requests a day both practices stay fully booked, so every slot of the new
    physician is used (new patients take the earliest slot of any provider: hers). By hand: 24
    slots a day; a request takes 0.12 x 2 + 0.88 x (0.85 x 1 +
    0.15 x 2) = 1.252 slots, so 24 / 1.252 = 19.2 more appointments a day, each a request no
    longer lost, of which 1 - no-show rate - late-cancellation rate (about 8% and 3%) come:
    about 17.1 more visits per clinic day."""
    pairs = paired_steady_states({"demand[primary_care].requests_per_day": 300},
                                 NO_OWN_DEMAND)
    hire = load("hire_provider.yaml", {})
    slots = slots_per_appointment(hire)
    assert slots == pytest.approx(1.252)
    for base, with_hire in pairs:
        assert base["lost"] > 50, "demand exceeds capacity"
        assert with_hire["lost"] > 30, "and still does with the ninth physician"
    came = np.mean([1 - h["no_show"] - h["late_cancel"] for _, h in pairs])
    by_hand = new_physician_slots_per_day(hire) / slots * came
    assert by_hand == pytest.approx(17.1, abs=0.3)
    gains = [h["visits"] - b["visits"] for b, h in pairs]
    assert np.mean(gains) == pytest.approx(by_hand, rel=0.05)
    fewer_lost = [b["lost"] - h["lost"] for b, h in pairs]
    appointments = new_physician_slots_per_day(hire) / slots
    assert np.mean(fewer_lost) == pytest.approx(appointments, rel=0.05)


def test_ninth_physician_at_baseline_demand_wins_back_most_lost_requests():
    """At the baseline's demand the practice loses about 13-15 requests a clinic day to long
    waits, fewer than the 19 appointments a day the new physician could take: demand, not
    capacity, now caps the gain. In every replication lost requests fall by more than 75%, and
    completed visits rise by more than the requests won back give (shorter lead times also
    mean fewer cancellations with notice: more of the booked come) but by less than the new
    physician's full capacity, 24 / 1.252 x (1 - no-show - late-cancellation rates) = 17.1 a
    day (the hand calculation of the test above). Patients here are interchangeable (every
    request takes the earliest slot of any provider)."""
    hire = load("hire_provider.yaml", {})
    for base, with_hire in paired_steady_states(ANY_PROVIDER, NO_OWN_DEMAND):
        came = 1 - with_hire["no_show"] - with_hire["late_cancel"]
        capacity = new_physician_slots_per_day(hire) / slots_per_appointment(hire) * came
        won_back = (base["lost"] - with_hire["lost"]) * came
        gain = with_hire["visits"] - base["visits"]
        assert base["lost"] > 5
        assert with_hire["lost"] < 0.25 * base["lost"]
        assert won_back < gain < capacity


def test_with_panels_the_ninth_physician_fills_her_book_with_new_patients():
    """Under panels (every request trying the patient's own physician first: no
    first-available requests) her colleagues' established patients book with their own
    physician first, and new patients (12% of requests, two slots each) take the earliest slot
    of any provider, hers: most of her visits are new patients and few are the opening panel's
    patients. With interchangeable patients her book is mostly the opening panel's established
    patients. (Her colleagues' freed slots go to their own patients, so the practice wins back
    about as many lost requests either way.)"""
    mix = {}
    for name, updates in (("panels", {"scheduling.first_available_share": 0.0}),
                          ("interchangeable", ANY_PROVIDER)):
        run = simulate(load("hire_provider.yaml", PROVIDER_HORIZON | updates | NO_OWN_DEMAND),
                       seed=1)
        a = run.appointments
        a = a[(a["provider"].astype(str) == "new_physician") & (a["status"] == "completed")]
        opening = run.scenario.scheduling.panel_size
        mix[name] = ((a["visit_type"].astype(str) == "new_patient").mean(),
                     (a["patient"] < opening).mean())
    assert mix["panels"][0] > 0.5 > mix["interchangeable"][0]
    assert mix["panels"][1] < 0.1 < 0.5 < mix["interchangeable"][1]
