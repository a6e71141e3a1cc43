"""Reading appointment exports through a column mapping (practicesim.calibrate.appointments):
the schema, pseudonymized identifiers, excluded data errors, and one clear error per bad file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from practicesim import simulate
from practicesim.calibrate import DataError
from practicesim.calibrate.appointments import excluded_rows, read_appointments, read_mapping
from practicesim.calibrate.exports import write_appointments_csv
from tests.conftest import ROOT, SHARED_DATA, build

VITORIA = SHARED_DATA / "noshow_vitoria_2016" / "appointments_2016-04-29_to_2016-05-20.csv"
VITORIA_MAPPING = ROOT / "calibration" / "vitoria_mapping.yaml"
OWN_MAPPING = ROOT / "calibration" / "practicesim_appointments_mapping.yaml"

HEADER = "AppointmentID,PatientId,ScheduledDay,AppointmentDay,No-show,SMS_received,Age"


def export(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


GOOD = "5001,900001,2016-05-02T10:00:00Z,2016-05-09T00:00:00Z,No,1,40"


def test_a_small_export_reads_into_the_schema(tmp_path):
    path = export(tmp_path, GOOD, "5002,900002,2016-05-02T10:00:00Z,2016-05-02T00:00:00Z,Yes,0,7")
    df = read_appointments(path, VITORIA_MAPPING)
    assert df["lead_days"].tolist() == [7, 0]
    assert df["status"].tolist() == ["completed", "no_show"]
    assert df["reminded"].tolist() == [True, False]
    assert df["weekday"].tolist() == [0, 0]
    assert (df[["provider", "visit_type", "payer"]] == "unknown").all().all()
    assert excluded_rows(df).empty


def test_identifiers_are_pseudonymized_consistently_and_never_kept(tmp_path):
    """Identifiers with letters in them, so that no pseudonym (a number) can contain one by
    chance."""
    path = export(tmp_path, "APT-5001,PAT-900001,2016-05-02T10:00:00Z,2016-05-09T00:00:00Z,"
                            "No,1,40",
                  "APT-5002,PAT-900001,2016-05-03T10:00:00Z,2016-05-10T00:00:00Z,No,1,40")
    df = read_appointments(path, VITORIA_MAPPING)
    assert df["patient"].nunique() == 1, "the same patient gets the same pseudonym"
    text = df.to_csv()
    assert "PAT-" not in text and "APT-" not in text


@pytest.mark.parametrize(("row", "where", "expected"), [
    ("5001,900001,yesterday,2016-05-09T00:00:00Z,No,1,40", "row 2, column 'ScheduledDay'",
     "a date"),
    ("5001,900001,2016-05-02T10:00:00Z,2016-05-09T00:00:00Z,Maybe,1,40",
     "row 2, column 'No-show'", "one of the mapped statuses"),
    ("5001,900001,2016-05-02T10:00:00Z,2016-05-09T00:00:00Z,No,1,forty",
     "row 2, column 'Age'", "a number"),
])
def test_bad_values_name_the_file_row_and_column(tmp_path, row, where, expected):
    path = export(tmp_path, GOOD, row)
    with pytest.raises(DataError) as err:
        read_appointments(path, VITORIA_MAPPING)
    message = str(err.value)
    assert str(path) in message and where.replace("row 2", "row 3") in message
    assert expected in message


def test_a_missing_column_is_named_with_the_columns_found(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("AppointmentID,PatientId,AppointmentDay,No-show\n1,2,2016-05-09,No\n")
    with pytest.raises(DataError, match=r"column 'ScheduledDay'.*found.*AppointmentID"):
        read_appointments(path, VITORIA_MAPPING)


def test_plain_data_errors_are_counted_and_excluded_not_fatal(tmp_path):
    path = export(tmp_path, GOOD,
                  "5002,900002,2016-05-12T10:00:00Z,2016-05-09T00:00:00Z,No,0,30",
                  "5003,900003,2016-05-02T10:00:00Z,2016-05-09T00:00:00Z,No,0,-1")
    df = read_appointments(path, VITORIA_MAPPING)
    assert len(df) == 1
    excluded = excluded_rows(df)
    assert excluded.to_dict("records") == [
        {"row": 3, "reason": "booked after the appointment day"},
        {"row": 4, "reason": "negative age"}]


def test_a_mapping_without_a_required_column_is_refused(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("columns: {appointment: A, patient: P}\nstatus_values: {x: completed}\n")
    with pytest.raises(DataError, match="booked_at"):
        read_mapping(path)
    path.write_text("columns: {appointment: A}\nstatus_values: {x: arrived}\n")
    with pytest.raises(DataError, match="status_values"):
        read_mapping(path)


def test_a_simulated_run_round_trips_through_its_export(tmp_path):
    """practicesim's own export reads back with every appointment, its lead time, status,
    reminder and, for kept ones, the check-in, start and end times."""
    run = simulate(build({"calendar.horizon_days": 40}), seed=2)
    path = write_appointments_csv(run, tmp_path / "appointments.csv")
    df = read_appointments(path, OWN_MAPPING)
    ended = run.appointments[run.appointments["status"] != "scheduled"]
    assert len(df) == len(ended)
    assert df["lead_days"].tolist() == ended["lead_days"].tolist()
    assert df["status"].astype(str).tolist() == ended["status"].astype(str).replace(
        {"left_unseen": "no_show"}).tolist()
    assert df["reminded"].tolist() == ended["reminded"].tolist()
    kept = df["status"] == "completed"
    assert df.loc[kept, "start_at"].notna().mean() > 0.99
    assert (df.loc[kept, "end_at"] >= df.loc[kept, "start_at"]).all()


@pytest.mark.skipif(not VITORIA.exists(), reason="../shared/data (Vitória appointments) absent")
def test_the_vitoria_export_reads_with_its_shipped_mapping():
    """SOURCE.md: 67,365 rows, 5 with a negative lead time, no-show rate 21.10%."""
    df = read_appointments(VITORIA, VITORIA_MAPPING)
    assert len(df) + len(excluded_rows(df)) == 67_365
    assert len(excluded_rows(df)) == 5
    assert (df["status"] == "no_show").sum() / 67_365 == pytest.approx(0.2110, abs=0.0002)
    raw = pd.read_csv(VITORIA, usecols=["PatientId"], dtype=str, nrows=50)
    text = df.head(1000).to_csv()
    assert not any(pid in text for pid in raw["PatientId"])
