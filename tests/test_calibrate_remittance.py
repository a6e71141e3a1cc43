"""The 835 reader (practicesim.calibrate.remittance): the public sample 835s read, balance and
post to the ledger exactly; synthetic fixtures cover reversals, negative amounts, unbalanced
claims and every kind of bad input; no patient name or claim number reaches any output."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from practicesim import ledger as lg
from practicesim.calibrate.errors import DataError
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.remittance import Remittances, read_835
from practicesim.calibrate.remittance_ledger import CONTRACTUAL_REASONS, ledger_kind
from tests.conftest import SHARED_DATA

X12 = SHARED_DATA / "x12"
FIXTURES = Path(__file__).resolve().parent / "data" / "x12"
ORIGIN = dt.date(2000, 1, 1)
KEY = Pseudonymizer(b"test key")
MEDICARE_A = "linuxforhealth_x12/835_005010X221A1/medicare-part-a.835"
MULT_LOOPS = "pyx12/835_mult_loops.txt"

@pytest.fixture(scope="module")
def samples() -> Remittances:
    """Every file under ../shared/data/x12 (835s read, the others skipped)."""
    if not X12.is_dir():
        pytest.skip(f"shared sample 835s not found at {X12} (../shared is absent)")
    return read_835(X12, KEY)


@pytest.fixture(scope="module")
def synthetic() -> Remittances:
    """Two hand-made 835s: a paid and a denied claim with an interest PLB; then a reversal
    of the paid claim, its correction, an overpaid claim (OA-94 -10.00) and an unbalanced
    claim, with a BPR one dollar off."""
    return read_835(FIXTURES / "good", KEY)


def frames(r: Remittances) -> dict[str, pd.DataFrame]:
    """Every DataFrame the reader gives, the ledger and its exclusions included."""
    out = {name: getattr(r, name) for name in ("payments", "claims", "service_lines",
                                                "adjustments", "provider_adjustments",
                                                "unreconciled", "notes", "skipped")}
    return {**out, "ledger": r.ledger(ORIGIN), "exclusions": r.ledger_exclusions()}


# -- the public samples ----------------------------------------------------------------------

def test_every_sample_835_reads_and_reconciles(samples: Remittances) -> None:
    assert len(samples.payments) == 6
    assert len(samples.claims) == 9
    assert samples.unreconciled.empty, samples.unreconciled.to_string()
    assert samples.ledger_exclusions().empty
    skipped = set(samples.skipped["file"])
    assert {f for f in skipped if f.endswith(".837")} == {
        p.relative_to(X12).as_posix() for p in X12.rglob("*.837")}
    assert skipped - {f for f in skipped if f.endswith(".837")} == {
        "SOURCE.md", "linuxforhealth_x12/LICENSE", "pyx12/LICENSE.txt"}


def test_sample_deviations_are_noted(samples: Remittances) -> None:
    notes = samples.notes.groupby("file")["note"].apply(" | ".join)
    assert "'20002316' is not a date" in notes["linuxforhealth_x12/835_005010X221A1/"
                                                "managed-care.835"]
    assert "'>' as component separator" in notes["linuxforhealth_x12/835_005010X221A1/"
                                                 "secondary-payment.835"]
    tertiary = notes["linuxforhealth_x12/835_005010X221A1/tertiary-payment.835"]
    assert "read as HC:24599" in tertiary
    line = samples.service_lines.merge(samples.claims[["claim_row", "status"]])
    assert line.loc[line["status"] == "3", ["procedure", "charge_cents", "paid_cents"]
                    ].to_numpy().tolist() == [["24599", 176650, 18750]]


def test_medicare_part_a_figures(samples: Remittances) -> None:
    payment = samples.payments.set_index("file").loc[MEDICARE_A]
    claims = samples.claims[samples.claims["file"] == MEDICARE_A]
    assert payment["paid_cents"] == 15_000_000
    assert claims["paid_cents"].sum() == 14_999_873
    assert payment["plb_cents"] == -127
    assert payment["paid_cents"] == claims["paid_cents"].sum() - payment["plb_cents"]
    plb = samples.provider_adjustments
    assert plb[["reason", "amount_cents"]].to_numpy().tolist() == [["CV", -127]]
    assert claims["service_date"].dt.date.tolist() == [dt.date(2002, 8, 16),
                                                       dt.date(2002, 5, 12)]
    assert payment["payment_date"].date() == dt.date(2002, 9, 13)


def test_mult_loops_denied_claim_is_a_co16_denial(samples: Remittances) -> None:
    claim = samples.claims[samples.claims["file"] == MULT_LOOPS].iloc[0]
    assert (claim["status"], claim["charge_cents"], claim["paid_cents"]) == ("4", 91539, 0)
    cas = samples.adjustments[samples.adjustments["claim_row"] == claim["claim_row"]]
    assert cas[["line", "group", "reason", "amount_cents"]].to_numpy().tolist() == [
        [1, "CO", "16", 50004], [2, "OA", "A7", 12780], [3, "OA", "A7", 28755]]
    ledger = samples.ledger(ORIGIN)
    rows = ledger[ledger["claim"] == claim["claim_row"]]
    denials = rows[rows["kind"] == lg.DENIAL]
    assert denials[["carc_group", "carc_reason"]].astype(str).to_numpy().tolist() == [
        ["CO", "16"]]
    writeoff = rows[rows["kind"] == lg.DENIAL_WRITEOFF]
    assert writeoff["amount_cents"].tolist() == [50004]
    assert rows[rows["kind"] == lg.CONTRACTUAL]["amount_cents"].tolist() == [12780 + 28755]
    assert lg.PAYER_PAYMENT not in set(rows["kind"])


def test_ledger_identity_holds_per_claim_for_every_sample(samples: Remittances) -> None:
    ledger = samples.ledger(ORIGIN)
    assert lg.balance_violations(ledger).empty
    totals = lg.claim_totals(ledger)
    claims = samples.claims.set_index("claim_row")
    assert list(totals.index) == list(claims.index)
    assert (totals[lg.CHARGE] == claims["charge_cents"]).all()
    assert (totals[lg.PAYER_PAYMENT] == claims["paid_cents"]).all()
    reductions = totals[[lg.PAYER_PAYMENT, lg.CONTRACTUAL, *lg.WRITEOFFS]].sum(axis=1)
    assert (totals[lg.CHARGE] == reductions + totals["open_balance"]).all()
    assert (totals["open_balance"] == claims["patient_responsibility_cents"]).all()
    assert (totals["open_balance"] == totals[lg.TRANSFER]).all()


def test_ledger_carc_codes_are_the_cas_codes(samples: Remittances) -> None:
    ledger = samples.ledger(ORIGIN)
    coded = ledger[ledger["carc_reason"].astype(str) != ""]
    posted = set(zip(coded["claim"], coded["carc_group"].astype(str),
                     coded["carc_reason"].astype(str), strict=True))
    cas = samples.adjustments
    assert posted == set(zip(cas["claim_row"], cas["group"], cas["reason"], strict=True))
    for claim, group, reason, kind in zip(coded["claim"], coded["carc_group"].astype(str),
                                          coded["carc_reason"].astype(str), coded["kind"],
                                          strict=True):
        assert kind in (ledger_kind(group, reason), lg.DENIAL, lg.LINE_DENIAL), (
            claim, group, reason, kind)


def test_cob_negative_oa94_is_netted_in_the_ledger(samples: Remittances) -> None:
    claims = samples.claims
    row = claims.loc[claims["file"].str.endswith("cob-contractural-adjustment.835"),
                     "claim_row"].item()
    ledger = samples.ledger(ORIGIN)
    rows = ledger[(ledger["claim"] == row) & (ledger["kind"] == lg.CONTRACTUAL)]
    assert rows[["carc_reason", "amount_cents"]].astype(str).to_numpy().tolist() == [
        ["23", "50700"], ["94", "0"]]


def test_contractual_reasons_are_carc_codes() -> None:
    carc = SHARED_DATA / "code_lists" / "carc_2016-03.csv"
    if not carc.is_file():
        pytest.skip(f"CARC list not found at {carc} (../shared is absent)")
    codes = set(pd.read_csv(carc, dtype=str)["code"])
    assert codes >= CONTRACTUAL_REASONS


def test_ledger_kind_mapping() -> None:
    for group, reason in [("PR", "1"), ("PR", "2"), ("PR", "3"), ("PR", "96")]:
        assert ledger_kind(group, reason) == lg.TRANSFER
    for group, reason in [("CO", "45"), ("CO", "42"), ("CO", "253"), ("CO", "A2"),
                          ("PI", "59"), ("OA", "94"), ("OA", "23")]:
        assert ledger_kind(group, reason) == lg.CONTRACTUAL
    for group, reason in [("CO", "16"), ("CO", "29"), ("CO", "50"), ("CO", "96"),
                          ("CO", "197"), ("CO", "B7"), ("OA", "18"), ("PI", "97")]:
        assert ledger_kind(group, reason) == lg.DENIAL_WRITEOFF


# -- privacy ---------------------------------------------------------------------------------

def identifiers(path: Path) -> set[str]:
    """Patient names and member ids (NM1*QC, IL, 74) and claim numbers (CLP01, CLP07) of an
    835, split by the file's own delimiters (tokens under 3 characters, initials, left out)."""
    text = path.read_text()
    element, terminator = text[3], text[105]
    found: set[str] = set()
    for segment in text.split(terminator):
        e = segment.strip().split(element)
        if e[0] == "NM1" and len(e) > 1 and e[1] in ("QC", "IL", "74"):
            found.update(e[i] for i in (3, 4, 5, 9) if i < len(e))
        elif e[0] == "CLP":
            found.update(e[i] for i in (1, 7) if i < len(e))
    return {token for token in found if len(token) >= 3}


