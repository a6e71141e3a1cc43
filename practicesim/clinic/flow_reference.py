"""The clinic flow written the straightforward SimPy way: one process per visit, each stage a
``simpy.Resource``. It is the yardstick for ``flow.py``: the tests check that both give the same
times on the same patients, and ``benchmarks/practice_year.py`` times it against the full model.
Walk-ins are not modelled here (their provider choice needs no SimPy equivalent to be checked).
A patient with no minutes at a stage (a video visit's check-in, rooming and checkout) skips it.
A patient with a finite ``patience`` reneges: she leaves the provider's queue when her deadline
comes first (departure = the deadline, no checkout). A booked patient's ``due`` (her appointment
time) is never before her session's start.
"""

from __future__ import annotations

import math
from collections.abc import Generator

import simpy

from practicesim.clinic.flow import DayPatients


def run_reference(days: list[tuple[float, DayPatients]], front_desk: int,
                  medical_assistants: int, checkout: int) -> list[list[float]]:
    """Simulate booked patients of several days in one environment.

    ``days``: (offset in minutes of that day's midnight, the day's patients). Returns, per day,
    each patient's departure time (minutes after that day's midnight).
    """
    env = simpy.Environment()
    desk = simpy.Resource(env, front_desk) if front_desk else None
    rooms = simpy.Resource(env, medical_assistants) if medical_assistants else None
    out = simpy.Resource(env, checkout) if checkout else None
    providers: dict[int, simpy.Resource] = {}
    departures: list[list[float]] = []
    for offset, patients in days:
        leave = [0.0] * len(patients)
        departures.append(leave)
        for i in range(len(patients)):
            p = patients.provider[i]
            if p not in providers:
                providers[p] = simpy.Resource(env, 1)
            env.process(_visit(env, offset, patients, i, desk, rooms, providers[p], out, leave))
    env.run()
    return departures


def _stage(env: simpy.Environment, resource: simpy.Resource | None,
           minutes: float) -> Generator[simpy.Event, object, None]:
    if resource is None or minutes <= 0.0:
        return  # no staff at the stage, or no work for them (a video visit)
    with resource.request() as req:
        yield req
        yield env.timeout(minutes)


def _visit(env: simpy.Environment, offset: float, patients: DayPatients, i: int,
           desk: simpy.Resource | None, rooms: simpy.Resource | None,
           provider: simpy.Resource, out: simpy.Resource | None,
           leave: list[float]) -> Generator[simpy.Event, object, None]:
    yield env.timeout(offset + patients.arrival[i] - env.now)
    yield from _stage(env, desk, patients.check_in[i])
    yield from _stage(env, rooms, patients.rooming[i])
    deadline = offset + max(patients.arrival[i], patients.due[i]) + patients.patience[i]
    with provider.request() as req:
        if deadline < math.inf:
            yield req | env.timeout(max(0.0, deadline - env.now))
            if not req.triggered:
                leave[i] = env.now - offset
                return
        else:
            yield req
        session_start = offset + patients.session_start[i]
        if env.now < session_start:
            yield env.timeout(session_start - env.now)
        yield env.timeout(patients.provider_minutes[i])
    yield from _stage(env, out, patients.checkout[i])
    leave[i] = env.now - offset
