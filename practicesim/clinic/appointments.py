"""Booking requests into the appointment book, and what becomes of each appointment.

Each request is offered the first open slot of an eligible provider (``scheduling.py``). Under
the ``do_not_book`` credentialing policy a provider is eligible for a payer's patient only on
days the payer would pay that provider. A booked appointment's fate is drawn when it is booked
(it depends on the lead time): cancelled with notice, cancelled late, a no-show, or kept. A
request for a visit type the patient's payer must authorize first is booked no earlier than the
payer's decision, or not at all if the payer refuses (``PriorAuthorizations``).
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np
import pandas as pd

from practicesim.clinic.demand import LEFT, UNATTACHED, PatientPanel, Requests
from practicesim.clinic.noshows import FittedNoShows, NoShowModel
from practicesim.clinic.scheduling import AppointmentBook
from practicesim.context import Context, day_buckets
from practicesim.enrollment import Window, covered
from practicesim.finance import cents
from practicesim.ledger import labels
from practicesim.scenario import PriorAuthorization

KEPT, NO_SHOW, LATE_CANCEL, CANCELLED = "completed", "no_show", "late_cancel", "cancelled"
LEFT_UNSEEN = "left_unseen"
"""The patient came but left before the provider saw them (``flow.walk_out_minutes``)."""
STATUSES = [KEPT, NO_SHOW, LATE_CANCEL, CANCELLED, LEFT_UNSEEN, "scheduled"]

(R_CANCEL, R_LATE, R_NO_SHOW, R_REMIND, R_WHEN, R_CHECK, R_AUTH_DAYS, R_AUTH_REFUSAL,
 R_COLLEAGUE, R_FIRST_AVAILABLE, R_VIDEO) = range(11)
REQUEST_DRAWS = 11
"""A request's own uniforms, keyed by its identity (``Streams.keyed``, purpose ``"request"``):
its appointment's fate (cancelled with notice, late cancel, no-show, reminded, the day of a
cancellation), the eligibility check, its prior authorization's days and refusal, whether
the patient accepts a colleague of their own provider (or stays after she left), and whether the
request takes the first available provider, and whether it is booked as a video visit
(``visit_types[].telehealth``). Each column is its own counter, so adding one shifts no other
draw."""


class Appointment(NamedTuple):
    """One booked appointment (days are simulation days, times minutes after midnight)."""

    request_day: int
    patient: int
    payer: int
    provider: int
    line: int
    visit_type: int
    day: int
    position: int
    time: int
    session_start: int
    reminded: bool
    status: str
    cancel_day: int
    """The day a cancellation with notice frees the slot (-1: not cancelled with notice)."""
    verified: bool
    """Coverage verified 48 hours before the visit (``front_office.eligibility_check_share``)."""
    key: int
    """The request's identity (keys its visit's random draws)."""
    telehealth: bool = False
    """A video visit (``visit_types[].telehealth``): the patient joins from home."""


_FITTED: dict[str, FittedNoShows] = {}


def _fitted(path: str | None) -> FittedNoShows | None:
    """The fitted no-show model at ``path`` (read once per process), or None."""
    if path is None:
        return None
    if path not in _FITTED:
        _FITTED[path] = FittedNoShows(path)
    return _FITTED[path]


class PriorAuthorizations:
    """Payers' prior authorization of visit types (``visit_types[].prior_authorization``):
    which requests need one, how long the decision takes, whether it is refused."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        payers = {p.name: j for j, p in enumerate(ctx.scenario.payers)}
        self.payers: dict[tuple[int, int], frozenset[int]] = {}
        for i, line in enumerate(ctx.scenario.service_lines):
            for v, vtype in enumerate(line.visit_types):
                terms = vtype.prior_authorization
                if terms is None:
                    continue
                self.payers[i, v] = frozenset(payers[name] for name in terms.payers)

    def needed(self, line: int, vtype: int, payer: int) -> bool:
        """True if the payer must authorize this visit type first."""
        return payer in self.payers.get((line, vtype), ())

    def terms(self, line: int, vtype: int) -> PriorAuthorization:
        terms = self.ctx.scenario.service_lines[line].visit_types[vtype].prior_authorization
        assert terms is not None
        return terms

    def request(self, day: int, line: int, vtype: int, draws: list[float]) -> int | None:
        """Ask for an authorization on ``day`` (its cost is paid then): the whole days until
        the decision, or None if the payer refuses (``draws``: the request's uniforms)."""
        terms = self.terms(line, vtype)
        self.ctx.finance.add(day, "front_office_costs", cents(terms.cost))
        wait = math.ceil(max(0.0, terms.days.quantile(draws[R_AUTH_DAYS])))
        return None if draws[R_AUTH_REFUSAL] < terms.refusal_rate else wait


