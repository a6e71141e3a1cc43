"""The appointment book: providers' session templates, slots, and booking into them.

Each provider has, per weekday, a template of slots (``slot_minutes`` apart through each
session, plus ``overbook_per_session`` extra appointments at each session's start and, when
overbooking by expected no-shows, ``round(slots x overbook_no_show_rate)`` more spread evenly
through the session). A request
is booked into the *first open slot of an eligible provider* no earlier than
``min_lead_days`` ahead and within ``booking_horizon_days``: the earliest day, then the earliest
time; ties go to the provider with more free slots that day. A visit type taking ``k`` slots
needs ``k`` consecutive free slots within one session. Lead time is not an input: it emerges
from demand against capacity. A patient offered a lead time beyond their tolerance books
elsewhere (a lost request). ``earliest_with`` searches one provider's book (a patient's own
provider, ``Scheduling.continuity``). During a new provider's onboarding (``ramp_up_days``) part
of her slots are closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from practicesim.calendar import PracticeCalendar, session_slots
from practicesim.enrollment import Window, covered
from practicesim.scenario import Provider, clock_minutes

FREE, TAKEN, GAP = 1, 0, 2


@dataclass(slots=True)
class DayTemplate:
    """One provider's slots on one weekday."""

    times: list[int]
    """Slot start (minutes after midnight) per position; -1 at a gap between sessions."""
    session_start: list[int]
    """Start of the session each position belongs to."""
    sessions: list[tuple[float, float]]
    layout: bytes
    """FREE at slot positions, GAP between sessions."""


def day_templates(provider: Provider, overbook: int,
                  miss_rate: float = 0.0) -> list[DayTemplate | None]:
    """Per weekday (Monday = 0) the provider's template, None on days without sessions."""
    out: list[DayTemplate | None] = []
    for weekday in range(7):
        sessions = sorted(
            (s for s in provider.sessions if any(d.index == weekday for d in s.days)),
            key=lambda s: clock_minutes(s.start),
        )
        times: list[int] = []
        starts: list[int] = []
        spans = []
        for session in sessions:
            slots = session_slots(session, provider.slot_minutes, overbook, miss_rate)
            if times:
                times.append(-1)
                starts.append(-1)
            times.extend(slots)
            starts.extend([clock_minutes(session.start)] * len(slots))
            spans.append((float(clock_minutes(session.start)), float(clock_minutes(session.end))))
        if not times:
            out.append(None)
            continue
        layout = bytes(GAP if t < 0 else FREE for t in times)
        out.append(DayTemplate(times, starts, spans, layout))
    return out