def leaks(r: Remittances, tokens: set[str]) -> list[tuple[str, str, str]]:
    """(table, column, cell) where a token is a text cell's substring or a number cell's text."""
    found = []
    for name, frame in frames(r).items():
        for column in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[column])
            for cell in map(str, frame[column].tolist()):
                if any(cell == t if numeric else t in cell for t in tokens):
                    found.append((name, column, cell))
    return found


def assert_no_leaks(r: Remittances, folder: Path, known: set[str]) -> None:
    tokens = set().union(*(identifiers(p) for p in folder.rglob("*") if is_835(p)))
    assert known <= tokens
    assert leaks(r, tokens) == []


def is_835(path: Path) -> bool:
    text = path.read_text(errors="replace") if path.is_file() else ""
    return text.startswith("ISA") and "ST*835" in text


def test_no_patient_name_or_claim_number_in_any_output(synthetic: Remittances) -> None:
    assert_no_leaks(synthetic, FIXTURES / "good", {"ZEBRAFISH", "MEMBER111", "PCN-A1"})


def test_no_patient_name_or_claim_number_in_sample_outputs(samples: Remittances) -> None:
    assert_no_leaks(samples, X12, {"BURCK", "BACH", "666123", "2005555A", "666666666A"})


def test_pseudonyms_are_keyed_and_link_claims(synthetic: Remittances) -> None:
    again = read_835(FIXTURES / "good", Pseudonymizer(b"test key"))
    assert again.claims["claim"].tolist() == synthetic.claims["claim"].tolist()
    other = read_835(FIXTURES / "good", Pseudonymizer(b"another key"))
    assert not set(other.claims["claim"]) & set(synthetic.claims["claim"])
    paid_claim = synthetic.claims.loc[0, "claim"]
    assert synthetic.provider_adjustments["reference"].tolist() == [paid_claim]


