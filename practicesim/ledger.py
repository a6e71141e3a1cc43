"""The transaction ledger: every money movement on every claim, in integer cents.

One row per transaction, appended in time order. Columns (the schema the importers write too):

=================  =========================================================================
``day``            simulation day (int; ``date`` is the calendar date)
``claim``          claim id (int)
``service_day``    the claim's date of service, as a simulation day (aging counts from it)
``patient``        patient id (int, pseudonymous)
``payer``          payer name (``self_pay`` kinds too)
``kind``           one of ``KINDS`` below
``amount_cents``   int64, >= 0; its sign in the balance is given by the kind
``carc_group``     CARC group code (CO, PR, OA, PI) where one applies, else ""
``carc_reason``    CARC reason code (e.g. "45", "16", "B7") where one applies, else ""
=================  =========================================================================

Kinds and their effect on a claim's open balance:

- ``charge`` (+): the claim's gross charge, posted at charge entry.
- ``opening_balance`` (+): the open balance of a claim from before the run (a warm start from
  an existing A/R book, ``practicesim.state``), posted on day 0; not a charge of the run.
- ``payer_payment`` (-), ``patient_payment`` (-): cash received.
- ``contractual_adjustment`` (-): charge above the allowed amount (CO-45), self-pay discounts.
- ``denial_writeoff`` (-): denied dollars written off (CO-<reason>, CO-29 for timely filing).
- ``bad_debt`` (-): patient balances given up after statements and the agency.
- ``transfer_to_patient`` (0): payer adjudicated this amount to the patient (PR-1/2/3); the
  balance is unchanged but now owed by the patient.
- ``transfer_to_secondary`` (0): the primary adjudicated this amount (PR-1/2/3) to the
  patient's secondary payer, named in ``payer`` (the one row kind whose ``payer`` is the payer
  that now owes the amount, not the one that decided it); the secondary's payment, its CO-23
  write-off and what it leaves to the patient follow as rows of the secondary.
- ``submission``, ``denial`` (0): events with no money (a claim sent; a claim denied, with its
  CARC), kept so that the KPIs can be computed from the ledger alone.
- ``line_denial`` (0): the payer denied one line of a claim it otherwise paid (a line-level
  CARC, ``billing.line_level_reasons``); ``amount_cents`` is the line's charge, which stays
  open (group CO: the payer's to pay once the line is corrected or appealed) or goes to the
  patient in the rows that follow (group PR). Posted before the remittance's other rows.

Identity, exact for every claim at every moment:
``charge + opening_balance = payer_payment + patient_payment + contractual_adjustment +
write-offs + open balance``
with write-offs = ``denial_writeoff + bad_debt``.
"""

from __future__ import annotations

import struct
from array import array

import numpy as np
import pandas as pd

CHARGE = "charge"
PAYER_PAYMENT = "payer_payment"
PATIENT_PAYMENT = "patient_payment"
CONTRACTUAL = "contractual_adjustment"
DENIAL_WRITEOFF = "denial_writeoff"
BAD_DEBT = "bad_debt"
TRANSFER = "transfer_to_patient"
SUBMISSION = "submission"
DENIAL = "denial"
OPENING = "opening_balance"
TRANSFER_SECONDARY = "transfer_to_secondary"
LINE_DENIAL = "line_denial"

KINDS = (CHARGE, PAYER_PAYMENT, PATIENT_PAYMENT, CONTRACTUAL, DENIAL_WRITEOFF, BAD_DEBT,
         TRANSFER, SUBMISSION, DENIAL, OPENING, TRANSFER_SECONDARY, LINE_DENIAL)
DEBITS = (CHARGE, OPENING)
"""Kinds that raise a claim's open balance."""
REDUCING = (PAYER_PAYMENT, PATIENT_PAYMENT, CONTRACTUAL, DENIAL_WRITEOFF, BAD_DEBT)
"""Kinds that lower a claim's open balance."""
WRITEOFFS = (DENIAL_WRITEOFF, BAD_DEBT)
SIGN = {CHARGE: 1, OPENING: 1, **{k: -1 for k in REDUCING}, TRANSFER: 0, SUBMISSION: 0,
        DENIAL: 0, TRANSFER_SECONDARY: 0, LINE_DENIAL: 0}
COLUMNS = ("day", "claim", "service_day", "patient", "payer", "kind", "amount_cents", "carc_group",
           "carc_reason")


KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}
CHARITY = "charity"
"""The ``carc_reason`` of a ``contractual_adjustment`` for financial assistance (charity
care): the practice's policy, not a CARC."""
UNDERPAYMENT = "underpayment"
"""``carc_reason`` of the practice's own postings closing an underpayment it found: the
payer's payment of the difference after an appeal, or the adjustment of what was not
recovered (``carc_group`` empty)."""


_ROW = struct.Struct("9q")
"""A posting's nine integers as ``LedgerBook.rows`` holds them (packing them and appending the
bytes is about twice as fast as ``array.extend``, which grows the array item by item)."""


