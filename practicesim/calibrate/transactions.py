"""Reading a practice's charge and transaction export into the simulator's ledger schema.

A transaction report (one row per charge, payment, adjustment, write-off...) is read through a
column mapping (YAML, ``TransactionMapping``) into the ledger the simulator writes
(``practicesim/ledger.py``), so that ``practicesim.metrics`` runs on it unchanged. Days are
counted from the earliest date of service in the file (``frame.attrs["origin"]``); ``date`` and
``service_date`` keep the calendar dates. Claim and patient identifiers are pseudonymized on
read (``calibrate.privacy``). Amounts are read as decimal dollars into integer cents exactly; the
ledger keeps them positive (the kind gives the direction). Systems sign amounts in one of two
ways (``credits_negative``); a row signed against its system's convention is a reversal,
refund, void or recoupment: it is left out and listed in ``attrs["excluded"]`` (CSV row and
reason), not posted as a second payment.

Optional columns: ``carc_group`` and ``carc_reason`` (adjustment reason codes), ``code`` (the
CPT/HCPCS code of a charge line, kept as an extra ``code`` column for allowed-amount fits).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from practicesim import ledger as lg
from practicesim.calibrate.errors import DataError
from practicesim.calibrate.mapping import load_mapping, parse_dates, read_mapped_csv
from practicesim.calibrate.privacy import SESSION, Pseudonymizer

Kind = Literal["charge", "payer_payment", "patient_payment", "contractual_adjustment",
               "denial_writeoff", "bad_debt", "transfer_to_patient", "submission", "denial",
               "transfer_to_secondary", "line_denial"]
REQUIRED = ("claim", "patient", "payer", "service_date", "posted_at", "type", "amount")


class TransactionMapping(BaseModel):
    """Which source column feeds each ledger column, and how transaction types translate.

    ``columns``: ledger column -> source column (required: claim, patient, payer,
    service_date, posted_at, type, amount; optional: carc_group, carc_reason, code).
    ``type_values``: source transaction type -> ledger kind. ``skip_types``: source types that
    carry no money movement of a claim (e.g. notes) and are dropped. ``payer_kinds``: payer
    name -> its kind (medicare, medicaid, commercial, medicare_advantage, medigap, self_pay) for the
    calibrated scenario; payers not listed are guessed from their names.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = ""
    columns: dict[str, str]
    type_values: dict[str, Kind] = Field(min_length=1)
    skip_types: list[str] = Field(default_factory=list)
    payer_kinds: dict[str, Literal["medicare", "medicaid", "commercial", "medicare_advantage",
                                   "medigap", "self_pay"]] = Field(default_factory=dict)
    date_format: str | None = None
    credits_negative: bool = False
    """How the system signs amounts: False, every amount is positive (the type gives its
    direction); True, payments and adjustments are negative. A row with the other sign (a
    reversal, refund, void or recoupment) is left out and listed in ``attrs["excluded"]``."""


def read_mapping(path: str | Path) -> TransactionMapping:
    """Load a mapping YAML file; errors name the file and the key."""
    return load_mapping(path, TransactionMapping, REQUIRED)


def read_transactions(path: str | Path, mapping: TransactionMapping | str | Path,
                      pseudonymizer: Pseudonymizer = SESSION) -> pd.DataFrame:
    """A transaction export as a ledger (the simulator's schema plus ``date``,
    ``service_date`` and, when mapped, ``code``), in posting order (file order within a day:
    never by pseudonym, whose key changes from process to process).

    >>> mapping = "calibration/practicesim_transactions_mapping.yaml"
    >>> ledger = read_transactions("transactions.csv", mapping)  # doctest: +SKIP
    """
    path = Path(path)
    if not isinstance(mapping, TransactionMapping):
        mapping = read_mapping(mapping)
    raw = read_mapped_csv(path, mapping.columns.values(), "a transaction export (CSV)")
    cols = mapping.columns
    types = raw[cols["type"]].astype("string").str.strip()
    raw = raw[~types.isin(mapping.skip_types)]
    types = types[raw.index]
    unknown = ~types.isin(list(mapping.type_values))
    if unknown.any():
        row = int(unknown.idxmax())
        raise DataError(path, f"row {row}, column {cols['type']!r}",
                        f"one of the mapped types {sorted(mapping.type_values)} (or skip_types)",
                        raw.at[row, cols["type"]])
    signed = _cents(raw, cols["amount"], path)
    credit = ~types.map(mapping.type_values).isin(["charge", "submission", "denial",
                                                           "line_denial"]).to_numpy()
    expected_negative = credit & mapping.credits_negative
    reversed_sign = np.where(expected_negative, signed > 0, signed < 0)
    excluded = [{"row": int(row), "reason": "amount of the opposite sign (a reversal, refund, "
                 "void or recoupment)"} for row in raw.index[reversed_sign]]
    keep = ~reversed_sign
    raw, types, signed = raw[keep], types[keep], signed[keep]
    posted = parse_dates(raw, cols["posted_at"], path, mapping.date_format).dt.normalize()
    service = parse_dates(raw, cols["service_date"], path, mapping.date_format).dt.normalize()
    origin = service.min()
    ledger = lg.ledger_frame({
        "day": (posted - origin).dt.days.to_numpy(),
        "claim": pseudonymizer.column(raw[cols["claim"]]).to_numpy(),
        "service_day": (service - origin).dt.days.to_numpy(),
        "patient": pseudonymizer.column(raw[cols["patient"]]).to_numpy(),
        "payer": raw[cols["payer"]].astype("string").fillna("unknown").to_numpy(),
        "kind": types.map(mapping.type_values).to_numpy(),
        "amount_cents": np.abs(signed),
        "carc_group": _codes(raw, cols.get("carc_group")),
        "carc_reason": _codes(raw, cols.get("carc_reason")),
    })
    ledger.insert(1, "date", posted.to_numpy())
    ledger.insert(4, "service_date", service.to_numpy())
    if "code" in cols:
        ledger["code"] = raw[cols["code"]].astype("string").fillna("").to_numpy()
    ledger = ledger.sort_values("day", kind="stable").reset_index(drop=True)
    ledger.attrs["origin"] = origin
    ledger.attrs["payer_kinds"] = dict(mapping.payer_kinds)
    ledger.attrs["source"] = str(path)
    ledger.attrs["excluded"] = excluded
    return ledger


def _cents(raw: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """Decimal dollars to signed integer cents, exactly."""
    out = np.empty(len(raw), dtype=np.int64)
    for i, (row, text) in enumerate(raw[column].items()):
        try:
            value = Decimal(str(text).strip().replace(",", "").replace("$", ""))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise DataError(path, f"row {row}, column {column!r}",
                            "an amount in dollars with at most two decimals", text)
        out[i] = int(value * 100)
    return out


def _codes(raw: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(raw), "", dtype=object)
    return raw[column].astype("string").fillna("").str.strip().to_numpy(dtype=object)
