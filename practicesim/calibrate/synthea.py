"""Reading a Synthea v3.0.0 CSV export (with its billing tables) into the calibration schemas.

Synthea (synthetichealth/synthea) writes synthetic patients' records as CSV; with its billing
tables, ``claims.csv`` and ``claims_transactions.csv`` carry every claim's charges, payments and
transfers. ``read_synthea`` turns a folder of them into:

- ``appointments``: the encounters as completed visits, in the schema of
  ``calibrate.appointments`` (``read_appointments``);
- ``ledger``: the claim transactions as the simulator's ledger (``practicesim/ledger.py``), with
  ``date`` and ``service_date`` and the attrs ``read_transactions`` writes, so that
  ``calibrate.payers.fit_payers`` and ``calibrate.calibration.calibrate`` take it unchanged;
- ``payers``: the payers of ``payers.csv`` with their kind.

Files read (and only these columns: patient names, addresses, SSN, driver's licence and passport
numbers are never read): ``encounters.csv`` (Id, START, STOP, PATIENT, PROVIDER, PAYER,
ENCOUNTERCLASS), ``patients.csv`` (Id, BIRTHDATE), ``payers.csv`` (Id, NAME), ``claims.csv``
(Id, PATIENTID, PRIMARYPATIENTINSURANCEID, SECONDARYPATIENTINSURANCEID, SERVICEDATE,
LASTBILLEDDATE1, LASTBILLEDDATE2) and ``claims_transactions.csv`` (CLAIMID, CHARGEID, TYPE,
AMOUNT, METHOD, TRANSFEROUTID, TRANSFERTYPE, PAYMENTS, ADJUSTMENTS, TRANSFERS, OUTSTANDING).
Patient, encounter, claim and provider ids are pseudonymized as they are read
(``calibrate.privacy``); ages are whole years (a fractional age and the visit date would give
the birth date back).

**Appointments.** Synthea has no booking time, no no-show, cancellation or reminder: every
encounter is a completed visit booked at its start (``booked_at = appointment_at``, lead 0
days, ``reminded`` False). The table serves the visit mix (``visit_type`` = ENCOUNTERCLASS:
ambulatory, wellness, outpatient, emergency, inpatient, urgentcare), the payer mix (``payer`` =
the payer's NAME), ages (completed years at START; NaN for a patient missing from
patients.csv) and visit lengths (``start_at`` = START, ``end_at`` = STOP); not the no-show
model. An encounter that stops before it starts, or whose patient was born after it, is
excluded and listed in ``attrs["excluded"]`` (CSV row, reason; ``attrs["source"]`` names the
file).

**Ledger.** One ledger claim per Synthea claim, its payer the claim's primary payer; each
charge line followed through who holds its balance (the primary insurer, the secondary, the
patient). The mapping of Synthea's transactions to ledger rows, their dates and the claims left
out are in ``practicesim.calibrate.synthea_ledger``.

Not in Synthea's data: booking lead times, no-shows, cancellations, reminders, remittance lags
and posting dates, denials and rework, CARC/RARC codes, contractual adjustments (v3.0.0),
write-offs and bad debt (every patient balance is paid at once), statements, appeals; and its
procedure codes are SNOMED CT, RxNorm and CVX, not CPT.

A file or column missing, a date that does not parse, an amount that is not a non-negative
number of dollars with at most two decimals, an unknown TYPE, METHOD, TRANSFERTYPE or payer
id is a ``DataError`` naming the file, the CSV row (the header is row 1) and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from practicesim.calibrate.appointments import STATUSES
from practicesim.calibrate.mapping import parse_dates
from practicesim.calibrate.privacy import SESSION, Pseudonymizer
from practicesim.calibrate.synthea_csv import check_ids, payer_kind, payer_names, read_columns
from practicesim.calibrate.synthea_ledger import EXCLUDED_CLAIM, SECONDARY_PAYMENT, claims_ledger

__all__ = ["SyntheaData", "payer_kind", "read_synthea"]


@dataclass
class SyntheaData:
    """A Synthea export read for calibration (module docstring).

    ``appointments``: one row per encounter, the ``calibrate.appointments`` schema.
    ``ledger``: the ledger schema plus ``date`` and ``service_date``, amounts in integer cents,
    days counted from ``attrs["origin"]``; ``attrs`` also holds ``payer_kinds``, ``source``,
    and, as lists of plain records (a DataFrame in ``attrs`` breaks ``pd.concat`` of ledger
    slices), ``excluded_claims`` and ``secondary_payments``: the two properties below give
    them as tables.
    ``payers``: ``id`` (Synthea's payer id: an insurer, not a person), ``name``, ``kind``.
    """

    appointments: pd.DataFrame
    ledger: pd.DataFrame
    payers: pd.DataFrame

    @property
    def excluded_claims(self) -> pd.DataFrame:
        """Claims left out of the ledger: file, row, claim, charge_cents, reason."""
        return pd.DataFrame(self.ledger.attrs["excluded_claims"], columns=list(EXCLUDED_CLAIM))

    @property
    def secondary_payments(self) -> pd.DataFrame:
        """Payer payments made by a secondary insurer: claim, primary, secondary,
        paid_cents."""
        return pd.DataFrame(self.ledger.attrs["secondary_payments"],
                            columns=list(SECONDARY_PAYMENT))


def read_synthea(folder: str | Path, pseudonymizer: Pseudonymizer | None = None) -> SyntheaData:
    """Read the Synthea CSV export in ``folder`` (see the module docstring): its encounters as
    appointments, its claim transactions as a ledger (integer cents, days from
    ``ledger.attrs["origin"]``), its payers with their kinds. Identifiers are pseudonymized
    with ``pseudonymizer`` (the process's ``SESSION`` one when None).

    >>> data = read_synthea("../shared/data/synthea_ohdsi")  # doctest: +SKIP
    >>> data.ledger.attrs["excluded_claims"]  # claims left out, with reasons  # doctest: +SKIP
    """
    folder = Path(folder)
    pseudonymizer = pseudonymizer or SESSION
    payers = _payers(folder / "payers.csv")
    appointments = _appointments(folder, payers, pseudonymizer)
    ledger = claims_ledger(folder, payers, pseudonymizer)
    return SyntheaData(appointments=appointments, ledger=ledger, payers=payers)


def _payers(path: Path) -> pd.DataFrame:
    raw = read_columns(path)
    check_ids(raw, path, ("Id", "NAME"))
    names = raw["NAME"].str.strip()
    return pd.DataFrame({"id": raw["Id"].to_numpy(), "name": names.to_numpy(),
                         "kind": names.map(payer_kind).to_numpy()})


def _appointments(folder: Path, payers: pd.DataFrame,
                  pseudonymizer: Pseudonymizer) -> pd.DataFrame:
    path = folder / "encounters.csv"
    raw = read_columns(path)
    check_ids(raw, path, ("Id", "PATIENT"))
    start = parse_dates(raw, "START", path, "ISO8601")
    stop = parse_dates(raw, "STOP", path, "ISO8601", optional=True)
    births = _births(folder / "patients.csv")
    birth = pd.to_datetime(raw["PATIENT"].map(births))
    out = pd.DataFrame(index=raw.index)
    out["appointment"] = pseudonymizer.column(raw["Id"])
    out["patient"] = pseudonymizer.column(raw["PATIENT"])
    provider = pseudonymizer.column(raw["PROVIDER"].fillna(""))
    out["provider"] = pd.Series([f"provider-{p:016x}" for p in provider], index=raw.index,
                                dtype="string").where(raw["PROVIDER"].notna(), "unknown")
    out["visit_type"] = raw["ENCOUNTERCLASS"].astype("string").str.strip().fillna("unknown")
    out["payer"] = payer_names(raw, "PAYER", path, dict(zip(payers["id"], payers["name"],
                                                             strict=True)))
    out["booked_at"] = start
    out["appointment_at"] = start
    out["start_at"] = start
    out["end_at"] = stop
    out["lead_days"] = np.zeros(len(raw), dtype=np.int64)
    out["weekday"] = start.dt.day_of_week
    out["status"] = pd.Categorical(["completed"] * len(raw), categories=list(STATUSES))
    out["reminded"] = False
    out["age"] = _age_years(birth, start)
    reasons = {
        "stops before it starts (STOP before START)": (stop < start).to_numpy(),
        "negative age (born after the encounter)": (out["age"] < 0).to_numpy(),
    }
    excluded = pd.DataFrame(
        [(int(row), reason) for reason, mask in reasons.items() for row in out.index[mask]],
        columns=["row", "reason"]).drop_duplicates("row").sort_values("row")
    keep = ~np.logical_or.reduce(list(reasons.values()))
    result = out.loc[keep].reset_index(drop=True)
    result.attrs["excluded"] = excluded.to_dict("records")
    result.attrs["source"] = str(path)
    return result


def _births(path: Path) -> pd.Series:
    """Birth dates by patient id (ISO dates)."""
    raw = read_columns(path)
    check_ids(raw, path, ("Id",))
    born = parse_dates(raw, "BIRTHDATE", path, "ISO8601")
    return pd.Series(born.to_numpy(), index=raw["Id"].to_numpy())


def _age_years(birth: pd.Series, at: pd.Series) -> pd.Series:
    """Completed years of age at ``at`` (NaN when the birth date is unknown)."""
    years = at.dt.year - birth.dt.year
    before_birthday = (at.dt.month < birth.dt.month) | (
        (at.dt.month == birth.dt.month) & (at.dt.day < birth.dt.day))
    return (years - before_birthday.astype(float)).astype(float)