# -- synthetic fixtures: reversals, negative amounts, unbalanced claims ---------------------

def test_synthetic_tables(synthetic: Remittances) -> None:
    p = synthetic.payments
    assert p[["paid_cents", "plb_cents"]].to_numpy().tolist() == [[12250, -250], [17100, 0]]
    c = synthetic.claims
    assert c["status"].tolist() == ["1", "4", "22", "1", "1", "1"]
    assert c["charge_cents"].tolist() == [20000, 10000, -20000, 20000, 8000, 10000]
    assert c.loc[0, "received_date"].date() == dt.date(2023, 12, 15)
    line = synthetic.service_lines.iloc[0]
    assert (line["qualifier"], line["procedure"], line["modifiers"]) == ("HC", "99213", "25")
    assert synthetic.notes.empty


def test_unbalanced_transaction_and_claim_are_reported(synthetic: Remittances) -> None:
    u = synthetic.unreconciled.set_index("check")
    assert u.loc["transaction", ["expected_cents", "found_cents"]].tolist() == [17100, 17000]
    assert u.loc["claim", ["claim_row", "expected_cents", "found_cents"]].tolist() == [
        5, 4000, 3000]
    assert u.loc["claim", "segment"] == 25


def test_reversals_and_overpayments_are_left_out_of_the_ledger(synthetic: Remittances,
                                                               ) -> None:
    out = synthetic.ledger_exclusions().set_index("claim_row")["reason"]
    assert out.to_dict() == {
        0: "reversed by claim_row 2",
        2: "reversal (CLP02 = 22) of claim_row 0",
        4: "its contractual_adjustment adjustments sum to less than zero"}
    ledger = synthetic.ledger(dt.date(2024, 1, 1))
    assert sorted(set(ledger["claim"])) == [1, 3, 5]
    assert lg.balance_violations(ledger).empty
    totals = lg.claim_totals(ledger)
    assert totals.loc[3, [lg.CHARGE, lg.PAYER_PAYMENT, lg.CONTRACTUAL, lg.TRANSFER]
                      ].tolist() == [20000, 14000, 5000, 1000]
    assert totals.loc[3, "open_balance"] == 1000
    assert totals.loc[5, "open_balance"] == 1000
    denied = ledger[ledger["claim"] == 1]
    assert denied["kind"].astype(str).tolist() == [lg.CHARGE, lg.SUBMISSION, lg.DENIAL,
                                                   lg.DENIAL_WRITEOFF]
    # no received date (DTM*050): charged and sent on the date of service, denied when paid
    service = int(denied["service_day"].iloc[0])
    assert denied["day"].tolist() == [service, service, 4, 4] and service < 4
    assert denied["service_day"].tolist() == [-30] * 4


