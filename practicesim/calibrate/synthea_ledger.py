"""A Synthea export's claims and claim transactions as the simulator's ledger
(``read_synthea``'s ``ledger``; ``practicesim.calibrate.synthea`` describes the export).

One ledger claim per Synthea claim; its payer is the claim's primary payer
(PRIMARYPATIENTINSURANCEID, ``0`` meaning NO_INSURANCE), on every row, as in the simulator.
Each charge line (a CHARGE row and the rows after it) is followed through who holds its
balance: the primary insurer (CHARGE TRANSFERTYPE ``1``), the secondary (TRANSFERIN ``2``) or
the patient (CHARGE or TRANSFERIN ``p``). Mapping:

================================  ============================================================
CHARGE (AMOUNT)                   ``charge``; when the patient holds it (uninsured) also a
                                  ``transfer_to_patient`` of the whole charge, as the
                                  simulator posts a self-pay charge
PAYMENT, METHOD ECHECK            ``payer_payment`` (Synthea pays insurers' shares by ECHECK
                                  only, and only while an insurer holds the line)
PAYMENT, METHOD COPAY             ``patient_payment`` at the visit, plus a
                                  ``transfer_to_patient`` PR-3 of the same amount at the
                                  insurer's adjudication (the copay is the patient's share
                                  by the plan, as in the simulator)
PAYMENT, METHOD CASH, CHECK, CC   ``patient_payment`` (only once the patient holds the line)
ADJUSTMENT (ADJUSTMENTS)          ``contractual_adjustment`` CO-45 (written by Synthea after
                                  v3.0.0 only; v3.0.0 bills at the allowed amount)
TRANSFEROUT, TRANSFERIN ``p``     ``transfer_to_patient``, no balance effect: PR-2
                                  coinsurance when an insurer paid part of the line, PR-1
                                  deductible when it paid nothing (Synthea's plans cover
                                  every service and have deductibles; it gives no reason
                                  code, so this is inferred)
TRANSFEROUT, TRANSFERIN ``2``     nothing: the balance moves from the primary to the
                                  secondary insurer and stays with insurers; the secondary's
                                  ECHECK is a ``payer_payment`` of the claim (under the
                                  primary's name), listed in ``attrs["secondary_payments"]``
================================  ============================================================

PATIENTINSURANCEID is the patient's member id (the patient's own id in Synthea's exports): it
says nothing of who paid a row and is not read. A ``submission`` is posted for insured claims
on LASTBILLEDDATE1.

Dates: Synthea dates no transaction (FROMDATE and TODATE are the line's service period) and
adjudicates every claim at once. The charge and a copay are dated on the service date
(SERVICEDATE), the submission on LASTBILLEDDATE1, and each insurer's adjudication (its payment,
adjustments and transfers, and the patient's payment of what it transfers) on the day after
that insurer was billed (LASTBILLEDDATE1, LASTBILLEDDATE2): in the ledger's convention a
remittance posts ``ceil(lag)`` days after submission, and Synthea's lag is a few minutes,
so 1 day. Uninsured claims are paid on the service date.

A claim that cannot balance exactly (a payment above its line's open balance, as when Synthea
takes a copay larger than a cheap line's charge; a transfer or OUTSTANDING that disagrees with
the amounts; a payment by the party not holding the line) is left out of the ledger rather
than written unbalanced, and so is a claim with no charge (0.00: it would count as a claim
never adjudicated). Both are listed in ``attrs["excluded_claims"]``: records of the file and
CSV row at fault, the claim's pseudonym, its charge in cents and the reason
(``SyntheaData.excluded_claims`` as a table). ``practicesim.ledger.balance_violations`` of the
ledger is empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from practicesim import ledger as lg
from practicesim.calibrate.errors import DataError
from practicesim.calibrate.mapping import parse_dates
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.synthea_csv import (
    NO_INSURANCE,
    UNINSURED_ID,
    check_ids,
    payer_names,
    read_columns,
)

TYPES = ("CHARGE", "PAYMENT", "ADJUSTMENT", "TRANSFERIN", "TRANSFEROUT")
PAYER_METHODS = frozenset({"ECHECK"})
PATIENT_METHODS = frozenset({"COPAY", "CASH", "CHECK", "CC"})
HOLDERS = ("1", "2", "p")
"""TRANSFERTYPE values: the primary insurer, the secondary insurer, the patient."""
ADJUDICATION_DAYS = 1
"""Days from an insurer's billing to its adjudication in the ledger (module docstring)."""
EXCLUDED_CLAIM = ("file", "row", "claim", "charge_cents", "reason")
"""Fields of an ``excluded_claims`` record: the file and CSV row at fault, the claim's
pseudonym, its total charge (cents), why it was left out."""
SECONDARY_PAYMENT = ("claim", "primary", "secondary", "paid_cents")
"""Fields of a ``secondary_payments`` record: claim pseudonym, payer names, cents paid by the
secondary insurer."""


