"""Secondary coverage from 835 claims (practicesim.calibrate.secondaries): a hand-made claims
table whose shares, forwarding and privacy suppression are known."""

from __future__ import annotations

import pandas as pd
import pytest

from practicesim.calibrate.from_ledger import secondaries_from_remittances
from practicesim.calibrate.remittance_tables import TABLES, table_frame
from practicesim.calibrate.secondaries import fit_secondaries
from practicesim.scenario import load_scenario
from practicesim.scenario.paths import get_path
from tests.conftest import BASELINE

DAY = pd.Timestamp("2026-03-02")


def _clp(row: int, claim: int, status: str, payer: str, patient: int, owed: int,
         days: int = 0) -> dict:
    return {"file": "era.835", "claim_row": row, "check_number": "1", "claim": claim,
            "status": status, "charge_cents": 10_000, "paid_cents": 5_000,
            "patient_responsibility_cents": owed, "filing_indicator": "MB", "payer_claim": -1,
            "patient": patient, "service_date": DAY, "received_date": pd.NaT,
            "payment_date": DAY + pd.Timedelta(days=days), "payer_name": payer}


def claims() -> pd.DataFrame:
    """30 Medicare patients, one claim each: 24 with patient responsibility; the claims of 12
    of those forwarded to Medigap (CLP02 19, then Medigap's CLP02 2), of 5 sent to a spouse's
    plan (too few to fit); one late claim 90 days on, whose secondary would come later."""
    rows = []
    for patient in range(30):
        status = "19" if patient < 12 else "1"
        rows.append(_clp(len(rows), patient, status, "Medicare", patient,
                         2_000 if patient < 24 else 0))
        if patient < 12:
            rows.append(_clp(len(rows), patient, "2", "Medigap Plan", 900 + patient, 0, 10))
        elif patient < 17:
            rows.append(_clp(len(rows), patient, "2", "Spouse Plan", 900 + patient, 0, 20))
    rows.append(_clp(len(rows), 99, "1", "Medicare", 99, 2_000, 90))
    return table_frame(rows, TABLES["claims"])


def test_shares_are_of_the_primarys_patients_with_patient_responsibility():
    fits = fit_secondaries(claims())
    row = fits.table.loc[("Medicare", "Medigap Plan")]
    assert row["share"] == 12 / 24 and row["patients"] == 24 and row["claims"] == 12
    assert row["low"] < 0.5 < row["high"]
    assert row["forwarded"] == 1.0
    assert fits.suppressed == [("Medicare", "secondary Spouse Plan", "fewer than 11")]
    assert fits.of("Medicare") == {"Medigap Plan": 0.5}
    assert fits.of("Medigap Plan") == {}


def test_a_secondary_the_scenario_lacks_is_added_as_a_secondary_only_payer():
    base = load_scenario(BASELINE)
    data = base.model_dump(mode="json", by_alias=True)
    data["payers"] = [p for p in data["payers"] if p["name"] != "medigap"]
    data["payers"][0]["name"] = "Medicare"
    rows: dict = {}
    secondaries_from_remittances(data, fit_secondaries(claims()), base, rows)
    payers = {p["name"]: p for p in data["payers"]}
    assert payers["Medicare"]["secondary"] == {"Medigap Plan": 0.5}
    added = payers["Medigap Plan"]
    assert (added["kind"], added["share"], added["as_secondary"]["crossover"]) == (
        "medigap", 0.0, True)
    assert rows["payers[Medicare].secondary[Medigap Plan]"][0] == pytest.approx(0.5)
    assert rows["payers[Medigap Plan].as_secondary.crossover"][4].startswith("remittances")


def adjustments(claims: pd.DataFrame) -> pd.DataFrame:
    """PR-2 on each Medicare CLP with patient responsibility, except two patients who owe only
    PR-49 (non-covered lines: nothing a secondary pays)."""
    rows = []
    for claim in claims.itertuples():
        if claim.payer_name == "Medicare" and claim.patient_responsibility_cents:
            reason = "49" if claim.patient in (22, 23) else "2"
            rows.append({"file": "era.835", "claim_row": claim.claim_row, "claim": claim.claim,
                         "line": -1, "group": "PR", "reason": reason,
                         "amount_cents": claim.patient_responsibility_cents,
                         "quantity": float("nan")})
    return table_frame(rows, TABLES["adjustments"])


def test_patients_who_owe_only_non_covered_charges_are_left_out():
    table = claims()
    fits = fit_secondaries(table, adjustments(table))
    assert fits.table.loc[("Medicare", "Medigap Plan"), "share"] == 12 / 22
    assert fits.patients == {"Medicare": 22}


def test_a_primary_seen_without_secondaries_loses_the_bases():
    """Medicare's 24 patients who owed cost sharing: no secondary claim for any of them, so the
    base's Medigap, commercial and Medicaid shares go."""
    base = load_scenario(BASELINE)
    data = base.model_dump(mode="json", by_alias=True)
    data["payers"][0]["name"] = "Medicare"
    table = claims()
    table = table[table["status"] != "2"]
    fits = fit_secondaries(table)
    assert fits.patients == {"Medicare": 24} and fits.table.empty
    secondaries_from_remittances(data, fits, base, {})
    assert get_path(data, "payers[Medicare].secondary") == {}
