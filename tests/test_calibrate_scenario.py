"""``calibrate`` end to end: a simulated practice's exports in, a scenario of it out, which runs
and reproduces the practice's KPIs; no identifier of the input in any output file; the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from practicesim import load_scenario, simulate
from practicesim.calibrate import read_appointments, read_transactions
from practicesim.calibrate.calibration import calibrate
from practicesim.calibrate.exports import appointments_export, ledger_export
from practicesim.metrics import no_show_rate
from tests.conftest import BASELINE, ROOT, SHARED_DATA
from tests.test_cli import cli

APPOINTMENT_MAPPING = ROOT / "calibration" / "practicesim_appointments_mapping.yaml"
TRANSACTION_MAPPING = ROOT / "calibration" / "practicesim_transactions_mapping.yaml"
VITORIA = SHARED_DATA / "noshow_vitoria_2016" / "appointments_2016-04-29_to_2016-05-20.csv"


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[object, Path, Path]:
    """A baseline year's appointment and transaction exports, with identifiers made
    distinctive (``PAT-000123``, ``APT-...``, ``CLM-...``) so that a scan of the outputs for
    them cannot hit an unrelated number."""
    run = simulate(load_scenario(BASELINE), seed=5)
    folder = tmp_path_factory.mktemp("exports")
    appointments = appointments_export(run)
    appointments["appointment_id"] = "APT-" + appointments["appointment_id"].map("{:07d}".format)
    appointments["patient_id"] = "PAT-" + appointments["patient_id"].map("{:07d}".format)
    ledger = ledger_export(run)
    ledger["claim_id"] = "CLM-" + ledger["claim_id"].map("{:07d}".format)
    ledger["patient_id"] = "PAT-" + ledger["patient_id"].map("{:07d}".format)
    appointments.to_csv(folder / "appointments.csv", index=False)
    ledger.to_csv(folder / "transactions.csv", index=False)
    return run, folder / "appointments.csv", folder / "transactions.csv"


@pytest.fixture(scope="module")
def calibrated(exports, tmp_path_factory):
    run, appointments, transactions = exports
    result = calibrate(appointments=read_appointments(appointments, APPOINTMENT_MAPPING),
                       transactions=read_transactions(transactions, TRANSACTION_MAPPING))
    out = result.write(tmp_path_factory.mktemp("calibrated") / "out")
    return run, result, out


def test_the_calibrated_scenario_runs_and_reproduces_the_practice(calibrated):
    """The written scenario loads and, simulated, gives the source practice's KPIs back:
    days in A/R within 10%, initial denial rate within 1.5 points, no-show rate within 1 point
    (of the exported statuses, where a patient who left unseen is a no-show: the fitted rate
    holds them and the calibrated scenario simulates no walk-outs on top),
    net collection rate within 2 points, visits within 5% (the export has no lost requests, so
    demand is the booked demand)."""
    run, _, out = calibrated
    scenario = load_scenario(out / "scenario.yaml")
    again = simulate(scenario, seed=1).kpis()
    truth = run.kpis()
    assert again["days_in_ar"] == pytest.approx(truth["days_in_ar"], rel=0.10)
    assert again["initial_denial_rate"] == pytest.approx(truth["initial_denial_rate"], abs=0.015)
    exported = run.appointments.assign(status=run.appointments["status"].astype(str).replace(
        {"left_unseen": "no_show"}))
    start, end = run.calendar.warmup, run.calendar.n_days
    assert again["no_show_rate"] == pytest.approx(no_show_rate(exported, start, end), abs=0.01)
    assert again["net_collection_rate"] == pytest.approx(truth["net_collection_rate"],
                                                         abs=0.02)
    assert again["visits_completed"] == pytest.approx(truth["visits_completed"], rel=0.05)


def test_every_fitted_key_says_where_it_came_from(calibrated):
    _, result, out = calibrated
    table = pd.read_csv(out / "parameters.csv", index_col="key")
    assert set(table["source"].str.split(" ").str[0]) <= {"appointments", "transactions",
                                                           "data"}
    assert "no_shows.base_rate" in table.index
    assert "payers[medicare].lag_days.median" in table.index
    # the fitted lag holds the pended claims' delays: no pend on top of it
    assert table.loc["payers[medicare].pend.rate", "value"] == 0
    fitted = {p.name for p in result.scenario.payers if p.share > 0 and p.kind != "self_pay"}
    assert all(p.pend.rate == 0 for p in result.scenario.payers if p.name in fitted)
    assert table.loc["no_shows.base_rate", "low"] < table.loc["no_shows.base_rate", "value"]
    assert result.scenario.payers[0].name in {"commercial_a", "commercial_b", "medicaid",
                                              "medicare", "medicare_advantage", "self_pay"}
    sources = result.scenario.sources
    assert sources["no_shows.base_rate"].startswith("calibrated from data: appointments")
    assert "95% interval" in sources["no_shows.base_rate"]
    assert sources["payers[medicare].lag_days.median"].startswith("calibrated from data: trans")
    written = load_scenario(out / "scenario.yaml")
    assert written.sources == sources, "the written scenario keeps its sources"
    report = (out / "report.html").read_text()
    assert report.count("<img") >= 5 and "Calibrated parameters" in report
    assert "src='http" not in report and "<script" not in report, "self-contained"


def test_no_identifier_of_the_input_reaches_an_output_file(calibrated, exports):
    _, appointments, transactions = exports
    identifiers = set(pd.read_csv(appointments, usecols=["appointment_id", "patient_id"])
                      .stack()) | set(pd.read_csv(transactions, usecols=["claim_id"])["claim_id"])
    _, _, out = calibrated
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not any(prefix in text for prefix in ("PAT-", "APT-", "CLM-")), path.name
    assert len(identifiers) > 10_000


def test_the_cli_calibrates_from_any_subset_of_sources(exports, tmp_path):
    _, appointments, _ = exports
    out = tmp_path / "cal"
    done = cli("calibrate", "--out", str(out), "--appointments", str(appointments),
               "--appointments-mapping", str(APPOINTMENT_MAPPING))
    assert done.returncode == 0, done.stderr
    assert "from appointments" in done.stdout and "transactions" in done.stdout
    assert (out / "scenario.yaml").is_file() and (out / "report.html").is_file()
    table = pd.read_csv(out / "parameters.csv", index_col="key")
    assert not table.index.str.startswith("payers").any(), "payers keep the base's figures"


def test_the_cli_names_the_file_and_row_of_bad_input(tmp_path):
    bad = tmp_path / "appointments.csv"
    bad.write_text("appointment_id,patient_id,provider,visit_type,payer,booked_at,"
                   "appointment_at,status,reminder_sent,checked_in_at,started_at,ended_at\n"
                   "1,2,p,established,medicare,2027-01-04 09:00:00,2027-01-05 08:00:00,"
                   "arrived,no,,,\n")
    done = cli("calibrate", "--out", str(tmp_path / "cal"), "--appointments", str(bad),
               "--appointments-mapping", str(APPOINTMENT_MAPPING))
    assert done.returncode == 2
    assert str(bad) in done.stderr.replace("\n", "") and "row 2" in done.stderr
    assert "Traceback" not in done.stderr
    done = cli("calibrate", "--out", str(tmp_path / "cal"))
    assert done.returncode == 2 and "at least one source" in done.stderr
    done = cli("calibrate", "--out", str(tmp_path / "cal"), "--appointments", str(bad))
    assert done.returncode == 2 and "goes with its mapping" in done.stderr


@pytest.mark.skipif(not VITORIA.exists(), reason="../shared/data (Vitória appointments) absent")
def test_calibrating_from_the_vitoria_export_reports_its_excluded_rows(tmp_path):
    out = tmp_path / "vitoria"
    done = cli("calibrate", "--out", str(out), "--appointments", str(VITORIA),
               "--appointments-mapping", str(ROOT / "calibration" / "vitoria_mapping.yaml"))
    assert done.returncode == 0, done.stderr
    excluded = pd.read_csv(out / "excluded.csv")
    assert len(excluded) == 5
    assert set(excluded["reason"]) == {"booked after the appointment day"}
    patients = pd.read_csv(VITORIA, usecols=["PatientId"], dtype=str, nrows=2000)["PatientId"]
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not any(pid in text for pid in patients if len(pid) >= 8), path.name


@pytest.mark.skipif(not (SHARED_DATA / "synthea_ohdsi").exists(),
                    reason="../shared/data (Synthea export) absent")
def test_the_cli_calibrates_from_a_synthea_export(tmp_path):
    """Visits alone (no no-shows in Synthea) inform demand, not the no-show model; the claims
    Synthea's data cannot balance are listed as excluded."""
    out = tmp_path / "synthea"
    done = cli("calibrate", "--out", str(out), "--synthea", str(SHARED_DATA / "synthea_ohdsi"))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "parameters.csv", index_col="key")
    assert "no_shows.base_rate" not in table.index
    assert table.index.str.startswith("payers[").any()
    assert len(pd.read_csv(out / "excluded.csv")) == 239


