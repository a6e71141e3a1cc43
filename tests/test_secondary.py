"""Secondary coverage: Medigap crossover, a dual-eligible's Medicaid, coordination of benefits.

Hand calculations, exact to the cent, on claims of short runs whose payer terms make every
Medicare claim go the same way (no denials, no errors, a fixed coinsurance)."""

from __future__ import annotations

import copy
import math

import pandas as pd
import pytest

from practicesim import simulate
from practicesim.metrics import ar_aging
from tests.conftest import build

CLEAN = {
    "calendar.horizon_days": 60, "calendar.warmup_days": 0,
    "billing.claim_error_rate": 0.0, "billing.clearinghouse_rejection_rate": 0.0,
    "billing.missed_charge_rate": 0.0, "billing.posting_lag_days": 0.0,
    "payers[medicare].denial.rate": 0.0,
    "payers[medicare].cost_sharing": {"copay": 0, "coinsurance": 0.2,
                                      "deductible_probability": 0.0},
    "scheduling.uncredentialed_policy": "bill_anyway",
}


def _run(secondary: str, rule: dict, lag: float = 9.0, extra: dict | None = None):
    return simulate(build({
        **copy.deepcopy(CLEAN), "payers[medicare].secondary": {secondary: 1.0},
        f"payers[{secondary}].as_secondary": rule,
        f"payers[{secondary}].lag_days": lag, **(extra or {})}), seed=4)


def _medicare_claims(run) -> pd.DataFrame:
    claims = run.claims
    return claims[(claims["payer"] == "medicare") & (claims["first_adjudication_day"] >= 0)]


def _rows(run, claim: int) -> list[tuple]:
    rows = run.ledger[run.ledger["claim"] == claim]
    return [(int(r.day), str(r.payer), str(r.kind), int(r.amount_cents), str(r.carc_group),
             str(r.carc_reason)) for r in rows.itertuples() if r.amount_cents > 0]


def test_medigap_crossover_pays_the_coinsurance_and_the_patient_owes_nothing():
    run = _run("medigap", {"crossover": True, "pays": {"copay": 1.0, "deductible": 1.0,
                                                       "coinsurance": 1.0}}, lag=9.0)
    claims = _medicare_claims(run)
    assert len(claims) > 20
    claim = claims.iloc[0]
    charge, allowed = int(claim["charge_cents"]), int(claim["medicare_allowed_cents"])
    coinsurance = round((allowed) * 0.2)
    primary_day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"])) == [
        (int(claim["charge_day"]), "medicare", "charge", charge, "", ""),
        (primary_day, "medicare", "contractual_adjustment", charge - allowed, "CO", "45"),
        (primary_day, "medigap", "transfer_to_secondary", coinsurance, "PR", "2"),
        (primary_day, "medicare", "payer_payment", allowed - coinsurance, "", ""),
        # crossover: no sending delay; the secondary's lag of 9 days, no posting lag
        (primary_day + 9, "medigap", "payer_payment", coinsurance, "", ""),
    ]
    assert claim["secondary_payer"] == "medigap"
    paid = claims[claims["status"] == "paid"]
    assert (paid["patient_paid_cents"] == 0).all() and (paid["patient_balance_cents"] == 0).all()


def test_a_dual_eligibles_medicaid_pays_nothing_after_medicare_and_the_rest_is_written_off():
    """Medicaid allows 72% of Medicare; Medicare paid 80%: lesser-of leaves nothing to pay, and
    the coinsurance of a dual-eligible cannot be billed to the patient (CO-23)."""
    run = _run("medicaid", {"crossover": True, "up_to_own_allowed": True,
                            "bills_patient": False}, lag=12.0)
    claim = _medicare_claims(run).iloc[0]
    charge, allowed = int(claim["charge_cents"]), int(claim["medicare_allowed_cents"])
    coinsurance = round(allowed * 0.2)
    assert round(allowed * 0.72) < allowed - coinsurance, "Medicaid's own allowed is below"
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[1:] == [
        (day, "medicare", "contractual_adjustment", charge - allowed, "CO", "45"),
        (day, "medicaid", "transfer_to_secondary", coinsurance, "PR", "2"),
        (day, "medicare", "payer_payment", allowed - coinsurance, "", ""),
        (day + 12, "medicaid", "contractual_adjustment", coinsurance, "CO", "23"),
    ]
    assert claim["status"] == "paid" and claim["patient_paid_cents"] == 0


