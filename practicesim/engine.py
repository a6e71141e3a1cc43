"""Builds one practice from a scenario and runs it: ``simulate(scenario, seed) -> Run``.

One SimPy environment whose clock is in days. A single process, the practice's day, moves the
pipeline one day at a time in a fixed order (dated changes, cancellations, booking, the clinic
day, charge entry, coding, submission, adjudication, denial rework, patient collections,
costs), which makes same-day ordering explicit and runs bit-for-bit reproducibly. Within a day,
clinic times are continuous (minutes); the flow is computed exactly by ``clinic.flow``. Waiting
that involves no resource (payer lags, statement cycles, agency) is drawn in batches when it
starts and posted on the day it ends: no process sits waiting for it.
"""

from __future__ import annotations

import contextlib
import gc
from array import array
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import simpy

from practicesim import ledger as lg
from practicesim.calendar import PracticeCalendar
from practicesim.clinic.appointments import Scheduler
from practicesim.clinic.clinic_day import Clinic
from practicesim.clinic.demand import DemandModel, PatientPanel
from practicesim.clinic.scheduling import AppointmentBook
from practicesim.context import Context
from practicesim.finance import Finance, cents
from practicesim.opening import open_practice, opening_cash_cents
from practicesim.results import Run
from practicesim.revenue.charges import ChargeCapture, CodingQueue
from practicesim.revenue.claims import Accounts, Claim
from practicesim.revenue.credentialing import Coverage
from practicesim.revenue.denials import DenialQueue
from practicesim.revenue.patients import PatientCollections
from practicesim.revenue.payers import Adjudication
from practicesim.revenue.submission import Submission
from practicesim.revenue.vendor import Vendor
from practicesim.scenario import Provider, Scenario
from practicesim.state import PracticeState
from practicesim.streams import Streams
from practicesim.workforce import Workforce


def provider_seats(scenario: Scenario) -> list[Provider]:
    """Providers with ``count: n`` expanded to n seats named ``name_1 .. name_n``."""
    seats = []
    for provider in scenario.providers:
        if provider.count == 1:
            seats.append(provider)
            continue
        seats.extend(provider.model_copy(update={"name": f"{provider.name}_{i + 1}", "count": 1})
                     for i in range(provider.count))
    return seats


class Practice:
    """All the parts of one running practice, wired in pipeline order."""

    def __init__(self, scenario: Scenario, seed: int, replication: int,
                 state: PracticeState | None = None) -> None:
        self.scenario = scenario
        calendar = PracticeCalendar(scenario)
        epochs = [(max(0, calendar.day(when)), s) for when, s in scenario.epochs()[1:]]
        first = scenario.model_copy(update={"changes": []})
        for start, changed in epochs:
            if start == 0:
                first = changed
        self.changes = {start: changed for start, changed in epochs if start > 0}
        seats = provider_seats(first)
        streams = Streams(seed, replication)
        workforce = Workforce([(0, first), *sorted(self.changes.items())], calendar, streams)
        self.ctx = ctx = Context(
            scenario=first, calendar=calendar, streams=streams,
            accounts=Accounts([p.name for p in first.payers]),
            finance=Finance(calendar, seats, workforce), workforce=workforce,
            coverage=Coverage(first, seats, calendar, streams),
            seats=seats,
            self_pay_index=frozenset(i for i, p in enumerate(first.payers)
                                     if p.kind == "self_pay"),
            vendor=Vendor(first, calendar),
        )
        ctx.finance.book_one_time(first)
        if first.outsourcing.start is not None:
            ctx.finance.add(calendar.day(first.outsourcing.start), "vendor_fees",
                            cents(first.outsourcing.setup_fee))
        rules = first.scheduling
        self.book = AppointmentBook(seats, calendar, rules.overbook_per_session,
                                    rules.booking_horizon_days, rules.overbook_no_show_rate)
        self.panel = PatientPanel(first, rules.panel_size, streams.get("panel"))
        self.demand = DemandModel(ctx, self.panel)
        self.scheduler = Scheduler(ctx, self.book)
        self.patients = PatientCollections(ctx)
        self.submission = Submission(ctx, self._to_payer)
        self.payers = Adjudication(ctx, self._to_denials, self.patients.bill)
        self.denials = DenialQueue(ctx, self.submission.resubmit, self.payers.pay)
        self.coding = CodingQueue(ctx, self.submission.prepare)
        self.charges = ChargeCapture(ctx, self.coding.receive, self.patients.self_pay)
        self.clinic = Clinic(ctx, self.book, self.scheduler, self.demand, self.panel,
                             self.charges.capture)
        n = calendar.n_days
        self.denial_backlog = np.zeros(n, dtype=np.int64)
        self.coding_backlog = np.zeros(n, dtype=np.int64)
        self.opening_cash_cents = opening_cash_cents(state, first.starting_cash)
        if state is not None:
            open_practice(self, state)

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
        self.denials.on_day(day)
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


