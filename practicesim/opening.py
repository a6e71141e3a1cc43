"""A warm start: a new practice given the open claims and booked appointments of a
``PracticeState`` on day 0, each put where it is in the cycle.

Open claims get ids -1, -2, ... (visits of the run count up from 0), no patient (-1), their
open balance posted as ``opening_balance`` on day 0, and their own uniform draws keyed by their
row (``Streams.keyed``, identity ``opening_claim`` and the row number). By stage:

- ``unbilled``: queued for coding on day 0 (self-pay: billed to the patient).
- ``coded``: to the scrubber and clearinghouse on day 0 (a credentialing hold applies as usual).
- ``at_payer``: the payer's decision comes after a lag drawn from the payer's distribution given
  that it exceeds the days already waited since ``submitted_date``, then as any claim.
- ``denied``: queued for rework on day 0 (appeal deadlines count from ``denied_date``; the
  timely-filing limit from the date of service).
- ``appeal``: decided after the appeal decision time given the days waited since
  ``denied_date`` (the filing date is not in the state).
- ``patient``: statements go on from ``statements_sent + 1``, the next one a statement cycle
  after ``last_statement_date`` (on day 1 when it is not given).
- ``agency``: placed with the agency again on day 1 (recovery time drawn afresh).

Booked appointments go in their slot; each gets a new patient of its payer and a fate drawn as
at booking, cancellations given that none happened before day 0.
"""

from __future__ import annotations

from array import array
from datetime import date
from typing import Any

import numpy as np

from practicesim.calendar import PracticeCalendar
from practicesim.clinic.appointments import REQUEST_DRAWS
from practicesim.clinic.scheduling import FREE
from practicesim.practice import Practice
from practicesim.revenue.claims import CLAIM_DRAWS, U_FIRST_LAG, U_FIRST_POSTING, Claim
from practicesim.scenario import Provider
from practicesim.state import APPOINTMENTS_FILE, CLAIMS_FILE, PracticeState, StateError
from practicesim.streams import identity


def open_practice(practice: Practice, state: PracticeState) -> None:
    """Put the state's open claims, booked appointments and cash into a practice built for
    day 0."""
    calendar = practice.ctx.calendar
    start = calendar.date(0)
    if state.as_of != start:
        raise StateError(f"{state.source}: the state is as of {state.as_of} but the run starts "
                         f"on {start}: set calendar.start to {state.as_of} and "
                         "calendar.warmup_days to 0")
    _open_claims(practice, state)
    _book_appointments(practice, state)
    if state.cash_cents is not None:
        practice.opening_cash_cents = state.cash_cents


def _names(items: list[Any]) -> dict[str, int]:
    return {item.name: i for i, item in enumerate(items)}


def _lookup(names: dict[str, int], value: str, file: str, row: int, column: str) -> int:
    if value not in names:
        raise StateError(f"{file}: row {row + 2}: column {column}: expected one of "
                         f"{sorted(names)}, got {value!r}")
    return names[value]


def _allowed_ratio(practice: Practice) -> float:
    """Medicare allowed over charge across the fee schedule (for claims that do not give
    their allowed amount)."""
    scenario = practice.ctx.scenario
    fees = scenario.fee_schedule.values()
    charged = sum(f.charge for f in fees)
    return sum(f.medicare_in(scenario.locality) for f in fees) / charged if charged else 1.0


