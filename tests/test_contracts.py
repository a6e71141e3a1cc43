"""Payers' contracts (practicesim.contracts): allowed amounts line by line, a nurse
practitioner's 85% under Medicare, Medicare's non-covered routine physical and the wellness
visit billed in its place, no cost sharing on ACA preventive services. Hand calculations, exact
to the cent: first on the contract alone, then on the ledger of short runs."""

from __future__ import annotations

import copy

import pytest

from practicesim import simulate
from practicesim.contracts import Allowed, allowed, line_of, rebilled_lines
from practicesim.scenario import ScenarioError
from tests.conftest import BASELINE, CLEAN_BILLING, build

BASE = build({})
MEDICARE = next(p for p in BASE.payers if p.name == "medicare")
COMMERCIAL = next(p for p in BASE.payers if p.name == "commercial_a")


def lines(*codes: str) -> tuple:
    return tuple(line_of(BASE, code, 1) for code in codes)


def test_a_nurse_practitioners_99213_is_allowed_85_percent_of_medicares_fee():
    """99213: Medicare allows $90.87; billed under an NP's own NPI, 85% = $77.2395 -> $77.24,
    all of it cost-shared (Part B coinsurance applies)."""
    assert allowed(MEDICARE, True, lines("99213"), 18000, 9087) == Allowed(7724, 7724, True, 0)
    assert allowed(MEDICARE, False, lines("99213"), 18000, 9087) == Allowed(9087, 9087, True, 0)


def test_medicare_does_not_cover_a_routine_physical_but_covers_the_vaccine_without_cost_sharing():
    """99396 ($250 charge) is non-covered: the patient's (PR-49); 90471 is allowed $20.64, a
    preventive service (no copay, no coinsurance)."""
    result = allowed(MEDICARE, False, lines("99396", "90471"), 29000, 14414)
    assert result == Allowed(2064, 0, False, 25000)


def test_a_commercial_plan_charges_no_cost_sharing_on_the_preventive_lines_only():
    """commercial_a pays 130% of Medicare. 99396 + 93000: $123.50 x 1.3 = $160.55 preventive,
    $14.31 x 1.3 = $18.603 -> $18.60 cost-shared; the main line is preventive: no copay."""
    result = allowed(COMMERCIAL, False, lines("99396", "93000"), 28000, 13781)
    assert result == Allowed(16055 + 1860, 1860, False, 0)
    grandfathered = COMMERCIAL.model_copy(update={"preventive_cost_sharing": True})
    assert allowed(grandfathered, False, lines("99396", "93000"), 28000, 13781) == Allowed(
        17915, 17915, True, 0)


def test_a_fee_table_prices_its_codes_and_the_rest_follow_the_percent_of_medicare():
    """A contract paying $100 a unit for 99214 (NP: 85% of it) and 130% of Medicare for
    G2211 ($16.31 x 1.3 = $21.203 -> $21.20; NP: x 0.85 = $18.0217 -> $18.02)."""
    contract = COMMERCIAL.model_copy(update={"fee_table": {"99214": 100.0}, "npp_pct": 0.85})
    assert allowed(contract, False, lines("99214", "G2211"), 28800, 14447).allowed == 10000 + 2120
    assert allowed(contract, True, lines("99214", "G2211"), 28800, 14447).allowed == 8500 + 1802


def test_the_allowed_amount_never_exceeds_the_charge_and_a_claim_without_lines_is_one_line():
    dear = COMMERCIAL.model_copy(update={"allowed_pct_of_medicare": 5.0})
    assert allowed(dear, False, lines("99213"), 18000, 9087).allowed == 18000
    assert allowed(MEDICARE, True, (), 18000, 9087) == Allowed(7724, 7724, True, 0)


CLEAN = {
    "calendar.horizon_days": 60, **CLEAN_BILLING,
    "patient_collections.desk_collection_rate": 1.0,
    "scheduling.uncredentialed_policy": "bill_anyway",
    "payers[medicare].denial.rate": 0.0, "payers[medicare].no_response_rate": 0.0,
    "payers[medicare].secondary": {},
    "payers[medicare].cost_sharing": {"copay": 0, "coinsurance": 0.2,
                                      "deductible_probability": 0.0},
    "payers[commercial_a].denial.rate": 0.0, "payers[commercial_a].no_response_rate": 0.0,
    "payers[commercial_a].cost_sharing": {"copay": 30, "coinsurance": 0.0,
                                          "deductible_probability": 0.0},
}


