"""Validation of the revenue cycle against exact results.

4. Medicare's payment floor: no Medicare claim is paid or denied less than 14 days after its
   submission; with short lags the share landing exactly on day 14 is P(lag <= 14).
5. Little's law for A/R: mean A/R = daily charges x dollar-weighted days in A/R.
6. Payment arithmetic: every paid adjudication splits the charge exactly into contractual
   adjustment, patient responsibility and payer payment, as the payer's terms say.

Scenarios are the baseline practice made smaller (3 providers instead of 10, demand scaled) with
the changes each test names. Seeds are fixed; statistical tolerances come from the samples.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from practicesim import ledger as lg
from practicesim import scenario as sc
from practicesim.engine import simulate
from practicesim.results import Run
from practicesim.seats import provider_seats
from practicesim.streams import Streams
from tests.conftest import SAME_PAYER
from tests.oracles import floored_lag_mean, floored_lag_pmf, lognormal_from_median_p90

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
MEDICARE_FLOOR = 14


def _small_baseline(warmup: int, horizon: int) -> dict[str, Any]:
    """Baseline with 2 physicians and 1 nurse practitioner, demand scaled to match."""
    data = copy.deepcopy(sc.load_raw(BASELINE))
    seats = sum(p.get("count", 1) for p in data["providers"])
    data["providers"][0]["count"] = 2
    data["providers"][1]["count"] = 1
    for demand in data["demand"]:
        demand["requests_per_day"] = demand["requests_per_day"] * 3 / seats
        demand["walk_ins_per_hour"] = {h: r * 3 / seats
                                      for h, r in demand["walk_ins_per_hour"].items()}
    data["calendar"]["warmup_days"] = warmup
    data["calendar"]["horizon_days"] = horizon
    return data


def _payer(data: dict[str, Any], kind: str) -> dict[str, Any]:
    (payer,) = [p for p in data["payers"] if p["kind"] == kind]
    return payer


# --- 4. Medicare payment floor ----------------------------------------------------------------


def _medicare_first_lags(run: Run) -> pd.DataFrame:
    """Per Medicare claim adjudicated in the run: day of its first submission and of its first
    payer payment or denial (NaN submission day if it has none)."""
    medicare = [p.name for p in run.scenario.payers if p.kind == "medicare"]
    rows = run.ledger[run.ledger["payer"].isin(medicare)]
    submitted = rows[rows["kind"] == lg.SUBMISSION].groupby("claim")["day"].min()
    decided = rows[rows["kind"].isin([lg.PAYER_PAYMENT, lg.DENIAL])].groupby("claim")["day"].min()
    out = pd.DataFrame({"submitted": submitted.reindex(decided.index), "decided": decided})
    out["lag"] = out["decided"] - out["submitted"]
    if len(out) < 500:
        pytest.fail(f"only {len(out)} Medicare claims adjudicated: too few to test the floor")
    return out


@pytest.fixture(scope="module")
def baseline_floor_run() -> Run:
    """The baseline's payer terms unchanged (Medicare lag median 12, p90 17, floor 14, posting
    lag gamma mean 2)."""
    return simulate(sc.validate(_small_baseline(60, 240), "tests/floor"), seed=2)


SHORT_LAG = {"median": 10.0, "p90": 16.0}


@pytest.fixture(scope="module")
def short_lag_run() -> Run:
    """Medicare's lag drawn mostly below 14 days (lognormal median 10, p90 16), remittances
    posted the day they arrive (posting lag 0), every submission answered, none pended."""
    data = _small_baseline(60, 300)
    _payer(data, "medicare")["lag_days"] = {"dist": "lognormal", **SHORT_LAG}
    _payer(data, "medicare")["no_response_rate"] = 0.0  # every submission answered: the oracle
    _payer(data, "medicare")["pend"]["rate"] = 0.0  # and decided after the lag alone
    data["billing"]["posting_lag_days"] = 0
    return simulate(sc.validate(data, "tests/short_lag"), seed=4)


@pytest.mark.parametrize("run_name", ["baseline_floor_run", "short_lag_run"])
def test_medicare_floor_holds_for_every_claim(run_name: str,
                                              request: pytest.FixtureRequest) -> None:
    """No Medicare claim is paid or denied fewer than 14 days after its first submission, with
    the baseline's lags and with lags mostly under 14 days."""
    lags = _medicare_first_lags(request.getfixturevalue(run_name))
    early = lags[~(lags["lag"] >= MEDICARE_FLOOR)]
    assert early.empty, (
        f"{len(early)} of {len(lags)} Medicare claims decided < {MEDICARE_FLOOR} days after "
        f"submission (or with no submission):\n{early.head().to_string()}"
    )


