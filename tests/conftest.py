"""Shared fixtures: scenario paths, scenario builders and a cached baseline run."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from practicesim import Run, Scenario, simulate
from practicesim.finance import cents, payroll_taxes
from practicesim.scenario import load_raw, set_path, validate

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = ROOT / "tests" / "data" / "small_practice.yaml"
SHARED_DATA = ROOT.parent / "shared" / "data"
SAME_PAYER = {"billing.denial_actions": {reason: "correct" for reason in
                                         ("22", "27", "31", "33", "96", "109", "204")}}
"""Eligibility and non-covered denials corrected and sent to the same payer (the package's
rules rebill them to the patient's right payer or bill the patient): for tests of one payer's
claims that must stay that payer's."""


CLEAN_BILLING = {"calendar.warmup_days": 0, "billing.claim_error_rate": 0.0,
                 "billing.clearinghouse_rejection_rate": 0.0, "billing.missed_charge_rate": 0.0,
                 "billing.posting_lag_days": 0.0, "billing.posting_exception_rate": 0.0}
"""No warm-up; every claim charged, sent clean and posted the day its remittance comes: for
hand calculations of one claim's postings."""

NO_PENDS = {f"payers[{name}].pend.rate": 0.0 for name in (
    "medicare", "medicare_advantage", "medicaid", "commercial_a", "commercial_b")}
"""No claim pended for manual review or records: for tests whose oracle is the payer's lag."""


def build(updates: dict[str, Any] | None = None, path: Path = SMALL) -> Scenario:
    """The scenario at ``path`` with dotted key paths replaced (``{"staff.billers.count": 2}``),
    validated."""
    data = copy.deepcopy(_raw(path))
    for key, value in (updates or {}).items():
        set_path(data, key, value)
    return validate(data, "test")


_RAW: dict[Path, dict[str, Any]] = {}


def _raw(path: Path) -> dict[str, Any]:
    if path not in _RAW:
        _RAW[path] = load_raw(path)
    return _RAW[path]


@pytest.fixture(scope="session")
def baseline_run() -> Run:
    """One baseline year (seed 1), shared by the tests that only read it."""
    from practicesim import load_scenario

    return simulate(load_scenario(BASELINE), seed=1)


@pytest.fixture(scope="session")
def small_run() -> Run:
    """One small-practice run (seed 3)."""
    return simulate(build(), seed=3)


def payday_cents(scenario: Scenario, people: int, salary: float) -> int:
    """What ``people`` of a staff role paid ``salary`` a year cost on one payday (cents), as
    ``Finance`` books it: their pay, then its benefits and payroll taxes, each rounded to the
    cent (a salary under the Social Security wage base)."""
    pay = salary / 24
    costs = scenario.costs
    return cents(people * pay) + cents(people * (pay * costs.benefits_rate
                                                 + payroll_taxes(pay, 0.0, costs)))