def _open_claims(practice: Practice, state: PracticeState) -> None:
    ctx = practice.ctx
    file = f"{state.source}/{CLAIMS_FILE}"
    payers, providers = _names(ctx.scenario.payers), _names(ctx.seats)
    ratio = _allowed_ratio(practice)
    table = state.claims
    keys = [identity("opening_claim", k) for k in range(len(table))]
    draws = ctx.streams.keyed("claim", keys, CLAIM_DRAWS)
    for k, (row, u) in enumerate(zip(table.to_dict("records"), draws, strict=True)):
        payer = _lookup(payers, row["payer"], file, k, "payer")
        if payer in ctx.self_pay_index and row["stage"] in ("at_payer", "denied", "appeal",
                                                                  "secondary"):
            raise StateError(f"{file}: row {k + 2}: column stage: a self-pay claim cannot be "
                             f"{row['stage']!r} (no payer adjudicates it)")
        charge, balance = row["charge_cents"], row["balance_cents"]
        allowed = row["medicare_allowed_cents"]
        secondary = -1
        if row["secondary_payer"]:
            secondary = _lookup(payers, row["secondary_payer"], file, k, "secondary_payer")
            if secondary == payer or secondary in ctx.self_pay_index:
                raise StateError(f"{file}: row {k + 2}: column secondary_payer: expected "
                                 f"another insured payer than {row['payer']!r}, got "
                                 f"{row['secondary_payer']!r}")
        claim = Claim(
            id=-(k + 1), patient=-1, payer=payer,
            provider=_lookup(providers, row["provider"], file, k, "provider"), visit=-1,
            service_day=ctx.calendar.day(row["service_date"]), charge_cents=charge,
            medicare_allowed_cents=allowed if allowed >= 0 else round(charge * ratio),
            copay_collected_cents=charge - balance, denials=row["denials"],
            u=array("d", u.tobytes()), key=keys[k], secondary=secondary,
            deposit_cents=row["deposit_cents"], telehealth=row["telehealth"],
        )
        ctx.accounts.open_balance(claim, 0, balance)
        _resume(practice, claim, row, u)


def _day(practice: Practice, when: date | None) -> int:
    return practice.ctx.calendar.day(when) if when is not None else 0


def _resume(practice: Practice, claim: Claim, row: dict[str, Any], u: np.ndarray) -> None:
    """Hand an opening claim to the part of the practice that holds its stage."""
    stage = row["stage"]
    if stage in ("unbilled", "coded"):
        claim.first_lag = practice.payers.lags[claim.payer].quantile(u[U_FIRST_LAG])
        claim.first_posting_lag = practice.payers.posting_lag.quantile(u[U_FIRST_POSTING])
        if claim.payer in practice.ctx.self_pay_index:
            practice.patients.self_pay(0, claim)
        elif stage == "coded":
            practice.submission.prepare(0, claim)
        else:
            practice.coding.receive(0, claim)
        return
    if stage in ("patient", "agency"):
        claim.patient_balance = claim.balance
        claim.submissions = int(claim.payer not in practice.ctx.self_pay_index)
        if stage == "agency":
            practice.patients.bill(0, claim, already_sent=1 << 30)
            return
        last = row["last_statement_date"]
        cycle = practice.ctx.scenario.patient_collections.statement_cycle_days
        following = None if last is None else max(0, _day(practice, last) + cycle)
        practice.patients.bill(0, claim, already_sent=row["statements_sent"],
                               next_statement_day=following)
        return
    if stage == "secondary":
        # the open balance is taken as coinsurance; what the primary paid, when the file does
        # not say, as its allowed amount less the balance
        allowed = practice.ctx.allowed(claim).allowed
        paid = row["primary_paid_cents"]
        claim.prior_paid_cents = paid if paid >= 0 else max(0, allowed - claim.balance)
        claim.secondary_parts = (0, 0, claim.balance)
        claim.submissions = 1
        practice.payers.send_to_secondary(0, claim, sent=True)
        return
    claim.patient_balance = row["patient_balance_cents"]
    if stage == "at_payer":
        claim.submissions = claim.denials + 1
        claim.first_submission_day = claim.first_attempt_day = _day(practice,
                                                                   row["submitted_date"])
        practice.payers.resume(0, claim, claim.first_submission_day, u[U_FIRST_LAG],
                               u[U_FIRST_POSTING])
        return
    denied = _day(practice, row["denied_date"])
    claim.denials = max(1, claim.denials)
    claim.submissions = claim.denials
    claim.first_submission_day = claim.first_adjudication_day = denied
    claim.initial_denial_reason = row["denial_reason"]
    if stage == "denied":
        practice.denials.receive(0, claim, row["denial_reason"], denied_day=denied)
    else:
        practice.denials.resume_appeal(0, claim, denied)


