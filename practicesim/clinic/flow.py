"""Patient flow through one clinic day: check-in, rooming, provider, checkout.

Each stage is a first-come-first-served station: a pool of ``c`` interchangeable staff (front
desk, medical assistants, checkout) or, at the provider stage, the patient's own provider. A
walk-in is given, on reaching the provider stage, the in-session provider who can start soonest.

Because every patient takes the stations in the same order and each station serves in order of
arrival, the day's sample path is computed station by station: sort the patients by the time
they reach the station, give each the server that frees first (a heap of free times), and their
departures are the next station's arrivals. This is the exact recursion of Kiefer and Wolfowitz
for FCFS multi-server stations in tandem; ``flow_reference.py`` runs the same day as a SimPy
model with Resources, and the tests check both give the same times to the microsecond. It costs a
few list operations per patient and stage instead of a SimPy process per visit.

All times are minutes after midnight.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field

WALK_IN = -1
LEFT_UNSEEN = -2
"""In ``DayFlow.provider``: the patient left before the provider saw them (their wait passed
their patience)."""


@dataclass(slots=True)
class DayPatients:
    """The patients who come to the clinic on one day (parallel lists, one entry each)."""

    arrival: list[float] = field(default_factory=list)
    provider: list[int] = field(default_factory=list)
    """Provider index, or ``WALK_IN``."""
    session_start: list[float] = field(default_factory=list)
    """Start of the booked session (the provider does not start it earlier); 0 for walk-ins."""
    check_in: list[float] = field(default_factory=list)
    rooming: list[float] = field(default_factory=list)
    provider_minutes: list[float] = field(default_factory=list)
    checkout: list[float] = field(default_factory=list)
    eligible: list[tuple[int, ...]] = field(default_factory=list)
    """For walk-ins: the providers who may see them (credentialed with their payer)."""
    due: list[float] = field(default_factory=list)
    """The appointment's time (a walk-in's arrival): a patient's wait counts from the later of
    it and the arrival."""
    patience: list[float] = field(default_factory=list)
    """Minutes the patient waits for the provider past the later of arrival and ``due`` before
    leaving unseen (infinite: never leaves)."""

    def add(self, arrival: float, provider: int, session_start: float, check_in: float,
            rooming: float, provider_minutes: float, checkout: float,
            eligible: tuple[int, ...] = (), due: float = 0.0,
            patience: float = math.inf) -> None:
        self.due.append(due)
        self.patience.append(patience)
        self.arrival.append(arrival)
        self.provider.append(provider)
        self.session_start.append(session_start)
        self.check_in.append(check_in)
        self.rooming.append(rooming)
        self.provider_minutes.append(provider_minutes)
        self.checkout.append(checkout)
        self.eligible.append(eligible)

    def __len__(self) -> int:
        return len(self.arrival)


@dataclass(slots=True)
class DayFlow:
    """When each patient started and finished each stage, and whom they saw."""

    provider: list[int]
    """Provider seen (walk-ins assigned here); ``WALK_IN`` if no provider was in session;
    ``LEFT_UNSEEN`` if the patient left before being seen."""
    check_in_start: list[float]
    check_in_end: list[float]
    rooming_start: list[float]
    rooming_end: list[float]
    provider_start: list[float]
    provider_end: list[float]
    checkout_start: list[float]
    departure: list[float]

    def waits(self, patients: DayPatients) -> tuple[list[float], list[float]]:
        """Per patient: minutes waiting for the provider after rooming (or arrival), and total
        minutes waiting in all queues (before check-in, rooming, the provider and checkout)."""
        to_provider = [s - r for s, r in zip(self.provider_start, self.rooming_end, strict=True)]
        total = [
            (ci - a) + (ro - ci_end) + (pr - ro_end) + (co - pr_end)
            for a, ci, ci_end, ro, ro_end, pr, pr_end, co in zip(
                patients.arrival, self.check_in_start, self.check_in_end, self.rooming_start,
                self.rooming_end, self.provider_start, self.provider_end, self.checkout_start,
                strict=True,
            )
        ]
        return to_provider, total


def pool_station(ready: list[float], service: list[float], servers: int,
                 opens: float) -> tuple[list[float], list[float]]:
    """FCFS station with ``servers`` identical servers free from ``opens``.

    Returns (start, done) per patient. With no servers the station is skipped (start = done =
    ready); so is it by a patient with no work there (``service`` 0: a video visit needs no
    check-in at the desk, no rooming and no checkout), who takes no server.
    """
    n = len(ready)
    if servers <= 0:
        return list(ready), list(ready)
    free = [opens] * servers
    start = [0.0] * n
    done = [0.0] * n
    heappop, heappush = heapq.heappop, heapq.heappush
    for i in sorted(range(n), key=ready.__getitem__):
        r = ready[i]
        if service[i] <= 0.0:
            start[i] = done[i] = r
            continue
        first_free = heappop(free)
        s = r if r > first_free else first_free
        e = s + service[i]
        heappush(free, e)
        start[i] = s
        done[i] = e
    return start, done


def provider_station(ready: list[float], patients: DayPatients,
                     sessions: list[list[tuple[float, float]]]) -> tuple[list[int], list[float]]:
    """The provider stage: each booked patient waits for their own provider (not before their
    session starts); a walk-in goes to the eligible provider in session who can start soonest.
    A patient who must wait for the provider and whose start would come more than their
    ``patience`` after the later of their arrival and ``due`` leaves unseen (``LEFT_UNSEEN``)
    at that deadline, or on reaching the stage if it has passed (start = the time they leave),
    and takes none of the provider's time: with first-come-first-served queues a patient's start is
    known on reaching the stage, so reneging is this comparison (``flow_reference`` checks it
    against SimPy processes that renege).

    Returns (provider, start) per patient.
    """
    n = len(ready)
    free = [0.0] * len(sessions)
    chosen = list(patients.provider)
    start = [0.0] * n
    patience, arrival, due = patients.patience, patients.arrival, patients.due
    for i in sorted(range(n), key=ready.__getitem__):
        r = ready[i]
        p = chosen[i]
        if p == WALK_IN:
            p = _walk_in_provider(r, patients.eligible[i], free, sessions)
            chosen[i] = p
            if p == WALK_IN:
                start[i] = r
                continue
            floor = r
        else:
            floor = patients.session_start[i] if patients.session_start[i] > r else r
        s = floor if floor > free[p] else free[p]
        deadline = (arrival[i] if arrival[i] > due[i] else due[i]) + patience[i]
        if s > deadline and s > r:
            chosen[i] = LEFT_UNSEEN
            start[i] = deadline if deadline > r else r
            continue
        start[i] = s
        free[p] = s + patients.provider_minutes[i]
    return chosen, start


def _walk_in_provider(t: float, eligible: tuple[int, ...], free: list[float],
                      sessions: list[list[tuple[float, float]]]) -> int:
    best, best_start = WALK_IN, float("inf")
    for p in eligible:
        if any(a <= t < b for a, b in sessions[p]):
            s = t if t > free[p] else free[p]
            if s < best_start:
                best, best_start = p, s
    return best


def run_day(patients: DayPatients, sessions: list[list[tuple[float, float]]],
            front_desk: int, medical_assistants: int, checkout: int,
            opens: float) -> DayFlow:
    """The whole day's flow. ``sessions[p]``: provider ``p``'s (start, end) sessions today;
    ``opens``: when the front desk, rooming and checkout staff start."""
    ci_start, ci_done = pool_station(patients.arrival, patients.check_in, front_desk, opens)
    ro_start, ro_done = pool_station(ci_done, patients.rooming, medical_assistants, opens)
    chosen, pr_start = provider_station(ro_done, patients, sessions)
    pr_done = [
        s + m if p >= 0 else s
        for s, m, p in zip(pr_start, patients.provider_minutes, chosen, strict=True)
    ]
    co_service = [c if p >= 0 else 0.0 for c, p in zip(patients.checkout, chosen, strict=True)]
    co_start, co_done = pool_station(pr_done, co_service, checkout, opens)
    for i, p in enumerate(chosen):
        if p == LEFT_UNSEEN:
            co_start[i] = co_done[i] = pr_done[i]
    return DayFlow(chosen, ci_start, ci_done, ro_start, ro_done, pr_start, pr_done, co_start,
                   co_done)


@dataclass(slots=True)
class SessionStats:
    """One provider-session: minutes busy with patients, idle, and over time."""

    provider: int
    start: float
    end: float
    busy: float
    idle: float
    overtime: float
    patients: int
    documentation: float = 0.0
    """Minutes of documentation of the session's visits."""
    after_hours: float = 0.0
    """Documentation beyond the session's idle minutes: done after hours."""


