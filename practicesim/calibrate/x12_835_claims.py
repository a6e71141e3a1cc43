"""The claim level of the 835 reader (practicesim.calibrate.x12_835): claim payment information
(loop 2100: CLP, NM1, DTM, CAS) and service payment information (loop 2110: SVC, DTM, CAS) read
into ``claims``, ``service_lines`` and ``adjustments`` rows, amounts in integer cents, with the
claim's and the line's balance checks (``unreconciled``) and the two SVC deviations seen in TR3
examples repaired (``notes``). The transaction being read (ST..SE) holds the claims until its SE
gives them their check number and payment date."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pyx12.segment import Segment

from practicesim.calibrate.errors import DataError
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.x12_835_segments import SegmentReader

GROUPS = ("CO", "CR", "OA", "PI", "PR")
"""CAS01 claim adjustment group codes (CR is 4010's corrections and reversals)."""

_ALT_COMPONENT_SEPARATORS = (">", ":")


@dataclass
class _Line:
    """A service line being read (SVC and what follows it)."""

    segment: int
    number: int
    elements: list[str]
    components: list[str]
    cas_cents: int = 0
    service_date: pd.Timestamp | None = None
    period_start: pd.Timestamp | None = None


@dataclass
class _Claim:
    """A claim being read (CLP and what follows it)."""

    segment: int
    row: dict
    cas_cents: int = 0
    pr_cents: int = 0
    lines: int = 0
    line_dates: list[pd.Timestamp] = field(default_factory=list)


@dataclass
class Transaction:
    """A transaction being read (ST..SE)."""

    segment: int
    control: str
    loop: str = "header"
    bpr_segment: int = 0
    paid_cents: int | None = None
    handling: str = ""
    method: str = ""
    bpr16: str = ""
    production_date: pd.Timestamp | None = None
    check_number: str | None = None
    trn_payer: str = ""
    payer_name: str | None = None
    payer_id: str = ""
    plb_cents: int = 0
    clp_paid_cents: int = 0
    claims: list[dict] = field(default_factory=list)
    plb: list[dict] = field(default_factory=list)


class ClaimReader(SegmentReader):
    """Reads the claims of a file's transactions (``txn``: the transaction being read, ``claim``
    and ``line``: the claim and service line being read, None outside them); claims are
    numbered (``claim_row``) from ``first_row``."""

    def __init__(self, path: Path, name: str, pseudo: Pseudonymizer, first_row: int) -> None:
        super().__init__(path, name, pseudo)
        self.next_row = first_row
        self.txn: Transaction | None = None
        self.claim: _Claim | None = None
        self.line: _Line | None = None

    # -- loops being read ------------------------------------------------------------------

    def _in_transaction(self) -> Transaction:
        if self.txn is None:
            raise self._error("the segment inside a transaction (after ST)", self.sid)
        return self.txn

    def _in_claim(self) -> _Claim:
        if self.claim is None:
            raise self._error("the segment inside a claim (after CLP)", self.sid)
        return self.claim

    # -- claims ----------------------------------------------------------------------------

    def _clp(self, segment: Segment) -> None:
        txn = self._in_transaction()
        self._close_claim()
        txn.loop = "claims"
        row = {
            "file": self.name, "claim_row": self.next_row,
            "claim": self.pseudo.one(self._required(segment, 1, "patient control number")),
            "status": self._required(segment, 2, "claim status code"),
            "charge_cents": self._amount(segment, 3, "total claim charge"),
            "paid_cents": self._amount(segment, 4, "claim payment amount"),
            "patient_responsibility_cents": self._optional_amount(
                segment, 5, "patient responsibility amount"),
            "filing_indicator": self._text(segment, 6),
            "payer_claim": self._pseudonym(self._text(segment, 7)), "patient": -1,
            "service_date": pd.NaT, "received_date": pd.NaT, "rendering_npi": "",
        }
        self.next_row += 1
        self.claim = _Claim(self.n, row)
        txn.clp_paid_cents += row["paid_cents"]

    def _nm1(self, segment: Segment) -> None:
        """The patient's (QC) or else the insured's (IL) member id, pseudonymized: the claim's
        patient for the small-cell rule; the rendering provider's NPI (82, XX), a provider's
        public identifier, kept as it is. Names (NM103-NM107) are never read."""
        if self.claim is None or self.line is not None:
            return
        entity, member = self._text(segment, 1), self._text(segment, 9)
        if entity == "82" and self._text(segment, 8) == "XX":
            self.claim.row["rendering_npi"] = member
            return
        if member and (entity == "QC" or (entity == "IL" and self.claim.row["patient"] < 0)):
            self.claim.row["patient"] = self.pseudo.one(f"member:{member}")

    def _dtm(self, segment: Segment) -> None:
        """A service line's date (DTM*472 service, DTM*150 period start), a claim's (DTM*232
        service, DTM*050 received) or, outside a claim, the production date (DTM*405)."""
        txn = self._in_transaction()
        qualifier = self._text(segment, 1)
        date = self._date(self._required(segment, 2, "date"), f"DTM02 (date of DTM*{qualifier})")
        if self.line is not None:
            if qualifier == "472":
                self.line.service_date = date
            elif qualifier == "150":
                self.line.period_start = date
        elif self.claim is not None:
            if qualifier in ("232", "050"):
                key = "service_date" if qualifier == "232" else "received_date"
                self.claim.row[key] = date
        elif qualifier == "405":
            txn.production_date = date

    def _cas(self, segment: Segment) -> None:
        claim = self._in_claim()
        group = self._required(segment, 1, "claim adjustment group code")
        if group not in GROUPS:
            raise self._error(f"CAS01 (group code) one of {', '.join(GROUPS)}", group)
        self._required(segment, 2, "adjustment reason code")
        for first in range(2, 20, 3):
            self._cas_triplet(segment, group, first, claim)

    def _cas_triplet(self, segment: Segment, group: str, first: int, claim: _Claim) -> None:
        reason = self._text(segment, first)
        if not reason:
            if self._text(segment, first + 1) or self._text(segment, first + 2):
                raise self._error(f"CAS{first:02d} (reason code) before its amount", "nothing")
            return
        cents = self._amount(segment, first + 1, "adjustment amount")
        quantity = self._quantity(self._text(segment, first + 2), f"CAS{first + 2:02d}")
        self.rows["adjustments"].append({
            "file": self.name, "claim_row": claim.row["claim_row"], "claim": claim.row["claim"],
            "line": self.line.number if self.line is not None else -1, "group": group,
            "reason": reason, "amount_cents": cents, "quantity": quantity})
        claim.cas_cents += cents
        if group == "PR":
            claim.pr_cents += cents
        if self.line is not None:
            self.line.cas_cents += cents

    def _svc(self, segment: Segment) -> None:
        claim = self._in_claim()
        self._close_line()
        claim.lines += 1
        elements = [self._text(segment, i) for i in range(1, 8)]
        self.line = _Line(self.n, claim.lines, elements, self._components(segment, 1))

    def _close_claim(self) -> None:
        self._close_line()
        claim = self.claim
        if claim is None:
            return
        row = claim.row
        if pd.isna(row["service_date"]) and claim.line_dates:
            row["service_date"] = min(claim.line_dates)
        where = {"segment": claim.segment, "claim_row": row["claim_row"], "claim": row["claim"]}
        self._check("claim", where, row["charge_cents"] - row["paid_cents"], claim.cas_cents,
                    "CLP03 - CLP04 = sum of the claim's CAS amounts (claim and line level)")
        self._check("patient_responsibility", where, row["patient_responsibility_cents"],
                    claim.pr_cents, "CLP05 = sum of the claim's PR adjustments")
        self._in_transaction().claims.append(row)
        self.claim = None

    # -- service lines ---------------------------------------------------------------------

    def _close_line(self) -> None:
        line, claim = self.line, self.claim
        if line is None or claim is None:
            return
        self.line = None
        with self._at(line.segment, "SVC"):
            qualifier, code, modifiers, amounts = self._line_fields(line)
        charge, paid, units = amounts
        date = line.service_date if line.service_date is not None else line.period_start
        if date is not None:
            claim.line_dates.append(date)
        self.rows["service_lines"].append({
            "file": self.name, "claim_row": claim.row["claim_row"], "claim": claim.row["claim"],
            "line": line.number, "qualifier": qualifier, "procedure": code,
            "modifiers": modifiers, "charge_cents": charge, "paid_cents": paid,
            "units": units, "service_date": date if date is not None else pd.NaT})
        self._check("line", {"segment": line.segment, "claim_row": claim.row["claim_row"],
                             "claim": claim.row["claim"]}, charge - paid, line.cas_cents,
                    "SVC02 - SVC03 = sum of the line's CAS amounts")

    def _line_fields(self, line: _Line) -> tuple[str, str, str, tuple[int, int, float]]:
        """Qualifier, procedure code, modifiers and (charge, paid, units) of an SVC, with the
        two deviations seen in TR3 examples repaired and noted (docs/x12.md)."""
        components = line.components
        if len(components) == 1:
            components = self._alternative_split(components[0])
        if len(components) >= 2 and components[1]:
            return (components[0], components[1], ",".join(c for c in components[2:6] if c),
                    self._line_amounts(line.elements[1:]))
        return self._shifted_line(line, components[0])

    def _alternative_split(self, value: str) -> list[str]:
        for separator in _ALT_COMPONENT_SEPARATORS:
            if separator in value:
                self._note(f"SVC01 {value!r} uses {separator!r} as component separator (ISA16 "
                           f"declares another): split on {separator!r}")
                return value.split(separator)
        return [value]

    def _line_amounts(self, elements: list[str]) -> tuple[int, int, float]:
        """(charge, paid, units) from SVC02, SVC03 and SVC05 (given from SVC02 on)."""
        if not elements[0] or not elements[1]:
            raise self._error("SVC02 (charge) and SVC03 (paid amount)", "nothing")
        units = self._quantity(elements[3], "SVC05 (units)")
        return (self._cents(elements[0], "SVC02 (line charge)"),
                self._cents(elements[1], "SVC03 (line paid amount)"),
                1.0 if math.isnan(units) else units)

    def _shifted_line(self, line: _Line, qualifier: str) -> tuple[str, str, str,
                                                                      tuple[int, int, float]]:
        """An SVC01 with the qualifier only: accepted when SVC02 holds a whole-number procedure
        code and the amounts one element later balance the line's CAS (a TR3 example reads
        ``SVC*HC*24599.00*1766.50*187.50**1``); otherwise a DataError."""
        code = line.elements[1]
        whole = re.fullmatch(r"(\d+)(\.0*)?", code)
        try:
            amounts = self._line_amounts(line.elements[2:]) if whole else None
        except DataError:
            amounts = None
        if whole is None or amounts is None or amounts[0] - amounts[1] != line.cas_cents:
            raise self._error("SVC01 (procedure) as qualifier:code", ":".join(line.components))
        self._note(f"SVC01 {qualifier!r} has no procedure code and SVC02 reads {code!r}: read "
                   f"as {qualifier}:{whole.group(1)} with the amounts one element later, which "
                   "balance the line's CAS")
        return qualifier, whole.group(1), "", amounts

    # -- reports ---------------------------------------------------------------------------

    def _check(self, check: str, where: dict, expected: int, found: int, rule: str,
               check_number: str | None = None) -> None:
        if expected == found:
            return
        txn = self._in_transaction()
        self.rows["unreconciled"].append({
            "file": self.name, "check": check, **where, "rule": rule,
            "check_number": check_number or txn.check_number or "",
            "expected_cents": expected, "found_cents": found})
