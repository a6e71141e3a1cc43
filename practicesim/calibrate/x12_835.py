"""Reader of one X12 835 file (ERA, 5010 X221A1) into the rows of the ``Remittances`` tables
(practicesim.calibrate.remittance, whose ``read_835`` reads a folder of them): payments, claims,
service lines, CAS adjustments and PLB provider adjustments in integer cents, checked for
balance (``unreconciled``), with the deviations read anyway in ``notes``. See docs/x12.md.

pyx12 splits the file into segments and checks the envelope (ISA/GS/ST counts and control
numbers); the reader reads the segments it needs, in three layers: x12_835_segments
(``SegmentReader``: segments, envelope errors, error positions, element guards), x12_835_claims
(``ClaimReader``: claims, service lines, CAS adjustments) and this module (the transaction: ST,
BPR, TRN, N1, REF, LX, PLB, SE, and the payment rows). Patient names (NM1 segments) are never
read; member ids (NM109), claim numbers (CLP01, CLP07) and PLB references become keyed
pseudonyms as they are read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pyx12.segment import Segment
from pyx12.x12file import X12Reader

from practicesim.calibrate.errors import DataError
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.x12_835_claims import ClaimReader, Transaction
from practicesim.calibrate.x12_835_segments import NotAn835


def read_file(path: Path, name: str, pseudo: Pseudonymizer, first_row: int,
              ) -> dict[str, list[dict]]:
    """The rows of the 835 file at ``path`` by table name (``TABLES``), its claims numbered
    (``claim_row``) from ``first_row``; ``name`` is the file's name in the tables. Raises
    ``NotAn835`` when it is not an X12 835, a ``DataError`` naming the segment for any other
    defect."""
    return _FileReader(path, name, pseudo, first_row).read()


class _FileReader(ClaimReader):
    """Reads one file's segments into table rows (``read()``): the transaction level here,
    claims in ``ClaimReader``, segments and elements in ``SegmentReader``."""

    def __init__(self, path: Path, name: str, pseudo: Pseudonymizer, first_row: int) -> None:
        super().__init__(path, name, pseudo, first_row)
        self.handlers: dict[str, Callable[[Segment], None]] = {
            "ST": self._st, "BPR": self._bpr, "TRN": self._trn, "DTM": self._dtm,
            "N1": self._n1, "NM1": self._nm1, "REF": self._ref, "LX": self._lx, "CLP": self._clp,
            "CAS": self._cas, "SVC": self._svc, "PLB": self._plb, "SE": self._se}

    # -- reading ---------------------------------------------------------------------------

    def read(self) -> dict[str, list[dict]]:
        """All rows of the file, by table name."""
        reader = self._reader()
        with reader:
            for segment in self._segments(reader):
                self._segment(segment)
            self._at_end(reader)
        return self.rows

    def _at_end(self, reader: X12Reader) -> None:
        self._check_nothing_left(reader)
        if self.txn is not None:
            raise self._error(f"SE closing the transaction begun at segment "
                              f"{self.txn.segment} (ST)", "end of file")
        self._close_envelope(reader)
        if not self.rows["payments"]:
            raise NotAn835(self.path, f"segment {self.n} ({self.sid})",
                           "an 835 transaction (ST*835)", "none")

    def _segment(self, segment: Segment) -> None:
        handler = self.handlers.get(self.sid)
        if handler is not None:
            handler(segment)
        elif self.txn is None and self.sid not in ("ISA", "GS", "GE", "IEA"):
            raise self._error("ISA, GS, ST, GE or IEA outside a transaction", self.sid)

    # -- transaction header ----------------------------------------------------------------

    def _st(self, segment: Segment) -> None:
        if self.txn is not None:
            raise self._error(f"SE closing the transaction begun at segment {self.txn.segment}",
                              "ST")
        kind = self._text(segment, 1)
        if kind != "835":
            error = NotAn835 if not self.rows["payments"] else DataError
            raise error(self.path, self.where, "an 835 transaction (ST01 = 835)", kind)
        self.txn = Transaction(self.n, self._text(segment, 2))

    def _bpr(self, segment: Segment) -> None:
        txn = self._in_transaction()
        txn.bpr_segment = self.n
        txn.handling = self._required(segment, 1, "transaction handling code")
        cents = self._amount(segment, 2, "total payment")
        credit = self._required(segment, 3, "credit/debit flag")
        if credit not in ("C", "D"):
            raise self._error("BPR03 (credit/debit flag) C or D", credit)
        txn.paid_cents = -cents if credit == "D" else cents
        txn.method = self._required(segment, 4, "payment method")
        txn.bpr16 = self._text(segment, 16)

    def _trn(self, segment: Segment) -> None:
        txn = self._in_transaction()
        txn.check_number = self._required(segment, 2, "check or EFT trace number")
        txn.trn_payer = self._text(segment, 3)

    def _n1(self, segment: Segment) -> None:
        txn = self._in_transaction()
        entity = self._text(segment, 1)
        txn.loop = {"PR": "payer", "PE": "payee"}.get(entity, "other")
        if entity == "PR":
            txn.payer_name = self._required(segment, 2, "payer name")
            txn.payer_id = self._text(segment, 4)

    def _ref(self, segment: Segment) -> None:
        txn = self._in_transaction()
        if txn.loop == "payer" and self._text(segment, 1) == "2U" and not txn.payer_id:
            txn.payer_id = self._text(segment, 2)

    def _lx(self, segment: Segment) -> None:
        self._in_transaction().loop = "claims"
        self._close_claim()

    # -- provider adjustments and trailer --------------------------------------------------

    def _plb(self, segment: Segment) -> None:
        txn = self._in_transaction()
        self._close_claim()
        self._required(segment, 1, "provider identifier")
        period = self._date(self._required(segment, 2, "fiscal period date"), "PLB02")
        self._required(segment, 3, "adjustment reason")
        for first in range(3, 15, 2):
            components = self._components(segment, first)
            if not components[0]:
                if self._text(segment, first + 1):
                    raise self._error(f"PLB{first:02d} (reason) before its amount", "nothing")
                continue
            cents = self._amount(segment, first + 1, "provider adjustment amount")
            txn.plb_cents += cents
            txn.plb.append({"file": self.name, "fiscal_period_date": period,
                            "reason": components[0], "amount_cents": cents,
                            "reference": self._pseudonym(
                                components[1] if len(components) > 1 else "")})

    def _se(self, segment: Segment) -> None:
        txn = self._in_transaction()
        self._close_claim()
        if txn.paid_cents is None:
            raise self._error("BPR (financial information) in the transaction", "none")
        if txn.check_number is None:
            raise self._error("TRN (check or EFT trace number) in the transaction", "none")
        if txn.payer_name is None:
            raise self._error("N1*PR (payer name) in the transaction", "none")
        date = self._payment_date(txn)
        common = {"file": self.name, "check_number": txn.check_number}
        self.rows["payments"].append({
            **common, "transaction": txn.control, "payer_name": txn.payer_name,
            "payer_id": txn.payer_id or txn.trn_payer, "payment_date": date,
            "paid_cents": txn.paid_cents, "handling": txn.handling, "method": txn.method,
            "plb_cents": txn.plb_cents})
        for row in txn.claims:
            row.update(check_number=txn.check_number, payment_date=date,
                       payer_name=txn.payer_name)
        self.rows["claims"].extend(txn.claims)
        self.rows["provider_adjustments"].extend({**common, **p} for p in txn.plb)
        self._check("transaction", {"segment": txn.bpr_segment, "claim_row": -1, "claim": -1},
                    txn.paid_cents, txn.clp_paid_cents - txn.plb_cents,
                    "BPR02 = sum of CLP04 - sum of PLB amounts", txn.check_number)
        self.txn = None

    def _payment_date(self, txn: Transaction) -> pd.Timestamp:
        """BPR16; when it is not a date, the production date (DTM*405), noted."""
        with self._at(txn.bpr_segment, "BPR"):
            try:
                return self._date(txn.bpr16, "BPR16 (payment date)")
            except DataError:
                if txn.production_date is None:
                    raise
                state = f"{txn.bpr16!r} is not a date" if txn.bpr16 else "is absent"
                self._note(f"BPR16 (payment date) {state}: payment date taken from DTM*405 "
                           f"(production date) {txn.production_date.date()}")
                return txn.production_date
