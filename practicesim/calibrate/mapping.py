"""What the CSV readers share: a column mapping loaded from YAML, the CSV read with the columns
the mapping names, and dates parsed, each problem a ``DataError`` naming file, row and column.
Rows are numbered as a spreadsheet shows them (row 1 is the header)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from practicesim.calibrate.errors import DataError

M = TypeVar("M", bound=BaseModel)


def load_mapping(path: str | Path, model: type[M], required: Iterable[str]) -> M:
    """A mapping YAML file validated as ``model``, whose ``columns`` must name a source column
    for each of ``required``; errors name the file and the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(path, "", "a readable mapping YAML file", str(exc)) from None
    except yaml.YAMLError as exc:
        raise DataError(path, "", "valid YAML", exc.__class__.__name__) from None
    try:
        mapping = model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise DataError(path, key, err["msg"].lower(), err.get("input")) from None
    required = list(required)
    missing = [c for c in required if c not in mapping.columns]  # type: ignore[attr-defined]
    if missing:
        raise DataError(path, "columns", f"a source column for each of {required}",
                        f"none for {missing}")
    return mapping


def read_mapped_csv(path: Path, columns: Iterable[str], what: str) -> pd.DataFrame:
    """The CSV as text, indexed by spreadsheet row number, with every column in ``columns``
    present (``what``: what the file should be, for the error)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=True)
    except FileNotFoundError:
        raise DataError(path, "", what, "no such file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(path, "", "a CSV file", str(exc).splitlines()[0]) from None
    columns = list(columns)
    missing = [src for src in columns if src not in raw.columns]
    if missing:
        raise DataError(path, f"column {missing[0]!r}",
                        f"the columns the mapping names {sorted(set(columns))}",
                        list(raw.columns))
    raw.index = pd.RangeIndex(2, len(raw) + 2, name="row")
    return raw


def parse_dates(raw: pd.DataFrame, column: str, path: Path, fmt: str | None,
                optional: bool = False) -> pd.Series:
    """A column of dates (``fmt``: strftime format, None for ISO 8601 and the like), as naive
    timestamps; a value that does not parse, or (unless ``optional``) a missing one, is a
    ``DataError`` naming its row."""
    text = raw[column]
    parsed = pd.to_datetime(text, format=fmt if fmt else "mixed", errors="coerce", utc=True)
    bad = parsed.isna() & (text.notna() if optional else True)
    if bad.any():
        row = int(bad.idxmax())
        raise DataError(path, f"row {row}, column {column!r}",
                        f"a date{f' in format {fmt}' if fmt else ''}", raw.at[row, column])
    return parsed.dt.tz_localize(None)
