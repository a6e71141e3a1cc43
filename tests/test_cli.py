"""End to end: each CLI command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from practicesim import Run
from tests.conftest import BASELINE, ROOT, SMALL


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "practicesim.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_run_prints_kpis_and_writes_tables_and_metadata(tmp_path):
    out = tmp_path / "result"
    done = cli("run", str(SMALL), "--seed", "5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "days_in_ar" in done.stdout
    assert "net_collection_rate" in done.stdout
    assert str(out) in done.stdout.replace("\n", "")
    for name in Run.TABLES:
        assert (out / f"{name}.parquet").is_file(), name
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 5
    assert meta["scenario_name"] == "small_practice"
    assert len(meta["scenario_hash"]) == 64
    assert meta["practicesim_version"]
    ledger = pd.read_parquet(out / "ledger.parquet")
    assert ledger["amount_cents"].dtype == "int64"
    assert len(ledger) == meta["tables"]["ledger"]
    assert not list(tmp_path.glob(".result*")), "staging folder left behind"


def test_run_twice_replaces_the_output_folder(tmp_path):
    out = tmp_path / "result"
    assert cli("run", str(SMALL), "--seed", "1", "--out", str(out)).returncode == 0
    assert cli("run", str(SMALL), "--seed", "2", "--out", str(out)).returncode == 0
    assert json.loads((out / "run.json").read_text())["seed"] == 2


def test_validate_accepts_the_baseline():
    done = cli("validate", str(BASELINE))
    assert done.returncode == 0, done.stderr
    assert "valid scenario 'baseline'" in done.stdout


@pytest.mark.parametrize("command", ["run", "validate"])
def test_user_errors_exit_2_with_one_message_and_no_traceback(tmp_path, command):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nstaff:\n  billers: {{count: -2}}\n")
    done = cli(command, str(bad))
    assert done.returncode == 2
    assert "staff.billers.count: must be >= 0, got -2" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_scenario_file_exits_2():
    done = cli("validate", "no/such/file.yaml")
    assert done.returncode == 2
    assert "no such scenario file" in done.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["validate"]])
def test_help_on_every_command(command):
    done = cli(*command, "--help")
    assert done.returncode == 0
    assert "Usage" in done.stdout


def test_bad_option_value_exits_2():
    done = cli("run", str(SMALL), "--seed", "-1")
    assert done.returncode == 2


def test_compare_prints_the_paired_table_and_writes_results(tmp_path):
    other = tmp_path / "more_billers.yaml"
    other.write_text(f"extends: {SMALL}\nname: more_billers\nstaff:\n  billers: {{count: 2}}\n")
    out = tmp_path / "cmp"
    done = cli("compare", str(SMALL), str(other), "--reps", "3", "--seed", "2", "--workers",
               "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "more_billers vs small_practice: 3 paired replications" in done.stdout
    assert "12-month net cash difference" in done.stdout or "break-even" in done.stdout
    meta = json.loads((out / "comparison.json").read_text())
    assert meta["replications"] == 3
    differences = pd.read_parquet(out / "differences.parquet")
    assert len(differences) == 3
    assert not (tmp_path / ".cmp.replications").exists(), "checkpoints removed once written"
    assert set(differences["scenario"]) == {"more_billers"}


def test_compare_with_a_bad_scenario_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SMALL}\nname: bad\nstaff: {{billers: {{count: x}}}}\n")
    done = cli("compare", str(SMALL), str(bad), "--reps", "2")
    assert done.returncode == 2
    assert "staff.billers.count" in done.stderr


def test_run_refuses_to_replace_a_folder_that_is_not_a_result(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    done = cli("run", str(SMALL), "--out", str(out))
    assert done.returncode == 2
    assert "not a practicesim result" in done.stderr
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(("text", "message"), [
    ("calendar: {start: 2027-02-30}", "a value cannot be read"),
    ("starting_cash: .nan", "starting_cash"),
    ("payers:\n  - {name: medicare, allowed_pct_of_medicare: .inf}", "allowed_pct_of_medicare"),
])
def test_bad_values_are_user_errors_not_tracebacks(tmp_path, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {SMALL}\n{text}\n")
    done = cli("validate", str(bad))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_extends_pointing_at_a_folder_is_a_user_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {tmp_path}\n")
    done = cli("validate", str(bad))
    assert done.returncode == 2
    assert "is a folder" in done.stderr


def test_sweep_prints_means_per_point_and_writes_the_table(tmp_path):
    out = tmp_path / "sw"
    done = cli("sweep", str(SMALL), "--param", "staff.billers.count=1,2", "--reps", "2",
               "--workers", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "2 points x 2 replications" in done.stdout
    table = pd.read_parquet(out / "sweep.parquet")
    assert sorted(table["staff.billers.count"].unique()) == [1, 2]
    assert len(table) == 4


def test_sweep_with_a_bad_path_exits_2(tmp_path):
    done = cli("sweep", str(SMALL), "--param", "staff.bilers.count=1,2", "--reps", "1",
               "--workers", "1", "--out", str(tmp_path / "x"))
    assert done.returncode == 2
    assert "bilers" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_continues_from_a_previous_runs_end_state(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli("run", str(SMALL), "--seed", "1", "--out", str(first)).returncode == 0
    end = first / "end_state"
    assert {p.name for p in end.iterdir()} == {"state.json", "open_claims.csv",
                                               "booked_appointments.csv"}
    done = cli("run", str(SMALL), "--seed", "2", "--out", str(second), "--state", str(end))
    assert done.returncode == 0, done.stderr
    assert "starting from the state of" in done.stderr
    meta = json.loads((second / "run.json").read_text())
    as_of = json.loads((end / "state.json").read_text())["as_of"]
    assert meta["start_state"]["as_of"] == as_of
    assert meta["scenario"]["calendar"]["start"] == as_of
    assert meta["scenario"]["calendar"]["warmup_days"] == 0
    ledger = pd.read_parquet(second / "ledger.parquet")
    opening = ledger.loc[ledger["kind"] == "opening_balance", "amount_cents"].sum()
    first_daily = pd.read_parquet(first / "daily.parquet")
    assert opening == first_daily["ar_cents"].iloc[-1]


def test_a_bad_state_file_exits_2_naming_the_row(tmp_path):
    end = tmp_path / "state"
    end.mkdir()
    (end / "state.json").write_text('{"as_of": "2027-06-01"}')
    (end / "open_claims.csv").write_text(
        "claim,payer,provider,service_date,stage,charge,balance\n"
        "A7,medicare,physician_1,2027-05-01,at_payer,100.00,80.00\n")
    done = cli("run", str(SMALL), "--out", str(tmp_path / "out"), "--state", str(end))
    assert done.returncode == 2
    assert "open_claims.csv: row 2: column submitted_date: expected a value" in done.stderr
    assert "Traceback" not in done.stderr
