"""Reader of X12 835 electronic remittance advice (ERA, 5010 X221A1): payments, claims, service
lines, CAS adjustments and PLB provider adjustments in integer cents, checked for balance, and
turned into the simulator's ledger (``Remittances.ledger``). See docs/x12.md.

This module holds the entry points, ``read_835`` and ``Remittances``: the file reader is
practicesim.calibrate.x12_835 (with x12_835_claims and x12_835_segments), the ledger
remittance_ledger, the tables' columns remittance_tables. pyx12 splits the file into segments
and checks the envelope (ISA/GS/ST counts and control numbers); the reader reads the segments
it needs. Patient names (NM1 segments) are never read; member ids (NM109), claim numbers (CLP01,
CLP07) and PLB references become keyed pseudonyms as they are read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from practicesim.calibrate import remittance_ledger, x12_835
from practicesim.calibrate.errors import DataError
from practicesim.calibrate.privacy import SESSION, Pseudonymizer
from practicesim.calibrate.remittance_tables import NOTES, SKIPPED, TABLES, table_frame

__all__ = ["Remittances", "read_835"]


@dataclass
class Remittances:
    """What a set of 835 files says, one DataFrame per level. Amounts are int64 cents (X12
    decimals converted exactly; negative where the file has them), dates are datetime64 (NaT
    when absent), ``file`` is the path relative to the folder read (a file read alone: its name).

    ``payments``: one row per transaction (ST..SE): ``transaction`` (ST02), ``payer_name``
    (N1*PR N102), ``payer_id`` (N1*PR N104, else REF*2U, else TRN03), ``check_number`` (TRN02,
    check or EFT trace number), ``payment_date`` (BPR16; DTM*405 when BPR16 is not a date, see
    ``notes``), ``paid_cents`` (BPR02, negative when BPR03 = D), ``handling`` (BPR01: I payment
    with remittance, H notification only, ...), ``method`` (BPR04: CHK, ACH, NON, ...),
    ``plb_cents`` (sum of the PLB amounts; a negative PLB adds to the payment).

    ``claims``: one row per CLP, ``claim_row`` = its row number (0, 1, ...): ``check_number``,
    ``claim`` (pseudonym of CLP01, the practice's claim number), ``status`` (CLP02: 1, 2, 3
    processed as primary, secondary, tertiary; 4 denied; 22 reversal; ...), ``charge_cents``
    (CLP03), ``paid_cents`` (CLP04), ``patient_responsibility_cents`` (CLP05, 0 if absent),
    ``filing_indicator`` (CLP06: MB, MC, 12, CI, ...; "" if absent), ``payer_claim`` (pseudonym
    of CLP07, -1 if absent), ``patient`` (pseudonym of the patient's member id, NM1*QC NM109,
    else the insured's, NM1*IL NM109; -1 if neither: the names are never read),
    ``service_date`` (DTM*232, else the earliest service-line date,
    else NaT), ``received_date`` (DTM*050), ``payment_date`` and ``payer_name`` (its payment's),
    ``rendering_npi`` (NM1*82 with qualifier XX; "" if absent).

    ``service_lines``: one row per SVC: ``claim_row``, ``claim``, ``line`` (1, 2, ... within the
    claim), ``qualifier`` (SVC01-1: HC for HCPCS/CPT, ...), ``procedure`` (SVC01-2),
    ``modifiers`` (SVC01-3..6 joined by ","), ``charge_cents`` (SVC02), ``paid_cents``
    (SVC03), ``units`` (SVC05, 1 when absent), ``service_date`` (DTM*472, else DTM*150).

    ``adjustments``: one row per CAS triplet: ``claim_row``, ``claim``, ``line`` (-1 at claim
    level), ``group`` (CO, CR, OA, PI, PR), ``reason`` (CARC), ``amount_cents`` (positive
    reduces the payment), ``quantity`` (units, NaN if absent).

    ``provider_adjustments``: one row per PLB amount: ``check_number``,
    ``fiscal_period_date`` (PLB02), ``reason`` (PLB03-1: L6 interest, WO overpayment recovery,
    FB forwarding balance, CV capital pass-through, ...), ``reference`` (pseudonym of PLB03-2,
    which often is a claim number; -1 if absent), ``amount_cents`` (positive reduces the
    payment).

    ``unreconciled``: balance checks that failed (reported, not fatal): ``check`` is
    ``transaction`` (BPR02 = sum CLP04 - sum PLB), ``claim`` (CLP03 - CLP04 = sum of the claim's
    CAS amounts, claim and line level), ``patient_responsibility`` (CLP05 = sum of its PR
    amounts) or ``line`` (SVC02 - SVC03 = sum of the line's CAS amounts); ``segment`` is the
    BPR, CLP or SVC segment's number in its file (ISA = 1); ``expected_cents`` and
    ``found_cents`` the two sides of ``rule``; ``claim_row``/``claim`` -1 for a transaction.

    ``notes``: deviations from the TR3 that were read anyway, and how (file, segment, note).
    ``skipped``: files of a folder that are not X12 835s (file, reason): nothing else is left
    out.
    """

    payments: pd.DataFrame
    claims: pd.DataFrame
    service_lines: pd.DataFrame
    adjustments: pd.DataFrame
    provider_adjustments: pd.DataFrame
    unreconciled: pd.DataFrame
    notes: pd.DataFrame = field(default_factory=lambda: table_frame([], NOTES))
    skipped: pd.DataFrame = field(default_factory=lambda: table_frame([], SKIPPED))

    def ledger_exclusions(self) -> pd.DataFrame:
        """Claims that ``ledger`` leaves out, with the reason (claim_row, file, claim, reason):
        reversals (CLP02 = 22) and the payments they reverse, predeterminations (CLP02 = 25),
        negative charges or payments, and claims whose adjustments cannot be posted as
        non-negative cents."""
        return remittance_ledger.ledger_exclusions(self.claims, self.adjustments)

    def ledger(self, origin: dt.date, payer_names: Mapping[str, str] | None = None,
               ) -> pd.DataFrame:
        """The claims as the simulator's ledger (``practicesim.ledger`` schema).

        ``day``: days from ``origin`` to the payment date (negative before it); ``charge`` and
        ``submission`` are on the received date (DTM*050) when it is earlier, else on the date of
        service (a claim with no received date is taken as sent on its date of service, so a lag
        fitted from these ledgers counts from service rather than being zero). ``service_day``: days
        from ``origin`` to the service date (the charge's day when there is none). ``claim`` =
        ``claim_row`` (one ledger claim per CLP: a claim adjudicated by two payers, or twice, is two
        ledger claims; ``claims.claim`` links them). ``patient``: the claim's (pseudonym of the
        member id; -1 if unknown). ``payer``: the payer name, renamed by ``payer_names`` (which must
        then name every payer).

        Per claim: ``charge`` (CLP03), ``submission``, a ``denial`` event per denial CARC,
        ``contractual_adjustment``, ``transfer_to_patient`` (PR) and ``denial_writeoff`` per
        (group, reason) summed over claim and lines, then ``payer_payment`` (CLP04, if not 0).
        So charge = payments + contractual + write-offs + open balance, with open balance = the
        PR amounts (CLP05 when the claim reconciles). Claims in ``ledger_exclusions()`` are left
        out.
        """
        return remittance_ledger.ledger(self.claims, self.adjustments, origin, payer_names)


def read_835(path: str | Path, pseudonymizer: Pseudonymizer | None = None) -> Remittances:
    """Read one 835 file, or every file under a folder (recursively, in sorted order).

    In a folder, files that are not X12 835s (no ISA header, or transactions other than 835)
    are listed in ``Remittances.skipped``; a file named alone must be an 835. Any other defect
    is a ``DataError`` naming the file and the segment (``segment 37 (CLP)``, ISA = 1):
    truncated file, wrong SE01 count or envelope, non-numeric amount, missing required element,
    unparseable date. Balance failures are reported in ``unreconciled``, not raised.
    """
    root = Path(path)
    pseudo = pseudonymizer if pseudonymizer is not None else SESSION
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file())
    elif root.is_file():
        files = [root]
    else:
        raise DataError(root, "", "an 835 file or a folder of them", "nothing at this path")
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    skipped: list[dict] = []
    for file in files:
        name = file.relative_to(root).as_posix() if root.is_dir() else file.name
        try:
            found = x12_835.read_file(file, name, pseudo, len(tables["claims"]))
        except x12_835.NotAn835 as exc:
            if not root.is_dir():
                raise DataError(exc.path, exc.where, exc.expected, exc.found) from None
            skipped.append({"file": name, "reason": f"expected {exc.expected}, found "
                                                    f"{exc.found!r:.40}"})
            continue
        for table, rows in found.items():
            tables[table].extend(rows)
    if not tables["payments"]:
        raise DataError(root, "", "at least one X12 835 transaction",
                        f"none ({len(skipped)} files skipped)")
    frames = {table: table_frame(rows, TABLES[table]) for table, rows in tables.items()}
    return Remittances(**frames, skipped=table_frame(skipped, SKIPPED))