class _Excluded(Exception):
    """A claim that cannot be written balanced: the file and CSV row at fault, and why."""

    def __init__(self, path: Path, row: int, reason: str) -> None:
        super().__init__(reason)
        self.path, self.row, self.reason = path, row, reason


@dataclass
class _ClaimDates:
    """A claim's date of service and the dates each insurer was billed (midnight)."""

    service: pd.Timestamp
    billed: dict[str, pd.Timestamp]
    """Billing date of each insurer ("1", "2")."""


def claims_ledger(folder: Path, payers: pd.DataFrame,
                  pseudonymizer: Pseudonymizer) -> pd.DataFrame:
    """The export's ``claims.csv`` and ``claims_transactions.csv`` as a ledger (module
    docstring): amounts in integer cents, days from ``attrs["origin"]``, claims that cannot
    balance left out and listed in ``attrs["excluded_claims"]``."""
    claims_path = folder / "claims.csv"
    tx_path = folder / "claims_transactions.csv"
    claims = read_columns(claims_path)
    names = dict(zip(payers["id"], payers["name"], strict=True))
    check_ids(claims, claims_path, ("Id", "PATIENTID"))
    primary = payer_names(claims, "PRIMARYPATIENTINSURANCEID", claims_path, names,
                           uninsured=UNINSURED_ID)
    secondary_ids = claims["SECONDARYPATIENTINSURANCEID"].fillna(UNINSURED_ID)
    secondary = secondary_ids.str.strip().map(names).fillna("unknown")
    service = parse_dates(claims, "SERVICEDATE", claims_path, "ISO8601").dt.normalize()
    billed1, billed2 = (parse_dates(claims, column, claims_path, "ISO8601", optional=True)
                        .dt.normalize() for column in ("LASTBILLEDDATE1", "LASTBILLEDDATE2"))
    billed1 = billed1.fillna(service)
    billed2 = billed2.fillna(billed1)
    claim_ids = pseudonymizer.column(claims["Id"])
    patients = pseudonymizer.column(claims["PATIENTID"])

    tx = _transactions(tx_path, claims_path, set(claims["Id"]))
    records = list(tx.itertuples(name="Transaction"))
    lines_of: dict[str, list] = {}
    for record in records:
        lines_of.setdefault(record.CLAIMID, []).append(record)
    columns = zip(claims.index, claims["Id"], claim_ids, patients, primary, secondary,
                  service, billed1, billed2, strict=True)
    postings: list[tuple] = []
    excluded: list[tuple] = []
    secondary_paid: list[tuple] = []
    for row, claim_id, claim, patient, payer, second, served, bill1, bill2 in columns:
        head = (int(claim), int(patient), str(payer), served)
        lines = lines_of.get(claim_id, [])
        charged = sum(t.cents for t in lines if t.TYPE == "CHARGE")
        try:
            if bill1 < served:
                raise _Excluded(claims_path, row,
                                "billed (LASTBILLEDDATE1) before the date of service")
            if bill2 < bill1:
                raise _Excluded(claims_path, row, "billed to the secondary insurer "
                                "(LASTBILLEDDATE2) before the primary")
            dates = _ClaimDates(served, {"1": bill1, "2": bill2})
            posted, paid2 = _post_claim(lines, dates, payer != NO_INSURANCE, tx_path)
            if not lines:
                raise _Excluded(claims_path, row, "no CHARGE in claims_transactions.csv")
            if charged == 0:
                raise _Excluded(claims_path, row, "charge of 0.00: nothing billed or paid (a "
                                "claim without money would count as never adjudicated)")
        except _Excluded as why:
            excluded.append((str(why.path), why.row, head[0], charged, why.reason))
            continue
        postings.extend((*head, *p) for p in posted)
        if paid2:
            secondary_paid.append((head[0], str(payer), str(second), paid2))
    frame = _ledger_frame(postings)
    frame.attrs["payer_kinds"] = dict(zip(payers["name"], payers["kind"], strict=True))
    frame.attrs["source"] = str(tx_path)
    frame.attrs["excluded_claims"] = [dict(zip(EXCLUDED_CLAIM, e, strict=True))
                                      for e in excluded]
    frame.attrs["secondary_payments"] = [dict(zip(SECONDARY_PAYMENT, p, strict=True))
                                         for p in secondary_paid]
    return frame


