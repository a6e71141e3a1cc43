"""Runs one practice (``practicesim.practice``) over a scenario's horizon and assembles its
tables: ``simulate(scenario, seed) -> Run``.

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
from practicesim.accrual import revenue_days
from practicesim.financing import run_line
from practicesim.opening import open_practice
from practicesim.practice import Practice
from practicesim.results import Run
from practicesim.scenario import Scenario
from practicesim.state import PracticeState


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
        practice = Practice(scenario, seed, replication)
        if state is not None:
            open_practice(practice, state)
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
    lines = ctx.accounts.lines_frame()
    held = _deposits_held(claims, ctx.n_days)
    ctx.accounts.claims = []
    appointments = practice.scheduler.frame(names)
    practice.scheduler.table = []
    visits = practice.clinic.frame(names)
    practice.clinic.visits = []
    sessions = _sessions_frame(practice, names)
    daily = _daily_frame(practice, ledger, claims, appointments, held)
    return Run(scenario=scenario, seed=seed, replication=replication, calendar=ctx.calendar,
               ledger=ledger, claims=claims, lines=lines, appointments=appointments,
               visits=visits, sessions=sessions, daily=daily)


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
        "documentation_minutes": [s.documentation for _, s in rows],
        "after_hours_minutes": [s.after_hours for _, s in rows],
    })


def _daily_frame(practice: Practice, ledger: pd.DataFrame, claims: pd.DataFrame,
                 appointments: pd.DataFrame, deposits_held: np.ndarray) -> pd.DataFrame:
    """One row per day: volumes, money flows (cents), A/R, cash, backlogs and the accrual
    view (``practicesim.accrual``); ``deposits_held``: desk deposits not yet applied at the end,
    by date of service."""
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
    df["patients_left_unseen"] = practice.clinic.left_unseen
    df["calls"] = practice.phones.calls
    df["calls_abandoned"] = practice.phones.abandoned
    df["call_hold_minutes"] = practice.phones.hold_minutes
    df["requests_lost_on_phone"] = practice.phones.lost
    df["missed_charges"] = practice.charges.missed_charges
    df["desk_cash_unposted_cents"] = practice.charges.unposted_desk_cents
    df["desk_deposits_held_cents"] = deposits_held
    signed = lg.signed_cents(ledger)
    by_kind = ledger.assign(cents=ledger["amount_cents"]).pivot_table(
        index="day", columns="kind", values="cents", aggfunc="sum", fill_value=0,
        observed=False).reindex(index=days, columns=list(lg.KINDS), fill_value=0)
    for kind in (lg.CHARGE, lg.PAYER_PAYMENT, lg.PATIENT_PAYMENT, lg.CONTRACTUAL,
                 lg.DENIAL_WRITEOFF, lg.BAD_DEBT, lg.TRANSFER):
        df[f"{kind}_cents"] = by_kind[kind].to_numpy().astype(np.int64)
    balance_change = pd.Series(signed).groupby(ledger["day"].to_numpy()).sum()
    df["ar_cents"] = np.cumsum(balance_change.reindex(days, fill_value=0).to_numpy())
    ctx.finance.close(practice.scenario.costs)
    finance = ctx.finance.frame()
    df = pd.concat([df, finance], axis=1)
    line = run_line((df["collections_cents"] - df["costs_cents"]).to_numpy(),
                    practice.opening_cash_cents, practice.scenario.line_of_credit, ctx.calendar)
    df["interest_cents"] = line.interest
    df["costs_cents"] += line.interest
    df["net_cash_flow_cents"] = df["collections_cents"] - df["costs_cents"]
    df["credit_drawn_cents"] = line.drawn
    df["credit_balance_cents"] = line.balance
    df["cash_cents"] = line.cash
    df["unbilled_revenue_cents"] = np.array(practice.charges.unbilled_cents, dtype=np.int64)
    revenue = revenue_days(ledger, claims, n, df["unbilled_revenue_cents"].to_numpy())
    df["revenue_earned_cents"] = revenue.earned
    df["revenue_deductions_cents"] = revenue.deductions
    df["accrued_costs_cents"] = (df["costs_cents"] - df["production_paid_cents"]
                                 + df["production_earned_cents"])
    df["net_income_cents"] = (df["revenue_earned_cents"] - df["revenue_deductions_cents"]
                              - df["accrued_costs_cents"])
    df["denial_backlog"] = practice.denial_backlog
    df["coding_backlog"] = practice.coding_backlog
    return df


def _deposits_held(claims: pd.DataFrame, n_days: int) -> np.ndarray:
    """Desk deposits still held at the end of the run (cents, by date of service): cash taken
    on claims whose remittance was not yet posted, neither applied nor refunded (``claims``:
    the run's claims table)."""
    deposit = claims["deposit_held_cents"].to_numpy()
    holding = deposit != 0
    closed = np.flatnonzero(holding & (claims["open_balance_cents"].to_numpy() == 0))
    if len(closed):
        raise AssertionError(f"claim {claims['claim'].iat[closed[0]]} was closed holding a desk "
                             f"deposit of {deposit[closed[0]]} cents (never applied or refunded)")
    held = np.zeros(n_days, dtype=np.int64)
    np.add.at(held, np.maximum(0, claims["service_day"].to_numpy()[holding]), deposit[holding])
    return held
