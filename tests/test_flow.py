"""Clinic flow: FCFS stations, provider sessions, walk-ins, per-session statistics."""

from __future__ import annotations

import pytest

from practicesim.clinic import flow
from practicesim.clinic.flow import WALK_IN, DayPatients, pool_station, run_day, session_stats


def test_pool_station_serves_in_arrival_order_on_the_first_free_server():
    start, done = pool_station([0.0, 1.0, 2.0, 2.5], [10.0, 10.0, 1.0, 1.0], servers=2,
                               opens=0.0)
    assert start == [0.0, 1.0, 10.0, 11.0]
    assert done == [10.0, 11.0, 11.0, 12.0]


def test_pool_station_waits_for_opening_and_skips_without_staff():
    start, _ = pool_station([5.0], [1.0], servers=1, opens=30.0)
    assert start == [30.0]
    assert pool_station([5.0], [1.0], servers=0, opens=30.0) == ([5.0], [5.0])


def one_provider_day(arrivals: list[float], minutes: list[float],
                     session_start: float = 480.0) -> DayPatients:
    patients = DayPatients()
    for a, m in zip(arrivals, minutes, strict=True):
        patients.add(a, 0, session_start, 0.0, 0.0, m, 0.0)
    return patients


def test_provider_does_not_start_before_the_session():
    patients = one_provider_day([470.0, 500.0], [20.0, 20.0])
    result = run_day(patients, [[(480.0, 720.0)]], 0, 0, 0, opens=0.0)
    assert result.provider_start == [480.0, 500.0]
    to_provider, total = result.waits(patients)
    assert to_provider == [10.0, 0.0]
    assert total == [10.0, 0.0]


def test_late_running_provider_makes_later_patients_wait():
    patients = one_provider_day([480.0, 500.0, 520.0], [40.0, 10.0, 10.0])
    result = run_day(patients, [[(480.0, 720.0)]], 0, 0, 0, opens=0.0)
    assert result.provider_start == [480.0, 520.0, 530.0]
    assert result.waits(patients)[0] == [0.0, 20.0, 10.0]


def test_walk_in_goes_to_the_provider_who_can_start_soonest():
    patients = DayPatients()
    patients.add(480.0, 0, 480.0, 0.0, 0.0, 30.0, 0.0)
    patients.add(485.0, WALK_IN, 0.0, 0.0, 0.0, 10.0, 0.0, eligible=(0, 1))
    sessions = [[(480.0, 720.0)], [(480.0, 720.0)]]
    result = run_day(patients, sessions, 0, 0, 0, opens=0.0)
    assert result.provider == [0, 1]
    assert result.provider_start[1] == 485.0


def test_walk_in_with_no_eligible_provider_in_session_is_not_seen():
    patients = DayPatients()
    patients.add(760.0, WALK_IN, 0.0, 0.0, 0.0, 10.0, 0.0, eligible=(0,))
    result = run_day(patients, [[(480.0, 720.0)]], 0, 0, 0, opens=0.0)
    assert result.provider == [WALK_IN]


def test_stages_in_order_front_desk_rooming_provider_checkout():
    patients = DayPatients()
    patients.add(480.0, 0, 480.0, 5.0, 7.0, 15.0, 3.0)
    result = run_day(patients, [[(480.0, 720.0)]], 1, 1, 1, opens=420.0)
    assert result.check_in_start == [480.0]
    assert result.rooming_start == [485.0]
    assert result.provider_start == [492.0]
    assert result.checkout_start == [507.0]
    assert result.departure == [510.0]


def test_session_stats_busy_idle_overtime():
    patients = one_provider_day([480.0, 690.0], [60.0, 60.0])
    sessions = [[(480.0, 720.0)]]
    result = run_day(patients, sessions, 0, 0, 0, opens=0.0)
    (stats,) = session_stats(result, sessions)
    assert stats.busy == pytest.approx(60.0 + 30.0)
    assert stats.idle == pytest.approx(240.0 - 90.0)
    assert stats.overtime == pytest.approx(30.0)
    assert stats.patients == 2


def test_flow_module_has_no_simpy_dependency():
    assert "simpy" not in vars(flow)


def test_waits_are_never_negative_when_stages_are_skipped():
    patients = DayPatients()
    patients.add(470.0, 0, 480.0, 4.0, 6.0, 20.0, 3.0)
    patients.add(475.0, 0, 480.0, 4.0, 6.0, 20.0, 3.0)
    result = run_day(patients, [[(480.0, 720.0)]], 0, 0, 0, opens=0.0)
    _, total = result.waits(patients)
    assert total == [10.0, 25.0]
