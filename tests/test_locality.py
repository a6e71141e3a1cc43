"""A practice's Medicare locality: its GPCIs scale Medicare's allowed amount by the PFS formula,
and every payer priced as a share of Medicare follows."""

from __future__ import annotations

import pytest

from practicesim import simulate
from practicesim.contracts import line_of
from practicesim.scenario import ScenarioError
from tests.conftest import CLEAN_BILLING, NO_PENDS, build

# an illustrative locality (the indices a practice reads in Addendum E for its year)
LOCALITY = {"name": "example", "work_gpci": 1.05, "pe_gpci": 1.2, "mp_gpci": 0.5}


def test_a_code_is_priced_by_its_rvus_and_the_localitys_gpcis():
    """99213 (work 1.30, PE 1.33, MP 0.10 RVUs; national $90.87): $90.87 x (1.30 x 1.05 +
    1.33 x 1.2 + 0.10 x 0.5) / 2.73 = $90.87 x 3.011 / 2.73 = $100.2237... -> $100.22."""
    scenario = build({"locality": LOCALITY})
    fee = scenario.fee_schedule["99213"]
    assert fee.medicare_in(scenario.locality) == pytest.approx(90.87 * 3.011 / 2.73)
    assert line_of(scenario, "99213", 1).medicare_cents == 10022
    assert line_of(build(), "99213", 1).medicare_cents == 9087, "national: unchanged"


def test_a_commercial_claim_in_the_locality_is_allowed_its_share_of_the_local_amount():
    """commercial_a allows 130% of Medicare: $100.22 x 1.3 = $130.286 -> $130.29, so its
    contractual adjustment on a $180 99213 is $49.71 (nationally $61.87)."""
    run = simulate(build({**CLEAN_BILLING, **NO_PENDS, "calendar.horizon_days": 60,
                          "locality": LOCALITY,
                          "payers[commercial_a].denial.rate": 0.0,
                          "payers[commercial_a].underpayment.rate": 0.0}), seed=2)
    claims = run.claims
    visit = claims[(claims["billed_payer"] == "commercial_a") & (claims["codes"] == "99213")
                   & (claims["first_adjudication_day"] >= 0)].iloc[0]
    rows = run.ledger[(run.ledger["claim"] == visit["claim"])
                      & (run.ledger["kind"] == "contractual_adjustment")]
    assert rows["amount_cents"].tolist()[0] == 18000 - 13029
    assert visit["medicare_allowed_cents"] == 10022


def test_a_code_without_rvus_cannot_be_priced_outside_the_national_locality():
    with pytest.raises(ScenarioError, match=r"fee_schedule\.93000\.rvu"):
        build({"locality": LOCALITY, "fee_schedule.93000": {"charge": 30,
                                                            "medicare_allowed": 14.31}})
