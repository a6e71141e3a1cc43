"""The practice's provider seats: each provider group expanded to its seats, and, in a run,
each seat's holders over time (``providers[].turnover_per_year``, ``replacement_days``): the
first leaves after a drawn time, a successor ``<seat>_r<k>`` starts after a drawn vacancy."""

from __future__ import annotations

import itertools
import math
import re
from datetime import date, timedelta

import numpy as np

from practicesim.calendar import PracticeCalendar
from practicesim.scenario import Provider, Scenario
from practicesim.streams import Streams


def provider_seats(scenario: Scenario, streams: Streams | None = None) -> list[Provider]:
    """Providers with ``count: n`` expanded to n seats named ``name_1 .. name_n``; with
    ``streams`` (a run's), each seat's random departures (``turnover_per_year``) and
    replacements (``replacement_days``) drawn as further seats (``provider_tenures``)."""
    seats = []
    for provider in scenario.providers:
        if provider.count == 1:
            seats.append(provider)
            continue
        seats.extend(provider.model_copy(update={"name": f"{provider.name}_{i + 1}", "count": 1})
                     for i in range(provider.count))
    if streams is None:
        return seats
    calendar = PracticeCalendar(scenario)
    first, last = calendar.day0, calendar.date(calendar.n_days - 1)
    return [tenure for seat in seats
            for tenure in provider_tenures(seat, streams.get("provider_turnover", seat.name),
                                           first, last)]


def provider_tenures(seat: Provider, rng: np.random.Generator, first: date,
                     last: date) -> list[Provider]:
    """A seat and its successors over ``[first, last]``: each holder leaves after an
    exponential time with rate ``turnover_per_year`` (days from her start, or from ``first``)
    unless her ``end_date`` comes first; ``replacement_days`` later (drawn) a successor named
    ``<name>_r<k>`` starts, with the seat's terms (its ``end_date`` too: a seat the practice
    closes is not filled past it), enrolled with every payer from her start, and may leave in
    turn. Without turnover, the seat alone."""
    if not seat.turnover_per_year:
        return [seat]
    tenures, holder = [], seat
    for k in itertools.count(1):
        start = max(holder.start_date or first, first)
        leaves = start + timedelta(days=math.ceil(rng.exponential(365 / seat.turnover_per_year)))
        if leaves > last or (holder.end_date is not None and holder.end_date <= leaves):
            tenures.append(holder)
            break
        tenures.append(holder.model_copy(update={"end_date": leaves}))
        if seat.replacement_days is None:
            break
        starts = leaves + timedelta(days=max(1, math.ceil(
            float(seat.replacement_days.sample(rng, 1)[0]))))
        if starts > last:
            break
        if seat.end_date is not None and starts >= seat.end_date:
            break
        holder = seat.model_copy(update={"name": successor_name(seat.name, k),
                                         "start_date": starts, "credentialing": {}})
    return tenures


def on_staff(seat: Provider, first: date, last: date | None = None) -> bool:
    """The seat's holder is on staff on some day from ``first`` to ``last`` (inclusive; default
    ``first`` alone): from her ``start_date``, before her ``end_date``."""
    return (seat.start_date is None or seat.start_date <= (last or first)) and (
        seat.end_date is None or first < seat.end_date)


def successor_name(seat: str, k: int) -> str:
    """The name of the seat's ``k``-th successor (provider turnover)."""
    return f"{seat}_r{k}"


_SUCCESSOR = re.compile(r"(.+)_r\d+")


def seat_of(name: str, seat_names: set[str]) -> str:
    """The seat a provider name belongs to: itself, or the seat a successor
    (``successor_name``) holds (``seat_names``: the scenario's seats,
    ``provider_seats(scenario)``)."""
    if name in seat_names:
        return name
    match = _SUCCESSOR.fullmatch(name)
    return match.group(1) if match and match.group(1) in seat_names else name
