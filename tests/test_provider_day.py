"""The provider's and the staff's day beyond the visit: patients who leave unseen, staff
overtime pay, documentation after hours, and the productivity KPIs (visits and wRVUs)."""

from __future__ import annotations

import pandas as pd
import pytest

from practicesim import simulate
from practicesim.clinic import flow
from practicesim.metrics import continuity_upc, provider_ftes, work_rvus
from practicesim.practice import Practice
from tests.conftest import build

SESSION = [[(480.0, 720.0)]]
"""One provider, one session 08:00-12:00."""


def day_of(patience: float) -> flow.DayPatients:
    """Two patients booked at 08:00 for 30 minutes each, no other stage: the second waits 30
    minutes past her appointment time."""
    patients = flow.DayPatients()
    for _ in range(2):
        patients.add(480.0, 0, 480.0, 0.0, 0.0, 30.0, 0.0, (), 480.0, patience)
    return patients


def test_a_patient_whose_wait_passes_her_patience_leaves_unseen_at_her_deadline():
    """Patience 20: the second patient would start at 08:30, 30 minutes past 08:00, so she
    leaves at 08:20 and the provider's day ends at 08:30; patience 40: she is seen."""
    left = flow.run_day(day_of(20.0), SESSION, 0, 0, 0, opens=450.0)
    assert left.provider == [0, flow.LEFT_UNSEEN]
    assert left.departure[1] == 500.0
    (stats,) = flow.session_stats(left, SESSION)
    assert (stats.busy, stats.patients) == (30.0, 1)
    seen = flow.run_day(day_of(40.0), SESSION, 0, 0, 0, opens=450.0)
    assert seen.provider == [0, 0] and seen.provider_start[1] == 510.0


def test_documentation_beyond_the_sessions_idle_time_is_done_after_hours():
    """One 30-minute visit in a 240-minute session: idle 210; 250 minutes of notes leave 40
    after hours, 100 leave none."""
    patients = flow.DayPatients()
    patients.add(480.0, 0, 480.0, 0.0, 0.0, 30.0, 0.0)
    result = flow.run_day(patients, SESSION, 0, 0, 0, opens=450.0)
    (heavy,) = flow.session_stats(result, SESSION, [250.0])
    assert (heavy.idle, heavy.documentation, heavy.after_hours) == (210.0, 250.0, 40.0)
    (light,) = flow.session_stats(result, SESSION, [100.0])
    assert light.after_hours == 0.0


def test_staff_who_stay_past_the_last_session_are_paid_time_and_a_half():
    """Front desk done at 17:10, rooming at 17:25, checkout at 17:40 after a 17:00 close:
    2 x 10 + 3 x 25 + 1 x 40 minutes at 1.5 x salary / (8 x 260) an hour, plus 6.2% + 1.45%
    + 1.35% payroll taxes (the small practice: front desk and checkout $38,000, MAs $42,000).
    A video visit that ends at 17:20 keeps no one: it has no desk, rooming or checkout work."""
    practice = Practice(build({"calendar.warmup_days": 0}), seed=1, replication=0)
    clinic = practice.clinic
    result = flow.DayFlow([0], [1000.0], [1030.0], [1030.0], [1045.0], [1045.0], [1050.0],
                          [1050.0], [1060.0])
    in_office = flow.DayPatients()
    in_office.add(1000.0, 0, 780.0, 30.0, 15.0, 5.0, 10.0)
    clinic._pay_overtime(3, in_office, result, [[(480.0, 720.0), (780.0, 1020.0)]], [2, 3, 1])
    hourly_desk, hourly_ma = 38000 / 2080, 42000 / 2080
    expected = (2 * 10 / 60 * hourly_desk + 3 * 25 / 60 * hourly_ma
                + 1 * 40 / 60 * hourly_desk) * 1.5 * 1.09
    assert practice.ctx.finance.costs["staff_overtime"][3] == round(expected * 100)
    early = flow.DayPatients()
    early.add(500.0, 0, 480.0, 10.0, 10.0, 10.0, 10.0)
    clinic._pay_overtime(4, early, flow.DayFlow([0], [500.0], [510.0], [510.0], [520.0],
                                                [520.0], [530.0], [530.0], [540.0]),
                         [[(480.0, 720.0)]], [2, 3, 1])
    assert practice.ctx.finance.costs["staff_overtime"][4] == 0
    video = flow.DayPatients()
    video.add(1010.0, 0, 780.0, 0.0, 0.0, 30.0, 0.0)
    late_video = flow.run_day(video, [[(780.0, 1020.0)]], 2, 3, 1, opens=750.0)
    assert late_video.departure == [1040.0]
    clinic._pay_overtime(5, video, late_video, [[(780.0, 1020.0)]], [2, 3, 1])
    assert practice.ctx.finance.costs["staff_overtime"][5] == 0  # no desk, rooming, checkout