class Scheduler:
    """Books each day's requests and releases cancelled slots."""

    def __init__(self, ctx: Context, book: AppointmentBook, panel: PatientPanel) -> None:
        self.ctx = ctx
        self.book = book
        self.panel = panel
        calendar = ctx.calendar
        self.departures = [calendar.day(seat.end_date) if seat.end_date else 1 << 30
                           for seat in ctx.seats]
        """Per provider: the first day she is no longer on staff."""
        self.table: list[Appointment] = []
        self.by_day: list[list[int]] = day_buckets(book.n_days)
        self.cancellations: list[list[int]] = day_buckets(ctx.n_days)
        self.noshow = NoShowModel(ctx.scenario.no_shows)
        self.fitted = _fitted(ctx.scenario.no_shows.model)
        self.kept: dict[int, int] = {}
        self.missed: dict[int, int] = {}
        """Per patient: appointments kept and missed on days already past (for a fitted
        no-show model's history terms)."""
        self._vtype_names = [[t.name for t in line.visit_types]
                             for line in ctx.scenario.service_lines]
        self.requested: list[int] = [0] * ctx.n_days
        self.lost: list[int] = [0] * ctx.n_days
        self.refused: list[int] = [0] * ctx.n_days
        """Requests whose prior authorization the payer refused (no visit)."""
        self._slots = [[t.slots for t in line.visit_types] for line in ctx.scenario.service_lines]
        self.authorizations = PriorAuthorizations(ctx)
        self.unslotted: set[int] = set()
        """Appointments holding no slot of their own (imported double bookings)."""

    def eligible(self, payer: int) -> dict[int, Window] | None:
        """Per provider, the days (``[first, end)`` intervals) it may see this payer's
        patients; None when every provider may see them on every day."""
        coverage = self.ctx.coverage
        if (self.ctx.scenario.scheduling.uncredentialed_policy not in ("do_not_book",
                                                                       "refer_out")
                or len(coverage.unrestricted[payer]) == self.book.n_providers):
            return None
        return {p: coverage.window(p, payer) for p in range(self.book.n_providers)}

    def kept_on(self, day: int) -> int:
        """Appointments on the book for ``day`` whose patients will come (as drawn so far)."""
        table = self.table
        return sum(1 for a in self.by_day[day] if table[a].status == KEPT)

    def book_requests(self, day: int, requests: Requests,
                      lost_on_phone: list[bool] | None = None) -> None:
        """Offer each request the earliest slot; book it if within the patient's tolerance.
        ``lost_on_phone``: per request, its booking call went unanswered and the patient did
        not call back (``clinic/phones.py``): lost before it is offered a slot."""
        scenario = self.ctx.scenario
        rules = scenario.scheduling
        if self.noshow.params is not scenario.no_shows:
            self.noshow = NoShowModel(scenario.no_shows)
            self.fitted = _fitted(scenario.no_shows.model)
        if self.fitted is not None and day > 0:
            self._remember(day - 1)
        eligible = [self.eligible(j) for j in range(len(scenario.payers))]
        earliest = day + rules.min_lead_days
        latest = day + rules.booking_horizon_days
        book = self.book
        all_draws = self.ctx.streams.keyed("request", requests.key, REQUEST_DRAWS).tolist()
        self.requested[day] += len(all_draws)
        authorizations = self.authorizations
        own_provider = rules.continuity == "own_provider"
        first_available = rules.first_available_share
        panel = self.panel
        owner = panel.owner
        phone_lost = lost_on_phone if lost_on_phone is not None else [False] * len(all_draws)
        for line, vtype, patient, payer, tolerance, key, draws, lost_call in zip(
                requests.line, requests.visit_type, requests.patient, requests.payer,
                requests.tolerance, requests.key, all_draws, phone_lost, strict=True):
            if lost_call:
                self.lost[day] += 1
                continue
            slots = self._slots[line][vtype]
            first = earliest
            if authorizations.needed(line, vtype, payer):
                wait = authorizations.request(day, line, vtype, draws)
                if wait is None:
                    self.refused[day] += 1
                    continue
                first = max(earliest, day + wait)
            found = (self._own_or_colleague(day, patient, eligible[payer], first, latest,
                                            slots, tolerance, draws[R_COLLEAGUE],
                                            draws[R_FIRST_AVAILABLE] < first_available)
                     if own_provider else book.earliest(eligible[payer], first, latest, slots))
            if found is None or found[0] - day > tolerance:
                self.lost[day] += 1
                continue
            when, provider, position = found
            book.take(provider, when, position, slots)
            if owner[patient] == UNATTACHED:
                panel.attach(patient, provider)
            self._record(day, line, vtype, patient, payer, provider, when, position, key,
                         draws)

    def _own_or_colleague(self, day: int, patient: int, eligible: dict[int, Window] | None,
                          first: int, latest: int, slots: int, tolerance: float,
                          u_colleague: float, any_provider: bool) -> tuple[int, int, int] | None:
        """Where a request is booked under ``continuity: own_provider`` (``Scheduling``):
        (day, provider, position), or None when the patient is lost; ``any_provider``: the
        request takes the first available provider (``first_available_share``)."""
        rules = self.ctx.scenario.scheduling
        panel, book = self.panel, self.book
        own = panel.owner[patient]
        if own == LEFT:
            return None
        if own >= 0 and day >= self.departures[own]:
            if u_colleague >= rules.retained_share:
                panel.owner[patient] = LEFT
                return None
            panel.owner[patient] = own = UNATTACHED
        if own == UNATTACHED or any_provider:
            return book.earliest(eligible, first, latest, slots)
        window = None if eligible is None else eligible.get(own, ())
        found = book.earliest_with(own, window, first, latest, slots)
        if found is not None and found[0] - day <= tolerance:
            return found[0], own, found[1]
        referred = (rules.uncredentialed_policy == "refer_out" and window is not None
                    and not covered(window, first))
        if u_colleague >= rules.colleague_share and not referred:
            return None
        return book.earliest(eligible, first, latest, slots)

    def book_existing(self, request_day: int, line: int, vtype: int, patient: int, payer: int,
                      provider: int, when: int, position: int, key: int,
                      draws: list[float], telehealth: bool | None = None) -> None:
        """An appointment booked on ``request_day`` before the run (a warm start) in its slot
        (taken unless already taken: an overbooked import); its fate is drawn given that it
        was not cancelled before day 0; ``telehealth``: booked as a video visit (None: drawn as
        for a new request)."""
        slots = self._slots[line][vtype]
        row = self.book.free[when][provider]
        if row is not None and row[position:position + slots] == b"\x01" * slots:
            self.book.take(provider, when, position, slots)
        else:
            self.unslotted.add(len(self.table))
        self._record(request_day, line, vtype, patient, payer, provider, when, position, key,
                     draws, first_cancel_day=0, telehealth=telehealth)

    def _record(self, day: int, line: int, vtype: int, patient: int, payer: int, provider: int,
                when: int, position: int, key: int, draws: list[float],
                first_cancel_day: int = 0, telehealth: bool | None = None) -> None:
        """Record an appointment booked on ``day`` and draw its fate (``draws``: the request's
        uniforms, indexed by ``R_*``; ``key``: its identity). Cancellations with notice
        fall uniformly on the days between booking and visit; none before
        ``first_cancel_day`` (for appointments booked before the run: the chance is then the
        conditional one, given no cancellation so far). ``telehealth``: booked as a video visit
        (None: with the visit type's ``telehealth.share``, ``_video``)."""
        rules = self.ctx.scenario
        table = self.table
        lead = when - day
        video = (self._video(line, vtype, payer, draws[R_VIDEO]) if telehealth is None
                 else telehealth)
        u_cancel, u_late, u_noshow, u_remind, u_when = draws[:R_CHECK]
        reminded = lead >= 2 and u_remind < rules.no_shows.reminder_share
        cancel_rate = rules.scheduling.early_cancel_rate
        elapsed = first_cancel_day - day - 1
        elapsed = lead - 1 if lead - 1 < elapsed else elapsed
        elapsed = elapsed if elapsed > 0 else 0
        remaining = lead - 1 - elapsed
        if elapsed:
            cancel_rate = (cancel_rate * remaining / (lead - 1 - cancel_rate * elapsed)
                           if remaining > 0 else 0.0)
        cancel_day = -1
        if lead >= 2 and u_cancel < cancel_rate:
            status = CANCELLED
            cancel_day = day + 1 + elapsed + math.floor(u_when * remaining)
            if cancel_day < self.ctx.n_days:
                self.cancellations[cancel_day].append(len(table))
        elif u_late < rules.no_shows.late_cancel_rate:
            status = LATE_CANCEL
        elif u_noshow < self._no_show_probability(lead, reminded, when, line, vtype, patient,
                                                  video):
            status = NO_SHOW
        else:
            status = KEPT
        verified = self._front_office(day, when, lead, reminded, cancel_day,
                                      payer in self.ctx.self_pay_index, draws[R_CHECK])
        time, session_start = self.book.time_of(provider, when, position)
        self.by_day[when].append(len(table))
        table.append(Appointment(day, patient, payer, provider, line, vtype, when, position,
                                 time, session_start, reminded, status, cancel_day, verified,
                                 key, video))

    def _video(self, line: int, vtype: int, payer: int, u: float) -> bool:
        """Whether a request is booked as a video visit: with its visit type's
        ``telehealth.share`` (``u``: the request's uniform), if its payer pays for video visits
        (``telehealth_covered``)."""
        scenario = self.ctx.scenario
        video = scenario.service_lines[line].visit_types[vtype].telehealth
        return (video is not None and u < video.share
                and scenario.payers[payer].telehealth_covered)

    def _no_show_probability(self, lead: int, reminded: bool, when: int, line: int,
                             vtype: int, patient: int, video: bool = False) -> float:
        """P(no-show) of an appointment; a video visit's odds are the in-person odds times its
        visit type's ``telehealth.no_show_odds_ratio`` (if it has telehealth terms)."""
        if self.fitted is None:
            p = self.noshow.probability(lead, reminded)
        else:
            weekday = int(self.ctx.calendar.weekday[when]) if when < self.ctx.n_days else (
                (self.ctx.calendar.day0.weekday() + when) % 7)
            kept, missed = self.kept.get(patient, 0), self.missed.get(patient, 0)
            p = self.fitted.probability(lead, reminded, weekday, self._vtype_names[line][vtype],
                                        kept + missed, missed)
        terms = self.ctx.scenario.service_lines[line].visit_types[vtype].telehealth
        if not video or terms is None:  # a warm start's video visit of a type without terms
            return p
        return odds_scaled(p, terms.no_show_odds_ratio)

    def _remember(self, day: int) -> None:
        """Count the kept and missed appointments of ``day`` into their patients' history (a
        patient who left unseen as missed: an export lists her as a no-show, and a fitted model
        learned from such exports)."""
        for a in self.by_day[day]:
            appointment = self.table[a]
            if appointment.status == KEPT:
                self.kept[appointment.patient] = self.kept.get(appointment.patient, 0) + 1
            elif appointment.status in (NO_SHOW, LEFT_UNSEEN):
                self.missed[appointment.patient] = self.missed.get(appointment.patient, 0) + 1

    def _front_office(self, day: int, when: int, lead: int, reminded: bool,
                      cancel_day: int, self_pay: bool, drawn: float) -> bool:
        """Whether the appointment's coverage is verified 48 hours ahead (never for a self-pay
        patient), and the cost of that check and of its reminder, paid then (nothing for one
        cancelled before)."""
        office = self.ctx.scenario.front_office
        checked = lead >= 2 and not self_pay and drawn < office.eligibility_check_share
        due = when - 2 if when - 2 > day else day
        if 0 <= cancel_day <= due:
            return False
        cost = (office.eligibility_check_cost if checked else 0.0) + (
            office.reminder_cost if reminded else 0.0)
        if cost:
            self.ctx.finance.add(due, "front_office_costs", cents(cost))
        return checked

    def left_unseen(self, appointment: int) -> None:
        """The patient of a kept appointment left before being seen."""
        self.table[appointment] = self.table[appointment]._replace(status=LEFT_UNSEEN)

    def release_cancellations(self, day: int) -> None:
        """Slots of appointments cancelled today go back to the book."""
        for a in self.cancellations[day]:
            if a in self.unslotted:
                continue
            appt = self.table[a]
            slots = self._slots[appt.line][appt.visit_type]
            self.book.release(appt.provider, appt.day, appt.position, slots)
        self.cancellations[day] = []

    def frame(self, names: dict[str, list]) -> pd.DataFrame:
        """One row per appointment; appointments after the run's end are ``scheduled``;
        ``cancel_day``: when a cancellation with notice freed the slot (-1: none)."""
        t = columns_of(self.table, Appointment._fields, {
            "request_day": np.int64, "patient": np.int64, "payer": np.int64,
            "provider": np.int64, "line": np.int64, "visit_type": np.int64, "day": np.int64,
            "time": np.int64, "reminded": bool, "cancel_day": np.int64, "verified": bool,
            "telehealth": bool})
        return pd.DataFrame({
            "appointment": np.arange(len(self.table)),
            "request_day": t["request_day"],
            "day": t["day"],
            "time_minutes": t["time"],
            "lead_days": t["day"] - t["request_day"],
            "patient": t["patient"],
            "payer": pd.Categorical.from_codes(t["payer"], categories=names["payer"]),
            "provider": pd.Categorical.from_codes(t["provider"], categories=names["provider"]),
            "service_line": pd.Categorical.from_codes(t["line"], categories=names["line"]),
            "visit_type": visit_type_labels(names["visit_type"], t["line"], t["visit_type"]),
            "reminded": t["reminded"].astype(bool),
            "status": self._statuses(t["day"]),
            "cancel_day": t["cancel_day"],
            "verified": t["verified"].astype(bool),
            "telehealth": t["telehealth"].astype(bool),
        })

    def _statuses(self, day: np.ndarray) -> pd.Categorical:
        """Each appointment's status; ``scheduled`` for one after the run's end that was not
        cancelled with notice."""
        codes = np.fromiter(map(_STATUS_CODE.__getitem__, map(operator.attrgetter("status"),
                                                              self.table)),
                            dtype=np.int64, count=len(self.table))
        codes[(day >= self.ctx.n_days) & (codes != _STATUS_CODE[CANCELLED])] = len(STATUSES) - 1
        return pd.Categorical.from_codes(codes, categories=STATUSES)


