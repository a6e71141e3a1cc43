"""The baseline's reported year starts in steady state (issue 13 s.5): in a baseline that does
not change, monthly A/R, bad debt and denial backlog have no trend across the reported year.

Three seeds, twelve months each; per series the month-on-month slope is estimated with each
seed's own mean taken out (a regression on the month within seed), and must not differ from 0
at the 1% level; nor may A/R and bad debt move by more than a tenth of their mean over the year
(the denial backlog, about 20 claims, is too noisy month to month for that bound: measured,
a change of 16% of its mean over the year, p = 0.36). With the 180-day warm-up the baseline
had until issue 13 s.5, monthly bad debt doubled over the first eight reported months; with a
year it still drifts (marked below)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from practicesim import load_scenario, simulate
from tests.conftest import BASELINE

MONTH_DAYS = 365 / 12


def _monthly(seed: int) -> pd.DataFrame:
    run = simulate(load_scenario(BASELINE), seed=seed)
    start = run.calendar.warmup
    daily = run.daily.iloc[start:]
    month = np.minimum(np.arange(len(daily)) // MONTH_DAYS, 11).astype(int)
    out = daily.groupby(month).agg(ar=("ar_cents", "mean"), backlog=("denial_backlog", "mean"))
    ledger = run.ledger[(run.ledger["day"] >= start) & (run.ledger["kind"] == "bad_debt")]
    out["bad_debt"] = ledger.groupby(np.minimum((ledger["day"] - start) // MONTH_DAYS, 11)
                                     .astype(int))["amount_cents"].sum()
    return out.assign(seed=seed, month=out.index)


@pytest.fixture(scope="module")
def months() -> pd.DataFrame:
    return pd.concat([_monthly(seed) for seed in (1, 2, 3)], ignore_index=True)


BAD_DEBT_DRIFT = pytest.mark.xfail(
    strict=True, raises=AssertionError,
    reason="issue 13 s.5: after a year's warm-up monthly bad debt still drifts up about 12% "
           "over the reported year (p = 0.004, seeds 1-3): 6% of bad-debt dollars are written "
           "off more than a year after the visit (three statements, then the agency's "
           "lognormal tail, p90 240 days), so the first reported months miss some; two years "
           "of warm-up remove it (+4%, p = 0.41) at a third more run time")


@pytest.mark.parametrize("series", ["ar", pytest.param("bad_debt", marks=BAD_DEBT_DRIFT),
                                    "backlog"])
def test_no_trend_across_the_reported_year(months, series):
    y = months[series] - months.groupby("seed")[series].transform("mean")
    fit = stats.linregress(months["month"], y)
    mean = months[series].mean()
    assert fit.pvalue > 0.01, (series, fit.slope * 11 / mean)
    if series != "backlog":  # about 20 claims waiting, a month's mean moves by +-50%
        assert abs(fit.slope * 11) < 0.1 * mean, (series, fit.slope * 11 / mean)
