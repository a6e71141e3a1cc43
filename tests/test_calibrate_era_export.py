"""The 835 writer (practicesim.calibrate.era_export): a simulated run's remittances written as
X12 835 files read back with ``read_835`` to the run's own figures, exactly: every file
reconciles, per payer the payments, adjustments, first denials and CARCs are the run's, each
CLP is one payer decision of the run's ledger with its dates, the ledger made from the files
balances, the files pass pyx12's 005010X221A1 validation, and they are written atomically."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import pyx12.params
import pyx12.x12n_document

from practicesim import Run, simulate
from practicesim import ledger as lg
from practicesim.calibrate import era_export
from practicesim.calibrate.calibration import calibrate, ledger_of_remittances
from practicesim.calibrate.contract_variance import fit_underpayments
from practicesim.calibrate.era_export import write_835
from practicesim.calibrate.payers import fit_payers
from practicesim.calibrate.privacy import Pseudonymizer
from practicesim.calibrate.remittance import Remittances, read_835
from practicesim.calibrate.secondaries import fit_secondaries
from practicesim.calibrate.status_lags import lags_by_status
from practicesim.metrics import first_adjudications
from tests.conftest import SAME_PAYER, build

KEY = Pseudonymizer(b"era export test key")
REMITTED = [lg.CONTRACTUAL, lg.TRANSFER, lg.PAYER_PAYMENT]




@pytest.fixture(scope="module")
def run() -> Run:
    """A small practice over 150 days (90 warm-up + 60), without secondary coverage: read back,
    a secondary's CLP is a claim of its own in the ledger (``calibrate.secondaries`` links it to
    the primary's), so the exact round trip is of primary payers; secondaries are written and
    fitted as tested below. The
    baseline's underpayments are all left unfound (in the payers' CO-45, as in their 835s): the
    practice's rows closing found ones are in no 835 (tested below)."""
    return simulate(build({"calendar.horizon_days": 60, "payers[medicare].secondary": {},
                           "billing.underpayment_review.detection_rate": 0.0,
                           **SAME_PAYER}), seed=11)


@pytest.fixture(scope="module")
def with_secondaries(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, list[Path]]:
    run = simulate(build({"calendar.horizon_days": 60, **SAME_PAYER}), seed=11)
    return run, write_835(run, tmp_path_factory.mktemp("era") / "secondary")


def test_a_secondarys_remittance_is_a_clp_processed_as_secondary(
        with_secondaries: tuple[Run, list[Path]]) -> None:
    """CLP02 = 2, the claim's charge, the secondary's payment, and OA-23 for what the primary
    settled: CLP03 - CLP04 = the sum of the CAS; the primary's CLP carries the PR it sent on."""
    run, paths = with_secondaries
    payments = era_export.claim_payments(run)
    ledger = run.ledger
    onward = ledger[ledger["kind"] == lg.TRANSFER_SECONDARY]
    assert len(onward) > 20
    secondary = [p for p in payments if p.secondary]
    assert {p.payer for p in secondary} <= {"medigap", "medicaid", "commercial_a"}
    paid = ledger[(ledger["kind"] == lg.PAYER_PAYMENT)
                  & (ledger["payer"].astype(str) == ledger["claim"].map(
                      run.claims.set_index("claim")["secondary_payer"].astype(str)))]
    assert sum(p.paid_cents for p in secondary) == paid["amount_cents"].sum() > 0
    primary_pr = {c: v for c, v in onward.groupby("claim")["amount_cents"].sum().items()}
    for p in secondary:
        assert p.charge_cents - p.paid_cents == sum(p.adjustments.values())
        settled = p.adjustments[era_export.PRIOR_PAYER]
        assert settled == p.charge_cents - primary_pr[p.claim]
    firsts = {p.claim: p for p in payments if not p.secondary and not p.denied}
    for claim, cents in list(primary_pr.items())[:50]:
        assert firsts[claim].patient_responsibility_cents >= cents
    text = "".join(path.read_text() for path in paths)
    assert re.search(r"~\nCLP\*SIM\d+\*2\*", text) and "CAS*OA*23*" in text
    assert re.search(r"~\nCLP\*SIM\d+\*19\*", text), "Medicare's crossovers are forwarded"
    assert all(p.submission == 1 for p in secondary), "a secondary claim is an original"
    param = pyx12.params.params()
    for name in ("medigap", "medicaid", "commercial-a", "medicare"):
        path = next(p for p in paths if p.name.startswith(f"{name}_")
                    and (name == "medicare" or re.search(r"~\nCLP\*\w+\*2\*", p.read_text())))
        assert pyx12.x12n_document.x12n_document(param=param, src_file=str(path), fd_997=None,
                                                 fd_html=None), name