def _uncensored(run: Run, lags: pd.DataFrame) -> pd.DataFrame:
    """Claims submitted early enough that any lag up to 60 days is seen within the run
    (P(lognormal(10, 16) > 60) < 1e-9), so the observed lags are not biased short."""
    last = run.calendar.n_days - 1 - 60
    return lags[lags["submitted"] <= last]


def test_medicare_share_decided_on_day_14_is_p_lag_at_most_14(short_lag_run: Run) -> None:
    """P(decided exactly 14 days after submission) = P(lag <= 14) (posting lag 0), within
    4 binomial standard errors."""
    lags = _uncensored(short_lag_run, _medicare_first_lags(short_lag_run))
    share = float((lags["lag"] == MEDICARE_FLOOR).mean())
    exact = floored_lag_pmf(lognormal_from_median_p90(**SHORT_LAG), MEDICARE_FLOOR,
                            MEDICARE_FLOOR)
    se = float(np.sqrt(exact * (1 - exact) / len(lags)))
    assert abs(share - exact) <= 4 * se, (
        f"share of {len(lags)} Medicare claims decided on day {MEDICARE_FLOOR}: {share:.4f}, "
        f"exact P(lag <= {MEDICARE_FLOOR}) = {exact:.4f} +- {se:.4f}"
    )


def test_medicare_mean_days_to_decision_is_exact(short_lag_run: Run) -> None:
    """Mean days from submission to first decision = E[max(14, ceil(lag))], within 4 SE."""
    lags = _uncensored(short_lag_run, _medicare_first_lags(short_lag_run))["lag"]
    mean = float(lags.mean())
    se = float(lags.std() / np.sqrt(len(lags)))
    exact = floored_lag_mean(lognormal_from_median_p90(**SHORT_LAG), MEDICARE_FLOOR)
    assert abs(mean - exact) <= 4 * se, (
        f"mean Medicare days to decision {mean:.4f} +- {se:.4f} over {len(lags)} claims, "
        f"exact {exact:.4f}"
    )


# --- 5. Little's law for A/R ----------------------------------------------------------------

WARMUP, WINDOW, RUN_OUT = 300, 365, 235


@pytest.fixture(scope="module")
def steady_run() -> Run:
    """A stationary practice: constant demand (no weekday or month factors, no day-to-day
    dispersion, no holidays, no dated changes), a 300-day warm-up, then a 365-day A/R window
    and 235 more days in which the window's claims resolve."""
    data = _small_baseline(WARMUP, WINDOW + RUN_OUT)
    for demand in data["demand"]:
        demand.update(dispersion=0.0, weekday_factors={}, month_factors={})
    data["calendar"]["holidays"] = []
    data["changes"] = []
    return simulate(sc.validate(data, "tests/steady"), seed=6)


def _dollar_days(run: Run, t0: int, t1: int) -> dict[str, float]:
    """The terms of Little's law for A/R over the window [t0, t1) (see the test below)."""
    ledger = run.ledger
    n = run.calendar.n_days
    signed = lg.signed_cents(ledger).astype(np.int64)
    day = ledger["day"].to_numpy().astype(np.int64)
    charge_day = ledger[ledger["kind"] == lg.CHARGE].groupby("claim")["day"].min()
    cohort = charge_day.reindex(ledger["claim"]).to_numpy()
    in_cohort = (cohort >= t0) & (cohort < t1)
    charged = int(ledger.loc[in_cohort & (ledger["kind"] == lg.CHARGE).to_numpy(),
                             "amount_cents"].sum())
    return {
        "ar_days": int(run.daily["ar_cents"].iloc[t0:t1].sum()),
        "window_dollar_days": int((signed * np.clip(t1 - np.maximum(day, t0), 0, None)).sum()),
        "cohort_charges": charged,
        "cohort_dollar_days": int((signed * (n - day))[in_cohort].sum()),
        "cohort_open_at_end": int(signed[in_cohort].sum()),
    }


def test_daily_ar_integrates_the_ledger(steady_run: Run) -> None:
    """Sum over window days of end-of-day A/R = sum over postings of amount x days of the
    window on which the posting is in effect (exact, in cent-days)."""
    t0, t1 = WARMUP, WARMUP + WINDOW
    terms = _dollar_days(steady_run, t0, t1)
    assert terms["ar_days"] == terms["window_dollar_days"], (
        f"daily ar_cents summed over [{t0}, {t1}) = {terms['ar_days']} cent-days, ledger gives "
        f"{terms['window_dollar_days']}"
    )


