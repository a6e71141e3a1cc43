"""Synthea v3.0.0 CSV exports read into the appointment schema and the ledger
(practicesim.calibrate.synthea): the OHDSI seed export (27 patients) against its SOURCE.md
figures, every claim balanced, the payer fits run on it, no identifier in any output; and small
hand-written exports for the mapping and the bad-input cases."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from practicesim import ledger as lg
from practicesim.calibrate import DataError
from practicesim.calibrate.appointments import excluded_rows
from practicesim.calibrate.calibration import calibrate
from practicesim.calibrate.payers import SMALL_CELL, fit_payers
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.synthea import SyntheaData, payer_kind, read_synthea
from tests.conftest import SHARED_DATA

SYNTHEA = SHARED_DATA / "synthea_ohdsi"
needs_synthea = pytest.mark.skipif(
    not (SYNTHEA / "claims_transactions.csv").exists(),
    reason="../shared/data/synthea_ohdsi (OHDSI dbt-synthea seed export) absent")

# SOURCE.md, "Shape / verified statistics"
ENCOUNTERS_BY_CLASS = {"wellness": 348, "ambulatory": 174, "outpatient": 52, "emergency": 17,
                       "inpatient": 11, "urgentcare": 2}
ENCOUNTERS_BY_PAYER = {"NO_INSURANCE": 145, "Medicaid": 108, "Anthem": 80, "Aetna": 60,
                       "Cigna Health": 60, "Blue Cross Blue Shield": 52, "UnitedHealthcare": 45,
                       "Humana": 42, "Medicare": 12}
TRANSACTIONS_BY_TYPE = {"PAYMENT": 1843, "CHARGE": 1545, "TRANSFEROUT": 920, "TRANSFERIN": 920}


@pytest.fixture(scope="module")
def seed() -> SyntheaData:
    return read_synthea(SYNTHEA, Pseudonymizer(b"synthea test key"))


def outputs(data: SyntheaData) -> dict[str, pd.DataFrame]:
    """Every table the reader returns, the ones kept in attrs too."""
    return {"appointments": data.appointments, "ledger": data.ledger, "payers": data.payers,
            "excluded": excluded_rows(data.appointments),
            "excluded_claims": data.excluded_claims,
            "secondary_payments": data.secondary_payments}


# -- the OHDSI seed export ------------------------------------------------------------------

@needs_synthea
def test_encounters_read_as_completed_visits_with_source_counts(seed: SyntheaData) -> None:
    visits = seed.appointments
    assert len(visits) == 604
    assert visits["visit_type"].value_counts().to_dict() == ENCOUNTERS_BY_CLASS
    assert visits["payer"].value_counts().to_dict() == ENCOUNTERS_BY_PAYER
    assert (visits["status"] == "completed").all() and (visits["lead_days"] == 0).all()
    assert (visits["booked_at"] == visits["appointment_at"]).all()
    assert (visits["end_at"] >= visits["start_at"]).all()
    assert visits["appointment_at"].dt.year.between(1968, 2024).all()
    assert visits["age"].between(0, 120).all() and (visits["age"] % 1 == 0).all()
    assert visits["patient"].nunique() == 27
    excluded = excluded_rows(visits)
    assert excluded.empty and list(excluded.columns) == ["row", "reason"]
    assert visits.attrs["source"].endswith("encounters.csv")


@needs_synthea
def test_every_claim_and_cent_is_in_the_ledger_or_listed_as_excluded(seed: SyntheaData) -> None:
    raw = pd.read_csv(SYNTHEA / "claims_transactions.csv", dtype=str)
    assert raw["TYPE"].value_counts().to_dict() == TRANSACTIONS_BY_TYPE
    charged = raw.loc[raw["TYPE"] == "CHARGE", "AMOUNT"].map(Decimal).sum()
    ledger, excluded = seed.ledger, seed.excluded_claims
    assert ledger["claim"].nunique() + len(excluded) == 1267
    assert not set(excluded["claim"]) & set(ledger["claim"])
    ledger_charges = int(ledger.loc[ledger["kind"] == lg.CHARGE, "amount_cents"].sum())
    assert ledger_charges + int(excluded["charge_cents"].sum()) == int(charged * 100)


@needs_synthea
def test_every_claim_balances_and_the_exclusions_say_why(seed: SyntheaData) -> None:
    ledger = seed.ledger
    assert lg.balance_violations(ledger).empty
    totals = lg.claim_totals(ledger)
    assert (totals["open_balance"] == 0).all(), "Synthea closes every claim it pays"
    assert (totals[lg.CHARGE] == totals[lg.PAYER_PAYMENT] + totals[lg.PATIENT_PAYMENT]).all()
    excluded = seed.excluded_claims
    reasons = Counter(r.split(" payment of")[0] if "payment of" in r else r.split(":")[0]
                      for r in excluded["reason"])
    assert reasons == {"COPAY": 189, "charge of 0.00": 49, "OUTSTANDING 43.87 disagrees with "
                       "the line's charge less its payments and adjustments (43.86)": 1}
    assert excluded["file"].str.endswith(("claims.csv", "claims_transactions.csv")).all()
    assert (excluded["row"] >= 2).all()


@needs_synthea
def test_ledger_schema_attrs_and_payer_mapping(seed: SyntheaData) -> None:
    ledger = seed.ledger
    assert list(ledger.columns) == ["day", "date", "claim", "service_day", "service_date",
                                    "patient", "payer", "kind", "amount_cents", "carc_group",
                                    "carc_reason"]
    assert ledger.attrs["origin"] == pd.Timestamp("1968-01-21")
    assert ledger.attrs["source"].endswith("claims_transactions.csv")
    assert (ledger["date"] == ledger.attrs["origin"] + pd.to_timedelta(ledger["day"], "D")).all()
    assert ledger.attrs["payer_kinds"] == dict(zip(seed.payers["name"], seed.payers["kind"],
                                                   strict=True))
    kinds = dict(zip(seed.payers["name"], seed.payers["kind"], strict=True))
    assert kinds["NO_INSURANCE"] == "self_pay" and kinds["Dual Eligible"] == "medicare"
    assert kinds["Humana"] == "commercial" and kinds["Medicaid"] == "medicaid"
    assert ledger["day"].is_monotonic_increasing
    transfers = ledger[ledger["kind"] == lg.TRANSFER]
    assert set(zip(transfers["carc_group"], transfers["carc_reason"], strict=True)) == {
        ("", ""), ("PR", "1"), ("PR", "2"), ("PR", "3")}
    self_pay = ledger[ledger["payer"] == "NO_INSURANCE"]
    assert not self_pay["kind"].isin([lg.SUBMISSION, lg.PAYER_PAYMENT]).any()
    secondary = seed.secondary_payments
    assert len(secondary) > 0 and (secondary["primary"] == "Medicare").all()
    assert set(secondary["claim"]) <= set(ledger["claim"])
    halves = pd.concat([ledger[ledger["day"] < 15000], ledger[ledger["day"] >= 15000]])
    assert len(halves) == len(ledger), "attrs hold plain records: ledger slices concatenate"


@needs_synthea
def test_payer_fits_run_and_small_payers_are_suppressed(seed: SyntheaData) -> None:
    """27 patients: Medicaid (7 patients) and Medicare (2) are below the 11-patient rule and
    are reported suppressed; the commercial payers (13-16 patients each) are fitted with
    Synthea's instant adjudication: no denials, allowed = charge, lag within a day."""
    self_pay = {n for n, k in seed.ledger.attrs["payer_kinds"].items() if k == "self_pay"}
    fits = fit_payers(seed.ledger, self_pay)
    suppressed = fits.suppressed.set_index("payer")
    assert {"Medicaid", "Medicare"} <= set(suppressed.index)
    assert (suppressed["patients"] == SMALL_CELL).all()
    assert (suppressed["cell"] == "all parameters").all()
    fitted = set(fits.lags)
    assert fitted and not fitted & (set(suppressed.index) | self_pay)
    for payer in fitted:
        assert fits.value(payer, "initial_denial_rate") == 0
        assert fits.value(payer, "allowed_share_of_charge") == 1
        assert fits.value(payer, "lag_median_days") <= 1
    assert fits.table.xs("share", level="parameter")["value"].sum() == pytest.approx(1)
    calibration = calibrate(transactions=seed.ledger)
    names = {p.name for p in calibration.scenario.payers}
    assert names == fitted | self_pay


