"""Underpayments from 835 service lines against a contract table
(practicesim.calibrate.contract_variance): hand-made remittances whose underpaid lines, rate
and short are known to the cent, the contract CSV's errors, and ``calibrate`` writing them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from practicesim.calibrate import calibration as cal
from practicesim.calibrate.contract_variance import (
    fit_underpayments,
    read_contracts,
    underpayments_into,
)
from practicesim.calibrate.errors import DataError
from practicesim.calibrate.remittance import Remittances, read_835
from practicesim.calibrate.remittance_tables import TABLES, table_frame
from practicesim.scenario import Scenario, load_scenario
from tests.conftest import BASELINE, SHARED_DATA
from tests.test_cli import cli

TR3 = SHARED_DATA / "x12" / "linuxforhealth_x12" / "835_005010X221A1"

DAY = pd.Timestamp("2026-03-02")
CONTRACTS = pd.DataFrame({"payer": ["commercial_a", "commercial_a", "commercial_a"],
                          "code": ["99213", "36415", "99214:SA"],
                          "allowed": [90.0, 3.0, 100.0]})


def remittances() -> Remittances:
    """commercial_a, 12 patients, one claim each (CLP02 1): 99213 charged $150 (copay PR-3
    $20) and 36415 charged $10. Claims 0-2 allowed $72 on 99213 (short $18 against $90);
    claim 3 $89.99 (a cent: rounding, not underpaid); claim 4 has 36415 denied CO-97 (not a
    paid line) and a CO-253 sequestration of $1.40 on 99213 (a cut of the payment, not of the
    allowed amount); claim 5's 99214-SA line is priced at its own $100 rate. A secondary's
    CLP (CLP02 2) of claim 0 repeats it and is left out; commercial_b has 5 patients (too
    few)."""
    claims, lines, adjustments = [], [], []

    def clp(payer: str, status: str, patient: int, specs: list[tuple]) -> None:
        row = len(claims)
        paid = 0
        for n, (code, modifiers, charge, allowed, pr, extra) in enumerate(specs, start=1):
            line_paid = allowed - pr - sum(c for _, _, c in extra)
            paid += line_paid
            lines.append({"file": "era.835", "claim_row": row, "claim": row, "line": n,
                          "qualifier": "HC", "procedure": code, "modifiers": modifiers,
                          "charge_cents": charge, "paid_cents": line_paid, "units": 1.0,
                          "service_date": DAY})
            cas = [("CO", "45", charge - allowed)] + ([("PR", "3", pr)] if pr else []) + extra
            adjustments.extend({"file": "era.835", "claim_row": row, "claim": row, "line": n,
                                "group": g, "reason": r, "amount_cents": c, "quantity": None}
                               for g, r, c in cas if c)
        claims.append({"file": "era.835", "claim_row": row, "check_number": "1", "claim": row,
                       "status": status, "charge_cents": sum(s[2] for s in specs),
                       "paid_cents": paid, "patient_responsibility_cents": 0,
                       "filing_indicator": "12", "payer_claim": -1, "patient": patient,
                       "service_date": DAY, "received_date": DAY,
                       "payment_date": DAY + pd.Timedelta(days=20), "payer_name": payer})

    for k in range(12):
        allowed = {0: 7_200, 1: 7_200, 2: 7_200, 3: 8_999}.get(k, 9_000)
        specs = [("99213", "", 15_000, allowed, 2_000, []),
                 ("36415", "", 1_000, 300, 0, [])]
        if k == 4:
            specs = [("99213", "", 15_000, 9_000, 2_000, [("CO", "253", 140)]),
                     ("36415", "", 1_000, 1_000, 0, [("CO", "97", 1_000)])]
        if k == 5:
            specs = [("99214", "SA", 20_000, 10_000, 2_000, [])]
        clp("commercial_a", "1", k, specs)
    clp("commercial_a", "2", 0, [("99213", "", 15_000, 7_200, 2_000, [])])
    for k in range(5):
        clp("commercial_b", "1", 100 + k, [("99213", "", 15_000, 6_000, 0, [])])
    empty = {name: table_frame([], TABLES[name])
             for name in ("payments", "provider_adjustments", "unreconciled")}
    return Remittances(claims=table_frame(claims, TABLES["claims"]),
                       service_lines=table_frame(lines, TABLES["service_lines"]),
                       adjustments=table_frame(adjustments, TABLES["adjustments"]), **empty)


def test_underpaid_lines_rate_and_short_are_exact():
    r = remittances()
    fits = fit_underpayments(r.service_lines, r.adjustments, r.claims,
                             pd.concat([CONTRACTS, CONTRACTS.assign(payer="commercial_b")]))
    fit = fits.table.loc["commercial_a"]
    # 12 primary claims; 22 paid lines with a rate (24 lines, less claim 5's second line that
    # does not exist, less claim 4's denied 36415); 3 underpaid
    assert (fit["claims"], fit["patients"], fit["paid_lines"]) == (12, 12, 22)
    assert fit["underpaid_lines"] == 3
    assert fit["rate"] == pytest.approx(3 / 12)
    # each underpaid claim paid 7,200 - 2,000 + 300 = 5,500 and was owed 1,800 more
    assert fit["short"] == pytest.approx(1_800 / 7_300)
    paid = 3 * 5_500 + 6 * 7_300 + (8_999 - 2_000 + 300) + (9_000 - 2_000 - 140) + 8_000
    assert fit["underpaid_dollar_share"] == pytest.approx(3 * 1_800 / (paid + 3 * 1_800))
    assert fit["rate_low"] < 0.25 < fit["rate_high"]
    shortfall = fits.lines.set_index(["claim_row", "line"])["shortfall_cents"]
    assert shortfall[(0, 1)] == 1_800 and shortfall[(3, 1)] == 0 and shortfall[(4, 1)] == 0
    assert shortfall[(5, 1)] == 0  # the SA line at its own rate
    assert "commercial_b" not in fits.table.index
    assert fits.suppressed == [("commercial_b", "underpayments", "fewer than 11")]


def test_calibrate_writes_the_underpayments_and_the_contract_rates(tmp_path: Path):
    path = tmp_path / "contracts.csv"
    CONTRACTS.to_csv(path, index=False)
    fits = fit_underpayments(remittances().service_lines, remittances().adjustments,
                             remittances().claims, read_contracts(path))
    data = load_scenario(BASELINE).model_dump(mode="json", by_alias=True)
    rows: dict = {}
    underpayments_into(data, fits, CONTRACTS, rows)
    payer = next(p for p in data["payers"] if p["name"] == "commercial_a")
    assert payer["underpayment"] == {"rate": pytest.approx(0.25),
                                     "short": pytest.approx(1_800 / 7_300)}
    assert payer["fee_table"]["99213"] == 90.0 and "99214:SA" not in payer["fee_table"]
    assert rows["payers[commercial_a].underpayment.rate"][3] == 12
    Scenario.model_validate(data)


def test_calibrate_needs_remittances_for_a_contract_table():
    with pytest.raises(ValueError, match="835 service lines"):
        cal.calibrate(contracts=CONTRACTS)


@pytest.mark.parametrize(("text", "where", "found"), [
    ("payer,code,allowed\nA,99213,90\nA,99213,91\n", "row 3", "A 99213 again"),
    ("payer,code,allowed\nA,99213,ninety\n", "row 2, column 'allowed'", "ninety"),
    ("payer,code,allowed\nA,,90\n", "row 2, column 'code'", "an empty cell"),
    ("payer,code\nA,99213\n", "column 'allowed'", "['payer', 'code']"),
])
def test_contract_table_errors_name_file_row_and_column(tmp_path: Path, text: str, where: str,
                                                        found: str):
    path = tmp_path / "contracts.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_contracts(path)
    assert err.value.where == where and found in str(err.value.found)
    assert str(path) in str(err.value)


@pytest.mark.skipif(not TR3.exists(), reason="../shared/data (X12 835 samples) absent")
def test_the_tr3_managed_care_example_against_a_contract():
    """The TR3's managed-care 835: 99211 charged $800, paid $500 with PR-1 $300 (allowed $800,
    above a $750 rate); 93555 charged $1,200 with CO-45 $50 (allowed $1,150, $50 below a
    $1,200 rate). The claim-level CO-A2 withholds price neither line. Two patients: the
    payer's figures are suppressed, its lines are read."""
    r = read_835(TR3 / "managed-care.835")
    contracts = pd.DataFrame({"payer": ["RUSHMORE LIFE"] * 2, "code": ["99211", "93555"],
                              "allowed": [750.0, 1_200.0]})
    fits = fit_underpayments(r.service_lines, r.adjustments, r.claims, contracts)
    lines = fits.lines.set_index("procedure")
    assert lines.loc["99211", ["allowed_cents", "contracted_cents", "shortfall_cents"]].tolist(
    ) == [80_000, 75_000, 0]
    assert lines.loc["93555", ["allowed_cents", "contracted_cents", "shortfall_cents"]].tolist(
    ) == [115_000, 120_000, 5_000]
    assert fits.table.empty and fits.suppressed == [("RUSHMORE LIFE", "underpayments",
                                                     "fewer than 11")]


@pytest.mark.skipif(not TR3.exists(), reason="../shared/data (X12 835 samples) absent")
def test_the_cli_reads_a_contract_table_with_the_remittances(tmp_path: Path):
    contracts = tmp_path / "contracts.csv"
    contracts.write_text("payer,code,allowed\nRUSHMORE LIFE,93555,1200\n", encoding="utf-8")
    out = tmp_path / "cal"
    done = cli("calibrate", "--out", str(out), "--remittances", str(TR3), "--contracts",
               str(contracts))
    assert done.returncode == 0, done.stderr
    suppressed = pd.read_csv(out / "suppressed.csv")
    assert ((suppressed["payer"] == "RUSHMORE LIFE")
            & (suppressed["cell"] == "underpayments")).any()
    done = cli("calibrate", "--out", str(tmp_path / "other"), "--contracts", str(contracts),
               "--remittances", str(tmp_path / "missing"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = cli("calibrate", "--out", str(tmp_path / "again"), "--contracts", str(contracts),
               "--synthea", str(SHARED_DATA / "synthea_ohdsi"))
    assert done.returncode == 2 and "835 service lines" in done.stderr