def test_predetermination_is_left_out(synthetic: Remittances) -> None:
    claims = synthetic.claims.copy()
    claims.loc[5, "status"] = "25"
    r = Remittances(synthetic.payments, claims, synthetic.service_lines,
                    synthetic.adjustments, synthetic.provider_adjustments,
                    synthetic.unreconciled)
    assert "predetermination" in r.ledger_exclusions().set_index("claim_row").loc[5, "reason"]
    assert 5 not in set(r.ledger(ORIGIN)["claim"])


def test_debit_payment_and_patient_responsibility_checks(tmp_path: Path) -> None:
    text = (FIXTURES / "bad" / "valid.835").read_text()
    path = tmp_path / "variant.835"
    path.write_text(text.replace("BPR*I*120.00*C*", "BPR*I*120.00*D*")
                    .replace("*120.00*30.00*12*", "*120.00*31.00*12*"))
    r = read_835(path, KEY)
    assert r.payments["paid_cents"].tolist() == [-12000]
    u = r.unreconciled.set_index("check")[["segment", "expected_cents", "found_cents"]]
    assert u.to_dict("index") == {
        "patient_responsibility": {"segment": 9, "expected_cents": 3100, "found_cents": 3000},
        "transaction": {"segment": 4, "expected_cents": -12000, "found_cents": 12000}}


def test_ledger_days_and_payer_names(synthetic: Remittances) -> None:
    ledger = synthetic.ledger(dt.date(2024, 1, 1), payer_names={"ACME HEALTH PLAN": "acme"})
    assert set(ledger["payer"].astype(str)) == {"acme"}
    assert (ledger["patient"] >= 0).all(), "patients are pseudonyms of the member ids"
    with pytest.raises(ValueError, match="ACME HEALTH PLAN"):
        synthetic.ledger(dt.date(2024, 1, 1), payer_names={"other": "x"})