@needs_synthea
def test_no_identifier_of_the_input_in_any_output(seed: SyntheaData) -> None:
    patients = pd.read_csv(SYNTHEA / "patients.csv", dtype=str)
    tokens = set(patients["Id"]) | set(patients["SSN"]) | set(patients["FIRST"]) | set(
        patients["LAST"])
    for name, column in (("encounters", "Id"), ("claims", "Id"),
                         ("claims_transactions", "ID"),
                         ("claims_transactions", "PATIENTINSURANCEID"),
                         ("providers", "Id"), ("providers", "NAME")):
        tokens |= set(pd.read_csv(SYNTHEA / f"{name}.csv", dtype=str)[column].dropna())
    tokens = {t for t in tokens if len(t) >= 3}
    assert len(tokens) > 600 + 1267
    assert leaks(outputs(seed), tokens) == []


def leaks(tables: dict[str, pd.DataFrame], tokens: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, cell) where a token is a text cell's substring or a cell's text."""
    found = []
    for name, frame in tables.items():
        for column in frame.columns:
            cells = set(map(str, frame[column].unique()))
            found += [(name, column, c) for c in cells & tokens]
            if not pd.api.types.is_numeric_dtype(frame[column]):
                found += [(name, column, c) for c in cells for t in tokens if t in c]
    return found


@needs_synthea
def test_pseudonyms_link_visits_to_claims_and_depend_on_the_key(seed: SyntheaData) -> None:
    assert set(seed.ledger["patient"]) <= set(seed.appointments["patient"])
    again = read_synthea(SYNTHEA, Pseudonymizer(b"another key"))
    assert not set(again.ledger["claim"]) & set(seed.ledger["claim"])
    assert not set(again.appointments["patient"]) & set(seed.appointments["patient"])
    assert sorted(again.ledger["amount_cents"]) == sorted(seed.ledger["amount_cents"])


# -- small exports --------------------------------------------------------------------------

PAYERS = ("Id,NAME,ADDRESS\npay-aetna,Aetna,1 Main St\npay-medicare,Medicare,2 Main St\n"
          "pay-none,NO_INSURANCE,\n")
PATIENTS = "Id,BIRTHDATE,SSN,FIRST,LAST\npat-ann,1980-06-15,999-11-2222,Ann77,Zebrafish12\n"
ENCOUNTERS = (
    "Id,START,STOP,PATIENT,PROVIDER,PAYER,ENCOUNTERCLASS\n"
    "enc-1,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,pat-ann,doc-1,pay-medicare,ambulatory\n"
    "enc-2,2023-03-08T09:00:00Z,2023-03-08T09:15:00Z,pat-ann,doc-1,pay-none,wellness\n")
CLAIMS_HEADER = ("Id,PATIENTID,PRIMARYPATIENTINSURANCEID,SECONDARYPATIENTINSURANCEID,SERVICEDATE,"
                 "LASTBILLEDDATE1,LASTBILLEDDATE2\n")
CLAIMS = (CLAIMS_HEADER
          + "clm-cob,pat-ann,pay-medicare,pay-aetna,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,"
            "2023-03-02T09:20:00Z\n"
          + "clm-self,pat-ann,0,0,2023-03-08T09:00:00Z,2023-03-08T09:15:00Z,\n"
          + "clm-ded,pat-ann,pay-aetna,0,2023-03-09T09:00:00Z,2023-03-09T09:15:00Z,\n")
TX_HEADER = ("CLAIMID,CHARGEID,TYPE,AMOUNT,METHOD,TRANSFEROUTID,TRANSFERTYPE,PAYMENTS,ADJUSTMENTS,"
             "TRANSFERS,OUTSTANDING\n")
TX = (TX_HEADER
      + "clm-cob,1,CHARGE,100.00,,,1,,,,\n"
      + "clm-cob,2,PAYMENT,,COPAY,,,20.00,,,80.00\n"
      + "clm-cob,3,PAYMENT,,ECHECK,,,60.00,,,20.00\n"
      + "clm-cob,4,TRANSFEROUT,,,,,,,20.00,20.00\n"
      + "clm-cob,5,TRANSFERIN,20.00,,4,2,,,20.00,20.00\n"
      + "clm-cob,6,PAYMENT,,ECHECK,,,15.00,,,5.00\n"
      + "clm-cob,7,TRANSFEROUT,,,,,,,5.00,5.00\n"
      + "clm-cob,8,TRANSFERIN,5.00,,7,p,,,5.00,5.00\n"
      + "clm-cob,9,PAYMENT,,CASH,,,5.00,,,0.00\n"
      + "clm-self,10,CHARGE,50.00,,,p,,,,\n"
      + "clm-self,11,PAYMENT,,CC,,,50.00,,,0.00\n"
      + "clm-ded,12,CHARGE,30.00,,,1,,,,\n"
      + "clm-ded,13,TRANSFEROUT,,,,,,,30.00,30.00\n"
      + "clm-ded,14,TRANSFERIN,30.00,,13,p,,,30.00,30.00\n"
      + "clm-ded,15,PAYMENT,,CHECK,,,30.00,,,0.00\n")


def export(folder: Path, **files: str) -> Path:
    """A small Synthea export in ``folder``: the tables above, ``files`` replacing some
    (``claims_transactions=...``); a table given as "" is left out."""
    tables = {"payers": PAYERS, "patients": PATIENTS, "encounters": ENCOUNTERS,
              "claims": CLAIMS, "claims_transactions": TX} | files
    folder.mkdir(exist_ok=True)
    for name, text in tables.items():
        if text:
            (folder / f"{name}.csv").write_text(text)
    return folder


def postings(ledger: pd.DataFrame, payer: str) -> list[tuple]:
    rows = ledger[ledger["payer"] == payer]
    return list(zip(rows["day"], rows["kind"].astype(str), rows["amount_cents"],
                    rows["carc_group"].astype(str), rows["carc_reason"].astype(str),
                    strict=True))


def test_a_small_export_maps_payments_transfers_and_dates(tmp_path: Path) -> None:
    """Medicare primary with an Aetna secondary, an uninsured visit, an Aetna claim under the
    deductible: who paid, the PR reasons inferred, and the dates (the insurer's adjudication
    the day after it was billed)."""
    data = read_synthea(export(tmp_path))
    ledger = data.ledger
    assert ledger.attrs["origin"] == pd.Timestamp("2023-03-01")
    assert postings(ledger, "Medicare") == [
        (0, "charge", 10000, "", ""), (0, "submission", 0, "", ""),
        (0, "patient_payment", 2000, "", ""),
        (1, "transfer_to_patient", 2000, "PR", "3"), (1, "payer_payment", 6000, "", ""),
        (2, "payer_payment", 1500, "", ""), (2, "transfer_to_patient", 500, "PR", "2"),
        (2, "patient_payment", 500, "", "")]
    assert postings(ledger, "NO_INSURANCE") == [
        (7, "charge", 5000, "", ""), (7, "transfer_to_patient", 5000, "", ""),
        (7, "patient_payment", 5000, "", "")]
    assert postings(ledger, "Aetna") == [
        (8, "charge", 3000, "", ""), (8, "submission", 0, "", ""),
        (9, "transfer_to_patient", 3000, "PR", "1"), (9, "patient_payment", 3000, "", "")]
    assert lg.balance_violations(ledger).empty
    assert ledger.attrs["excluded_claims"] == [] and data.excluded_claims.empty
    secondary = data.secondary_payments
    assert secondary[["primary", "secondary", "paid_cents"]].to_dict("records") == [
        {"primary": "Medicare", "secondary": "Aetna", "paid_cents": 1500}]
    visits = data.appointments
    assert visits["payer"].tolist() == ["Medicare", "NO_INSURANCE"]
    assert visits["age"].tolist() == [42.0, 42.0]
    assert visits["visit_type"].tolist() == ["ambulatory", "wellness"]
    assert visits["provider"].nunique() == 1
    assert data.payers["kind"].tolist() == ["commercial", "medicare", "self_pay"]
    assert payer_kind("Dual Eligible") == "medicare"
    assert leaks(outputs(data), {"pat-ann", "enc-1", "enc-2", "clm-cob", "clm-self",
                                 "clm-ded", "doc-1", "999-11-2222", "Ann77", "Zebrafish12",
                                 "1980-06-15"}) == []


def test_claims_that_cannot_balance_are_excluded_with_reasons(tmp_path: Path) -> None:
    claims = (CLAIMS_HEADER
              + "clm-over,pat-ann,pay-aetna,0,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,\n"
              + "clm-zero,pat-ann,pay-aetna,0,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,\n"
              + "clm-off,pat-ann,pay-aetna,0,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,\n"
              + "clm-who,pat-ann,pay-aetna,0,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,\n"
              + "clm-early,pat-ann,pay-aetna,0,2023-03-01T09:00:00Z,2023-02-27T09:20:00Z,\n"
              + "clm-ok,pat-ann,0,0,2023-03-01T09:00:00Z,2023-03-01T09:20:00Z,\n")
    tx = (TX_HEADER
          + "clm-over,1,CHARGE,0.02,,,1,,,,\n"
          + "clm-over,2,PAYMENT,,COPAY,,,40.00,,,0.00\n"
          + "clm-zero,3,CHARGE,0.00,,,1,,,,\n"
          + "clm-off,4,CHARGE,10.00,,,1,,,,\n"
          + "clm-off,5,PAYMENT,,ECHECK,,,6.00,,,4.01\n"
          + "clm-who,6,CHARGE,10.00,,,1,,,,\n"
          + "clm-who,7,PAYMENT,,CASH,,,10.00,,,0.00\n"
          + "clm-early,8,CHARGE,10.00,,,1,,,,\n"
          + "clm-ok,9,CHARGE,10.00,,,p,,,,\n"
          + "clm-ok,10,PAYMENT,,CASH,,,10.00,,,0.00\n")
    data = read_synthea(export(tmp_path, claims=claims, claims_transactions=tx))
    ledger, excluded = data.ledger, data.excluded_claims
    assert [(Path(f).name, r, c) for f, r, c in zip(
        excluded["file"], excluded["row"], excluded["charge_cents"], strict=True)] == [
        ("claims_transactions.csv", 3, 2), ("claims.csv", 3, 0),
        ("claims_transactions.csv", 6, 1000), ("claims_transactions.csv", 8, 1000),
        ("claims.csv", 6, 1000)]
    assert excluded["reason"].tolist() == [
        "COPAY payment of 40.00 exceeds the open balance 0.02 of its charge line",
        "charge of 0.00: nothing billed or paid (a claim without money would count as never "
        "adjudicated)",
        "OUTSTANDING 4.01 disagrees with the line's charge less its payments and adjustments "
        "(4.00)",
        "patient payment (CASH) while an insurer holds the balance",
        "billed (LASTBILLEDDATE1) before the date of service"]
    assert ledger["claim"].nunique() == 1 and lg.balance_violations(ledger).empty


def test_an_encounter_stopping_before_it_starts_is_excluded(tmp_path: Path) -> None:
    encounters = ENCOUNTERS + ("enc-3,2023-03-09T09:00:00Z,2023-03-09T08:00:00Z,pat-ann,doc-1,"
                               "pay-aetna,outpatient\n"
                               "enc-4,1970-01-01T09:00:00Z,,pat-ann,doc-1,pay-aetna,urgentcare\n")
    visits = read_synthea(export(tmp_path, encounters=encounters)).appointments
    assert visits["visit_type"].tolist() == ["ambulatory", "wellness"]
    assert excluded_rows(visits).to_dict("records") == [
        {"row": 4, "reason": "stops before it starts (STOP before START)"},
        {"row": 5, "reason": "negative age (born after the encounter)"}]
    assert visits.attrs["source"] == str(tmp_path / "encounters.csv")


@pytest.mark.parametrize(("file", "text", "where", "expected"), [
    ("encounters", ENCOUNTERS.replace("2023-03-08T09:00:00Z", "yesterday"),
     "row 3, column 'START'", "a date in format ISO8601"),
    ("patients", PATIENTS.replace("1980-06-15", "1980-06-31"), "row 2, column 'BIRTHDATE'",
     "a date in format ISO8601"),
    ("claims_transactions", TX.replace("60.00,,,20.00", "sixty,,,20.00"),
     "row 4, column 'PAYMENTS'", "a non-negative amount in dollars with at most two decimals"),
    ("claims_transactions", TX.replace("CHARGE,100.00", "CHARGE,100.005"),
     "row 2, column 'AMOUNT'", "at most two decimals"),
    ("claims_transactions", TX.replace("CHARGE,50.00", "CHARGE,-50.00"),
     "row 11, column 'AMOUNT'", "a non-negative amount"),
    ("claims_transactions", TX.replace("15,PAYMENT", "15,REFUND"), "row 16, column 'TYPE'",
     "one of ['CHARGE', 'PAYMENT', 'ADJUSTMENT', 'TRANSFERIN', 'TRANSFEROUT']"),
    ("claims_transactions", TX.replace("CASH", "BITCOIN"), "row 10, column 'METHOD'",
     "a payment method"),
    ("claims_transactions", TX.replace(",4,2,", ",4,3,"), "row 6, column 'TRANSFERTYPE'",
     "1 (primary insurer), 2 (secondary insurer) or p (patient)"),
    ("claims_transactions", TX + "clm-lost,16,CHARGE,1.00,,,1,,,,\n",
     "row 17, column 'CLAIMID'", "a claim Id listed in claims.csv"),
    ("claims", CLAIMS.replace("pay-medicare,pay-aetna", "pay-nobody,pay-aetna"),
     "row 2, column 'PRIMARYPATIENTINSURANCEID'", "a payer Id listed in payers.csv"),
    ("encounters", ENCOUNTERS.replace("pay-none", "pay-nobody"), "row 3, column 'PAYER'",
     "a payer Id listed in payers.csv"),
    ("claims", CLAIMS + CLAIMS.splitlines()[1] + "\n", "row 5, column 'Id'",
     "an identifier used once"),
])
def test_bad_input_names_the_file_row_and_column(tmp_path: Path, file: str, text: str,
                                                 where: str, expected: str) -> None:
    folder = export(tmp_path, **{file: text})
    with pytest.raises(DataError) as err:
        read_synthea(folder)
    message = str(err.value)
    assert str(folder / f"{file}.csv") in message and where in message
    assert expected in message
    for raw in ("pat-ann", "clm-cob", "clm-lost"):
        assert raw not in message, "identifiers are not echoed in errors"


def test_a_missing_file_or_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"payers\.csv.*no such file"):
        read_synthea(export(tmp_path / "a", payers=""))
    no_outstanding = TX.replace(",OUTSTANDING\n", "\n", 1)
    with pytest.raises(DataError, match=r"claims_transactions\.csv: column 'OUTSTANDING'"
                                        r".*found.*'CLAIMID'"):
        read_synthea(export(tmp_path / "b", claims_transactions=no_outstanding))