def test_a_secondary_claim_sent_by_the_practice_waits_and_pays_up_to_its_own_allowed():
    """Coordination of benefits: commercial_a allows 1.3x Medicare, so up to 1.3A - 0.8A it pays
    the whole coinsurance; the practice sends the claim 5 days after Medicare's remittance."""
    run = _run("commercial_a", {"crossover": False, "send_days": 5.0, "up_to_own_allowed": True},
               lag=7.0)
    claim = _medicare_claims(run).iloc[0]
    allowed = int(claim["medicare_allowed_cents"])
    coinsurance = round(allowed * 0.2)
    day = int(claim["first_adjudication_day"])
    assert _rows(run, int(claim["claim"]))[-1] == (
        day + 5 + 7, "commercial_a", "payer_payment", coinsurance, "", "")


def test_what_the_secondary_does_not_cover_goes_to_the_patient_under_its_name():
    """A Plan G Medigap: pays the coinsurance, not the Part B deductible (PR-1 to the patient)."""
    run = _run("medigap", {"crossover": True, "pays": {"deductible": 0.0, "coinsurance": 1.0}},
               extra={"payers[medicare].cost_sharing.deductible_probability": 1.0})
    claim = _medicare_claims(run).iloc[0]
    allowed = int(claim["medicare_allowed_cents"])
    day = int(claim["first_adjudication_day"])
    rows = _rows(run, int(claim["claim"]))
    assert (day, "medigap", "transfer_to_secondary", allowed, "PR", "1") in rows
    assert (day + 9, "medigap", "transfer_to_patient", allowed, "PR", "1") in rows
    assert not [r for r in rows if r[2] == "payer_payment" and r[1] == "medigap"]


def test_aging_puts_a_claim_awaiting_its_secondary_under_the_secondary():
    run = _run("medigap", {"crossover": True}, lag=400.0)
    aging = ar_aging(run.ledger, run.calendar.n_days - 1)
    owed = aging.sum(axis=1)
    waiting = run.claims[run.claims["open_reason"] == "awaiting_secondary"]
    assert len(waiting) > 20
    assert owed["medigap"] * 100 == pytest.approx(waiting["open_balance_cents"].sum(), abs=1)
    assert math.isclose(owed.sum() * 100, run.claims["open_balance_cents"].sum(), abs_tol=1)


def test_secondary_payments_are_counted_as_secondary_collections():
    run = _run("medigap", {"crossover": True})
    paid = run.ledger[(run.ledger["kind"] == "payer_payment") & (run.ledger["payer"] == "medigap")]
    start = run.calendar.warmup
    expected = paid.loc[paid["day"] >= start, "amount_cents"].sum() / 100
    assert expected > 0
    assert run.kpis()["secondary_collections"] == pytest.approx(expected)


def test_calibrating_from_a_ledger_keeps_the_bases_secondary_coverage_by_name():
    from practicesim.calibrate.calibration import calibrate

    run = simulate(build({"calendar.horizon_days": 60}), seed=2)
    ledger = run.ledger.copy()
    ledger.attrs["payer_kinds"] = {p.name: p.kind for p in run.scenario.payers}
    scenario = calibrate(transactions=ledger, base=run.scenario).scenario
    payers = {p.name: p for p in scenario.payers}
    assert payers["medicare"].secondary == run.scenario.payers[0].secondary
    assert payers["medigap"].share == 0 and payers["medigap"].as_secondary.crossover
    assert payers["commercial_a"].as_secondary.up_to_own_allowed, "by name, not by kind"
    assert not payers["commercial_b"].as_secondary.up_to_own_allowed


def test_coordination_of_benefits_pays_at_most_its_own_allowed_less_the_primarys_payment():
    """commercial_a allowing 0.9x Medicare: up to 0.9A - 0.8A = 0.1A of the 0.2A coinsurance."""
    run = _run("commercial_a", {"crossover": True, "up_to_own_allowed": True},
               extra={"payers[commercial_a].allowed_pct_of_medicare": 0.9})
    claim = _medicare_claims(run).iloc[0]
    allowed = int(claim["medicare_allowed_cents"])
    coinsurance = round(allowed * 0.2)
    limit = round(allowed * 0.9) - (allowed - coinsurance)
    rows = _rows(run, int(claim["claim"]))
    day = int(claim["first_adjudication_day"]) + 9
    assert (day, "commercial_a", "payer_payment", limit, "", "") in rows
    assert (day, "commercial_a", "transfer_to_patient", coinsurance - limit, "PR", "2") in rows


def test_a_secondary_that_is_also_a_primary_counts_in_secondary_collections_only_as_secondary():
    run = _run("commercial_a", {"crossover": True})
    ledger, claims = run.ledger, run.claims.set_index("claim")
    paid = ledger[(ledger["kind"] == "payer_payment") & (ledger["payer"] == "commercial_a")
                  & (ledger["day"] >= run.calendar.warmup)]
    as_secondary = paid[paid["claim"].map(claims["payer"]).astype(str) == "medicare"]
    assert 0 < len(as_secondary) < len(paid)
    assert run.kpis()["secondary_collections"] == pytest.approx(
        as_secondary["amount_cents"].sum() / 100)