def test_folder_lists_files_that_are_not_835s(tmp_path: Path) -> None:
    for name in ("valid.835", "notes.txt", "claim.837"):
        shutil.copy(FIXTURES / "bad" / name, tmp_path / name)
    r = read_835(tmp_path, KEY)
    assert len(r.claims) == 1
    assert r.skipped["file"].tolist() == ["claim.837", "notes.txt"]


def test_folder_without_835s_is_an_error(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "bad" / "notes.txt", tmp_path / "notes.txt")
    with pytest.raises(DataError, match="at least one X12 835 transaction"):
        read_835(tmp_path, KEY)


# -- bad input -------------------------------------------------------------------------------

BAD = [
    ("truncated.835", "segment 12 (CAS)", "SE closing the transaction"),
    ("cut_mid_segment.835", "after segment 12 (CAS)", "segments ending in '~'"),
    ("empty_segment.835", "after segment 12 (CAS)", "segments ending in '~'"),
    ("se_count.835", "segment 14 (SE)", "SE count of 13"),
    ("missing_iea.835", "segment 15 (GE)", "IEA"),
    ("bad_amount.835", "segment 9 (CLP)", "CLP04 (claim payment amount) as a decimal"),
    ("fractional_cents.835", "segment 9 (CLP)", "CLP03 (total claim charge) in whole cents"),
    ("missing_clp04.835", "segment 9 (CLP)", "CLP04 (claim payment amount), found 'nothing'"),
    ("bad_date.835", "segment 11 (DTM)", "'20231301'"),
    ("bad_payment_date.835", "segment 4 (BPR)", "BPR16 (payment date) as a date"),
    ("bad_group.835", "segment 12 (CAS)", "CAS01 (group code)"),
    ("claim.837", "segment 3 (ST)", "an 835 transaction (ST01 = 835), found '837'"),
    ("notes.txt", "segment 1", "an X12 interchange"),
]


@pytest.mark.parametrize(("name", "where", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_segment(name: str, where: str, message: str) -> None:
    path = FIXTURES / "bad" / name
    with pytest.raises(DataError) as caught:
        read_835(path, KEY)
    error = caught.value
    assert error.path == str(path) and error.where == where
    text = str(error)
    assert text.startswith(f"{path}: {where}: ") and message in text
    assert not {"ZEBRAFISH", "QUENTIN", "PCN-Z9", "MEMBER111"} & set(_words(text))


def test_valid_control_fixture_reads() -> None:
    r = read_835(FIXTURES / "bad" / "valid.835", KEY)
    assert r.claims["file"].tolist() == ["valid.835"]
    assert r.unreconciled.empty and r.notes.empty


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothing at this path"):
        read_835(tmp_path / "absent.835", KEY)


def _words(text: str) -> Iterator[str]:
    yield from text.replace("'", " ").replace(",", " ").split()


def test_a_denial_carc_is_a_line_denial_only_on_a_claim_otherwise_adjudicated() -> None:
    """A paid CLP's CO-97 denies a line (its amount in the ``line_denial`` row); a denied CLP
    (status 4), or a secondary's CLP that pays nothing of what it held (its OA-23 is the
    prior payer's part, not its own pricing), is a denial of the claim."""
    from types import SimpleNamespace

    from practicesim.calibrate.remittance_ledger import _postings

    paid = SimpleNamespace(status="1", paid_cents=7050, charge_cents=21000)
    rows = _postings(paid, [("CO", "97", 3000), ("CO", "45", 6187), ("PR", "3", 3000),
                            ("PR", "2", 1763)])
    assert rows[0] == (lg.LINE_DENIAL, 3000, "CO", "97")
    secondary = SimpleNamespace(status="2", paid_cents=0, charge_cents=21000)
    rows = _postings(secondary, [("OA", "23", 19000), ("CO", "16", 2000)])
    assert rows[0] == (lg.DENIAL, 0, "CO", "16")
    denied = SimpleNamespace(status="4", paid_cents=0, charge_cents=21000)
    assert _postings(denied, [("CO", "16", 12000), ("OA", "A7", 9000)])[0] == (
        lg.DENIAL, 0, "CO", "16")
