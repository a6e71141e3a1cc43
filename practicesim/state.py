"""The state of a practice on a date: its open A/R book and its booked appointment calendar.

A projection should start from "today", not from an empty practice. ``PracticeState`` holds what
is open on the morning of ``as_of``: the claims with an open balance (where each one is in the
cycle and how old it is) and the appointments already booked, plus the cash on hand.
``simulate(scenario, state=...)`` starts from it (the scenario's ``calendar.start`` must be
``as_of``; set ``warmup_days: 0``). A state comes from a previous run (``state_from_run``:
what was open when it ended) or from a practice's own data (``read_state`` on a folder of CSV
files, the same files ``PracticeState.write`` produces).

Files in a state folder:

- ``state.json``: ``{"as_of": "YYYY-MM-DD", "cash": dollars (may be negative) or null}``.
- ``open_claims.csv``: one row per open claim. Columns: ``claim`` (the practice's claim number,
  kept only to name rows in errors), ``payer``, ``provider`` (names in the scenario),
  ``service_date``, ``stage`` (one of ``STAGES``), ``charge`` and ``balance`` (dollars, the
  gross charge and what is still open, 0 < balance <= charge); by stage: ``submitted_date``
  (``at_payer``: the last submission), ``denied_date`` and ``denial_reason`` (``denied``,
  ``appeal``: the last denial and its CARC); optional: ``patient_balance`` (dollars; for
  ``patient`` and ``agency`` it is the whole balance), ``statements_sent`` and
  ``last_statement_date`` (``patient``: the next statement follows one cycle after the last,
  or on the first day when it is not given), ``denials`` (times denied so far),
  ``medicare_allowed`` (dollars; default: the charge times the fee schedule's average ratio
  of Medicare allowed to charge), ``secondary_payer`` (the patient's secondary payer, a name in
  the scenario; required for stage ``secondary``, the payer it awaits; empty: none),
  ``primary_paid`` (dollars, stage ``secondary``: what the primary paid; default: the
  primary's allowed amount less the balance), ``deposit`` (dollars: the desk's deposit taken
  at the visit and not yet applied to the claim, cash the practice already holds; default 0),
  ``telehealth`` (true for a video visit, priced at its payer's ``telehealth_pct``; default
  false).
- ``booked_appointments.csv``: one row per appointment on the book: ``provider``, ``date``,
  ``time`` (HH:MM, a slot of the provider's template), ``visit_type`` (a name, or
  ``service_line/visit_type``), ``payer`` and ``booked_on`` (date, on or before ``as_of``);
  optional ``telehealth`` (true: booked as a video visit; empty or absent: drawn as for a new
  request, with the visit type's ``telehealth.share``).

Providers are named by their seats (``name_k`` for a group of ``count`` k): a run's end state
writes a successor of provider turnover (``<seat>_r<k>``) as the seat she holds. A run started
from a state draws its own turnover from its first day: an appointment with a provider who, in
its draws, has left by the appointment's date is not kept (the patient asks again through the
practice's demand; ``practicesim.opening``).

Claim numbers and any patient columns are never carried into a run: opening claims get ids
-1, -2, ... and no patient (-1); booked appointments get new pseudonymous patients.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from practicesim import ledger as lg
from practicesim.files import write_atomically
from practicesim.revenue import claims as cl
from practicesim.seats import provider_seats, seat_of

STAGES = ("unbilled", "coded", "at_payer", "denied", "appeal", "secondary", "patient", "agency")
"""Where an open claim is: not yet coded; coded and not yet submitted (scrubber, clearinghouse
or a credentialing hold next); submitted and awaiting the payer; denied and waiting for rework;
appealed and awaiting the decision; paid by the primary (``payer``), its patient
responsibility awaiting the secondary payer (``secondary_payer``); owed by the patient
(statements); placed with the collection agency."""

_FROM_RUN_STAGE = {
    cl.CODING: "unbilled", cl.SUBMISSION: "coded", cl.HELD: "coded",
    cl.AT_PAYER: "at_payer", cl.DENIED: "denied", cl.APPEAL: "appeal",
    cl.AT_SECONDARY: "secondary", cl.PATIENT: "patient", cl.AGENCY: "agency",
}

CLAIMS_FILE, APPOINTMENTS_FILE, META_FILE = ("open_claims.csv", "booked_appointments.csv",
                                             "state.json")
STATE_FILES = frozenset({CLAIMS_FILE, APPOINTMENTS_FILE, META_FILE})
"""The files of a state folder (the only ones ``PracticeState.write`` may replace)."""
CLAIM_COLUMNS = ("claim", "payer", "provider", "service_date", "stage", "charge", "balance",
                 "submitted_date", "denied_date", "denial_reason", "patient_balance",
                 "statements_sent", "last_statement_date", "denials", "medicare_allowed",
                 "secondary_payer", "primary_paid", "deposit", "telehealth")
REQUIRED_CLAIM_COLUMNS = ("claim", "payer", "provider", "service_date", "stage", "charge",
                          "balance")
REQUIRED_APPOINTMENT_COLUMNS = ("provider", "date", "time", "visit_type", "payer", "booked_on")
APPOINTMENT_COLUMNS = (*REQUIRED_APPOINTMENT_COLUMNS, "telehealth")


class StateError(ValueError):
    """A state file or table that cannot be used, with the file, row and column at fault."""


@dataclass(frozen=True)
class PracticeState:
    """Open claims and booked appointments on the morning of ``as_of``; ``cash_cents`` the cash
    on hand then (None: the scenario's ``starting_cash``).

    ``claims``: one row per open claim, amounts in integer cents (``charge_cents``,
    ``balance_cents``, ``patient_balance_cents``, ``medicare_allowed_cents``, -1 = unknown),
    dates as ``datetime.date`` (None where not applicable). ``appointments``: one row per
    booked appointment. Build it with ``read_state``, ``state_from_run`` or ``from_tables``.
    """

    as_of: date
    claims: pd.DataFrame = field(repr=False)
    appointments: pd.DataFrame = field(repr=False)
    cash_cents: int | None = None
    source: str = "state"

    @classmethod
    def from_tables(cls, as_of: date, claims: pd.DataFrame | None = None,
                    appointments: pd.DataFrame | None = None, cash: float | None = None,
                    source: str = "state") -> PracticeState:
        """A state from tables in the file schema (amounts in dollars), checked row by row."""
        claims_file, appointments_file = f"{source}/{CLAIMS_FILE}", f"{source}/{APPOINTMENTS_FILE}"
        return cls(
            as_of=as_of,
            claims=_claims(claims if claims is not None else _empty(CLAIM_COLUMNS), as_of,
                           claims_file),
            appointments=_appointments(
                appointments if appointments is not None else _empty(APPOINTMENT_COLUMNS),
                as_of, appointments_file),
            cash_cents=None if cash is None else _cents_of(cash, f"{source}/{META_FILE}",
                                                           None, "cash", signed=True),
            source=source,
        )

    @property
    def ar_cents(self) -> int:
        """Total open balance of the opening claims (cents)."""
        return int(self.claims["balance_cents"].sum())

    @cached_property
    def hash(self) -> str:
        """A short digest of the state's content (for checkpoints and run metadata)."""
        digest = hashlib.sha256(str(self.as_of).encode())
        digest.update(str(self.cash_cents).encode())
        for table in (self.claims, self.appointments):
            digest.update(pd.util.hash_pandas_object(table.astype(str), index=False)
                          .to_numpy().tobytes())
        return digest.hexdigest()[:16]

    def starting(self, scenario: Any) -> Any:
        """The scenario moved to start on ``as_of`` with no warm-up (the state is the warm
        practice), ready for ``simulate(..., state=self)``."""
        return scenario.with_changes({"calendar.start": self.as_of, "calendar.warmup_days": 0})

    def write(self, folder: str | Path) -> Path:
        """Write ``state.json``, ``open_claims.csv`` and ``booked_appointments.csv`` to
        ``folder`` atomically (amounts in dollars, exact to the cent)."""

        return write_atomically(Path(folder), self.write_files, STATE_FILES)

    def write_files(self, folder: Path) -> None:
        """Write the state's three files into an existing ``folder`` (see ``write``)."""
        meta = {"as_of": self.as_of.isoformat(),
                "cash": None if self.cash_cents is None else self.cash_cents / 100}
        (folder / META_FILE).write_text(json.dumps(meta, indent=2))
        claims = self.claims.copy()
        for column in ("charge", "balance", "patient_balance", "medicare_allowed", "primary_paid",
                       "deposit"):
            cents = claims.pop(f"{column}_cents")
            claims[column] = [_dollars(c) if c >= 0 else "" for c in cents]
        claims[list(CLAIM_COLUMNS)].to_csv(folder / CLAIMS_FILE, index=False)
        self.appointments[list(APPOINTMENT_COLUMNS)].to_csv(folder / APPOINTMENTS_FILE,
                                                            index=False)


def read_state(folder: str | Path) -> PracticeState:
    """Read a state folder (``state.json``, ``open_claims.csv``, ``booked_appointments.csv``;
    either CSV may be absent). Errors name the file, row and column."""
    folder = Path(folder)
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise StateError(f"{meta_path}: missing (a state folder needs state.json with as_of)")
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise StateError(f"{meta_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or "as_of" not in meta:
        raise StateError(f"{meta_path}: expected an object with key as_of, got {meta!r}")
    unknown = set(meta) - {"as_of", "cash"}
    if unknown:
        raise StateError(f"{meta_path}: unknown keys {sorted(unknown)}; expected as_of, cash")
    as_of = _date_of(meta["as_of"], str(meta_path), None, "as_of")

    def table(name: str, columns: tuple[str, ...]) -> pd.DataFrame | None:
        path = folder / name
        if not path.is_file():
            return None
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False,
                                skip_blank_lines=False)
        except pd.errors.EmptyDataError:
            raise StateError(f"{path}: empty (expected a header line with the columns "
                             f"{list(columns)})") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise StateError(f"{path}: cannot be read as CSV ({exc})") from None
        blank = (table == "").all(axis=1)
        return table[~blank]

    return PracticeState.from_tables(as_of, table(CLAIMS_FILE, CLAIM_COLUMNS),
                                     table(APPOINTMENTS_FILE, APPOINTMENT_COLUMNS),
                                     meta.get("cash"), source=str(folder))


def state_from_run(run: Any) -> PracticeState:
    """What a finished run leaves open on the morning after its last day: its open claims (with
    their stage, submission and denial dates from the ledger) and the appointments booked
    after its end, and its ending cash. A run continued from this state picks up where the
    first one stopped.

    Appointments still on the book include those whose cancellation, drawn in the first run,
    falls after its end (the new run draws their fate again, given no cancellation so far).
    Not carried over: visits whose charge was not yet entered. A claim whose only open part
    is a line its payer denied (``revenue/lines.py``; with an open underpayment, if any) goes
    on as a claim of that charge at the line's stage (denied, appealed, or corrected and at the
    payer), priced as a claim (its allowed amount from the fee schedule's average ratio, and a
    copay may be taken on it); one whose patient still owes part of it goes on as a patient
    balance of the whole open balance, the line included, as an open underpayment does.
    """
    cal = run.calendar
    n = cal.n_days
    as_of = cal.date(n)
    claims = run.claims[run.claims["open_balance_cents"] > 0]
    ledger = run.ledger[run.ledger["claim"].isin(claims["claim"])]
    # a line denied on a paid claim and still being worked is the claim's denial here (its
    # open balance is the line's, when the patient owes nothing)
    kinds = ledger["kind"].astype(str).replace({lg.LINE_DENIAL: lg.DENIAL})
    last = {kind: ledger[kinds == kind].groupby("claim")["day"].max()
            for kind in (lg.SUBMISSION, lg.DENIAL, lg.TRANSFER)}
    denials = ledger[kinds == lg.DENIAL].drop_duplicates("claim", keep="last")
    reason = denials.set_index("claim")["carc_reason"].astype(str)
    ids = claims["claim"]
    stage = claims["open_reason"].astype(str).map(_FROM_RUN_STAGE)
    rules = run.scenario.patient_collections
    cycle = rules.statement_cycle_days
    self_pay = {p.name for p in run.scenario.payers if p.kind == "self_pay"}
    own = rules.self_pay_pay_probability_per_statement
    max_statements = np.where(
        claims["payer"].astype(str).isin(self_pay).to_numpy() & (own is not None),
        len(own or ()), len(rules.pay_probability_per_statement))
    billed = last[lg.TRANSFER].reindex(ids).fillna(claims["charge_day"].set_axis(ids))
    # statement i goes out on billed + 1 + i * cycle (revenue/patients.py)
    sent = np.clip((n - 2 - billed.to_numpy()) // cycle + 1, 0, max_statements).astype(int)
    last_statement = pd.Series(np.where(sent > 0, billed.to_numpy() + 1 + (sent - 1) * cycle,
                                        np.nan), index=ids)

    def dates(days: pd.Series) -> list[date | None]:
        return [None if pd.isna(d) else cal.date(int(d)) for d in days]

    # a claim whose open balance is a denied line still worked goes on as a denied claim of
    # that line's charge (what the patient paid for the other lines is not carried over)
    line_only = ((claims["line_open_cents"] > 0)
                 & (claims["held_cents"] == claims["open_balance_cents"])).to_numpy()
    charge = np.where(line_only, claims["open_balance_cents"], claims["charge_cents"]) / 100
    medicare = np.where(line_only, np.nan, claims["medicare_allowed_cents"] / 100)
    table = pd.DataFrame({
        "claim": ids.astype(str).to_numpy(),
        "payer": claims["billed_payer"].astype(str).to_numpy(),
        "provider": _seats(claims["provider"], run.scenario),
        "service_date": dates(claims["service_day"]),
        "stage": stage.to_numpy(),
        "charge": charge,
        "balance": claims["open_balance_cents"].to_numpy() / 100,
        "submitted_date": dates(last[lg.SUBMISSION].reindex(ids)),
        # a claim denied before this run (a warm start's) and still waiting: its first day
        "denied_date": dates(last[lg.DENIAL].reindex(ids).fillna(0)),
        "denial_reason": reason.reindex(ids).fillna(
            claims["initial_denial_reason"].astype(str).set_axis(ids)).to_numpy(),
        "patient_balance": claims["patient_balance_cents"].to_numpy() / 100,
        "statements_sent": np.where(stage == "patient", sent, 0),
        "last_statement_date": dates(last_statement.where((stage == "patient").to_numpy())),
        "denials": claims["denials"].to_numpy(),
        "medicare_allowed": medicare,
        "secondary_payer": claims["secondary_payer"].astype(object).where(
            claims["secondary_payer"].notna(), "").to_numpy(),
        "primary_paid": np.where(stage == "secondary",
                                 claims["payer_paid_cents"].to_numpy() / 100, np.nan),
        "deposit": claims["deposit_held_cents"].to_numpy() / 100,
        "telehealth": claims["telehealth"].to_numpy(),
    })
    table.loc[~table["stage"].isin(["at_payer"]), "submitted_date"] = None
    table.loc[~table["stage"].isin(["denied", "appeal"]), ["denied_date", "denial_reason"]] = (
        None, "")
    booked = run.appointments[(run.appointments["status"] == "scheduled")
                              | (run.appointments["cancel_day"] >= n)]
    appointments = pd.DataFrame({
        "provider": _seats(booked["provider"], run.scenario),
        "date": dates(booked["day"]),
        "time": [f"{m // 60:02d}:{m % 60:02d}" for m in booked["time_minutes"].tolist()],
        "visit_type": (booked["service_line"].astype(str) + "/"
                       + booked["visit_type"].astype(str)).to_numpy(),
        "payer": booked["payer"].astype(str).to_numpy(),
        "booked_on": dates(booked["request_day"]),
        "telehealth": booked["telehealth"].to_numpy(),
    })
    cash = int(run.daily["cash_cents"].iloc[-1]) / 100
    return PracticeState.from_tables(as_of, table, appointments, cash,
                                     source=f"run {run.scenario.name} seed {run.seed}")


# --- checking tables row by row ---------------------------------------------------------------


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and value.strip() == "") or value is pd.NaT


def _where(file: str, row: int | None, column: str) -> str:
    return f"{file}: row {row + 2}: column {column}" if row is not None else f"{file}: {column}"


def _date_of(value: object, file: str, row: int | None, column: str) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise StateError(f"{_where(file, row, column)}: expected a date YYYY-MM-DD, "
                         f"got {value!r}") from None


def _cents_of(value: object, file: str, row: int | None, column: str,
              signed: bool = False) -> int:
    """Dollars (text or number) to integer cents, refusing fractions of a cent (and negative
    amounts unless ``signed``)."""
    try:
        amount = Decimal(str(value).strip()) * 100
    except InvalidOperation:
        amount = Decimal("NaN")
    if (not amount.is_finite() or (amount < 0 and not signed)
            or abs(amount - amount.to_integral_value()) > Decimal("0.000001")):
        sign = "" if signed else " >= 0"
        raise StateError(f"{_where(file, row, column)}: expected an amount in dollars{sign} "
                         f"with at most 2 decimals, got {value!r}")
    return int(amount.to_integral_value())


def _int_of(value: object, file: str, row: int | None, column: str) -> int:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        raise StateError(f"{_where(file, row, column)}: expected a whole number >= 0, "
                         f"got {value!r}")
    return int(number)


def _check_columns(table: pd.DataFrame, file: str, allowed: tuple[str, ...],
                   required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise StateError(f"{file}: missing columns {missing}; found {list(table.columns)}")
    unknown = [c for c in table.columns if c not in allowed]
    if unknown:
        raise StateError(f"{file}: unknown columns {unknown}; expected some of {list(allowed)}")


def _claims(table: pd.DataFrame, as_of: date, file: str) -> pd.DataFrame:
    """The open-claims table checked row by row, amounts in cents."""
    _check_columns(table, file, CLAIM_COLUMNS, REQUIRED_CLAIM_COLUMNS)
    rows = [_claim_row(record, i, as_of, file)
            for i, record in zip(_line_index(table), table.to_dict("records"), strict=True)]
    return pd.DataFrame(rows, columns=list(_CLAIM_FIELDS))


def _line_index(table: pd.DataFrame) -> list[int]:
    """Each row's position in its file (``row + 2`` is its line, after the header), kept from
    the file through dropped blank lines; positions for a table with another index."""
    if pd.api.types.is_integer_dtype(table.index.dtype):
        return [int(i) for i in table.index]
    return list(range(len(table)))


_CLAIM_FIELDS = ("claim", "payer", "provider", "service_date", "stage", "charge_cents",
                 "balance_cents", "submitted_date", "denied_date", "denial_reason",
                 "patient_balance_cents", "statements_sent", "last_statement_date", "denials",
                 "medicare_allowed_cents", "secondary_payer", "primary_paid_cents",
                 "deposit_cents", "telehealth")


def _claim_row(record: dict[str, Any], i: int, as_of: date, file: str) -> dict[str, Any]:
    def get(column: str) -> Any:
        value = record.get(column)
        return None if _missing(value) else value

    def need(column: str) -> Any:
        value = get(column)
        if value is None:
            raise StateError(f"{_where(file, i, column)}: expected a value, got an empty cell")
        return value

    stage = str(need("stage")).strip()
    if stage not in STAGES:
        raise StateError(f"{_where(file, i, 'stage')}: expected one of {list(STAGES)}, "
                         f"got {stage!r}")
    service = _date_of(need("service_date"), file, i, "service_date")
    if service >= as_of:
        raise StateError(f"{_where(file, i, 'service_date')}: expected a date before as_of "
                         f"{as_of}, got {service}")
    charge = _cents_of(need("charge"), file, i, "charge")
    balance = _cents_of(need("balance"), file, i, "balance")
    if not 0 < balance <= charge:
        raise StateError(f"{_where(file, i, 'balance')}: expected 0 < balance <= charge "
                         f"({charge / 100:.2f}), got {balance / 100:.2f}")
    dated = {"submitted_date": stage == "at_payer",
             "denied_date": stage in ("denied", "appeal"), "last_statement_date": False}
    when: dict[str, date | None] = {}
    for column, required in dated.items():
        value = need(column) if required else get(column)
        when[column] = None if value is None else _date_of(value, file, i, column)
        if when[column] is not None and not service <= when[column] < as_of:
            raise StateError(f"{_where(file, i, column)}: expected a date from the service date "
                             f"{service} to the day before as_of {as_of}, got {when[column]}")
    reason = str(need("denial_reason") if dated["denied_date"] else get("denial_reason") or "")
    patient = balance if stage in ("patient", "agency") else _optional_cents(
        get("patient_balance"), file, i, "patient_balance", 0)
    if patient > balance:
        raise StateError(f"{_where(file, i, 'patient_balance')}: expected at most the balance "
                         f"({balance / 100:.2f}), got {patient / 100:.2f}")
    statements = get("statements_sent")
    denials = get("denials")
    secondary = str(get("secondary_payer") or "").strip()
    if stage == "secondary" and not secondary:
        raise StateError(f"{_where(file, i, 'secondary_payer')}: expected the secondary payer "
                         "the claim awaits (stage secondary), got an empty cell")
    return {
        "claim": str(need("claim")), "payer": str(need("payer")).strip(),
        "provider": str(need("provider")).strip(), "service_date": service, "stage": stage,
        "charge_cents": charge, "balance_cents": balance, **when,
        "denial_reason": reason.strip(), "patient_balance_cents": patient,
        "statements_sent": 0 if statements is None else _int_of(statements, file, i,
                                                                "statements_sent"),
        "denials": (int(dated["denied_date"]) if denials is None
                    else _int_of(denials, file, i, "denials")),
        "medicare_allowed_cents": _optional_cents(get("medicare_allowed"), file, i,
                                                  "medicare_allowed", -1),
        "secondary_payer": secondary,
        "primary_paid_cents": _optional_cents(get("primary_paid"), file, i, "primary_paid", -1),
        "deposit_cents": _optional_cents(get("deposit"), file, i, "deposit", 0),
        "telehealth": bool(_flag_of(get("telehealth"), file, i, "telehealth")),
    }


_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _flag_of(value: object, file: str, row: int, column: str) -> bool | None:
    """A yes/no cell (true/false, 1/0, yes/no, any case); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    flag = _FLAGS.get(str(value).strip().lower())
    if flag is None:
        raise StateError(f"{_where(file, row, column)}: expected true or false, got {value!r}")
    return flag


def _optional_cents(value: object, file: str, row: int, column: str, default: int) -> int:
    return default if value is None else _cents_of(value, file, row, column)


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _appointments(table: pd.DataFrame, as_of: date, file: str) -> pd.DataFrame:
    """The booked-appointments table checked row by row."""
    _check_columns(table, file, APPOINTMENT_COLUMNS, REQUIRED_APPOINTMENT_COLUMNS)
    rows = []
    for i, record in zip(_line_index(table), table.to_dict("records"), strict=True):
        for column in REQUIRED_APPOINTMENT_COLUMNS:
            if _missing(record.get(column)):
                raise StateError(f"{_where(file, i, column)}: expected a value, got an empty "
                                 "cell")
        when = _date_of(record["date"], file, i, "date")
        booked = _date_of(record["booked_on"], file, i, "booked_on")
        if when < as_of:
            raise StateError(f"{_where(file, i, 'date')}: expected a date on or after as_of "
                             f"{as_of}, got {when}")
        if booked > as_of or booked > when:
            raise StateError(f"{_where(file, i, 'booked_on')}: expected a date on or before "
                             f"as_of {as_of} and the appointment date {when}, got {booked}")
        time = str(record["time"]).strip()
        if not _is_clock(time):
            raise StateError(f"{_where(file, i, 'time')}: expected a time HH:MM, got {time!r}")
        rows.append({"provider": str(record["provider"]).strip(), "date": when, "time": time,
                     "visit_type": str(record["visit_type"]).strip(),
                     "payer": str(record["payer"]).strip(), "booked_on": booked,
                     "telehealth": _flag_of(None if _missing(record.get("telehealth"))
                                            else record.get("telehealth"), file, i,
                                            "telehealth")})
    return pd.DataFrame(rows, columns=list(APPOINTMENT_COLUMNS))


def _is_clock(text: str) -> bool:
    parts = text.split(":")
    return (len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts)
            and int(parts[0]) < 24 and int(parts[1]) < 60)


def _seats(providers: pd.Series, scenario: Any) -> np.ndarray:
    """Provider names as the scenario's seats: a successor (``<seat>_r<k>``, provider
    turnover) is written as the seat she holds, which the next run's seats know."""
    names = {seat.name for seat in provider_seats(scenario)}
    return np.array([seat_of(name, names) for name in providers.astype(str)], dtype=object)