def _transactions(path: Path, claims_path: Path, claim_ids: set[str]) -> pd.DataFrame:
    """claims_transactions.csv checked (types, claim ids) with each row's amount in cents."""
    tx = read_columns(path)
    types = tx["TYPE"].astype("string").str.strip()
    unknown = ~types.isin(TYPES)
    if unknown.any():
        row = int(unknown.idxmax())
        raise DataError(path, f"row {row}, column 'TYPE'", f"one of {list(TYPES)}",
                        tx.at[row, "TYPE"])
    orphan = ~tx["CLAIMID"].isin(claim_ids)
    if orphan.any():
        row = int(orphan.idxmax())
        raise DataError(path, f"row {row}, column 'CLAIMID'",
                        f"a claim Id listed in {claims_path.name}", "an unknown claim id")
    tx["TYPE"] = types.astype(str)
    amount_column = {"CHARGE": "AMOUNT", "PAYMENT": "PAYMENTS", "ADJUSTMENT": "ADJUSTMENTS",
                     "TRANSFERIN": "TRANSFERS", "TRANSFEROUT": "TRANSFERS"}
    text = {t: tx[column].tolist() for t, column in amount_column.items()}
    tx["cents"] = [_cents(text[t][i], path, row, amount_column[t])
                   for i, (row, t) in enumerate(zip(tx.index, tx["TYPE"], strict=True))]
    return tx


def _cents(text: object, path: Path, row: int, column: str) -> int:
    """Dollars to integer cents, exactly (a non-negative amount with at most two decimals)."""
    try:
        value = Decimal(str(text).strip())
        exact = value.is_finite() and value >= 0 and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise DataError(path, f"row {row}, column {column!r}",
                        "a non-negative amount in dollars with at most two decimals", text)
    return int(value * 100)


def _post_claim(lines: list, dates: _ClaimDates, insured: bool,
                path: Path) -> tuple[list[tuple], int]:
    """The postings of one claim, ``(date, kind, cents, carc_group, carc_reason)`` each, in
    the order of its transactions (``lines``: its claims_transactions.csv rows as named
    tuples, ``Index`` the CSV row), and the cents its secondary insurer paid. Raises
    ``_Excluded`` when the claim cannot balance (module docstring)."""
    posted: list[tuple] = []
    adjudicated = {h: d + pd.Timedelta(days=ADJUDICATION_DAYS) for h, d in dates.billed.items()}
    balance: int | None = None
    holder, held_since, insurer_paid = "1", dates.service, False
    pending: tuple[str, int] | None = None
    paid2 = 0
    for t in lines:
        row, cents = t.Index, t.cents
        if t.TYPE == "CHARGE":
            holder = _holder(t.TRANSFERTYPE, row, path)
            balance, held_since, insurer_paid, pending = cents, dates.service, False, None
            posted.append((dates.service, lg.CHARGE, cents, "", ""))
            if insured and len(posted) == 1:
                posted.append((dates.billed["1"], lg.SUBMISSION, 0, "", ""))
            if holder == "p" and cents:
                posted.append((dates.service, lg.TRANSFER, cents, "", ""))
            continue
        if balance is None:
            raise _Excluded(path, row, f"{t.TYPE} before the claim's first CHARGE")
        insurer_day = held_since if holder == "p" else adjudicated[holder]
        if t.TYPE == "PAYMENT":
            method = "" if pd.isna(t.METHOD) else str(t.METHOD).strip()
            if method not in PAYER_METHODS | PATIENT_METHODS:
                raise DataError(path, f"row {row}, column 'METHOD'", "a payment method, one of "
                                f"{sorted(PAYER_METHODS | PATIENT_METHODS)}", t.METHOD)
            _reduce(balance, cents, path, row, f"{method} payment")
            if method in PAYER_METHODS:
                if holder == "p":
                    raise _Excluded(path, row, f"insurer payment ({method}) while the patient "
                                    "holds the balance")
                posted.append((insurer_day, lg.PAYER_PAYMENT, cents, "", ""))
                insurer_paid = insurer_paid or cents > 0
                paid2 += cents if holder == "2" else 0
            elif method == "COPAY":
                posted.append((dates.service, lg.PATIENT_PAYMENT, cents, "", ""))
                if holder != "p" and cents:
                    posted.append((insurer_day, lg.TRANSFER, cents, "PR", "3"))
            else:
                if holder != "p":
                    raise _Excluded(path, row, f"patient payment ({method}) while an insurer "
                                    "holds the balance")
                posted.append((held_since, lg.PATIENT_PAYMENT, cents, "", ""))
            balance -= cents
            _outstanding(t.OUTSTANDING, balance, path, row)
        elif t.TYPE == "ADJUSTMENT":
            _reduce(balance, cents, path, row, "ADJUSTMENT")
            posted.append((insurer_day, lg.CONTRACTUAL, cents, "CO", "45"))
            balance -= cents
            _outstanding(t.OUTSTANDING, balance, path, row)
        elif t.TYPE == "TRANSFEROUT":
            if cents != balance:
                raise _Excluded(path, row, f"TRANSFEROUT of {_dollars(cents)} is not the "
                                f"line's open balance {_dollars(balance)}")
            pending = (str(t.CHARGEID).strip(), cents)
        else:
            if pending is None or pending != (str(t.TRANSFEROUTID).strip(), cents):
                raise _Excluded(path, row, "TRANSFERIN without its TRANSFEROUT "
                                "(TRANSFEROUTID and amount)")
            new_holder = _holder(t.TRANSFERTYPE, row, path)
            if new_holder == "p" and holder != "p" and cents:
                posted.append((insurer_day, lg.TRANSFER, cents, "PR",
                               "2" if insurer_paid else "1"))
            holder, pending = new_holder, None
            held_since = insurer_day if new_holder == "p" else adjudicated[new_holder]
    return posted, paid2


