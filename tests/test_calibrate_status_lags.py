"""Payer lags by claim status from 835 claims (practicesim.calibrate.status_lags): a hand-made
claims table whose lags by status, median intervals and suppressed cells are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from practicesim.calibrate.remittance_tables import TABLES, table_frame
from practicesim.calibrate.status_lags import lags_by_status, median_interval, secondary_lags
from practicesim.scenario import Scenario, load_scenario
from tests.conftest import BASELINE

RECEIVED = pd.Timestamp("2026-03-02")


def _clp(row: int, status: str, payer: str, patient: int, lag: int | None) -> dict:
    return {"file": "era.835", "claim_row": row, "check_number": "1", "claim": row,
            "status": status, "charge_cents": 10_000, "paid_cents": 5_000,
            "patient_responsibility_cents": 0, "filing_indicator": "MB", "payer_claim": -1,
            "patient": patient, "service_date": RECEIVED - pd.Timedelta(days=3),
            "received_date": RECEIVED if lag is not None else pd.NaT,
            "payment_date": RECEIVED + pd.Timedelta(days=lag if lag is not None else 40),
            "payer_name": payer}


def claims() -> pd.DataFrame:
    """Medicare: 20 paid claims at 14 + k days (k = 0..19, one patient each; every other one
    forwarded, CLP02 19), 12 denials at 7 days, one reversal (22) and one claim without a
    received date; Medigap: 15 secondary claims at 3 + k days; a spouse's plan: 5 secondary
    claims (too few patients)."""
    rows = [_clp(k, "19" if k % 2 else "1", "Medicare", k, 14 + k) for k in range(20)]
    rows += [_clp(20 + k, "4", "Medicare", 100 + k, 7) for k in range(12)]
    rows += [_clp(32, "22", "Medicare", 0, 100), _clp(33, "1", "Medicare", 200, None)]
    rows += [_clp(34 + k, "2", "Medigap Plan", 300 + k, 3 + k) for k in range(15)]
    rows += [_clp(49 + k, "2", "Spouse Plan", 400 + k, 30) for k in range(5)]
    return table_frame(rows, TABLES["claims"])


def test_lags_are_counted_by_status_from_the_received_date():
    table, suppressed = lags_by_status(claims())
    cells = table.set_index(["payer", "status"])
    paid = cells.loc[("Medicare", "primary")]
    # 20 claims with a received date (the 21st has none; the reversal answers nothing)
    assert (paid["claims"], paid["patients"]) == (20, 20)
    assert paid["median_days"] == pytest.approx(np.median(np.arange(14, 34)))
    assert paid["p90_days"] == pytest.approx(np.quantile(np.arange(14, 34), 0.9))
    assert paid["mean_days"] == pytest.approx(23.5)
    # from the date of service: 3 days more, over all 21 primary CLPs (one paid at 40 days)
    assert paid["service_median_days"] == pytest.approx(3 + 24.0)
    denied = cells.loc[("Medicare", "denied")]
    assert (denied["claims"], denied["median_days"], denied["p90_days"]) == (12, 7.0, 7.0)
    assert cells.loc[("Medigap Plan", "secondary"), "median_days"] == pytest.approx(10.0)
    assert ("Spouse Plan", "secondary") not in cells.index
    assert suppressed == [("Spouse Plan", "lag of secondary claims", "fewer than 11")]


def test_median_interval_is_the_order_statistics_of_the_binomial():
    values = np.arange(1, 101, dtype=float)[::-1]  # unsorted on purpose
    assert median_interval(values) == (40.0, 61.0)  # n = 100: ranks 40 and 61
    assert median_interval(np.array([5.0])) == (5.0, 5.0)
    low, high = median_interval(np.arange(11, dtype=float))
    assert (low, high) == (1.0, 9.0)  # n = 11: ranks 2 and 10
    assert all(np.isnan(median_interval(np.array([]))))


def test_coverage_of_the_median_interval_is_at_least_95_percent():
    rng = np.random.default_rng(7)
    median = np.exp(3.0)
    hits = 0
    for _ in range(2000):
        low, high = median_interval(rng.lognormal(3.0, 0.6, size=40))
        hits += low <= median <= high
    assert hits / 2000 >= 0.95 - 3 * np.sqrt(0.95 * 0.05 / 2000)


def test_a_payer_seen_only_as_a_secondary_gets_its_lag_from_its_secondary_claims():
    data = load_scenario(BASELINE).model_dump(mode="json", by_alias=True)
    data["payers"].append({**next(p for p in data["payers"] if p["name"] == "commercial_a"),
                           "name": "Medigap Plan", "share": 0.0, "secondary": {}})
    rows = {"payers[medicare].lag_days.median": (20.0, 18.0, 22.0, 100, "transactions")}
    table, _ = lags_by_status(claims().assign(
        payer_name=lambda c: c["payer_name"].replace({"Medicare": "medicare"})))
    before = next(p for p in data["payers"] if p["name"] == "medicare")["lag_days"]
    secondary_lags(data, table, rows, {"medicare"})
    payers = {p["name"]: p for p in data["payers"]}
    assert payers["medicare"]["lag_days"] == before  # fitted from the ledger: left alone
    lag = payers["Medigap Plan"]["lag_days"]
    assert lag == {"dist": "lognormal", "median": 10.0,
                   "p90": pytest.approx(np.quantile(np.arange(3, 18), 0.9))}
    value, low, high, n, source = rows["payers[Medigap Plan].lag_days.median"]
    assert (value, n) == (10.0, 15) and low < 10.0 < high and "CLP02 = 2" in source
    Scenario.model_validate(data)
