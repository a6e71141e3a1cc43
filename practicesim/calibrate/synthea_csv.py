"""The files of a Synthea v3.0.0 CSV export as ``read_synthea`` reads them: only the columns
``COLUMNS`` names, identifiers checked, payer ids named (``practicesim.calibrate.synthea``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from practicesim.calibrate.errors import DataError

COLUMNS: dict[str, tuple[str, ...]] = {
    "encounters.csv": ("Id", "START", "STOP", "PATIENT", "PROVIDER", "PAYER", "ENCOUNTERCLASS"),
    "patients.csv": ("Id", "BIRTHDATE"),
    "payers.csv": ("Id", "NAME"),
    "claims.csv": ("Id", "PATIENTID", "PRIMARYPATIENTINSURANCEID", "SECONDARYPATIENTINSURANCEID",
                   "SERVICEDATE", "LASTBILLEDDATE1", "LASTBILLEDDATE2"),
    "claims_transactions.csv": ("CLAIMID", "CHARGEID", "TYPE", "AMOUNT", "METHOD",
                                "TRANSFEROUTID", "TRANSFERTYPE", "PAYMENTS", "ADJUSTMENTS",
                                "TRANSFERS", "OUTSTANDING"),
}
"""The columns read from each file (no other column is read)."""
NO_INSURANCE = "NO_INSURANCE"
UNINSURED_ID = "0"
"""PRIMARYPATIENTINSURANCEID of a claim without insurance."""
PAYER_KINDS = {"Medicare": "medicare", "Medicaid": "medicaid", "Dual Eligible": "medicare",
               NO_INSURANCE: "self_pay"}
"""Kinds of Synthea's named payers; any other payer is ``commercial``. Dual Eligible is billed
as Medicare (Medicare pays first; Medicaid is the payer of last resort). Humana is commercial:
Synthea's Humana plan is the same private plan as its BCBS, Aetna, Cigna, UnitedHealthcare and
Anthem ones (not Medicare Advantage)."""


def payer_kind(name: str) -> str:
    """The simulator's payer kind of a Synthea payer name (``PAYER_KINDS``, else commercial)."""
    return PAYER_KINDS.get(name, "commercial")


def read_columns(path: Path) -> pd.DataFrame:
    """The columns ``COLUMNS`` names of one file, as text, indexed by CSV row (header = 1)."""
    columns = COLUMNS[path.name]
    try:
        found = list(pd.read_csv(path, nrows=0).columns)
        missing = [c for c in columns if c not in found]
        if missing:
            raise DataError(path, f"column {missing[0]!r}",
                            f"the Synthea v3.0.0 columns {list(columns)}", found)
        raw = pd.read_csv(path, dtype=str, usecols=list(columns), keep_default_na=True)
    except FileNotFoundError:
        raise DataError(path, "", f"the Synthea export's {path.name}", "no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(path, "", "a CSV file", str(exc).splitlines()[0]) from None
    raw.index = pd.RangeIndex(2, len(raw) + 2, name="row")
    return raw


def check_ids(raw: pd.DataFrame, path: Path, columns: tuple[str, ...], unique: str = "Id") -> None:
    """Identifier columns must be filled, and ``unique`` must not repeat (ids are not shown in
    the error: they may be a patient's)."""
    for column in columns:
        if raw[column].isna().any():
            row = int(raw[column].isna().idxmax())
            raise DataError(path, f"row {row}, column {column!r}", "an identifier", "")
    repeated = raw[unique].duplicated()
    if repeated.any():
        row = int(repeated.idxmax())
        raise DataError(path, f"row {row}, column {unique!r}", "an identifier used once",
                        "the identifier of an earlier row")


def payer_names(raw: pd.DataFrame, column: str, path: Path, names: dict[str, str],
                 uninsured: str | None = None) -> pd.Series:
    """Payer ids to payer names; ``uninsured`` (claims' ``0``) means NO_INSURANCE."""
    ids = raw[column].astype("string").str.strip()
    mapped = ids.map(names)
    if uninsured is not None:
        mapped = mapped.where(ids != uninsured, NO_INSURANCE)
    unknown = mapped.isna()
    if unknown.any():
        row = int(unknown.idxmax())
        raise DataError(path, f"row {row}, column {column!r}", "a payer Id listed in payers.csv",
                        raw.at[row, column])
    return mapped.astype("string")