_STATUS_CODE = {status: i for i, status in enumerate(STATUSES)}


def odds_scaled(p: float, odds_ratio: float) -> float:
    """The probability whose odds are ``p``'s times ``odds_ratio``:
    ``odds_ratio * p / (1 - p + odds_ratio * p)``.

    >>> round(odds_scaled(0.2, 0.5), 6)
    0.111111
    """
    return odds_ratio * p / (1.0 - p + odds_ratio * p)


def columns_of(rows: list[tuple], fields: tuple[str, ...],
               dtypes: dict[str, type]) -> dict[str, np.ndarray]:
    """The columns ``dtypes`` names of a list of named tuples with ``fields``, each converted
    to its dtype in one pass (float64 for a table with no rows, as ``np.array(())``)."""
    columns = zip(*rows, strict=True) if rows else [()] * len(fields)
    return {field: np.fromiter(values, dtype=dtypes[field] if rows else np.float64,
                               count=len(rows))
            for field, values in zip(fields, columns, strict=True) if field in dtypes}


def visit_type_labels(names: list[list[str]], line: np.ndarray,
                      visit_type: np.ndarray) -> pd.Categorical:
    """Visit type names from (service line, visit type) indices."""
    flat = [name for line_names in names for name in line_names]
    offsets = np.cumsum([0] + [len(line_names) for line_names in names])[:-1]
    index = offsets[line.astype(np.int64)] + visit_type.astype(np.int64)
    return labels(flat, index)