def test_a_secondarys_denial_is_a_clp_processed_as_secondary_paying_nothing(
        tmp_path: Path) -> None:
    """Medigap denies half the crossovers it first receives: each denial is a CLP02 = 2 paying
    nothing, OA-23 for what Medicare settled and CO-16 for what Medigap held; every CLP
    balances and the files pass pyx12."""
    run = simulate(build({"calendar.horizon_days": 60, **SAME_PAYER,
                          "payers[medigap].as_secondary.denial_rate": 0.5}), seed=11)
    payments = era_export.claim_payments(run)
    denied = [p for p in payments if p.secondary and ("CO", "16") in p.adjustments]
    assert len(denied) > 5
    assert all(p.paid_cents == 0 and not p.denied and p.payer == "medigap" for p in denied)
    # a secondary's received date comes before its decision (the claim was sent again after
    # a denial: that sending is not the one the denial answers)
    secondary = [p for p in payments if p.secondary]
    assert all(p.received_day < p.day for p in secondary)
    assert sum(p.received_day >= 0 for p in secondary) > len(secondary) / 2
    assert all(p.charge_cents - p.paid_cents == sum(p.adjustments.values()) for p in payments)
    ledger = run.ledger
    sent_on = ledger[ledger["kind"] == lg.TRANSFER_SECONDARY].groupby("claim")[
        "amount_cents"].sum()
    for p in denied:
        # CO-16 is what Medicare sent on; OA-23 what it settled; Medigap pays the claim later
        assert p.adjustments[("CO", "16")] == sent_on[p.claim]
        assert p.adjustments[era_export.PRIOR_PAYER] >= 0
        later = [q for q in payments if q.claim == p.claim and q.secondary and q.day > p.day]
        assert len(later) <= 1 and all(q.paid_cents > 0 and q.replaces for q in later)
    paths = write_835(run, tmp_path)
    path = next(p for p in paths if p.name.startswith("medigap_")
                and re.search(r"~\nCLP\*\w+\*2\*[0-9.]+\*0\.00\*", p.read_text()))
    assert "CAS*CO*16*" in path.read_text()
    assert pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=str(path),
                                             fd_997=None, fd_html=None)


def test_secondary_coverage_is_fitted_from_the_secondaries_clps(
        with_secondaries: tuple[Run, list[Path]]) -> None:
    """Read back, a secondary's CLP is linked to its primary's by the claim number: the share
    of Medicare's patients (those with patient responsibility) whose claims each secondary
    decided is the scenario's share, within sampling error; Medigap and Medicaid get Medicare's
    claims by crossover (CLP02 = 19), the commercial plan from the practice. The calibrated
    scenario takes them, with their sources."""
    run, paths = with_secondaries
    remittances = read_835(paths[0].parent, KEY)
    fits = fit_secondaries(remittances.claims, remittances.adjustments)
    medicare = next(p for p in run.scenario.payers if p.name == "medicare")
    assert set(fits.of("medicare")) == set(medicare.secondary)
    for name, share in medicare.secondary.items():
        row = fits.table.loc[("medicare", name)]
        assert row["patients"] > 100
        assert row["share"] == pytest.approx(share, abs=0.06), name
    forwarded = fits.table.xs("medicare", level="primary")["forwarded"]
    assert forwarded["medigap"] == forwarded["medicaid"] == 1.0
    assert forwarded["commercial_a"] == 0.0
    calibrated = calibrate(remittances=remittances)
    payers = {p.name: p for p in calibrated.scenario.payers}
    assert payers["medicare"].secondary == pytest.approx(fits.of("medicare"))
    assert payers["medigap"].share == 0 and payers["medigap"].as_secondary.crossover
    assert not payers["commercial_a"].as_secondary.crossover
    # drawn apart, the shares still sum to at most 1 in every sampled scenario
    for scenario in calibrated.sample(20, seed=3):
        medicare = next(p for p in scenario.payers if p.name == "medicare")
        assert sum(medicare.secondary.values()) <= 1 + 1e-9
    sources = calibrated.scenario.sources
    assert sources["payers[medicare].secondary[medigap]"].startswith(
        "calibrated from data: remittances")


