"""Golden hashes: the same scenario and seed give bit-identical tables, release after release,
unless a change of the model says otherwise.

Each table of a short run of every shipped scenario, of a paired comparison, of a calibration
(from a run's exports and its 835 remittances, written and read back with a fixed pseudonym key),
of a Synthea export read and calibrated from, of a warm start and of a backtest is hashed
(``pandas.util.hash_pandas_object`` over values and index, with column names and dtypes) and
checked against ``tests/data/golden.json``. A restructuring must leave every hash unchanged. A
change that moves the model on purpose regenerates the file and says so in its commit:

    PRACTICESIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from practicesim import simulate
from practicesim.backtest import backtest
from practicesim.calibrate import (
    Pseudonymizer,
    read_835,
    read_appointments,
    read_synthea,
    read_transactions,
)
from practicesim.calibrate.calibration import calibrate
from practicesim.calibrate.era_export import write_835
from practicesim.calibrate.exports import write_appointments_csv, write_ledger_csv
from practicesim.experiment import compare
from practicesim.state import state_from_run
from tests.conftest import BASELINE, ROOT, build

GOLDEN = ROOT / "tests" / "data" / "golden.json"
UPDATE = os.environ.get("PRACTICESIM_UPDATE_GOLDEN") == "1"
SHORT = {"calendar.horizon_days": 75, "calendar.warmup_days": 45}
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
MAPPINGS = ROOT / "calibration"
KEY = Pseudonymizer(b"golden")


def table_hash(frame: pd.DataFrame | pd.Series) -> str:
    """A hash of a table's values, index, column names and dtypes."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(repr([str(i) for i in frame.index.names]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:32]


def _stored() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


def portable(table: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """The table with a ``file`` column's paths cut to their names (the data folder is
    elsewhere on another machine)."""
    if isinstance(table, pd.DataFrame) and "file" in table.columns:
        table = table.assign(file=table["file"].map(lambda f: Path(str(f)).name))
    return table


def check(case: str, tables: dict[str, pd.DataFrame | pd.Series]) -> None:
    """Compare each table's hash with the stored one (or store it, when updating)."""
    found = {name: table_hash(portable(table)) for name, table in tables.items()}
    if UPDATE:
        stored = _stored()
        stored[case] = found  # run serially (no -n): workers would overwrite each other
        GOLDEN.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    expected = _stored().get(case)
    assert expected is not None, f"no golden hashes for {case}: set PRACTICESIM_UPDATE_GOLDEN=1"
    changed = sorted(name for name in expected if found.get(name) != expected[name])
    assert not changed, f"{case}: tables changed: {changed}"
    assert set(found) == set(expected), f"{case}: tables {sorted(found)} != {sorted(expected)}"


def run_tables(run) -> dict[str, pd.DataFrame | pd.Series]:
    return {**{name: getattr(run, name) for name in run.TABLES}, "kpis": run.kpis()}


def read_exports(run, folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's appointment and transaction exports, written to ``folder`` and read back
    through the shipped mappings with a fixed pseudonym key."""
    appointments = write_appointments_csv(run, folder / "appointments.csv")
    transactions = write_ledger_csv(run, folder / "transactions.csv")
    return (read_appointments(appointments, MAPPINGS / "practicesim_appointments_mapping.yaml",
                              KEY),
            read_transactions(transactions, MAPPINGS / "practicesim_transactions_mapping.yaml",
                              KEY))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_short_run_of_each_shipped_scenario_is_unchanged(path: Path):
    run = simulate(build(SHORT, path=path), seed=11)
    check(f"run/{path.stem}", run_tables(run))


def test_a_paired_comparison_is_unchanged():
    base = build(SHORT, path=BASELINE)
    other = build(SHORT, path=ROOT / "scenarios" / "hire_biller.yaml")
    result = compare(base, other, reps=2, seed=5, executor="serial")
    tables: dict[str, pd.DataFrame | pd.Series] = {
        "summary": result.summary(), "decision": result.decision()}
    tables["differences"] = result.differences
    tables["cash_differences"] = result.cash_differences
    for name, experiment in {"baseline": result.baseline, **result.scenarios}.items():
        tables[f"{name}.summary"] = experiment.summary()
        tables[f"{name}.kpis"] = experiment.kpis
        tables[f"{name}.monthly"] = experiment.monthly
        tables[f"{name}.daily"] = experiment.daily
    check("compare/baseline-hire_biller", tables)


def test_a_calibration_from_exports_and_835s_is_unchanged(tmp_path: Path):
    run = simulate(build({**SHORT, "calendar.horizon_days": 120}, path=BASELINE), seed=4)
    write_835(run, tmp_path / "era")
    remittances = read_835(tmp_path / "era", KEY)
    appointments, transactions = read_exports(run, tmp_path)
    result = calibrate(appointments=appointments, transactions=transactions,
                       remittances=remittances)
    from_835 = calibrate(remittances=remittances)
    scenario = result.scenario.model_dump(mode="json", by_alias=True)
    tables: dict[str, pd.DataFrame | pd.Series] = {
        "parameters": result.parameters, "excluded": result.excluded,
        "suppressed": result.suppressed, "from_835.parameters": from_835.parameters,
        "scenario": pd.Series(json.dumps(scenario, sort_keys=True)),
        "remittance.ledger": remittances.ledger(run.calendar.day0)}
    for name in ("payments", "claims", "service_lines", "adjustments", "provider_adjustments",
                 "unreconciled", "notes", "skipped"):
        tables[f"remittance.{name}"] = getattr(remittances, name)
    check("calibrate/exports-and-835", tables)


SYNTHEA = ROOT.parent / "shared" / "data" / "synthea_ohdsi"


@pytest.mark.skipif(not (SYNTHEA / "claims_transactions.csv").exists(),
                    reason="../shared/data/synthea_ohdsi absent")
def test_reading_and_calibrating_from_a_synthea_export_is_unchanged():
    data = read_synthea(SYNTHEA, KEY)
    result = calibrate(appointments=data.appointments, transactions=data.ledger)
    check("calibrate/synthea", {
        "appointments": data.appointments, "ledger": data.ledger, "payers": data.payers,
        "excluded_claims": data.excluded_claims, "secondary_payments": data.secondary_payments,
        "parameters": result.parameters, "excluded": result.excluded,
        "suppressed": result.suppressed})


def warm_start_tables() -> dict[str, pd.DataFrame | pd.Series]:
    """A short baseline run, its end state, and a run from that state (the warm start)."""
    first = simulate(build({**SHORT, "calendar.horizon_days": 40}, path=BASELINE), seed=8)
    state = state_from_run(first)
    after = first.scenario.with_changes({"calendar.start": state.as_of,
                                         "calendar.warmup_days": 0,
                                         "calendar.horizon_days": 45})
    return run_tables(simulate(after, seed=9, state=state))


def backtest_tables(folder: Path) -> dict[str, pd.DataFrame | pd.Series]:
    """A backtest of the small practice's exports, split a month before their end."""
    run = simulate(build({"calendar.horizon_days": 150}), seed=6)
    appointments, transactions = read_exports(run, folder)
    result = backtest(appointments, transactions, dt.date(2027, 1, 1), base=build(), reps=2,
                      seed=2)
    return {"table": result.table, "coverage": result.coverage, "skipped": result.skipped,
            "claims": result.state.claims, "appointments": result.state.appointments,
            "parameters": result.calibration.parameters}


def test_a_warm_start_is_unchanged():
    check("run/warm-start", warm_start_tables())


def test_a_backtest_is_unchanged(tmp_path: Path):
    check("backtest/small-practice", backtest_tables(tmp_path))