def _holder(value: object, row: int, path: Path) -> str:
    """Who a CHARGE or TRANSFERIN gives the line's balance to (``HOLDERS``)."""
    text = "" if pd.isna(value) else str(value).strip()
    if text not in HOLDERS:
        raise DataError(path, f"row {row}, column 'TRANSFERTYPE'",
                        "1 (primary insurer), 2 (secondary insurer) or p (patient)", value)
    return text


def _reduce(balance: int, cents: int, path: Path, row: int, what: str) -> None:
    """A payment or adjustment may not exceed its line's open balance (cents)."""
    if cents > balance:
        raise _Excluded(path, row, f"{what} of {_dollars(cents)} exceeds the open balance "
                             f"{_dollars(balance)} of its charge line")


def _outstanding(text: object, balance: int, path: Path, row: int) -> None:
    """Synthea's OUTSTANDING (when given) must be the line's balance the amounts leave."""
    if pd.isna(text):
        return
    try:
        stated = int(Decimal(str(text).strip()) * 100)
    except InvalidOperation:
        stated = None
    if stated != balance:
        raise _Excluded(path, row, f"OUTSTANDING {text} disagrees with the line's charge less its "
                             f"payments and adjustments ({_dollars(balance)})")


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _ledger_frame(postings: list[tuple]) -> pd.DataFrame:
    """The ledger of ``(claim, patient, payer, service date, date, kind, cents, group, reason)``
    postings, in posting order, with the columns and dtypes ``read_transactions`` writes."""
    columns = ["claim", "patient", "payer", "service_date", "date", "kind", "amount_cents",
               "carc_group", "carc_reason"]
    rows = pd.DataFrame(postings, columns=columns)
    service = pd.to_datetime(rows["service_date"])
    posted = pd.to_datetime(rows["date"])
    origin = service.min() if len(rows) else pd.Timestamp("1970-01-01")
    ledger = lg.ledger_frame({
        "day": (posted - origin).dt.days.to_numpy(),
        "claim": rows["claim"].to_numpy(dtype=np.int64),
        "service_day": (service - origin).dt.days.to_numpy(),
        "patient": rows["patient"].to_numpy(dtype=np.int64),
        "payer": rows["payer"].astype(str).to_numpy(dtype=object),
        "kind": rows["kind"].to_numpy(dtype=object),
        "amount_cents": rows["amount_cents"].to_numpy(dtype=np.int64),
        "carc_group": rows["carc_group"].to_numpy(dtype=object),
        "carc_reason": rows["carc_reason"].to_numpy(dtype=object),
    })
    ledger.insert(1, "date", posted.to_numpy())
    ledger.insert(4, "service_date", service.to_numpy())
    ledger = ledger.sort_values("day", kind="stable").reset_index(drop=True)
    ledger.attrs["origin"] = origin
    return ledger
