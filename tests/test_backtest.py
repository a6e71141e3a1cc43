"""The backtest (practicesim.backtest): the state at the split rebuilt from the data,
and the calibrated model, run from it, tracking the practice's own months."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from practicesim import ledger as lg
from practicesim import simulate
from practicesim.backtest import MEASURES, backtest, state_at
from practicesim.calibrate import read_appointments, read_transactions
from practicesim.calibrate.exports import write_appointments_csv, write_ledger_csv
from tests.conftest import ROOT, build
from tests.test_cli import cli

APPOINTMENT_MAPPING = ROOT / "calibration" / "practicesim_appointments_mapping.yaml"
TRANSACTION_MAPPING = ROOT / "calibration" / "practicesim_transactions_mapping.yaml"
SPLIT = dt.date(2027, 4, 1)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The small practice's exports, 2026-10-03 to 2027-07-29: the split leaves three whole
    months after it (July is cut short, so it is left out)."""
    run = simulate(build({"calendar.horizon_days": 210}), seed=6)
    folder = tmp_path_factory.mktemp("backtest")
    appointments = write_appointments_csv(run, folder / "appointments.csv")
    transactions = write_ledger_csv(run, folder / "transactions.csv")
    return (read_appointments(appointments, APPOINTMENT_MAPPING),
            read_transactions(transactions, TRANSACTION_MAPPING), appointments, transactions)


@pytest.fixture(scope="module")
def result(data):
    appointments, ledger, _, _ = data
    return backtest(appointments, ledger, SPLIT, base=build(), reps=8, seed=2)


def test_the_state_at_the_split_holds_the_open_balances_of_the_data(data, result):
    """Opening A/R = every claim's balance from the rows posted before the split, plus the
    charges (less desk copays) of visits done before it and entered after it, by hand."""
    _, ledger, _, _ = data
    split_day = (pd.Timestamp(SPLIT) - pd.Timestamp(ledger.attrs["origin"])).days
    before = ledger[ledger["day"] < split_day]
    open_before = pd.Series(lg.signed_cents(before)).groupby(before["claim"].to_numpy()).sum()
    late = ledger[(ledger["kind"] == "charge") & (ledger["service_day"] < split_day)
                  & (ledger["day"] >= split_day)]
    copays = ledger[(ledger["kind"] == "patient_payment") & ledger["claim"].isin(late["claim"])]
    copays = copays.merge(late[["claim", "day"]], on=["claim", "day"])
    by_hand = (open_before[open_before > 0].sum() + late["amount_cents"].sum()
               - copays["amount_cents"].sum())
    assert result.state.ar_cents == by_hand
    stages = set(result.state.claims["stage"])
    assert {"at_payer", "patient", "unbilled"} <= stages
    assert len(result.state.appointments) > 50, "the book after the split is carried over"


def test_the_months_after_the_split_are_tracked(result):
    table = result.table
    assert set(table.index.get_level_values("measure")) == set(MEASURES)
    months = table.xs("visits", level="measure").index
    assert [str(m) for m in months] == ["2027-04", "2027-05", "2027-06"]
    assert ((table["p05"] <= table["mean"]) & (table["mean"] <= table["p95"])).all()
    for measure, tolerance in (("visits", 0.05), ("charges", 0.06), ("collections", 0.10),
                               ("ar", 0.10)):
        rows = table.xs(measure, level="measure")
        assert ((rows["mean"] - rows["actual"]).abs() / rows["actual"] < tolerance).all(), (
            measure, rows)
    assert result.coverage.between(0, 1).all()
    assert list(result.coverage.index) == list(MEASURES)


def test_the_cli_writes_the_backtest(data, tmp_path):
    _, _, appointments, transactions = data
    out = tmp_path / "bt"
    done = cli("backtest", "--split", str(SPLIT), "--out", str(out), "--reps", "3",
               "--base", str(ROOT / "tests" / "data" / "small_practice.yaml"),
               "--appointments", str(appointments), "--appointments-mapping",
               str(APPOINTMENT_MAPPING), "--transactions", str(transactions),
               "--transactions-mapping", str(TRANSACTION_MAPPING))
    assert done.returncode == 0, done.stderr
    assert "days_in_ar" in done.stdout
    for name in ("backtest.csv", "coverage.csv", "backtest.png", "skipped.csv"):
        assert (out / name).is_file(), name
    done = cli("backtest", "--split", "July", "--out", str(out))
    assert done.returncode == 2 and "--split" in done.stderr


def test_state_at_skips_what_the_scenario_cannot_hold(data):
    appointments, ledger, _, _ = data
    scenario = build()
    renamed = ledger.assign(payer=ledger["payer"].astype(str).replace(
        {"commercial_b": "acme"}))
    renamed.attrs = dict(ledger.attrs)
    state, skipped = state_at(renamed, appointments, SPLIT, scenario)
    assert (skipped["name"] == "acme").any()
    assert "acme" not in set(state.claims["payer"])
