"""The segment level of the 835 reader (practicesim.calibrate.x12_835): one file's X12 segments
read through pyx12, whose envelope checks (ISA/GS/ST counts and control numbers) become
``DataError``s; the position that errors and notes name (``segment 37 (CLP)``, ISA = 1); and
the element guards: text, components, required elements, amounts in integer cents (X12 decimals
converted exactly), quantities and dates (CCYYMMDD)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyx12.errors
from pyx12.segment import Segment
from pyx12.x12file import X12Reader

from practicesim.calibrate.errors import DataError
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.remittance_tables import TABLES

_AMOUNT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")
_DATE8 = re.compile(r"\d{8}")


class NotAn835(DataError):
    """The file is not an X12 835 (no ISA header, or its first transaction is not an 835)."""


class SegmentReader:
    """One file's segments (``_segments``) and the elements of the segment being read: its
    number ``n`` in the file (ISA = 1) and its id ``sid`` name the position in every DataError
    and note. Rows read go to ``rows`` (by table name, ``TABLES``)."""

    def __init__(self, path: Path, name: str, pseudo: Pseudonymizer) -> None:
        self.path, self.name, self.pseudo = path, name, pseudo
        self.rows: dict[str, list[dict]] = {table: [] for table in TABLES}
        self.n, self.sid = 0, ""

    # -- segments --------------------------------------------------------------------------

    def _reader(self) -> X12Reader:
        raw = self.path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        text = text.lstrip()
        if not text.startswith("ISA"):
            raise NotAn835(self.path, "segment 1", "an X12 interchange (ISA header)",
                           text[:3])
        try:
            return X12Reader(io.StringIO(text))
        except pyx12.errors.X12Error as exc:
            raise DataError(self.path, "segment 1 (ISA)", "a 106-character ISA header of "
                            "version 00401 or 00501", str(exc)) from exc

    def _segments(self, reader: X12Reader) -> Iterator[Segment]:
        """The file's segments, with pyx12's envelope checks turned into DataErrors."""
        segments = iter(reader)
        while True:
            try:
                segment = next(segments)
            except StopIteration:
                return
            except (pyx12.errors.X12Error, pyx12.errors.EngineError, IndexError) as exc:
                raise DataError(self.path, f"segment {self.n + 1}", "an X12 segment",
                                str(exc)) from exc
            self.n, self.sid = self.n + 1, segment.get_seg_id() or ""
            self._envelope_errors(reader)
            yield segment

    def _envelope_errors(self, reader: X12Reader, at_end: bool = False) -> None:
        """Raise the first envelope error pyx12 found (a trailing element separator is let
        pass: it changes no value)."""
        for kind, code, message, _value, _line in reader.pop_errors():
            if kind == "seg" and code == "SEG1":
                continue
            raise self._error("a well-formed X12 envelope (ISA/GS/ST counts and control "
                              "numbers)", "end of file: " + message if at_end else message)

    def _check_nothing_left(self, reader: X12Reader) -> None:
        """Raise a DataError when text is left after the last segment read."""
        rest = reader.raw.buffer.strip()
        if rest:
            raise DataError(self.path, f"after segment {self.n} ({self.sid})",
                            f"segments ending in {reader.seg_term!r} to the end of the file",
                            f"{len(rest)} characters not read (an empty segment, or no "
                            "terminator at the end)")

    def _close_envelope(self, reader: X12Reader) -> None:
        """Raise the envelope errors pyx12 finds at the end of the file (counts and control
        numbers of the trailers it has not seen)."""
        reader.cleanup()
        self._envelope_errors(reader, at_end=True)

    # -- elements --------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"segment {self.n} ({self.sid})"

    @contextmanager
    def _at(self, segment: int, sid: str) -> Iterator[None]:
        """Errors and notes inside name an earlier segment (one whose reading ends later)."""
        saved = self.n, self.sid
        self.n, self.sid = segment, sid
        try:
            yield
        finally:
            self.n, self.sid = saved

    def _error(self, expected: str, found: object) -> DataError:
        return DataError(self.path, self.where, expected, found)

    def _text(self, segment: Segment, i: int) -> str:
        """Element ``i`` (1-based) as written, stripped ("" when absent)."""
        if i > len(segment.elements):
            return ""
        return segment.elements[i - 1].format().strip()

    def _components(self, segment: Segment, i: int) -> list[str]:
        if i > len(segment.elements):
            return [""]
        return [e.get_value().strip() for e in segment.elements[i - 1].elements]

    def _required(self, segment: Segment, i: int, what: str) -> str:
        value = self._text(segment, i)
        if not value:
            raise self._error(f"{self.sid}{i:02d} ({what})", "nothing")
        return value

    def _cents(self, value: str, element: str) -> int:
        """``value`` (an X12 decimal such as "-1.27") in cents, exactly."""
        if not _AMOUNT.fullmatch(value):
            raise self._error(f"{element} as a decimal amount", value)
        cents = Decimal(value) * 100
        if cents != cents.to_integral_value():
            raise self._error(f"{element} in whole cents", value)
        return int(cents)

    def _amount(self, segment: Segment, i: int, what: str) -> int:
        return self._cents(self._required(segment, i, what), f"{self.sid}{i:02d} ({what})")

    def _optional_amount(self, segment: Segment, i: int, what: str) -> int:
        value = self._text(segment, i)
        return self._cents(value, f"{self.sid}{i:02d} ({what})") if value else 0

    def _quantity(self, value: str, element: str) -> float:
        if not value:
            return float("nan")
        if not _AMOUNT.fullmatch(value):
            raise self._error(f"{element} as a number", value)
        return float(Decimal(value))

    def _date(self, value: str, element: str) -> pd.Timestamp:
        if _DATE8.fullmatch(value):
            try:
                return pd.Timestamp(dt.datetime.strptime(value, "%Y%m%d"))
            except ValueError:
                pass
        raise self._error(f"{element} as a date CCYYMMDD", value)

    def _pseudonym(self, value: str) -> int:
        return self.pseudo.one(value) if value else -1

    # -- notes -----------------------------------------------------------------------------

    def _note(self, note: str) -> None:
        self.rows["notes"].append({"file": self.name, "segment": self.n, "note": note})