@pytest.mark.parametrize(("secondary", "message"), [
    ({"self_pay": 0.1}, "cannot be medicare's secondary"),
    ({"medicare": 0.1}, "cannot be medicare's secondary"),
    ({"nobody": 0.1}, "cannot be medicare's secondary"),
    ({"medigap": 0.7, "medicaid": 0.5}, "shares sum to 1.2, expected at most 1"),
])
def test_secondary_shares_name_other_insured_payers_and_sum_to_at_most_one(secondary, message):
    from practicesim.scenario import ScenarioError

    with pytest.raises((ScenarioError, ValueError), match=message):
        build({"payers[medicare].secondary": secondary})


def test_a_provider_not_enrolled_with_the_secondary_gets_nothing_from_it():
    run = _run("medicaid", {"crossover": True, "up_to_own_allowed": False,
                            "bills_patient": False},
               extra={"payers[medicaid].allowed_pct_of_medicare": 2.0,
                      "providers[physician].credentialing": {"medicaid": {"effective":
                                                                          "2030-01-01"}}})
    claims = _medicare_claims(run)
    physician = claims[claims["provider"].astype(str).str.startswith("physician")].iloc[0]
    rows = _rows(run, int(physician["claim"]))
    assert not [r for r in rows if r[1] == "medicaid" and r[2] == "payer_payment"]
    assert [r for r in rows if r[1] == "medicaid" and r[5] == "B7"]


def _events(run, claim: int) -> list[tuple]:
    """Every row of the claim, events (amount 0) included."""
    rows = run.ledger[run.ledger["claim"] == claim]
    return [(int(r.day), str(r.payer), str(r.kind), int(r.amount_cents), str(r.carc_group),
             str(r.carc_reason)) for r in rows.itertuples()]


SENT_AT_ONCE = {"billing.work_minutes.secondary_claim": 0.0,
                "billing.posting_exception_rate": 0.0}


def test_a_secondary_that_denies_a_claim_pays_it_once_the_practice_sends_it_again():
    """Medigap denies every crossover it first receives (CO-16, in its name); a biller sends
    the claim again the same day and Medigap pays the coinsurance its lag later."""
    run = _run("medigap", {"crossover": True, "denial_rate": 1.0}, lag=9.0, extra=SENT_AT_ONCE)
    claims = _medicare_claims(run)
    claim = claims.iloc[0]
    allowed = int(claim["medicare_allowed_cents"])
    coinsurance = round(allowed * 0.2)
    day = int(claim["first_adjudication_day"])
    after = [r for r in _events(run, int(claim["claim"])) if r[0] > day]
    assert after == [
        (day + 9, "medigap", "denial", 0, "CO", "16"),
        (day + 18, "medigap", "payer_payment", coinsurance, "", ""),
    ]
    assert claim["denials"] == 0, "the claim's denials count its primary's"
    paid = claims[claims["status"] == "paid"]
    assert (paid["patient_paid_cents"] == 0).all()


def test_a_secondary_claim_past_the_secondarys_filing_limit_is_written_off_co_29():
    """Medigap takes claims only within 5 days of the date of service: every crossover comes
    later, is denied CO-29 and its coinsurance written off in Medigap's name; the patient owes
    nothing."""
    run = _run("medigap", {"crossover": True}, lag=9.0,
               extra={**SENT_AT_ONCE, "payers[medigap].timely_filing_days": 5})
    claims = _medicare_claims(run)
    claim = claims.iloc[0]
    coinsurance = round(int(claim["medicare_allowed_cents"]) * 0.2)
    day = int(claim["first_adjudication_day"])
    after = [r for r in _events(run, int(claim["claim"])) if r[0] > day]
    assert after == [
        (day + 9, "medigap", "denial", 0, "CO", "29"),
        (day + 9, "medigap", "denial_writeoff", coinsurance, "CO", "29"),
    ]
    ledger = run.ledger
    sent = ledger.loc[ledger["kind"] == "transfer_to_secondary", "claim"]
    written = ledger[(ledger["kind"] == "denial_writeoff") & ledger["claim"].isin(sent)]
    decided = claims[claims["claim"].isin(sent) & (claims["open_balance_cents"] == 0)]
    assert len(decided) > 10 and (decided["patient_paid_cents"] == 0).all()
    assert set(decided["claim"]) <= set(written["claim"])
    assert set(written["carc_reason"].astype(str)) == {"29"}