@pytest.fixture(scope="module")
def weekly(run: Run, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    folder = tmp_path_factory.mktemp("era") / "weekly"
    return write_835(run, folder), folder


@pytest.fixture(scope="module")
def read(weekly: tuple[list[Path], Path]) -> Remittances:
    return read_835(weekly[1], KEY)


@pytest.fixture(scope="module")
def back(run: Run, read: Remittances) -> pd.DataFrame:
    """The ledger made from the files, days counted from the run's day 0."""
    return read.ledger(run.calendar.day0)


def insured(run: Run) -> pd.DataFrame:
    """The run's ledger rows of payers other than self-pay, payer as text."""
    names = {p.name for p in run.scenario.payers if p.kind != "self_pay"}
    ledger = run.ledger.assign(payer=run.ledger["payer"].astype(str),
                               kind=run.ledger["kind"].astype(str),
                               carc_group=run.ledger["carc_group"].astype(str),
                               carc_reason=run.ledger["carc_reason"].astype(str))
    return ledger[ledger["payer"].isin(names)]


def claim_ids(run: Run) -> dict[int, int]:
    """Pseudonym of CLP01 -> the run's claim id."""
    return {KEY.one(f"SIM{c}"): c for c in run.claims["claim"].tolist()}


def test_payers_fitted_from_835s_with_secondaries_are_the_primaries(
        with_secondaries: tuple[Run, list[Path]]) -> None:
    """Secondary CLPs (CLP02 = 2) repeat the primary's claim: fits leave them out, so Medigap is
    no primary payer and the payer shares are the run's."""
    run, paths = with_secondaries
    ledger = ledger_of_remittances(read_835(paths[0].parent, KEY))
    shares = fit_payers(ledger).table.xs("share", level="parameter")["value"]
    assert "medigap" not in shares.index
    claims = run.claims[run.claims["first_adjudication_day"] >= 0]
    insured = claims[claims["payer"].astype(str) != "self_pay"]
    expected = insured["payer"].astype(str).value_counts(normalize=True)
    for payer, share in shares.items():
        assert share == pytest.approx(expected[payer], abs=0.03), payer


def test_every_file_reads_and_reconciles(run: Run, weekly: tuple[list[Path], Path],
                                         read: Remittances) -> None:
    paths, folder = weekly
    assert paths == sorted(paths) and len(paths) > 20
    assert {p.name for p in folder.iterdir()} == {p.name for p in paths}
    assert read.unreconciled.empty, read.unreconciled.to_string()
    assert read.notes.empty and read.skipped.empty
    assert read.ledger_exclusions().empty
    assert set(read.claims["status"]) == {"1", "4"}
    assert set(read.payments["payer_name"]) == {p.name for p in run.scenario.payers
                                                if p.kind != "self_pay" and p.share > 0}


def test_payer_totals_are_the_runs(run: Run, read: Remittances) -> None:
    ledger = insured(run)
    paid = ledger[ledger["kind"] == lg.PAYER_PAYMENT].groupby("payer")["amount_cents"].sum()
    assert read.claims.groupby("payer_name")["paid_cents"].sum().to_dict() == paid.to_dict()
    assert read.payments.groupby("payer_name")["paid_cents"].sum().to_dict() == paid.to_dict()
    # a line denied and worked by the practice is a CAS CO-<reason> of the paid CLP
    line_held = (ledger["kind"] == lg.LINE_DENIAL) & (ledger["carc_group"] == "CO")
    assert line_held.sum() > 5
    adjusted = ledger[ledger["kind"].isin([lg.CONTRACTUAL, lg.TRANSFER]) | line_held].groupby(
        ["payer", "carc_group", "carc_reason"])["amount_cents"].sum()
    cas = read.adjustments.merge(read.claims[["claim_row", "payer_name", "status"]])
    cas = cas[cas["status"] == "1"].groupby(["payer_name", "group", "reason"])[
        "amount_cents"].sum()
    assert cas.to_dict() == adjusted.to_dict()


def test_first_denials_and_carcs_are_the_runs(run: Run, read: Remittances,
                                              back: pd.DataFrame) -> None:
    ledger = insured(run)
    first = first_adjudications(ledger).merge(
        ledger.drop_duplicates("claim")[["claim", "payer"]])
    expected = first[first["denied"] & ~first["line"]].groupby("payer").size()
    claims = read.claims.sort_values(["payment_date", "claim_row"])
    firsts = claims.drop_duplicates("claim")
    denied = firsts[firsts["status"] == "4"].groupby("payer_name").size()
    assert denied.to_dict() == expected.to_dict() and expected.sum() > 10
    events = ledger[ledger["kind"] == lg.DENIAL]
    reasons = Counter(zip(events["payer"], events["carc_group"], events["carc_reason"],
                          strict=True))
    cas = read.adjustments.merge(read.claims[["claim_row", "payer_name", "status"]])
    cas = cas[cas["status"] == "4"].drop_duplicates(["claim_row", "group", "reason"])
    assert Counter(zip(cas["payer_name"], cas["group"], cas["reason"], strict=True)) == reasons
    denials = back[back["kind"] == lg.DENIAL]
    assert Counter(zip(denials["payer"].astype(str), denials["carc_group"].astype(str),
                       denials["carc_reason"].astype(str), strict=True)) == reasons

    def lines(frame: pd.DataFrame) -> Counter:
        rows = frame[(frame["kind"] == lg.LINE_DENIAL) & (frame["carc_group"] == "CO")]
        return Counter(zip(rows["payer"].astype(str), rows["carc_reason"].astype(str),
                           rows["amount_cents"], strict=True))

    assert lines(back) == lines(ledger) and sum(lines(ledger).values()) > 5


def test_each_clp_is_one_payer_decision_of_the_run(run: Run, read: Remittances) -> None:
    """Per (claim, payment day): status, paid and patient responsibility from the ledger;
    charge, service date, member id and received date (the submission answered) from the run."""
    ledger = insured(run)
    remitted = ledger[ledger["kind"].isin(REMITTED)]
    pr = remitted["amount_cents"].where(remitted["carc_group"] == "PR", 0)
    paid = remitted["amount_cents"].where(remitted["kind"] == lg.PAYER_PAYMENT, 0)
    expected = pd.concat([
        remitted.assign(status="1", paid=paid, pr=pr).groupby(
            ["claim", "day", "status"], as_index=False)[["paid", "pr"]].sum(),
        ledger[ledger["kind"] == lg.DENIAL][["claim", "day"]].assign(status="4", paid=0, pr=0),
    ]).sort_values(["claim", "day", "status"], ignore_index=True)
    ids = claim_ids(run)
    claims = read.claims.assign(
        claim=read.claims["claim"].map(ids),
        day=(read.claims["payment_date"] - pd.Timestamp(run.calendar.day0)).dt.days)
    found = claims.rename(columns={"paid_cents": "paid", "patient_responsibility_cents": "pr"})[
        ["claim", "day", "status", "paid", "pr"]].sort_values(
        ["claim", "day", "status"], ignore_index=True)
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)

    facts = run.claims.set_index("claim")
    rows = claims.merge(run.claims, on="claim", suffixes=("", "_run"))
    # a line paid after its correction or appeal is a CLP of the line's charge
    held = ledger[(ledger["kind"] == lg.LINE_DENIAL) & (ledger["carc_group"] == "CO")]
    rows = rows.merge(held[["claim", "day", "amount_cents"]].rename(
        columns={"day": "line_day", "amount_cents": "line_cents"}), on="claim", how="left")
    later = rows["day"] > rows["line_day"]
    assert later.sum() > 5
    assert (rows["charge_cents"] == rows["charge_cents_run"].where(~later, rows["line_cents"])
            ).all()
    dates = run.calendar.dates(rows["service_day"].to_numpy()).to_numpy()
    assert (rows["service_date"].to_numpy() == dates).all()
    members = rows["patient_run"].map(lambda p: KEY.one(f"member:M{p}"))
    assert (rows["patient"] == members).all()
    submitted = ledger[ledger["kind"] == lg.SUBMISSION][["claim", "day"]].sort_values("day")
    answered = pd.merge_asof(claims.sort_values("day").astype({"day": "int32"}),
                             submitted.assign(day_sent=submitted["day"]), on="day", by="claim",
                             direction="backward", allow_exact_matches=False)
    assert answered["day_sent"].notna().all()
    # (a payer decides a day after a submission at the earliest; a line corrected the day it
    # was denied is sent after that day's remittance)
    received = (answered["received_date"] - pd.Timestamp(run.calendar.day0)).dt.days
    assert (received == answered["day_sent"]).all()
    first = claims.sort_values(["day", "claim_row"]).drop_duplicates("claim")
    received = (first["received_date"] - pd.Timestamp(run.calendar.day0)).dt.days
    once = (submitted.groupby("claim")["day"].min().reindex(first["claim"]).to_numpy()
            == received.to_numpy())
    assert once.mean() > 0.95, "a first CLP answers the first submission unless it went unanswered"
    assert (received.to_numpy()[once] == facts.loc[first["claim"], "first_submission_day"]
            .to_numpy()[once]).all()


