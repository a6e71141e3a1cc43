"""Secondary coverage: Medigap crossover, a dual-eligible's Medicaid, coordination of benefits.

Hand calculations, exact to the cent, on claims of short runs whose payer terms make every
Medicare claim go the same way (no denials, no errors, a fixed coinsurance)."""

from __future__ import annotations

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
        **CLEAN, "payers[medicare].secondary": {secondary: 1.0},
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
