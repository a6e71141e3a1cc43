"""One practice built from a scenario: every part of the pipeline wired in order, and the day
step that moves them (``Practice.day``). ``practicesim.engine`` runs it; ``practicesim.opening``
puts a practice state into it before the first day."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import simpy

from practicesim.calendar import PracticeCalendar
from practicesim.clinic.appointments import Scheduler
from practicesim.clinic.clinic_day import Clinic
from practicesim.clinic.demand import DemandModel, PatientPanel
from practicesim.clinic.phones import PhoneLines
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
from practicesim.seats import provider_seats
from practicesim.streams import Streams
from practicesim.workforce import Workforce


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
        self.phones = PhoneLines(ctx)
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
        requests = self.demand.requests(day)
        lost_on_phone = self.phones.on_day(day, requests.key, self.scheduler.kept_on(day))
        self.scheduler.book_requests(day, requests, lost_on_phone)
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