def test_a_claim_paid_after_a_correction_is_a_second_clp(run: Run, read: Remittances,
                                                         weekly: tuple[list[Path], Path]
                                                         ) -> None:
    """A corrected claim's payment: the same CLP01 in a later CLP, CLP09 = 7, no reversal."""
    ids = claim_ids(run)
    claims = read.claims.assign(claim=read.claims["claim"].map(ids))
    counts = claims.groupby("claim").size()
    later_paid = run.claims[(run.claims["submissions"] > 1) & (run.claims["denials"] > 0)
                            & (run.claims["payer_paid_cents"] > 0)]["claim"]
    assert len(later_paid) > 0 and (counts.reindex(later_paid) >= 2).all()
    second = claims[claims["claim"].isin(later_paid)].sort_values("payment_date").groupby(
        "claim").last()
    assert (second["status"] == "1").all()
    text = "".join(p.read_text() for p in weekly[0])
    for claim in later_paid.head(5):
        clps = [s for s in text.split("~\n") if s.startswith(f"CLP*SIM{claim}*")]
        assert clps[0].split("*")[2] == "4" and clps[-1].split("*")[-1] == "7"


def test_ledger_from_the_files_balances_on_the_runs_days(run: Run, back: pd.DataFrame) -> None:
    assert lg.balance_violations(back).empty
    totals = lg.claim_totals(back)
    assert (totals["open_balance"] == totals[lg.TRANSFER]).all()
    ledger = insured(run)

    def by_day(frame: pd.DataFrame) -> dict:
        rows = frame[frame["kind"].astype(str) == lg.PAYER_PAYMENT]
        return rows.groupby([rows["payer"].astype(str), "day"])["amount_cents"].sum().to_dict()

    assert by_day(back) == by_day(ledger)