def _rows(run, claim: int) -> list[tuple]:
    rows = run.ledger[(run.ledger["claim"] == claim) & (run.ledger["amount_cents"] > 0)]
    return [(str(r.kind), int(r.amount_cents), str(r.carc_group), str(r.carc_reason))
            for r in rows.itertuples()]


@pytest.fixture(scope="module")
def clean_run():
    return simulate(build(copy.deepcopy(CLEAN), path=BASELINE), seed=2)


def _adjudicated(run, payer: str):
    claims = run.claims
    return claims[(claims["payer"] == payer) & (claims["first_adjudication_day"] >= 0)]


def test_a_nurse_practitioners_medicare_claim_is_paid_85_percent_on_the_ledger(clean_run):
    claims = _adjudicated(clean_run, "medicare")
    nps = claims[claims["provider"].astype(str).str.startswith("nurse_practitioner")
                 & (claims["codes"] == "99213")]
    assert len(nps) >= 3
    claim = nps.iloc[0]
    allowed_cents = round(9087 * 0.85)
    coinsurance = round(allowed_cents * 0.2)
    assert _rows(clean_run, int(claim["claim"]))[:4] == [
        ("charge", 18000, "", ""),
        ("contractual_adjustment", 18000 - allowed_cents, "CO", "45"),
        ("transfer_to_patient", coinsurance, "PR", "2"),
        ("payer_payment", allowed_cents - coinsurance, "", ""),
    ]


def test_an_nps_visit_billed_incident_to_is_paid_the_physician_rate_on_the_ledger():
    """incident_to_share 0.6: about 60% of the NPs' established patients' claims are billed
    under a supervising physician (within 4 sd), a Medicare 99213 of them paid 100% of $90.87
    (allowed 9,087 cents, 20% coinsurance), the others 85% as above; new patients' visits and
    physicians' never incident-to."""
    run = simulate(build({**copy.deepcopy(CLEAN),
                          "providers[nurse_practitioner].incident_to_share": 0.6},
                         path=BASELINE), seed=2)
    new_visits = run.visits[run.visits["visit_type"] == "new_patient"]["visit"]
    every = run.claims
    established = every[every["provider"].astype(str).str.startswith("nurse_practitioner")
                        & ~every["visit"].isin(new_visits)]
    n = len(established)
    assert n > 100
    assert abs(established["incident_to"].mean() - 0.6) < 4 * (0.24 / n) ** 0.5
    claims = _adjudicated(run, "medicare")
    nps = claims[claims["provider"].astype(str).str.startswith("nurse_practitioner")]
    plain = nps[nps["codes"] == "99213"]
    for flag, allowed_cents in ((True, 9087), (False, round(9087 * 0.85))):
        claim = plain[plain["incident_to"] == flag].iloc[0]
        coinsurance = round(allowed_cents * 0.2)
        assert _rows(run, int(claim["claim"]))[:4] == [
            ("charge", 18000, "", ""),
            ("contractual_adjustment", 18000 - allowed_cents, "CO", "45"),
            ("transfer_to_patient", coinsurance, "PR", "2"),
            ("payer_payment", allowed_cents - coinsurance, "", ""),
        ]
    assert not every[every["visit"].isin(new_visits)]["incident_to"].any()
    assert not every[~every["provider"].astype(str).str.startswith("nurse")][
        "incident_to"].any()


def test_incident_to_needs_a_nurse_practitioner_or_physician_assistant():
    with pytest.raises(ScenarioError, match="incident_to_share applies to a nurse practitioner"):
        build({"providers[physician].incident_to_share": 0.5})


def test_medicare_patients_physicals_are_billed_as_wellness_visits_paid_in_full(clean_run):
    """The baseline bills Medicare G0439 in place of 99395/99396 ($130.15, no cost sharing);
    no Medicare claim carries a routine physical."""
    claims = _adjudicated(clean_run, "medicare")
    codes = claims["codes"].astype(str)
    assert not codes.str.contains("9939").any()
    wellness = claims[(codes == "G0439")
                      & claims["provider"].astype(str).str.startswith("physician")]
    assert len(wellness) >= 3
    assert _rows(clean_run, int(wellness.iloc[0]["claim"])) == [
        ("charge", 26000, "", ""),
        ("contractual_adjustment", 26000 - 13015, "CO", "45"),
        ("payer_payment", 13015, "", ""),
    ]