def _visit_types(practice: Practice) -> dict[str, tuple[int, int] | None]:
    """Visit type name (and ``line/name``) -> (line, type); None where a bare name is shared
    by two service lines."""
    out: dict[str, tuple[int, int] | None] = {}
    for i, line in enumerate(practice.ctx.scenario.service_lines):
        for j, vt in enumerate(line.visit_types):
            out[f"{line.name}/{vt.name}"] = (i, j)
            out[vt.name] = None if vt.name in out else (i, j)
    return out


def _book_appointments(practice: Practice, state: PracticeState) -> None:
    ctx = practice.ctx
    file = f"{state.source}/{APPOINTMENTS_FILE}"
    table = state.appointments
    payers, providers = _names(ctx.scenario.payers), _names(ctx.seats)
    types = _visit_types(practice)
    keys = [identity("opening_appointment", k) for k in range(len(table))]
    all_draws = ctx.streams.keyed("request", keys, REQUEST_DRAWS).tolist()
    coverage = ctx.streams.keyed("coverage", keys, 1)[:, 0].tolist()
    book = practice.book
    for k, (row, draws) in enumerate(zip(table.to_dict("records"), all_draws, strict=True)):
        kind = types.get(row["visit_type"])
        if kind is None:
            raise StateError(f"{file}: row {k + 2}: column visit_type: expected one of "
                             f"{sorted(n for n, t in types.items() if t)}, "
                             f"got {row['visit_type']!r}")
        line, vtype = kind
        payer = _lookup(payers, row["payer"], file, k, "payer")
        provider = _lookup(providers, row["provider"], file, k, "provider")
        when = ctx.calendar.day(row["date"])
        if _left_by(ctx.seats[provider], when, ctx.calendar):
            continue  # her holder leaves before it in this run's draws (provider turnover)
        position = _slot(book, provider, when, row["time"], file, k)
        patient = practice.panel.add_with(payer, coverage[k], keys[k], owner=provider)
        practice.scheduler.book_existing(ctx.calendar.day(row["booked_on"]), line, vtype,
                                         patient, payer, provider, when, position, keys[k],
                                         draws, row["telehealth"])


def _left_by(seat: Provider, day: int, calendar: PracticeCalendar) -> bool:
    """The seat's holder has left on or before simulation ``day`` (``end_date``, provider
    turnover)."""
    return seat.end_date is not None and calendar.day(seat.end_date) <= day


def _slot(book: Any, provider: int, day: int, time: str, file: str, row: int) -> int:
    """The template position of ``time`` on the provider's ``day`` (a free one if any)."""
    if day >= book.n_days:
        raise StateError(f"{file}: row {row + 2}: column date: beyond the run and its booking "
                         f"horizon ({book.n_days} days from the start)")
    template = book.templates[day][provider]
    hours, minutes = map(int, time.split(":"))
    minute = hours * 60 + minutes
    positions = [] if template is None else [
        p for p, t in enumerate(template.times) if t == minute]
    if not positions:
        slots = [] if template is None else sorted({t for t in template.times if t >= 0})
        shown = ", ".join(f"{t // 60:02d}:{t % 60:02d}" for t in slots[:6])
        raise StateError(f"{file}: row {row + 2}: column time: expected a slot of the "
                         f"provider's template that day ({shown or 'no sessions'}"
                         f"{', ...' if len(slots) > 6 else ''}), got {time}")
    free = book.free[day][provider]
    return next((p for p in positions if free[p] == FREE), positions[0])