def test_files_pass_pyx12_validation(weekly: tuple[list[Path], Path], tmp_path: Path) -> None:
    """pyx12's 005010X221A1 map (codes, usage, lengths) finds nothing in a file of each payer
    and in files with denials, corrected claims and a paid claim with a line denied; it does
    find a wrong CLP06."""
    paths = weekly[0]
    picked = {p.name.rsplit("_", 1)[0]: p for p in paths}
    texts = {p: p.read_text() for p in paths}
    picked["denial"] = next(p for p, t in texts.items() if re.search(r"~\nCLP\*\w+\*4\*", t))
    picked["corrected"] = next(p for p, t in texts.items() if "*11*7~" in t)
    # a paid CLP (status 1) with a service line's CAS of a line-level CARC
    line = re.compile(r"~\nCLP\*\w+\*1\*[^~]*~(\n(?!CLP)[^~]*~)*\nCAS\*CO\*(4|11|96|97)\*")
    picked["line denied"] = next(p for p, t in texts.items() if line.search(t))
    param = pyx12.params.params()

    def valid(path: Path) -> bool:
        return pyx12.x12n_document.x12n_document(param=param, src_file=str(path), fd_997=None,
                                                 fd_html=None)

    for name, path in picked.items():
        assert valid(path), name
    wrong = tmp_path / "wrong.835"
    wrong.write_text(re.sub(r"(~\nCLP(\*[^*~]*){5}\*)[^*~]*", r"\1CI", texts[picked["denial"]]))
    assert not valid(wrong)


def test_daily_checks_give_one_file_per_payer_and_day(run: Run, read: Remittances,
                                                      tmp_path: Path) -> None:
    paths = write_835(run, tmp_path, checks="daily")
    daily = read_835(tmp_path, KEY)
    assert len(paths) == len(daily.payments) == daily.payments["file"].nunique()
    assert daily.payments["payment_date"].dt.strftime("%Y-%m-%d").tolist() == [
        p.stem.rsplit("_", 1)[1] for p in paths]
    columns = ["claim", "status", "charge_cents", "paid_cents", "payment_date"]
    pd.testing.assert_frame_equal(
        daily.claims[columns].sort_values(columns, ignore_index=True),
        read.claims[columns].sort_values(columns, ignore_index=True))


def test_a_period_writes_only_its_payment_dates(run: Run, tmp_path: Path) -> None:
    start, end = run.calendar.date(100), run.calendar.date(120)
    write_835(run, tmp_path, checks="daily", start=start, end=end)
    dates = read_835(tmp_path, KEY).payments["payment_date"].dt.date
    assert dates.between(start, end).all() and dates.nunique() > 5