def test_without_the_substitute_medicares_routine_physical_is_the_patients_pr49():
    run = simulate(build({**copy.deepcopy(CLEAN), "payers[medicare].substitutes": {}},
                         path=BASELINE), seed=2)
    claims = _adjudicated(run, "medicare")
    physicals = claims[claims["codes"] == "99396"]
    assert len(physicals) >= 3
    claim = physicals.iloc[0]
    assert _rows(run, int(claim["claim"]))[:2] == [("charge", 25000, "", ""),
                                                   ("transfer_to_patient", 25000, "PR", "49")]
    assert not (run.ledger[run.ledger["claim"] == claim["claim"]]["kind"]
                == "payer_payment").any()


def test_a_commercial_preventive_visit_has_no_copay_at_the_desk_or_on_the_remittance(clean_run):
    claims = _adjudicated(clean_run, "commercial_a")
    codes = claims["codes"].astype(str)
    preventive = claims[codes == "99396"]
    office = claims[codes == "99213"]
    assert len(preventive) >= 3 and len(office) >= 3
    assert (preventive["patient_paid_cents"] == 0).all()
    claim = preventive.iloc[0]
    assert _rows(clean_run, int(claim["claim"])) == [
        ("charge", 25000, "", ""),
        ("contractual_adjustment", 25000 - 16055, "CO", "45"),
        ("payer_payment", 16055, "", ""),
    ]
    assert (office["patient_paid_cents"] == 3000).all()


def test_a_claim_rebilled_to_another_payer_is_recoded_by_that_payers_substitutes():
    """A Medicare wellness visit (G0439, coded 99396) rebilled to commercial_a goes out as the
    99396 it was coded as; a commercial 99396 rebilled to Medicare as G0439; the charge stays."""
    medicare_line = line_of(BASE, "G0439", 1, "99396")
    (commercial,) = rebilled_lines(BASE, COMMERCIAL, (medicare_line,))
    assert (commercial.code, commercial.charge_cents, commercial.medicare_cents) == (
        "99396", 26000, 12350)
    (back,) = rebilled_lines(BASE, MEDICARE, lines("99396"))
    assert (back.code, back.charge_cents, back.medicare_cents, back.coded) == (
        "G0439", 25000, 13015, "99396")
    assert rebilled_lines(BASE, MEDICARE, lines("99213")) == lines("99213")


def test_a_secondary_allows_only_the_lines_its_primary_covered():
    """Medicare did not cover the 99396: Medicaid's lesser-of cap counts only the 90471."""
    medicaid = next(p for p in BASE.payers if p.name == "medicaid")
    both = allowed(medicaid, False, lines("99396", "90471"), 29000, 14414)
    covered = allowed(medicaid, False, lines("99396", "90471"), 29000, 14414,
                      MEDICARE.non_covered)
    assert both.allowed == round(12350 * 0.72) + round(2064 * 0.72)
    assert covered.allowed == round(2064 * 0.72)


def test_under_the_estimate_policy_the_desk_asks_for_the_non_covered_charge():
    """A Medicare patient's routine physical billed as such (no substitute): the desk takes the
    $250 the payer will leave to the patient, applied when the remittance posts."""
    run = simulate(build({**copy.deepcopy(CLEAN), "payers[medicare].substitutes": {},
                          "patient_collections.point_of_service": "estimate",
                          "patient_collections.estimate_collection_rate": 1.0},
                         path=BASELINE), seed=2)
    claims = _adjudicated(run, "medicare")
    physicals = claims[(claims["codes"] == "99396") & (claims["secondary_payer"].isna())]
    assert len(physicals) >= 3
    claim = physicals.iloc[0]
    rows = _rows(run, int(claim["claim"]))
    assert rows[:3] == [("charge", 25000, "", ""), ("transfer_to_patient", 25000, "PR", "49"),
                        ("patient_payment", 25000, "", "")]
    assert claim["status"] == "paid"
