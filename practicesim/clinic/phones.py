"""The phone lines: each clinic day's calls, answered in order of arrival by the front desk's
phone staff (``front_office.phones``); a caller kept on hold past her patience hangs up.

Calls: one booking call per appointment request not booked online, and ``calls_per_visit``
other calls per appointment kept that day (a Poisson count); each call's time of day, handle
minutes and patience are drawn from its own keyed uniforms (a request's from its identity,
purpose ``"call"``; the other calls' from the day and their number), so a request makes the
same call in every scenario. With first-come-first-served answering and known handle times a
caller's answer time is known when she calls: the earliest time one of the ``c`` lines is free,
given the callers ahead of her who stayed. If that comes more than her patience after her
call she hangs up then and takes no line. This is the exact sample path of an FCFS
multi-server queue with reneging (as ``flow.provider_station``); ``tests/test_phones.py``
checks its share of callers who hang up against the Erlang-A formula (M/M/c+M, Palm).

A hung-up booking call loses its request with ``lost_share`` (the patient does not call back); the
other hung-up calls cost the patient's time only. Simplification: a patient who calls back is
booked as usual, and her second call is not queued (it would add about a tenth to the baseline's
load), so the share who hang up is somewhat understated. The phone staff are the front desk's
people present, up to ``staff``; the rest check patients in (``phone_lines``).
"""

from __future__ import annotations

import heapq

import numpy as np

from practicesim.context import Context
from practicesim.distributions import poisson_quantile
from practicesim.scenario import Phones as PhoneTerms
from practicesim.streams import identities, identity

C_ONLINE, C_HOUR, C_MINUTE, C_HANDLE, C_PATIENCE, C_LOST = range(6)
CALL_DRAWS = 6
"""A call's own uniforms: booked online instead (a request's only), its hour of the day and
minute within it, its handle minutes, the caller's patience, and whether a hung-up booking
call loses its request."""


def answer_calls(arrival: list[float], handle: list[float], patience: list[float],
                 lines: int, opens: float) -> tuple[list[bool], list[float]]:
    """FCFS answering on ``lines`` lines free from ``opens`` (minutes after midnight; a call
    before then waits for it). Per call: whether it was answered, and its minutes on hold
    (until answered, or until the caller hung up: her patience). With no lines every caller
    hangs up.

    >>> answer_calls([0.0, 0.0, 1.0], [5.0, 5.0, 5.0], [9.0, 3.0, 9.0], lines=1, opens=0.0)
    ([True, False, True], [0.0, 3.0, 4.0])
    """
    n = len(arrival)
    answered = [False] * n
    hold = [0.0] * n
    if lines <= 0:
        return answered, list(patience)
    free = [opens] * lines
    for i in sorted(range(n), key=arrival.__getitem__):
        a = arrival[i]
        start = a if a > free[0] else free[0]
        if start - a > patience[i]:
            hold[i] = patience[i]
            continue
        heapq.heapreplace(free, start + handle[i])
        answered[i] = True
        hold[i] = start - a
    return answered, hold


def phone_lines(ctx: Context, day: int) -> int:
    """The front desk's people on the phones today: up to ``phones.staff`` of those present
    (0 when calls are not modelled: no ``phones`` section, or no front desk). The phones take
    their people first; check-in keeps at least one server (``Clinic._at_work``), so with no
    more people present than phone staff one person counts at both, an optimistic
    simplification (the small test practice's single front-desk person does both)."""
    terms = ctx.scenario.front_office.phones
    if terms is None or ctx.scenario.staff.front_desk.count == 0:
        return 0
    return min(terms.staff, ctx.workforce.present("front_desk", day))


class PhoneLines:
    """Each clinic day's calls and what becomes of them; per-day tallies for the run's daily
    table (``calls``, ``calls_abandoned``, ``call_hold_minutes``, ``requests_lost_on_phone``)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        n = ctx.n_days
        self.calls = [0] * n
        self.abandoned = [0] * n
        self.hold_minutes = [0.0] * n
        self.lost = [0] * n

    def on_day(self, day: int, keys: list[int], kept_today: int) -> list[bool] | None:
        """Today's calls: the booking calls of today's requests (``keys``: their identities)
        and the other calls of ``kept_today`` kept appointments. Per request: True when its
        booking call was not answered and the patient does not call back (the request is
        lost); None when calls are not modelled."""
        scenario = self.ctx.scenario
        terms = scenario.front_office.phones
        if (terms is None or scenario.staff.front_desk.count == 0
                or not self.ctx.calendar.is_clinic_day[day]):
            return None
        streams = self.ctx.streams
        own = streams.keyed("call", keys, CALL_DRAWS) if keys else np.empty((0, CALL_DRAWS))
        phoned = own[:, C_ONLINE] >= terms.online_share
        u_count = streams.keyed("calls_other", [identity("phones/day", day)], 1)[0, 0]
        n_other = poisson_quantile(float(u_count), terms.calls_per_visit * kept_today)
        other = (streams.keyed("call_other", identities("phones/other", (day,),
                                                        np.arange(n_other)), CALL_DRAWS)
                 if n_other else np.empty((0, CALL_DRAWS)))
        calls = np.concatenate([own[phoned], other])
        arrival, handle, patience = self._times(terms, calls)
        answered, hold = answer_calls(arrival, handle, patience, phone_lines(self.ctx, day),
                                      self.opens(terms))
        n_booking = int(phoned.sum())
        lost_call = [not a and u < terms.lost_share for a, u in zip(
            answered[:n_booking], calls[:n_booking, C_LOST].tolist(), strict=True)]
        lost = [False] * len(keys)
        for i, flag in zip(np.flatnonzero(phoned).tolist(), lost_call, strict=True):
            lost[i] = flag
        self.calls[day] = len(answered)
        self.abandoned[day] = len(answered) - sum(answered)
        self.hold_minutes[day] = float(sum(hold))
        self.lost[day] = sum(lost)
        return lost

    @staticmethod
    def opens(terms: PhoneTerms) -> float:
        """When the lines open: the first hour with calls (minutes after midnight)."""
        return 60.0 * min(hour for hour, weight in terms.hourly_shares.items() if weight > 0)

    @staticmethod
    def _times(terms: PhoneTerms, calls: np.ndarray) -> tuple[list[float], list[float],
                                                               list[float]]:
        """Per call, from its uniforms: its time of day (an hour drawn by ``hourly_shares``,
        then a uniform minute in it), handle minutes and patience (minutes, never negative)."""
        hours = sorted(terms.hourly_shares)
        weights = np.array([terms.hourly_shares[h] for h in hours], dtype=float)
        cumulative = np.cumsum(weights)
        edges = cumulative / cumulative[-1]
        at = np.minimum(np.searchsorted(edges, calls[:, C_HOUR], side="right"), len(hours) - 1)
        arrival = np.asarray(hours, dtype=float)[at] * 60.0 + 60.0 * calls[:, C_MINUTE]
        handle = np.maximum(terms.minutes_per_call.quantiles(calls[:, C_HANDLE]), 0.0)
        patience = np.maximum(terms.patience_minutes.quantiles(calls[:, C_PATIENCE]), 0.0)
        return arrival.tolist(), handle.tolist(), patience.tolist()