def simulate(scenario: Scenario, seed: int = 0, replication: int = 0,
             progress: Callable[[int], None] | None = None,
             state: PracticeState | None = None) -> Run:
    """Run the scenario's whole horizon (warm-up included) and return its tables.

    ``seed`` and ``replication`` fix every random stream: the same pair gives the same run,
    bit for bit. ``progress(day)`` is called after each simulated day. ``state``: start from
    an existing practice's open claims and booked appointments (``practicesim.state``) instead
    of an empty one; the scenario must start on the state's ``as_of`` date.

    >>> run = simulate(load_scenario("scenarios/baseline.yaml"), seed=1)  # doctest: +SKIP
    >>> run.kpis()["days_in_ar"]  # doctest: +SKIP
    """
    with _cyclic_gc_paused():
        practice = Practice(scenario, seed, replication, state)
        env = simpy.Environment()
        env.process(practice.process(env, progress))
        env.run()
        return _collect(practice, seed, replication)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A run builds hundreds of thousands of long-lived objects (claims, ledger rows) and makes
    no reference cycles worth collecting mid-run; Python's cyclic collector would walk them over
    and over (about a fifth of the run time). Reference counting still frees memory as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _collect(practice: Practice, seed: int, replication: int) -> Run:
    """The run's tables. Each table's Python-object source is dropped once its DataFrame is
    built, which keeps the peak memory of long horizons down (the practice is spent)."""
    ctx = practice.ctx
    scenario = practice.scenario
    names = {
        "payer": [p.name for p in scenario.payers],
        "provider": [s.name for s in ctx.seats],
        "visit_type": [[v.name for v in line.visit_types] for line in scenario.service_lines],
        "line": [line.name for line in scenario.service_lines],
    }
    ledger = ctx.accounts.book.frame()
    ctx.accounts.book.rows = array("q")
    ledger.insert(1, "date", ctx.calendar.dates(ledger["day"]).to_numpy())
    claims = ctx.accounts.claims_frame(names["provider"])
    ctx.accounts.claims = []
    appointments = practice.scheduler.frame(names)
    practice.scheduler.table = []
    visits = practice.clinic.frame(names)
    practice.clinic.visits = []
    sessions = _sessions_frame(practice, names)
    daily = _daily_frame(practice, ledger, appointments)
    return Run(scenario=scenario, seed=seed, replication=replication, calendar=ctx.calendar,
               ledger=ledger, claims=claims, appointments=appointments, visits=visits,
               sessions=sessions, daily=daily)


def _sessions_frame(practice: Practice, names: dict[str, list]) -> pd.DataFrame:
    rows = practice.clinic.sessions
    return pd.DataFrame({
        "day": [d for d, _ in rows],
        "provider": pd.Categorical([names["provider"][s.provider] for _, s in rows]),
        "start_minutes": [s.start for _, s in rows],
        "end_minutes": [s.end for _, s in rows],
        "patients": [s.patients for _, s in rows],
        "busy_minutes": [s.busy for _, s in rows],
        "idle_minutes": [s.idle for _, s in rows],
        "overtime_minutes": [s.overtime for _, s in rows],
    })


def _daily_frame(practice: Practice, ledger: pd.DataFrame,
                 appointments: pd.DataFrame) -> pd.DataFrame:
    """One row per day: volumes, money flows (cents), A/R, cash and backlogs."""
    ctx = practice.ctx
    n = ctx.n_days
    days = np.arange(n)
    df = pd.DataFrame({"day": days, "date": ctx.calendar.dates(days).to_numpy()})
    df["reporting"] = days >= ctx.calendar.warmup
    df["clinic_day"] = ctx.calendar.is_clinic_day
    df["requests"] = practice.scheduler.requested
    df["requests_lost"] = practice.scheduler.lost
    df["requests_refused_authorization"] = practice.scheduler.refused
    due = appointments[appointments["day"] < n]
    for status in ("completed", "no_show", "late_cancel"):
        df[f"appointments_{status}"] = np.bincount(
            due.loc[due["status"] == status, "day"], minlength=n)[:n]
    df["visits_completed"] = practice.clinic.completed
    df["walk_ins_turned_away"] = practice.clinic.turned_away
    df["missed_charges"] = practice.charges.missed_charges
    df["desk_cash_unposted_cents"] = practice.charges.unposted_desk_cents
    signed = lg.signed_cents(ledger)
    by_kind = ledger.assign(cents=ledger["amount_cents"]).pivot_table(
        index="day", columns="kind", values="cents", aggfunc="sum", fill_value=0,
        observed=False).reindex(index=days, columns=list(lg.KINDS), fill_value=0)
    for kind in (lg.CHARGE, lg.PAYER_PAYMENT, lg.PATIENT_PAYMENT, lg.CONTRACTUAL,
                 lg.DENIAL_WRITEOFF, lg.BAD_DEBT, lg.TRANSFER):
        df[f"{kind}_cents"] = by_kind[kind].to_numpy().astype(np.int64)
    balance_change = pd.Series(signed).groupby(ledger["day"].to_numpy()).sum()
    df["ar_cents"] = np.cumsum(balance_change.reindex(days, fill_value=0).to_numpy())
    finance = ctx.finance.frame()
    df = pd.concat([df, finance], axis=1)
    df["net_cash_flow_cents"] = df["collections_cents"] - df["costs_cents"]
    df["cash_cents"] = practice.opening_cash_cents + np.cumsum(
        df["net_cash_flow_cents"].to_numpy())
    df["denial_backlog"] = practice.denial_backlog
    df["coding_backlog"] = practice.coding_backlog
    return df