def test_files_are_written_atomically(run: Run, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No temporary file is left, and a file whose writing fails is not there at all."""
    folder = tmp_path / "era"
    paths = write_835(run, folder)
    assert sorted(folder.iterdir()) == paths and not any(p.name.startswith(".") for p in paths)
    before = {p: p.read_bytes() for p in paths}
    calls = []
    real = era_export._interchange

    def failing(*args: object, **kwargs: object) -> str:
        calls.append(1)
        text = real(*args, **kwargs)
        return text if len(calls) < 3 else text + "\N{EURO SIGN}"

    monkeypatch.setattr(era_export, "_interchange", failing)
    with pytest.raises(UnicodeEncodeError):
        write_835(run, folder)
    assert sorted(folder.iterdir()) == paths
    assert {p: p.read_bytes() for p in paths} == before


def test_other_835s_in_the_folder_and_bad_arguments_are_refused(run: Run,
                                                                tmp_path: Path) -> None:
    write_835(run, tmp_path, checks="daily")
    with pytest.raises(FileExistsError, match="holds other 835 files"):
        write_835(run, tmp_path, checks="weekly")
    with pytest.raises(ValueError, match="checks must be one of"):
        write_835(run, tmp_path / "x", checks="monthly")  # type: ignore[arg-type]
    for name in ("Blue*Cross", "Caixa Saúde", "A~B", ""):
        payers = [p.model_copy(update={"name": name}) if i == 0 else p
                  for i, p in enumerate(run.scenario.payers)]
        renamed = dataclasses.replace(run, scenario=run.scenario.model_copy(
            update={"payers": payers}))
        with pytest.raises(ValueError, match="cannot be written in an X12 835"):
            write_835(renamed, tmp_path / "y")
    assert not (tmp_path / "y").exists()


def test_claims_rebilled_or_billed_to_the_patient_after_a_denial_write_balanced_835s(
        tmp_path: Path) -> None:
    """With the package's denial rules, eligibility denials are rebilled to the patient's right
    payer (its CLP in that payer's file) or billed to the patient at self-pay terms (the
    practice's own rows, in no 835), and non-covered services are the patient's: every file
    still reads back with every CLP balanced and reconciled."""
    run = simulate(build({"calendar.horizon_days": 60,
                          "payers[commercial_a].denial.rate": 0.5,
                          "payers[commercial_a].denial.reasons": {"27": 0.5, "96": 0.5}}),
                   seed=11)
    claims = run.claims
    assert (claims["billed_payer"] != claims["payer"]).sum() > 5
    own = run.ledger[(run.ledger["kind"] == lg.TRANSFER) & (run.ledger["carc_group"] == "")
                     & (run.ledger["payer"] == "commercial_a")]
    assert len(own) > 5
    paths = write_835(run, tmp_path / "era")
    read = read_835(tmp_path / "era", KEY)
    assert paths and read.unreconciled.empty and read.skipped.empty
    adjustments = read.adjustments.merge(read.claims[["claim_row", "payer_name"]])
    assert ((adjustments["payer_name"] == "commercial_a")
            & (adjustments["reason"] == "96") & (adjustments["group"] == "PR")).any()


def test_underpayments_found_and_closed_still_write_balanced_835s(tmp_path: Path) -> None:
    """A found underpayment stays open in the practice's ledger and is closed by its own rows
    (the difference paid after an appeal, or adjusted off): the payer's 835 has the withheld
    amount in its CO-45, and the practice's closing rows are in no 835."""
    run = simulate(build({"calendar.horizon_days": 60,
                          "payers[commercial_a].underpayment": {"rate": 0.5, "short": 0.3},
                          "billing.underpayment_review": {"detection_rate": 1.0,
                                                          "success_rate": 0.5,
                                                          "decision_days": 5}}), seed=11)
    closed = run.ledger[run.ledger["carc_reason"] == lg.UNDERPAYMENT]
    assert set(closed["kind"].astype(str)) == {lg.PAYER_PAYMENT, lg.CONTRACTUAL}
    paths = write_835(run, tmp_path / "era")
    read = read_835(tmp_path / "era", KEY)
    assert paths and read.unreconciled.empty and read.skipped.empty


def test_a_clp_replaces_only_a_claim_its_payer_decided_on_before() -> None:
    """CLP09: 7 for a corrected claim after the payer's own denial; 1 for a claim sent again
    because the payer never answered (it has no record of it) and for a claim rebilled to the
    patient's right payer after an eligibility denial (an original to that payer)."""
    run = simulate(build({"calendar.horizon_days": 60,
                          "payers[commercial_a].no_response_rate": 0.5,
                          "payers[commercial_a].denial.rate": 0.3,
                          "payers[commercial_a].denial.reasons": {"16": 0.5, "27": 0.5}}),
                   seed=11)
    claims = run.claims.set_index("claim")
    payments = [p for p in era_export.claim_payments(run) if not p.secondary]
    seen: set[tuple[int, str]] = set()
    for p in payments:  # in ledger order
        assert p.replaces == ((p.claim, p.payer) in seen), p
        seen.add((p.claim, p.payer))
    denied = {(p.claim, p.payer) for p in payments
              if p.denied or claims.loc[p.claim, "line_denial_reason"] != ""}
    lost = [p for p in payments if p.submission > 1 and (p.claim, p.payer) not in denied]
    rebilled = [p for p in payments
                if claims.loc[p.claim, "billed_payer"] != claims.loc[p.claim, "payer"]
                and p.payer == claims.loc[p.claim, "billed_payer"]]
    assert len(lost) > 5 and not any(p.replaces for p in lost)
    assert rebilled and not any(p.replaces for p in rebilled)
    assert any(p.replaces for p in payments)


def contract_table(run: Run) -> pd.DataFrame:
    """Each insured payer's contract rate per code of the run's fee schedule (dollars per
    unit): its ``fee_table``, else Medicare's amount x ``allowed_pct_of_medicare`` rounded to
    the cent, as ``contracts.allowed`` prices a line of one unit."""
    scenario = run.scenario
    remitting = set(run.ledger.loc[run.ledger["kind"] == lg.PAYER_PAYMENT, "payer"].astype(str))
    rows = []
    for payer in scenario.payers:
        if payer.kind == "self_pay" or payer.name not in remitting:
            continue
        for code, fee in scenario.fee_schedule.items():
            rate = payer.fee_table.get(code)
            if rate is None:
                medicare = round(fee.medicare_in(scenario.locality) * 100)
                rate = round(medicare * payer.allowed_pct_of_medicare) / 100
            rows.append((payer.name, code, float(rate)))
    return pd.DataFrame(rows, columns=["payer", "code", "allowed"])


def test_service_lines_balance_and_are_priced_by_the_contract(run: Run,
                                                              read: Remittances) -> None:
    """Every CLP of a claim with known lines has its service lines: their charges and payments
    sum to the CLP's, and read back nothing is unreconciled. A paid line of Medicare or
    Medicaid (no underpayments) is allowed exactly its contract's amount; a commercial one at
    most it, and below it on about the underpaid share of claims."""
    assert read.unreconciled.empty
    lines = read.service_lines
    assert len(lines) > len(read.claims)
    sums = lines.groupby("claim_row")[["charge_cents", "paid_cents"]].sum()
    clps = read.claims.set_index("claim_row").loc[sums.index]
    assert (sums["charge_cents"] == clps["charge_cents"]).all()
    assert (sums["paid_cents"] == clps["paid_cents"]).all()
    assert set(read.claims["claim_row"]) == set(sums.index), "every claim's lines are known"
    fits = fit_underpayments(read.service_lines, read.adjustments, read.claims,
                             contract_table(run))
    priced = fits.lines
    exact = priced[priced["payer_name"].isin(["medicare", "medicaid"])]
    assert len(exact) > 100 and (exact["allowed_cents"] == exact["contracted_cents"]).all()
    commercial = priced[priced["payer_name"] == "commercial_a"]
    assert (commercial["allowed_cents"] <= commercial["contracted_cents"]).all()
    assert 0 < (commercial["shortfall_cents"] > 0).mean() < 0.15


@pytest.fixture(scope="module")
def with_np(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Remittances]:
    """The small practice with a nurse practitioner beside its two physicians over 150 days,
    its underpayments left unfound, and its 835s read back."""
    sessions = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    run = simulate(build({"calendar.horizon_days": 150, **SAME_PAYER,
                          "billing.underpayment_review.detection_rate": 0.0,
                          "providers": [
                              {"name": "physician", "count": 2, "sessions": sessions},
                              {"name": "np", "npp": True, "sessions": sessions}]}), seed=5)
    folder = tmp_path_factory.mktemp("era") / "np"
    write_835(run, folder)
    return run, read_835(folder, KEY)


def test_underpayments_read_against_the_contract_are_the_runs(
        with_np: tuple[Run, Remittances]) -> None:
    """The run's underpayments (the baseline's 7% of commercial and Medicare Advantage claims,
    a quarter of the contracted payment withheld; none found by the practice here) come back
    from its 835s against a contract table with the NP's own rates (85% where the payer pays
    NPs so, keyed by the NM1*82 NPI): per payer the share of claims underpaid is the run's
    (of the claims the contract owed something on) within the fit's interval, the share
    withheld is 0.25 to rounding, and Medicare, which never underpays, shows no underpaid
    line although a third of its claims are the NP's."""
    run, read = with_np
    table = contract_table(run)
    npp = {p.name: p.npp_pct for p in run.scenario.payers}
    np_rates = table.assign(allowed=[round(a * 100 * npp[p]) / 100 for p, a in zip(
        table["payer"], table["allowed"], strict=True)], rendering_npi=era_export.provider_npi(2))
    contracts = pd.concat([table.assign(rendering_npi=""), np_rates], ignore_index=True)
    assert (read.claims["rendering_npi"] == era_export.provider_npi(2)).mean() > 0.2
    fits = fit_underpayments(read.service_lines, read.adjustments, read.claims,
                             contracts).table
    claims = run.claims[run.claims["contracted_payment_cents"] > 0]
    for payer in ("commercial_a", "commercial_b", "medicare_advantage"):
        fit = fits.loc[payer]
        mine = claims[claims["payer"].astype(str) == payer]
        truth = (mine["underpaid_cents"] > 0).mean()
        assert fit["rate_low"] <= truth <= fit["rate_high"], payer
        assert fit["short"] == pytest.approx(0.25, abs=0.005), payer
    assert fits.loc["medicare", "underpaid_lines"] == 0
    with pytest.raises(ValueError, match="names payers the remittances do not"):
        fit_underpayments(read.service_lines, read.adjustments, read.claims,
                          contracts.assign(payer="Medicare Part B"))


def test_a_secondarys_lag_is_read_from_its_received_date(
        with_secondaries: tuple[Run, list[Path]]) -> None:
    """Medigap's crossovers: from the day Medicare's remittance forwarded the claim (DTM*050 of
    its CLP) to its payment, the median is the scenario's: its lag and the posting lag, each
    rounded up to whole days (Monte Carlo of the two), inside the fit's 95% interval."""
    run, paths = with_secondaries
    table, _ = lags_by_status(read_835(paths[0].parent, KEY).claims)
    cell = table.set_index(["payer", "status"]).loc[("medigap", "secondary")]
    medigap = next(p for p in run.scenario.payers if p.name == "medigap")
    u = np.random.default_rng(5).random((2, 200_000))
    lag = np.maximum(1, np.ceil(medigap.lag_days.quantiles(u[0])))
    posting = np.maximum(0, np.ceil(run.scenario.billing.posting_lag_days.quantiles(u[1])))
    expected = float(np.median(lag + posting))
    assert cell["claims"] > 50
    assert cell["median_low"] <= expected <= cell["median_high"]


def test_an_nps_claims_billed_incident_to_name_the_supervising_physician(tmp_path: Path) -> None:
    """With half of the NP's established visits billed incident-to, their CLPs name the first
    physician (seat 0) as rendering provider and are priced at the physician rate; her other
    claims name her; every line balances and reconciles."""
    sessions = [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    run = simulate(build({"calendar.horizon_days": 60, **SAME_PAYER,
                          "billing.underpayment_review.detection_rate": 0.0,
                          "providers": [
                              {"name": "physician", "count": 2, "sessions": sessions},
                              {"name": "np", "npp": True, "incident_to_share": 0.5,
                               "sessions": sessions}]}), seed=5)
    write_835(run, tmp_path / "era")
    read = read_835(tmp_path / "era", KEY)
    assert read.unreconciled.empty and read.skipped.empty
    claims = run.claims.set_index("claim")
    npi = read.claims.assign(claim=read.claims["claim"].map(claim_ids(run))).set_index(
        "claim")["rendering_npi"]
    np_claims = claims[claims["provider"].astype(str) == "np"]
    incident = npi[npi.index.isin(np_claims.index[np_claims["incident_to"]])]
    own = npi[npi.index.isin(np_claims.index[~np_claims["incident_to"]])]
    assert len(incident) > 20 and len(own) > 20
    assert set(incident) == {era_export.provider_npi(0)}
    assert set(own) == {era_export.provider_npi(2)}
