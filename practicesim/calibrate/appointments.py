"""Reading a practice management system's appointment export into one schema.

Any CSV is read through a column mapping (YAML, ``AppointmentMapping``) that names the source
column of each schema column and translates the status values. The result has one row per
appointment:

======================  =========================================================================
``appointment``         pseudonym of the appointment id (int64, ``calibrate.privacy``)
``patient``             pseudonym of the patient id (int64)
``provider``            provider name (string; "unknown" when the export has none)
``visit_type``          visit type (string; "unknown" when the export has none)
``payer``               payer name (string; "unknown" when the export has none)
``booked_at``           when the appointment was made (datetime64)
``appointment_at``      the appointment's date and time (datetime64; midnight if no time)
``lead_days``           whole days from the booking date to the appointment date (int)
``weekday``             the appointment's weekday, Monday = 0 (int)
``status``              ``completed``, ``no_show``, ``cancelled`` or ``late_cancel``
``reminded``            a reminder was sent (bool; False when the export has no such column)
``age``                 the patient's age in years (float; NaN when unknown)
``check_in_at`` ...     ``check_in_at``, ``start_at``, ``end_at`` when the export has them
======================  =========================================================================

Identifiers are pseudonymized as they are read: the raw ids never leave this module. Rows that
are plainly data errors (booked after the appointment day, a negative age) are excluded and
reported in ``frame.attrs["excluded"]`` (records of the CSV row number and reason, row 1 being
the header; ``excluded_rows(frame)`` gives them as a table); any
other problem (a missing column, a date that does not parse, an unknown status) is a
``DataError`` naming the file, row and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from practicesim.calibrate.errors import DataError
from practicesim.calibrate.mapping import load_mapping, parse_dates, read_mapped_csv
from practicesim.calibrate.privacy import SESSION, Pseudonymizer

Status = Literal["completed", "no_show", "cancelled", "late_cancel"]
STATUSES: tuple[str, ...] = ("completed", "no_show", "cancelled", "late_cancel")
REQUIRED = ("appointment", "patient", "booked_at", "appointment_at", "status")
OPTIONAL_TEXT = ("provider", "visit_type", "payer")
OPTIONAL_TIMES = ("check_in_at", "start_at", "end_at")


class AppointmentMapping(BaseModel):
    """Which source column feeds each schema column, and how statuses translate.

    ``columns``: schema column -> source column (required: appointment, patient, booked_at,
    appointment_at, status). ``status_values``: source status -> schema status.
    ``true_values``: source values read as True in ``reminded`` (others are False).
    ``date_format``: strftime format of the date columns (None: ISO 8601 and the like).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = ""
    columns: dict[str, str]
    status_values: dict[str, Status] = Field(min_length=1)
    true_values: list[str] = Field(default_factory=lambda: ["1", "yes", "Yes", "Y", "true",
                                                            "True", "TRUE"])
    date_format: str | None = None


def read_mapping(path: str | Path) -> AppointmentMapping:
    """Load a mapping YAML file; errors name the file and the key."""
    return load_mapping(path, AppointmentMapping, REQUIRED)


def read_appointments(path: str | Path, mapping: AppointmentMapping | str | Path,
                      pseudonymizer: Pseudonymizer = SESSION) -> pd.DataFrame:
    """An appointment export in the schema above (see the module docstring).

    >>> df = read_appointments("export.csv", "calibration/vitoria_mapping.yaml")  # doctest: +SKIP
    >>> excluded_rows(df)  # rows left out as data errors, with their reasons  # doctest: +SKIP
    """
    path = Path(path)
    if not isinstance(mapping, AppointmentMapping):
        mapping = read_mapping(mapping)
    raw = read_mapped_csv(path, mapping.columns.values(), "an appointment export (CSV)")
    out = pd.DataFrame(index=raw.index)
    cols = mapping.columns
    out["appointment"] = pseudonymizer.column(raw[cols["appointment"]])
    out["patient"] = pseudonymizer.column(raw[cols["patient"]])
    for name in OPTIONAL_TEXT:
        out[name] = (raw[cols[name]].astype("string").fillna("unknown") if name in cols
                     else pd.Series("unknown", index=raw.index, dtype="string"))
    out["booked_at"] = parse_dates(raw, cols["booked_at"], path, mapping.date_format)
    out["appointment_at"] = parse_dates(raw, cols["appointment_at"], path, mapping.date_format)
    for name in OPTIONAL_TIMES:
        if name in cols:
            out[name] = parse_dates(raw, cols[name], path, mapping.date_format, optional=True)
    booked_day = out["booked_at"].dt.normalize()
    out["lead_days"] = (out["appointment_at"].dt.normalize() - booked_day).dt.days
    out["weekday"] = out["appointment_at"].dt.day_of_week
    out["status"] = _statuses(raw[cols["status"]], path, cols["status"], mapping)
    out["reminded"] = (raw[cols["reminded"]].astype("string").str.strip().isin(
        mapping.true_values) if "reminded" in cols else False)
    out["age"] = (_numbers(raw, cols["age"], path) if "age" in cols
                  else pd.Series(np.nan, index=raw.index))
    return _exclude_errors(out)


def _numbers(raw: pd.DataFrame, column: str, path: Path) -> pd.Series:
    values = pd.to_numeric(raw[column], errors="coerce")
    bad = values.isna() & raw[column].notna()
    if bad.any():
        row = int(bad.idxmax())
        raise DataError(path, f"row {row}, column {column!r}", "a number", raw.at[row, column])
    return values.astype(float)


def _statuses(values: pd.Series, path: Path, column: str,
              mapping: AppointmentMapping) -> pd.Categorical:
    text = values.astype("string").str.strip()
    known = text.isin(list(mapping.status_values))
    if not known.all():
        row = int((~known).idxmax())
        raise DataError(path, f"row {row}, column {column!r}",
                        f"one of the mapped statuses {sorted(mapping.status_values)}",
                        values.at[row])
    return pd.Categorical(text.map(mapping.status_values), categories=list(STATUSES))


def _exclude_errors(df: pd.DataFrame) -> pd.DataFrame:
    """Drop rows that are plainly data errors; report them in ``attrs["excluded"]``."""
    reasons = {
        "booked after the appointment day": df["lead_days"] < 0,
        "negative age": df["age"] < 0,
    }
    excluded = pd.DataFrame(
        [(int(row), reason) for reason, mask in reasons.items() for row in df.index[mask]],
        columns=["row", "reason"])
    keep = ~np.logical_or.reduce(list(reasons.values()))
    out = df.loc[keep].reset_index(drop=True)
    out.attrs["excluded"] = excluded.drop_duplicates("row").to_dict("records")
    return out


def excluded_rows(appointments: pd.DataFrame) -> pd.DataFrame:
    """The rows a reader left out as data errors (``row``, ``reason``), as a table. They are
    kept in ``attrs`` as plain records, which pandas can carry through slices and joins."""
    return pd.DataFrame(appointments.attrs.get("excluded", []), columns=["row", "reason"])