def test_work_rvus_are_each_billed_lines_work_rvu_times_its_units():
    """Claims served in the period: 99214 (1.92) + G2211 (0.33) + 2 units of 96127 (0) and
    99213 (1.30); a claim served before the period is left out."""
    claims = pd.DataFrame({"claim": [1, 2, 3], "service_day": [10, 11, 2]})
    lines = pd.DataFrame({"claim": [1, 1, 1, 2, 3],
                          "code": ["99214", "G2211", "96127", "99213", "99215"],
                          "units": [1, 1, 2, 1, 1]})
    work = {"99214": 1.92, "G2211": 0.33, "96127": 0.0, "99213": 1.30, "99215": 2.80}
    assert work_rvus(lines, claims, work, 5, 20) == pytest.approx(1.92 + 0.33 + 1.30)


def test_provider_ftes_count_provider_days_over_clinic_days():
    sessions = pd.DataFrame({"day": [0, 0, 0, 1, 1], "provider": ["a", "a", "b", "a", "b"]})
    assert provider_ftes(sessions, 0, 2) == 2.0
    assert provider_ftes(sessions[sessions["provider"] == "a"], 0, 2) == 1.0


def test_productivity_kpis_of_a_run_agree_with_its_tables():
    run = simulate(build(), seed=2)
    k = run.kpis()
    start = run.calendar.warmup
    sessions = run.sessions[run.sessions["day"] >= start]
    days = len(sessions[["day", "provider"]].drop_duplicates())
    assert k["visits_per_provider_day"] == pytest.approx(k["visits_completed"] / days)
    assert 1.5 < k["wrvus_per_provider_day"] / k["visits_per_provider_day"] < 2.0
    hours = (sessions["end_minutes"] - sessions["start_minutes"] + sessions["overtime_minutes"]
             + sessions["after_hours_minutes"]).sum() / 60 / days
    assert k["provider_workday_hours"] == pytest.approx(hours)
    assert k["provider_workday_hours"] > 8.0
    assert k["after_hours_documentation_minutes"] > 0


def test_patients_who_leave_unseen_have_no_visit_and_their_appointment_says_so():
    """With little patience many booked patients leave: each such appointment is
    ``left_unseen``, has no visit, and the daily count covers them (walk-ins too)."""
    run = simulate(build({"flow.walk_out_minutes": {"dist": "lognormal", "median": 3,
                                                    "p90": 8}}), seed=2)
    a = run.appointments
    unseen = a[a["status"] == "left_unseen"]
    assert len(unseen) > 20
    assert not run.visits["appointment"].isin(unseen["appointment"]).any()
    assert run.daily["patients_left_unseen"].sum() >= len(unseen)
    assert run.kpis()["left_unseen_rate"] > 0.01


def test_continuity_is_the_share_of_repeat_patients_visits_with_their_usual_provider():
    """Patient 1: a, a, b (2 of 3 with a); patient 2: b, b (2 of 2); patient 3 one visit
    (left out): (2 + 2) / (3 + 2)."""
    visits = pd.DataFrame({"patient": [1, 1, 1, 2, 2, 3],
                           "provider": pd.Categorical(["a", "a", "b", "b", "b", "a"])})
    assert continuity_upc(visits) == pytest.approx(4 / 5)


def test_panels_keep_patients_with_their_own_provider():
    """Booking by panel gives a higher continuity than booking the earliest slot of any
    provider, in the same practice and replication."""
    own = simulate(build({"scheduling.continuity": "own_provider",
                          "scheduling.first_available_share": 0.0}), seed=2).kpis()
    pooled = simulate(build({"scheduling.continuity": "any_provider"}), seed=2).kpis()
    assert own["continuity_upc"] > pooled["continuity_upc"] + 0.1