class LedgerBook:
    """Append-only ledger being written by a simulation.

    A posting is nine integers appended to one flat array (no DataFrame work, no strings and
    no Python objects kept per row): payers are indices into ``payer_names``, kinds are
    ``KIND_CODE`` values and CARC codes are interned in ``codes``. ``frame()`` builds the
    table once, at the end, in one numpy conversion.
    """

    __slots__ = ("code", "payer_names", "rows")

    def __init__(self, payer_names: list[str]) -> None:
        self.payer_names = payer_names
        self.rows = array("q")
        """All postings, nine 64-bit integers each, back to back (compact: 72 bytes a row)."""
        self.code = Interned()
        """``code[text]``: the integer standing for a CARC group or reason code in ``rows``."""

    def post(self, day: int, claim: int, service_day: int, patient: int, payer: int,
             kind: str, cents: int, group: str = "", reason: str = "") -> None:
        """Append one transaction (``cents`` a non-negative int: anything else is a bug, and
        is refused here rather than truncated when the table is built)."""
        if cents.__class__ is not int or cents < 0:
            raise TypeError(f"claim {claim}: {kind} amount must be non-negative integer cents, "
                            f"got {cents!r}")
        code = self.code
        self.rows.frombytes(_ROW.pack(day, claim, service_day, patient, payer, KIND_CODE[kind],
                                      cents, code[group], code[reason]))

    def frame(self) -> pd.DataFrame:
        table = np.frombuffer(self.rows, dtype=np.int64).reshape(-1, 9)
        day, claim, service, patient, payer, kind, cents, group, reason = table.T

        def coded(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, categories=categories)

        return ledger_frame({
            "day": day, "claim": claim, "service_day": service, "patient": patient,
            "payer": coded(payer, self.payer_names), "kind": coded(kind, list(KINDS)),
            "amount_cents": cents,
            "carc_group": coded(group, list(self.code)).remove_unused_categories(),
            "carc_reason": coded(reason, list(self.code)).remove_unused_categories(),
        })


class Interned(dict):
    """Strings numbered in order of first use: ``interned[text]`` is a plain dict lookup, and
    a new string gets the next number. Iterating gives the strings in number order."""

    def __init__(self) -> None:
        super().__init__({"": 0})

    def __missing__(self, key: str) -> int:
        value = self[key] = len(self)
        return value


def labels(names: list[str], index: np.ndarray) -> pd.Categorical:
    """``pd.Categorical([names[i] for i in index])``, built without a string per row: the
    categories (sorted, only the names used) and their codes come from the distinct indices."""
    used = np.unique(index)
    present = pd.Categorical([names[i] for i in used.tolist()])
    codes = np.zeros(len(names), dtype=np.int64)
    codes[used] = present.codes
    return pd.Categorical.from_codes(codes[index], dtype=present.dtype)


def ledger_frame(columns: dict[str, object]) -> pd.DataFrame:
    """A ledger DataFrame with the schema's dtypes (categoricals for codes and names)."""
    df = pd.DataFrame(columns)
    df["day"] = df["day"].astype("int32")
    df["claim"] = df["claim"].astype("int64")
    df["service_day"] = df["service_day"].astype("int32")
    df["patient"] = df["patient"].astype("int64")
    df["amount_cents"] = df["amount_cents"].astype("int64")
    for col in ("payer", "carc_group", "carc_reason"):
        if not isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = pd.Categorical(np.asarray(df[col], dtype=object))
    if not isinstance(df["kind"].dtype, pd.CategoricalDtype):
        df["kind"] = pd.Categorical(np.asarray(df["kind"], dtype=object), categories=list(KINDS))
    return df


def signed_cents(ledger: pd.DataFrame) -> np.ndarray:
    """Each row's effect on its claim's open balance, in cents."""
    sign = ledger["kind"].map(SIGN).astype("int64").to_numpy()
    return sign * ledger["amount_cents"].to_numpy()


def claim_totals(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per claim: cents by kind plus ``open_balance`` (charge minus every reduction)."""
    totals = ledger.pivot_table(index="claim", columns="kind", values="amount_cents",
                                aggfunc="sum", fill_value=0, observed=False)
    totals = totals.reindex(columns=list(KINDS), fill_value=0).astype("int64")
    totals["open_balance"] = (totals[list(DEBITS)].sum(axis=1)
                              - totals[list(REDUCING)].sum(axis=1))
    return totals


def balance_violations(ledger: pd.DataFrame) -> pd.DataFrame:
    """Rows after which a claim's running open balance is negative, or a posting that precedes
    the claim's charge: an empty frame means every claim balanced at every moment."""
    running = pd.Series(signed_cents(ledger), index=ledger.index).groupby(
        ledger["claim"].to_numpy()).cumsum()
    is_charge = ledger["kind"].isin(DEBITS).astype("int64")
    charged = is_charge.groupby(ledger["claim"].to_numpy()).cumsum()
    bad = (running < 0) | ((charged == 0) & (ledger["amount_cents"] > 0))
    return ledger[bad.to_numpy()]


def open_balances(ledger: pd.DataFrame, as_of_day: int | None = None) -> pd.Series:
    """Open balance per claim (cents) after all transactions up to ``as_of_day`` inclusive."""
    rows = ledger if as_of_day is None else ledger[ledger["day"] <= as_of_day]
    return pd.Series(signed_cents(rows), index=rows.index).groupby(
        rows["claim"].to_numpy()).sum()
