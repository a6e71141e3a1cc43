"""Staff turnover, vacancies and new hires' ramp-up: who is at work on each day.

Each staff role has ``count`` positions, the count in force that day (a dated change that adds
positions hires for them on its date). The holder of a filled position leaves at
``turnover_per_year`` (a Poisson rate); the position then stays vacant for ``vacancy_days`` (drawn);
the replacement, like anyone hired for a new position, starts at ``ramp_up_productivity`` of full
output, rising linearly to full over ``ramp_up_days``, and makes ``ramp_up_error_factor`` times the
usual errors, falling linearly to 1 over the same days. Each hire costs ``hiring_cost`` (recruiting
and training). Positions filled on day 0 are held by tenured staff at full output. Each position's
timeline is drawn when the run starts from the stream ``("workforce", role, position)``: it depends
on nothing else in the model, so a scenario that changes billing leaves the staff's comings and
goings untouched.

What the rest of the model reads: ``present(role, day)``, the people at work (the clinic flow's
servers, and the payroll: vacant positions are not paid; a stage with positions but nobody
present is covered by one person from elsewhere), ``output(role, day)``, their output in
full-time equivalents (coders' and billers' minutes), ``error_factor(role, day)``, the team's
error rate as a multiple of the usual one (coders' claim errors, billers' corrections), and
``hires(role, day)``.
"""

from __future__ import annotations

import math

import numpy as np

from practicesim.calendar import PracticeCalendar
from practicesim.scenario import Scenario, StaffRole
from practicesim.streams import Streams

ROLES = ("front_desk", "checkout", "medical_assistants", "coders", "billers", "other")


class Workforce:
    """Per role and day: people present, their output (FTE) and hires."""

    def __init__(self, epochs: list[tuple[int, Scenario]], calendar: PracticeCalendar,
                 streams: Streams) -> None:
        """``epochs``: (first day, scenario in force from it), in day order from day 0."""
        n = calendar.n_days
        self._present: dict[str, np.ndarray] = {}
        self._output: dict[str, np.ndarray] = {}
        self._hires: dict[str, np.ndarray] = {}
        self._errors: dict[str, np.ndarray] = {}
        first = epochs[0][1]
        for role in ROLES:
            counts = np.zeros(n, dtype=np.int64)
            for k, (start, scenario) in enumerate(epochs):
                end = epochs[k + 1][0] if k + 1 < len(epochs) else n
                counts[start:end] = getattr(scenario.staff, role).count
            terms: StaffRole = getattr(first.staff, role)
            self._plan(role, counts, terms, streams)

    def _plan(self, role: str, counts: np.ndarray, terms: StaffRole, streams: Streams) -> None:
        n = len(counts)
        present = np.zeros(n, dtype=np.int64)
        output = np.zeros(n, dtype=np.float64)
        hires = np.zeros(n, dtype=np.int64)
        errors = np.zeros(n, dtype=np.float64)
        for position in range(int(counts.max(initial=0))):
            active = counts > position
            rng = streams.get("workforce", role, position)
            for start, end in _segments(active):
                _fill(start, end, terms, rng, present, output, hires, errors)
        self._present[role], self._output[role], self._hires[role] = present, output, hires
        with np.errstate(invalid="ignore", divide="ignore"):
            self._errors[role] = np.where(output > 0, errors / output, 1.0)

    def present(self, role: str, day: int) -> int:
        """People of ``role`` at work on ``day`` (filled positions)."""
        return int(self._present[role][day])

    def output(self, role: str, day: int) -> float:
        """Output of ``role`` on ``day`` in full-time equivalents (new hires count for less)."""
        return float(self._output[role][day])

    def error_factor(self, role: str, day: int) -> float:
        """The role's error rate on ``day`` as a multiple of the usual one: the output-weighted
        mean of its people's factors (new hires' ``ramp_up_error_factor`` falling to 1)."""
        return float(self._errors[role][day])

    def hires(self, role: str, day: int) -> int:
        """People of ``role`` hired on ``day`` (their hiring cost is paid then)."""
        return int(self._hires[role][day])


def _segments(active: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) runs of days where ``active`` is true."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], active.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _fill(start: int, end: int, terms: StaffRole, rng: np.random.Generator,
          present: np.ndarray, output: np.ndarray, hires: np.ndarray,
          errors: np.ndarray) -> None:
    """One position active on days [start, end): its holders, departures and vacancies."""
    rate = terms.turnover_per_year / 365.0
    hired, tenured = start, start == 0
    while hired < end:
        stay = math.ceil(rng.exponential(1 / rate)) if rate > 0 else end - hired
        leaves = min(end, hired + max(1, stay))
        present[hired:leaves] += 1
        ramp = _ramp(leaves - hired, terms, tenured)
        output[hired:leaves] += ramp
        errors[hired:leaves] += ramp * _error_ramp(leaves - hired, terms, tenured)
        if not tenured:
            hires[hired] += 1
        if leaves >= end:
            return
        vacancy = math.ceil(float(terms.vacancy_days.sample(rng, 1)[0]))
        hired, tenured = leaves + max(0, vacancy), False


def _error_ramp(days: int, terms: StaffRole, tenured: bool) -> np.ndarray | float:
    """Error-rate multiple on each of a holder's first ``days`` days: 1 for tenured staff, else
    falling linearly from ``ramp_up_error_factor`` to 1 over ``ramp_up_days``."""
    if tenured or terms.ramp_up_days == 0 or terms.ramp_up_error_factor == 1:
        return 1.0
    t = np.arange(days, dtype=np.float64)
    f0 = terms.ramp_up_error_factor
    return np.maximum(1.0, f0 - (f0 - 1) * t / terms.ramp_up_days)


def _ramp(days: int, terms: StaffRole, tenured: bool) -> np.ndarray | float:
    """Output on each of a holder's first ``days`` days: full for tenured staff, else rising
    linearly from ``ramp_up_productivity`` to 1 over ``ramp_up_days``."""
    if tenured or terms.ramp_up_days == 0 or terms.ramp_up_productivity >= 1:
        return 1.0
    t = np.arange(days, dtype=np.float64)
    p0 = terms.ramp_up_productivity
    return np.minimum(1.0, p0 + (1 - p0) * t / terms.ramp_up_days)
