"""Errors of a practice's data files: each names the file, the row or segment, what was expected
and what was found, so a consultant can fix the export and run again."""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """A data file cannot be read as it is.

    ``where``: the row (``row 12``, counting the header as row 1, as a spreadsheet shows it),
    the column, or the X12 segment (``segment 37 (CLP)``)."""

    def __init__(self, path: str | Path, where: str, expected: str, found: object) -> None:
        self.path, self.where, self.expected, self.found = str(path), where, expected, found
        location = f"{path}: {where}: " if where else f"{path}: "
        super().__init__(f"{location}expected {expected}, found {found!r:.80}")