def test_littles_law_for_ar(steady_run: Run) -> None:
    """Mean A/R over the window = mean daily charges x dollar-weighted days in A/R, within 3%.

    Let B_c(d) be claim c's open balance at the end of day d and AR(d) = sum_c B_c(d) (the
    daily table's ``ar_cents``). Over the window [t0, t1) of T days:

    - L = (1/T) sum_{d in window} AR(d): mean A/R.
    - lambda = (charges entered in the window) / T: calendar-day average charges.
    - W = sum_{c charged in window} sum_d B_c(d) / sum_{c charged in window} charge_c: each
      charged dollar weighted by the days from its charge entry to the day it is paid,
      adjusted or written off, i.e. the dollar-weighted days in A/R. From the ledger,
      sum_d B_c(d) = sum over the claim's postings of (signed amount) x (days from the
      posting to the end of the run).

    Exchanging the sums, T L = sum_c (dollar-days of c inside the window)
    = T lambda W + (dollar-days inside the window of claims charged before t0)
    - (dollar-days after t1 of claims charged in the window).
    The two edge terms are the A/R carried across a boundary times its remaining life; in a
    stationary practice they are equal in expectation, so L = lambda W up to their (small)
    difference. The run goes on 235 days past t1 so the window's claims resolve: W counts
    dollar-days up to the run's end, leaving out only the cohort's balance still open then
    (reported below).
    """
    t0, t1 = WARMUP, WARMUP + WINDOW
    terms = _dollar_days(steady_run, t0, t1)
    mean_ar = terms["ar_days"] / WINDOW
    daily_charges = terms["cohort_charges"] / WINDOW
    days_in_ar = terms["cohort_dollar_days"] / terms["cohort_charges"]
    predicted = daily_charges * days_in_ar
    open_share = terms["cohort_open_at_end"] / terms["cohort_charges"]
    error = mean_ar / predicted - 1
    assert abs(error) <= 0.03, (
        f"mean A/R ${mean_ar / 100:,.0f} vs lambda W = ${daily_charges / 100:,.0f}/day x "
        f"{days_in_ar:.2f} days = ${predicted / 100:,.0f} ({100 * error:+.2f}%); "
        f"window charges still open at the run's end: {100 * open_share:.2f}%"
    )


# --- 6. payment arithmetic ----------------------------------------------------------------

COINSURANCE = 0.2


@pytest.fixture(scope="module")
def payment_run() -> Run:
    """Baseline payers with no deductible and 20% coinsurance (copays unchanged), and a fee
    schedule whose Medicare allowed amount is exactly half the charge for every code, so that a
    claim's Medicare allowed cents (not in the tables) is its charge cents / 2 whatever codes
    were billed. Denials stay with their payer (no patient billed at the allowed amount), and
    payers pay their contracts (no underpayments)."""
    data = _small_baseline(0, 200)
    for entry in data["fee_schedule"].values():
        entry["medicare_allowed"] = entry["charge"] / 2
        if round(entry["charge"] * 100) % 2:
            pytest.fail(f"charge {entry['charge']} has an odd number of cents")
    for payer in data["payers"]:
        if payer["kind"] != "self_pay":
            payer["cost_sharing"] = {"copay": payer.get("cost_sharing", {}).get("copay", 0.0),
                                     "coinsurance": COINSURANCE, "deductible_probability": 0.0}
            payer["underpayment"] = {"rate": 0.0}
    for key, value in SAME_PAYER.items():
        sc.set_path(data, key, value)
    return simulate(sc.validate(data, "tests/payments"), seed=8)


