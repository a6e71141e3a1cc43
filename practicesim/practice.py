"""One practice built from a scenario: every part of the pipeline wired in order, and the day
step that moves them (``Practice.day``). ``practicesim.engine`` runs it; ``practicesim.opening``
puts a practice state into it before the first day."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import simpy

from practicesim.calendar import PracticeCalendar
from practicesim.clinic.appointments import Scheduler
from practicesim.clinic.clinic_day import Clinic
from practicesim.clinic.demand import DemandModel, PatientPanel
from practicesim.clinic.scheduling import AppointmentBook
from practicesim.deductibles import Deductibles
from practicesim.enrollment import Coverage
from practicesim.finance import Finance, cents
from practicesim.revenue.charges import ChargeCapture, CodingQueue
from practicesim.revenue.claims import Accounts, Claim
from practicesim.revenue.context import RevenueContext
from practicesim.revenue.denials import DenialQueue
from practicesim.revenue.lines import LineDenials
from practicesim.revenue.patients import PatientCollections
from practicesim.revenue.payers import Adjudication
from practicesim.revenue.submission import Submission
from practicesim.revenue.vendor import Vendor
from practicesim.revenue.work import WorkQueues
from practicesim.scenario import Provider, Scenario
from practicesim.streams import Streams
from practicesim.workforce import Workforce


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
        holder = seat.model_copy(update={"name": f"{seat.name}_r{k}", "start_date": starts,
                                         "credentialing": {}})
    return tenures


def opening_weights(book: AppointmentBook, seats: list[Provider],
                    calendar: PracticeCalendar) -> list[float]:
    """Per provider: her slots in the first four weeks (0 for one who joins after the first
    day), by which the opening panel is split among the providers (``Scheduling.continuity``)."""
    days = range(min(28, book.n_days))
    return [float(sum(book.n_free[d][p] for d in days))
            if seat.start_date is None or calendar.day(seat.start_date) <= 0 else 0.0
            for p, seat in enumerate(seats)]


class Practice:
    """All the parts of one running practice, wired in pipeline order."""

    def __init__(self, scenario: Scenario, seed: int, replication: int) -> None:
        self.scenario = scenario
        calendar = PracticeCalendar(scenario)
        epochs = [(max(0, calendar.day(when)), s) for when, s in scenario.epochs()[1:]]
        first = scenario.model_copy(update={"changes": []})
        for start, changed in epochs:
            if start == 0:
                first = changed
        self.changes = {start: changed for start, changed in epochs if start > 0}
        streams = Streams(seed, replication)
        seats = provider_seats(first, streams)
        workforce = Workforce([(0, first), *sorted(self.changes.items())], calendar, streams)
        self.ctx = ctx = RevenueContext(
            scenario=first, calendar=calendar, streams=streams,
            accounts=Accounts([p.name for p in first.payers]),
            finance=Finance(calendar, seats, workforce), workforce=workforce,
            coverage=Coverage(first, seats, calendar, streams),
            seats=seats,
            self_pay_index=frozenset(i for i, p in enumerate(first.payers)
                                     if p.kind == "self_pay"),
            vendor=Vendor(first, calendar), deductibles=Deductibles(calendar),
        )
        ctx.finance.book_one_time(first)
        if first.outsourcing.start is not None:
            ctx.finance.add(calendar.day(first.outsourcing.start), "vendor_fees",
                            cents(first.outsourcing.setup_fee))
        rules = first.scheduling
        self.book = AppointmentBook(seats, calendar, rules.overbook_per_session,
                                    rules.booking_horizon_days, rules.overbook_no_show_rate)
        self.panel = PatientPanel(first, rules.panel_size, streams.get("panel"), streams,
                                  opening_weights(self.book, seats, calendar))
        self.demand = DemandModel(ctx, self.panel)
        self.scheduler = Scheduler(ctx, self.book, self.panel)
        self.work = WorkQueues(ctx)
        self.patients = PatientCollections(ctx, self.work)
        self.submission = Submission(ctx, self.work, self._to_payer)
        self.lines = LineDenials(ctx, self.work, self.patients.bill)
        self.payers = Adjudication(ctx, self.work, self.lines, self._to_denials,
                                   self.patients.bill, self.submission.resend)
        self.denials = DenialQueue(ctx, self.work, self.submission.resubmit, self.payers.post,
                                   self.patients.bill)
        self.coding = CodingQueue(ctx, self.submission.prepare)
        self.charges = ChargeCapture(ctx, self.coding.receive, self.patients.self_pay)
        self.clinic = Clinic(ctx, self.book, self.scheduler, self.demand, self.panel,
                             ctx.deductibles, self.charges.capture)
        n = calendar.n_days
        self.denial_backlog = np.zeros(n, dtype=np.int64)
        self.coding_backlog = np.zeros(n, dtype=np.int64)
        self.opening_cash_cents = cents(first.starting_cash)
        """Cash on day 0 (a warm start replaces it with the state's cash)."""

    def _to_payer(self, day: int, claim: Claim) -> None:
        self.payers.receive(day, claim)

    def _to_denials(self, day: int, claim: Claim, reason: str) -> None:
        self.denials.receive(day, claim, reason)

    def day(self, day: int) -> None:
        """Everything that happens on simulation day ``day``, in pipeline order."""
        ctx = self.ctx
        if day in self.changes:
            ctx.scenario = self.changes[day]
        self.scheduler.release_cancellations(day)
        self.scheduler.book_requests(day, self.demand.requests(day))
        self.clinic.on_day(day)
        self.charges.on_day(day)
        self.coding.on_day(day)
        self.submission.on_day(day)
        self.payers.on_day(day)
        self.lines.on_day(day)
        self.denials.on_day(day)
        self.work.on_day(day)
        self.patients.on_day(day)
        ctx.finance.on_day(day, ctx.scenario)
        self.denial_backlog[day] = self.denials.backlog
        self.coding_backlog[day] = len(self.coding)

    def process(self, env: simpy.Environment,
                progress: Callable[[int], None] | None) -> simpy.events.ProcessGenerator:
        for day in range(self.ctx.n_days):
            self.day(day)
            if progress is not None:
                progress(day)
            yield env.timeout(1)
