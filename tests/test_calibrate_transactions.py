"""Transaction exports read into the ledger schema (practicesim.calibrate.transactions), and
per-payer parameters fitted from a ledger (practicesim.calibrate.payers), checked by a round
trip: a simulated practice's own parameters recovered from its export."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from practicesim import ledger as lg
from practicesim import simulate
from practicesim.calibrate import DataError
from practicesim.calibrate.exports import write_ledger_csv
from practicesim.calibrate.payers import fit_payers
from practicesim.calibrate.transactions import read_mapping, read_transactions
from tests.conftest import BASELINE, NO_PENDS, ROOT, SAME_PAYER, build

MAPPING = ROOT / "calibration" / "practicesim_transactions_mapping.yaml"
HEADER = ("claim_id,patient_id,payer,service_date,posted_date,type,amount,adjustment_group,"
          "adjustment_reason")


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """The baseline with no posting lag, no remittance posted by hand and no pended claim (so
    the payer lag is the remittance lag itself), a year simulated, written as a transaction
    report and read back."""
    scenario = build({"billing.posting_lag_days": 0, "billing.posting_exception_rate": 0.0,
                      **SAME_PAYER, **NO_PENDS},
                     path=BASELINE)
    run = simulate(scenario, seed=4)
    path = write_ledger_csv(run, tmp_path_factory.mktemp("tx") / "transactions.csv")
    return scenario, run, read_transactions(path, MAPPING)


def test_the_export_reads_back_as_the_same_ledger(round_trip):
    _, run, ledger = round_trip
    assert len(ledger) == len(run.ledger)
    by_kind = lambda df: df.groupby("kind", observed=True)["amount_cents"].sum()  # noqa: E731
    assert by_kind(ledger).equals(by_kind(run.ledger))
    assert lg.balance_violations(ledger).empty, "every claim balances at every moment"
    assert ledger["claim"].nunique() == run.ledger["claim"].nunique()
    assert not set(ledger["claim"]) & set(run.ledger["claim"]), "claim ids are pseudonyms"


def test_payer_parameters_are_recovered(round_trip):
    """Per payer: the remittance lag median inside its 99.9% interval (3.29 standard errors,
    from the 95% one), the initial denial rate e + (1 - e) r (errors the scrubber missed,
    e = 0.12 x 0.25, then the payer's rate r) inside its Wilson interval widened likewise,
    the deductible probability, coinsurance and copay; for a payer with a deductible plan,
    those of its other patients, and the plan's share of patients (inside its Wilson interval
    widened likewise), copay and coinsurance (within 0.015: preventive add-on lines are
    allowed without coinsurance, which the ledger cannot tell apart)."""
    scenario, _, ledger = round_trip
    fits = fit_payers(ledger, {"self_pay"})
    e = scenario.billing.claim_error_rate * (1 - scenario.billing.scrubber_catch_rate)
    for payer in scenario.payers:
        if payer.kind == "self_pay" or payer.share == 0:  # no claims of its own (Medigap)
            continue
        row = fits.table.loc[payer.name]
        median = payer.lag_days.quantile(0.5)
        se = (math.log(row.loc["lag_median_days", "high"])
              - math.log(row.loc["lag_median_days", "low"])) / (2 * 1.959964)
        assert abs(math.log(row.loc["lag_median_days", "value"]) - math.log(median)) < 3.29 * se
        expected = e + (1 - e) * payer.denial.rate
        rate = row.loc["initial_denial_rate"]
        half = (rate["high"] - rate["low"]) / 2 * 3.29 / 1.959964
        assert abs(rate["value"] - expected) < half, payer.name
        share = payer.cost_sharing
        plan = share.deductible_plan
        prefix = "other_" if plan else ""
        if not plan or plan.share < 1:
            assert row.loc[f"{prefix}deductible_probability", "value"] == pytest.approx(
                share.deductible_probability, abs=0.015)
            assert row.loc[f"{prefix}coinsurance", "value"] == pytest.approx(
                share.coinsurance, abs=0.015)
            if share.copay:
                assert row.loc[f"{prefix}copay_dollars", "value"] == pytest.approx(
                    share.copay, rel=0.01)
        if plan:
            fitted = row.loc["plan_share"]
            half = (fitted["high"] - fitted["low"]) / 2 * 3.29 / 1.959964
            assert abs(fitted["value"] - plan.share) <= half, payer.name
            # a claim with a preventive add-on (90471) shows a lower share: its line is allowed
            # without coinsurance, and the ledger does not show lines (about -0.01 here)
            assert row.loc["plan_coinsurance", "value"] == pytest.approx(plan.coinsurance,
                                                                         abs=0.015)
            assert row.loc["plan_copay_dollars", "value"] == pytest.approx(plan.copay, abs=0.01)
    assert fits.value("medicare", "floor_days") == 14


def test_shares_sum_to_one_and_reasons_are_real_carc_codes(round_trip):
    _, _, ledger = round_trip
    fits = fit_payers(ledger, {"self_pay"})
    shares = fits.table.xs("share", level="parameter")["value"]
    assert shares.sum() == pytest.approx(1.0)
    for mix in fits.reasons.values():
        assert sum(mix.values()) == pytest.approx(1.0, abs=1e-3)
        assert all(code.isalnum() for code in mix)


def test_a_payer_with_too_few_patients_is_suppressed(tmp_path):
    """Fewer than 11 patients: no parameters of its own, listed as suppressed."""
    rows = [f"{i},{i % 5},rare_plan,2027-01-0{1 + i % 5},2027-01-2{i % 5},charge,100.00,,"
            for i in range(30)]
    path = tmp_path / "tx.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    fits = fit_payers(read_transactions(path, MAPPING))
    assert list(fits.table.index) == [("rare_plan", "share")]
    assert fits.suppressed.to_dict("records") == [
        {"payer": "rare_plan", "cell": "all parameters", "patients": "fewer than 11"}]


@pytest.mark.parametrize(("row", "where", "expected"), [
    ("1,2,medicare,2027-01-04,2027-01-05,charge,12.345,,", "row 2, column 'amount'",
     "at most two decimals"),
    ("1,2,medicare,2027-01-04,2027-01-05,charge,twelve,,", "row 2, column 'amount'",
     "an amount in dollars"),
    ("1,2,medicare,2027-13-04,2027-01-05,charge,12.00,,", "row 2, column 'service_date'",
     "a date"),
    ("1,2,medicare,2027-01-04,2027-01-05,refund,12.00,,", "row 2, column 'type'",
     "one of the mapped types"),
])
def test_bad_values_name_the_file_row_and_column(tmp_path, row, where, expected):
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n" + row + "\n")
    with pytest.raises(DataError) as err:
        read_transactions(path, MAPPING)
    assert str(path) in str(err.value) and where in str(err.value)
    assert expected in str(err.value)


def test_amounts_are_exact_cents_and_rows_against_the_sign_convention_are_excluded(tmp_path):
    """All amounts positive by default: a negative payment (a reversal or refund) is left out
    and listed, not posted as a second payment. With ``credits_negative`` the payments are
    the negative ones, and a positive payment is the exception."""
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + "\n1,2,medicare,2027-01-04,2027-01-05,charge,\"1,234.56\",,\n"
                    "1,2,medicare,2027-01-04,2027-01-19,payer_payment,1000.10,,\n"
                    "1,2,medicare,2027-01-04,2027-01-26,payer_payment,-1000.10,,\n")
    ledger = read_transactions(path, MAPPING)
    assert ledger["amount_cents"].tolist() == [123456, 100010]
    assert ledger["day"].tolist() == [1, 15]
    assert np.all(ledger["service_day"] == 0)
    assert ledger.attrs["excluded"] == [{"row": 4, "reason": "amount of the opposite sign (a "
                                         "reversal, refund, void or recoupment)"}]
    mapping = read_mapping(MAPPING).model_copy(update={"credits_negative": True})
    ledger = read_transactions(path, mapping)
    assert ledger["amount_cents"].tolist() == [123456, 100010]
    assert ledger["day"].tolist() == [1, 22]
    assert [e["row"] for e in ledger.attrs["excluded"]] == [3]


def test_allowed_to_charge_by_code_from_835_service_lines():
    """Twelve patients' 99213 lines charged $180, CO-45 $63 each (allowed $117: 0.65 of the
    charge), one of them denied (CLP02 4, left out); a code seen for 3 patients is suppressed.
    Line-level PR amounts do not lower the allowed amount."""
    from practicesim.calibrate.payers import allowed_by_code

    rows = range(15)
    claims = pd.DataFrame({"claim_row": list(rows), "payer_name": "acme",
                           "patient": [r % 13 for r in rows],
                           "status": ["4" if r == 0 else "1" for r in rows]})
    lines = pd.DataFrame({"claim_row": list(rows), "line": 1,
                          "procedure": ["99213"] * 12 + ["93000"] * 3,
                          "charge_cents": [18000] * 12 + [3000] * 3})
    adjustments = pd.DataFrame({
        "claim_row": [*rows, *rows], "line": 1,
        "group": ["CO"] * 15 + ["PR"] * 15, "reason": ["45"] * 15 + ["2"] * 15,
        "amount_cents": [6300] * 12 + [1500] * 3 + [2000] * 15})
    table, suppressed = allowed_by_code(lines, adjustments, claims)
    row = table.loc[("acme", "99213")]
    assert row["lines"] == 11
    assert row["allowed_to_charge"] == pytest.approx(11700 / 18000)
    assert suppressed == [("acme", "allowed ratio of code 93000", "fewer than 11")]


def test_fits_do_not_depend_on_the_pseudonym_key(round_trip, tmp_path):
    """Pseudonyms change with the process's key; the fitted figures must not."""
    from practicesim.calibrate.exports import write_ledger_csv
    from practicesim.calibrate.privacy import Pseudonymizer

    _, run, _ = round_trip
    path = write_ledger_csv(run, tmp_path / "transactions.csv")
    tables = [fit_payers(read_transactions(path, MAPPING, Pseudonymizer(key)), {"self_pay"}).table
              for key in (b"a" * 32, b"b" * 32)]
    pd.testing.assert_frame_equal(tables[0], tables[1])
