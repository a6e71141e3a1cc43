"""The accrual view: revenue when earned, write-offs beyond the contractual allowance when
posted, by hand on a few claims; and on a whole run, net income against cash."""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicesim.accrual import revenue_days


def ledger(rows: list[tuple[int, int, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["day", "claim", "kind", "amount_cents"])


def claims(rows: list[tuple[int, int, int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["claim", "service_day", "charge_cents", "expected_cents",
                                       "open_balance_cents"])


def test_revenue_is_earned_on_the_service_day_and_write_offs_beyond_the_allowance_deducted():
    """Four $100 claims seen on day 1, each expected to bring $60 (a $40 allowance):
    1 paid as expected on day 20 ($40 CO-45): earns $60, nothing deducted;
    2 denied and written off in full on day 40: earns $60, $60 deducted on day 40 (the first
      $40 of the write-off is the allowance);
    3 paid $70 on day 20 ($30 CO-45): closes with $10 of allowance unused, earned on day 20;
    4 still open at the end: earns $60, nothing deducted (its allowance stays set aside);
    a claim from before the run (expected -1) earns and deducts nothing; unbilled revenue of
    $55 on day 9 is earned on day 9."""
    postings = ledger([
        (1, 1, "charge", 10000), (1, 2, "charge", 10000), (1, 3, "charge", 10000),
        (1, 4, "charge", 10000), (0, 9, "opening_balance", 5000),
        (20, 1, "contractual_adjustment", 4000), (20, 1, "payer_payment", 6000),
        (30, 2, "denial", 0), (40, 2, "denial_writeoff", 10000),
        (20, 3, "contractual_adjustment", 3000), (20, 3, "payer_payment", 7000),
        (25, 9, "denial_writeoff", 5000)])
    table = claims([(1, 1, 10000, 6000, 0), (2, 1, 10000, 6000, 0), (3, 1, 10000, 6000, 0),
                    (4, 1, 10000, 6000, 10000), (9, -30, 5000, -1, 0)])
    unbilled = np.zeros(50, dtype=np.int64)
    unbilled[9] = 5500
    days = revenue_days(postings, table, 50, unbilled)
    assert days.earned[1] == 4 * 6000
    assert days.earned[9] == 5500
    assert days.earned[20] == 1000
    assert days.earned.sum() == 4 * 6000 + 5500 + 1000
    assert days.deductions[40] == 6000
    assert days.deductions.sum() == 6000
    payments, open_balance, set_aside = 6000 + 7000, 10000, 4000
    assert days.earned.sum() - days.deductions.sum() == (
        payments + open_balance - set_aside + 5500)


def test_a_partial_write_off_within_the_allowance_deducts_nothing_and_beyond_it_the_rest():
    """A $100 claim expected at $60: $30 of contractual adjustments on day 10 and a $25
    write-off on day 12 use $55 of the $40 allowance: $15 is deducted on day 12; the $45
    payment closes it."""
    postings = ledger([(1, 1, "charge", 10000), (10, 1, "contractual_adjustment", 3000),
                       (12, 1, "denial_writeoff", 2500), (12, 1, "payer_payment", 4500)])
    days = revenue_days(postings, claims([(1, 1, 10000, 6000, 0)]), 20)
    assert days.deductions.tolist()[10:13] == [0, 0, 1500]
    assert days.earned.sum() - days.deductions.sum() == 4500


def test_a_baseline_years_net_income_is_near_its_net_cash_flow(baseline_run):
    """With A/R about level over the reported year, accrual net income and net cash flow
    differ by the change in net A/R and unbilled revenue: within 3% of the year's revenue."""
    kpis = baseline_run.kpis()
    assert abs(kpis["net_income"] - kpis["net_cash_flow"]) < 0.03 * kpis["revenue_earned"]
    assert kpis["revenue_earned"] > 0.9 * kpis["collections"]