def test_parameter_uncertainty_draws_match_the_fitted_intervals(calibrated):
    """Drawn scenarios spread each parameter over its 95% interval: the 2.5th and 97.5th
    percentiles of 400 draws fall within a tenth of the interval's width of its ends; the
    other parameters stay the calibrated ones."""
    _, result, _ = calibrated
    drawn = result.sample(400, seed=3)
    for key, get in (("no_shows.base_rate", lambda s: s.no_shows.base_rate),
                     ("payers[medicaid].denial.rate",
                      lambda s: next(p for p in s.payers if p.name == "medicaid").denial.rate)):
        values = np.array([get(s) for s in drawn])
        row = result.parameters.loc[key]
        width = row["high"] - row["low"]
        low, high = np.percentile(values, [2.5, 97.5])
        assert low == pytest.approx(row["low"], abs=width / 10), key
        assert high == pytest.approx(row["high"], abs=width / 10), key
    assert {s.scheduling.panel_size for s in drawn} == {result.scenario.scheduling.panel_size}
    assert result.sample(2, seed=3)[1].hash == drawn[1].hash, "same seed, same draws"


def test_the_base_scenarios_sources_give_way_to_the_calibrated_ones():
    """A base source on, above or inside a calibrated value, or on a value the calibrated
    scenario no longer has, is dropped; others stay."""
    from practicesim.calibrate.calibration import _still_valid

    data = load_scenario(BASELINE).model_dump(mode="json", by_alias=True)
    fitted = {"payers[medicare].lag_days.median": "calibrated from data: transactions"}
    base = {"payers[medicare].lag_days": "AMA report card", "payers[medicare]": "contract",
            "payers[medicare].lag_days.median.x": "inside", "payers[gone].share": "old",
            "no_shows.base_rate": "our survey"}
    assert _still_valid(base, data, fitted) == {"no_shows.base_rate": "our survey"}