def session_stats(flow: DayFlow, sessions: list[list[tuple[float, float]]],
                  documentation: list[float] | None = None) -> list[SessionStats]:
    """Per provider-session. A service belongs to the latest session that started at or before
    it (the first session if earlier). busy = service minutes inside the session's window;
    idle = session length - busy; overtime = the last of its services' ends past the session's
    end (0 if none); documentation = its visits' ``documentation`` minutes (per patient; none
    when None), after_hours = max(0, documentation - idle)."""
    notes = documentation if documentation is not None else [0.0] * len(flow.provider)
    by_provider: list[list[tuple[float, float, float]]] = [[] for _ in sessions]
    for q, s, e, d in zip(flow.provider, flow.provider_start, flow.provider_end, notes,
                          strict=True):
        if q >= 0:
            by_provider[q].append((s, e, d))
    out = []
    for p, provider_sessions in enumerate(sessions):
        stats = [SessionStats(p, a, b, 0.0, 0.0, 0.0, 0) for a, b in provider_sessions]
        starts = [a for a, _ in provider_sessions]
        for s, e, d in by_provider[p]:
            k = bisect.bisect_right(starts, s) - 1
            st = stats[k if k > 0 else 0]
            inside = (st.end if st.end < e else e) - (st.start if st.start > s else s)
            if inside > 0.0:
                st.busy += inside
            if e - st.end > st.overtime:
                st.overtime = e - st.end
            st.patients += 1
            st.documentation += d
        for st in stats:
            st.idle = (st.end - st.start) - st.busy
            st.after_hours = max(0.0, st.documentation - st.idle)
        out.extend(stats)
    return out