class AppointmentBook:
    """Free and taken slots of every provider on every day of the run and of the horizon
    beyond it (so that lead times near the end of a run are not cut short). Stored day by day,
    so that the search for the earliest slot stops at the first day with room."""

    def __init__(self, seats: list[Provider], calendar: PracticeCalendar, overbook: int,
                 horizon: int, miss_rate: float = 0.0) -> None:
        self.n_days = calendar.n_days + horizon
        self.n_providers = len(seats)
        weekly = [day_templates(seat, overbook, miss_rate) for seat in seats]
        active = [
            (calendar.day(seat.start_date) if seat.start_date else 0,
             calendar.day(seat.end_date) if seat.end_date else self.n_days)
            for seat in seats
        ]
        self.templates: list[list[DayTemplate | None]] = []
        for d in range(self.n_days):
            open_day = calendar.is_open(d)
            weekday = (calendar.day0.weekday() + d) % 7
            self.templates.append([
                _onboarding(weekly[p][weekday], seat, d - active[p][0])
                if open_day and active[p][0] <= d < active[p][1] else None
                for p, seat in enumerate(seats)
            ])
        self.free = [[bytearray(t.layout) if t else None for t in day] for day in self.templates]
        self.n_free = [[t.layout.count(FREE) if t else 0 for t in day] for day in self.templates]
        self.day_free = [sum(day) for day in self.n_free]
        self.first_position = [[row.find(FREE) if row else -1 for row in day]
                               for day in self.free]
        """Per day and provider: the first free position (-1 when full)."""
        self.first_time = [
            [t.times[pos] if pos >= 0 else _NEVER for t, pos in zip(tpl, pos_row, strict=True)]
            for tpl, pos_row in zip(self.templates, self.first_position, strict=True)
        ]
        """Per day and provider: the time of the first free slot (a lower bound for any run)."""
        self.rank = [[self._rank(time, room) for time, room in zip(times, rooms, strict=True)]
                     for times, rooms in zip(self.first_time, self.n_free, strict=True)]
        """Per day and provider: first free time x 1024 - free slots, so that the smallest is
        the one-slot booking rule's choice (earliest time, then most room, then lowest index)."""
        self.pointer = 0
        """No day before it has a free slot."""

    def sessions(self, provider: int, day: int) -> list[tuple[float, float]]:
        """The provider's (start, end) sessions on ``day`` (empty when not working)."""
        template = self.templates[day][provider]
        return template.sessions if template else []

    @staticmethod
    def _rank(time: int, room: int) -> int:
        return _NEVER_RANK if room == 0 or time >= _NEVER else time * 1024 - room

    def earliest(self, eligible: dict[int, Window] | None, first: int, last: int,
                 slots: int) -> tuple[int, int, int] | None:
        """The first open place for a visit of ``slots`` slots: (day, provider, position).

        ``eligible``: per provider, the ``[first, end)`` day intervals it may be booked
        (providers absent: never), or None when every provider may be booked on every day.
        Days ``first..last`` are searched in order; within the first day with room, the
        earliest slot time wins, then the provider with more free slots that day, then the
        lower provider index.
        """
        day_free = self.day_free
        pointer = self.pointer
        while pointer < self.n_days and day_free[pointer] == 0:
            pointer += 1
        self.pointer = pointer
        first, last = max(first, pointer), min(last, self.n_days - 1)
        if eligible is None and slots == 1:
            return self._earliest_single(first, last)
        for day in range(first, last + 1):
            if day_free[day] >= slots:
                found = self._best_on_day(day, slots, eligible)
                if found is not None:
                    return day, *found
        return None

    def earliest_with(self, provider: int, window: Window | None, first: int, last: int,
                      slots: int) -> tuple[int, int] | None:
        """The first open place for a visit of ``slots`` slots with one provider: (day,
        position), the earliest day then the earliest time; ``window``: the ``[first, end)``
        day intervals she may be booked (None: every day)."""
        pattern = _RUNS[slots] if slots < len(_RUNS) else b"\x01" * slots
        first, last = max(first, self.pointer), min(last, self.n_days - 1)
        n_free, free = self.n_free, self.free
        for day in range(first, last + 1):
            if n_free[day][provider] < slots:
                continue
            if window is not None and not covered(window, day):
                continue
            position = (self.first_position[day][provider] if slots == 1
                        else free[day][provider].find(pattern))
            if position >= 0:
                return day, position
        return None

    def _earliest_single(self, first: int, last: int) -> tuple[int, int, int] | None:
        """``earliest`` for one slot with every provider eligible: a C-level min per day."""
        day_free, rank = self.day_free, self.rank
        for day in range(first, last + 1):
            if day_free[day]:
                row = rank[day]
                p = row.index(min(row))
                return day, p, self.first_position[day][p]
        return None

    def _best_on_day(self, day: int, slots: int,
                     windows: dict[int, Window] | None) -> tuple[int, int] | None:
        """(provider, position) of the best place for ``slots`` slots on ``day``, or None.

        Providers are visited in order of their first free slot (a lower bound on where a run
        of slots can start); the search stops once no later provider can start earlier than
        the best run found. ``windows``: per provider, the days it may be booked (None: all).
        """
        pattern = _RUNS[slots] if slots < len(_RUNS) else b"\x01" * slots
        rank, n_free = self.rank[day], self.n_free[day]
        first_time, free, templates = self.first_time[day], self.free[day], self.templates[day]
        best, best_key = None, (_NEVER, 0, 0)
        for p in sorted(range(self.n_providers), key=rank.__getitem__):
            if rank[p] >= _NEVER_RANK or first_time[p] > best_key[0]:
                break
            if n_free[p] < slots:
                continue
            if windows is not None and not covered(windows.get(p, ()), day):
                continue
            position = free[p].find(pattern)
            if position < 0:
                continue
            key = (templates[p].times[position], -n_free[p], p)
            if key < best_key:
                best, best_key = (p, position), key
        return best

    def take(self, provider: int, day: int, position: int, slots: int) -> None:
        row = self.free[day][provider]
        row[position:position + slots] = b"\x00" * slots
        self.n_free[day][provider] -= slots
        self.day_free[day] -= slots
        if position <= self.first_position[day][provider] < position + slots:
            self._first_free(provider, day, row.find(FREE))
        else:
            self._update_rank(provider, day)

    def release(self, provider: int, day: int, position: int, slots: int) -> None:
        """Give a cancelled appointment's slots back to the book."""
        row = self.free[day][provider]
        row[position:position + slots] = b"\x01" * slots
        self.n_free[day][provider] += slots
        self.day_free[day] += slots
        self.pointer = min(self.pointer, day)
        first = self.first_position[day][provider]
        if first < 0 or position < first:
            self._first_free(provider, day, position)
        else:
            self._update_rank(provider, day)

    def _first_free(self, provider: int, day: int, position: int) -> None:
        self.first_position[day][provider] = position
        template = self.templates[day][provider]
        self.first_time[day][provider] = template.times[position] if position >= 0 else _NEVER
        self._update_rank(provider, day)

    def _update_rank(self, provider: int, day: int) -> None:
        self.rank[day][provider] = self._rank(self.first_time[day][provider],
                                              self.n_free[day][provider])

    def time_of(self, provider: int, day: int, position: int) -> tuple[int, int]:
        """(slot time, session start) of a position, minutes after midnight."""
        template = self.templates[day][provider]
        return template.times[position], template.session_start[position]


def _onboarding(template: DayTemplate | None, seat: Provider,
                days_in: int) -> DayTemplate | None:
    """The template of a provider ``days_in`` days after her start: during her
    ``ramp_up_days`` only ``share = ramp_up_slot_share + (1 - ramp_up_slot_share) x
    days_in / ramp_up_days`` of the slots are open: each session's last ``round(n (1 -
    share))`` of its ``n`` slots are closed (a shorter session, so two-slot visits still fit)."""
    if template is None or days_in >= seat.ramp_up_days or seat.start_date is None:
        return template
    share = seat.ramp_up_slot_share + (1 - seat.ramp_up_slot_share) * days_in / seat.ramp_up_days
    layout = bytearray(template.layout)
    session: list[int] = []
    for position, kind in enumerate([*template.layout, GAP]):
        if kind == FREE:
            session.append(position)
            continue
        for closed in session[len(session) - round(len(session) * (1 - share)):]:
            layout[closed] = GAP
        session = []
    return DayTemplate(template.times, template.session_start, template.sessions, bytes(layout))


_RUNS = [b"\x01" * k for k in range(8)]
_NEVER = 1 << 30
_NEVER_RANK = _NEVER * 1024