@pytest.fixture(scope="module")
def adjudications(payment_run: Run) -> pd.DataFrame:
    """One row per claim paid by a payer (it has a CO-45 contractual adjustment): what was
    posted, and what the payer's terms say it should be."""
    ledger = payment_run.ledger
    payer_of = ledger.drop_duplicates("claim").set_index("claim")["payer"].astype(str)
    # the primary's remittance: its own rows, and the PR it sent on to a secondary
    kind = ledger["kind"].astype(str)
    own = (ledger["payer"].astype(str) == ledger["claim"].map(payer_of)) | (
        kind == "transfer_to_secondary")
    assert (kind == "transfer_to_secondary").any(), "the baseline's Medicare has secondaries"
    code = kind.replace("transfer_to_secondary", "transfer_to_patient") + ledger[
        "carc_group"].astype(str) + ledger["carc_reason"].astype(str)
    posted = ledger.assign(code=code)[own].pivot_table(
        index="claim", columns="code", values="amount_cents", aggfunc="sum", fill_value=0,
        observed=True)
    paid = posted[posted.get("contractual_adjustmentCO45", 0) > 0]
    # a claim paid but for a denied line is priced without it (tests/test_line_denials.py)
    lined = payment_run.claims.loc[payment_run.claims["line_denial_reason"] != "", "claim"]
    paid = paid[~paid.index.isin(lined)]
    if len(paid) < 1000:
        pytest.fail(f"only {len(paid)} paid adjudications")
    terms = {p.name: p for p in payment_run.scenario.payers}
    out = pd.DataFrame(index=paid.index)
    for column in ("charge", "contractual_adjustmentCO45", "transfer_to_patientPR3",
                   "transfer_to_patientPR2", "transfer_to_patientPR1", "payer_payment"):
        out[column] = paid.get(column, 0)
    out["payer"] = payer_of.reindex(out.index)
    claims = payment_run.claims.set_index("claim").reindex(out.index)
    npp = {seat.name for seat in provider_seats(
        payment_run.scenario, Streams(payment_run.seed, payment_run.replication)) if seat.npp}
    seats = claims["provider"].astype(str)
    fees = payment_run.scenario.fee_schedule
    allowed, copay, coinsurance = [], [], []
    for payer, codes, seat in zip(out["payer"], claims["codes"].astype(str), seats, strict=True):
        t = terms[payer]
        factor = t.allowed_pct_of_medicare * (t.npp_pct if seat in npp else 1.0)
        # line by line: half the line's charge is Medicare's amount; preventive lines are
        # allowed without cost sharing, and a copay is due when the main line is cost-shared
        lines = [(round(fees[code].charge * 100), fees[code].preventive)
                 for code in codes.split()]
        amounts = [min(charge, round(charge // 2 * factor)) for charge, _ in lines]
        shared = sum(a for a, (_, preventive) in zip(amounts, lines, strict=True)
                     if not preventive)
        c = min(round(t.cost_sharing.copay * 100), shared) if not lines[0][1] else 0
        allowed.append(sum(amounts))
        copay.append(c)
        coinsurance.append(round((shared - c) * COINSURANCE))
    out["allowed"], out["copay"], out["coinsurance"] = allowed, copay, coinsurance
    return out


def _mismatches(df: pd.DataFrame, got: pd.Series, expected: pd.Series) -> str:
    bad = df[got != expected].assign(got=got, expected=expected)
    return f"{len(bad)} of {len(df)} paid claims:\n{bad.head().to_string()}"


def test_contractual_adjustment_is_charge_minus_allowed(adjudications: pd.DataFrame) -> None:
    """CO-45 = charge - the sum over the claim's lines of min(line charge, round(Medicare
    allowed x allowed_pct_of_medicare x npp_pct for a nurse practitioner))."""
    got = adjudications["contractual_adjustmentCO45"]
    expected = adjudications["charge"] - adjudications["allowed"]
    assert (got == expected).all(), _mismatches(adjudications, got, expected)


def test_copay_transfer_is_plan_copay(adjudications: pd.DataFrame) -> None:
    """PR-3 = min(copay, cost-shared allowed), none when the main line is preventive."""
    got = adjudications["transfer_to_patientPR3"]
    expected = adjudications["copay"]
    assert (got == expected).all(), _mismatches(adjudications, got, expected)


def test_coinsurance_transfer_is_share_of_rest(adjudications: pd.DataFrame) -> None:
    """PR-2 = round(0.2 x (cost-shared allowed - copay)), and no deductible (PR-1) is ever
    assigned."""
    got = adjudications["transfer_to_patientPR2"] + adjudications["transfer_to_patientPR1"]
    expected = adjudications["coinsurance"]
    assert (got == expected).all(), _mismatches(adjudications, got, expected)


def test_payer_payment_is_allowed_less_patient_share(adjudications: pd.DataFrame) -> None:
    """payer_payment = allowed - round(0.2 x (allowed - copay)) - copay."""
    got = adjudications["payer_payment"]
    expected = (adjudications["allowed"] - adjudications["coinsurance"]
                - adjudications["copay"])
    assert (got == expected).all(), _mismatches(adjudications, got, expected)


def test_paid_adjudication_splits_the_charge_exactly(adjudications: pd.DataFrame) -> None:
    """payer_payment + contractual adjustment + PR transfers = charge, to the cent."""
    got = adjudications[["payer_payment", "contractual_adjustmentCO45",
                         "transfer_to_patientPR3", "transfer_to_patientPR2",
                         "transfer_to_patientPR1"]].sum(axis=1)
    expected = adjudications["charge"]
    assert (got == expected).all(), _mismatches(adjudications, got, expected)
