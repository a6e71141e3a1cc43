"""The accrual view of a run: revenue when earned, costs when incurred (the monthly
profit-and-loss statement beside the cash view).

Revenue. A claim's expected net revenue (``Claim.expected_cents``: its payer's contracted
allowed amount plus the charges of the lines the payer does not cover, or a self-pay charge
less its discount) is earned on its date of service. The rest of its charge, ``charge -
expected``, is set aside as an allowance for contractual adjustments. The claim's later
contractual adjustments and write-offs use up the allowance first; what goes beyond it is a
revenue deduction on the day it is posted (a denial written off, bad debt, an underpayment
not recovered, a secondary's CO-23). A claim that closes with allowance left (it was paid more
than expected) earns the rest on the day of its last posting. A visit whose charge is entered
after the run has earned its expected revenue on its date of service too (unbilled revenue).
A warm start's claims from before the run are carried at their realisable value: their
collections and write-offs move the balance sheet, not the P&L.

Identity, exact in cents over the run: revenue earned - deductions = payments on the run's
claims + their open balances - the allowances still set aside on them + unbilled revenue.

Costs. The cash costs, except production pay (``pay_model`` wrvu, collections and the bonus of
base_plus_bonus) and its benefits and taxes, which count on the last day of the period earned
rather than on the pay day (``Finance.production_earned``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from practicesim import ledger as lg

_ADJUSTING = (lg.CONTRACTUAL, lg.DENIAL_WRITEOFF, lg.BAD_DEBT)


@dataclass(frozen=True)
class RevenueDays:
    """Per simulation day (cents): revenue earned and revenue deductions."""

    earned: np.ndarray
    deductions: np.ndarray


def revenue_days(ledger: pd.DataFrame, claims: pd.DataFrame, n_days: int,
                 unbilled: np.ndarray | None = None) -> RevenueDays:
    """Revenue earned and deducted per day (module docstring) from a run's ``ledger`` and
    ``claims`` tables (``expected_cents`` -1 marks a claim from before the run) and the
    ``unbilled`` revenue of visits not charged by the run's end (cents by date of service).

    >>> ledger = pd.DataFrame({"day": [0, 0, 5, 5, 9], "claim": [1, 2, 5, 5, 9],
    ...     "kind": ["charge", "charge", "contractual_adjustment", "payer_payment",
    ...              "denial_writeoff"], "amount_cents": [100, 100, 30, 70, 100]})
    >>> ledger.loc[[2, 3, 4], "claim"] = [1, 1, 2]
    >>> claims = pd.DataFrame({"claim": [1, 2], "service_day": [0, 0],
    ...     "charge_cents": [100, 100], "expected_cents": [70, 70],
    ...     "open_balance_cents": [0, 0]})
    >>> days = revenue_days(ledger, claims, 10)
    >>> int(days.earned.sum()), days.deductions.tolist()[9]
    (140, 70)
    """
    earned = np.zeros(n_days, dtype=np.int64) if unbilled is None else np.array(
        unbilled, dtype=np.int64)
    deductions = np.zeros(n_days, dtype=np.int64)
    run = claims[claims["expected_cents"].to_numpy() >= 0]
    charge = run["charge_cents"].to_numpy(dtype=np.int64)
    expected = np.minimum(run["expected_cents"].to_numpy(dtype=np.int64), charge)
    np.add.at(earned, run["service_day"].to_numpy(), expected)
    allowance = pd.Series(charge - expected, index=run["claim"].to_numpy())
    mine = ledger["claim"].isin(allowance.index).to_numpy()
    adjusting = mine & ledger["kind"].isin(_ADJUSTING).to_numpy()
    rows = ledger.loc[adjusting, ["day", "claim", "amount_cents"]]
    used = rows.groupby("claim", sort=False)["amount_cents"].cumsum().to_numpy(dtype=np.int64)
    reserve = allowance.reindex(rows["claim"]).to_numpy(dtype=np.int64)
    beyond = pd.Series(np.maximum(0, used - reserve), index=rows.index)
    step = beyond - beyond.groupby(rows["claim"].to_numpy(), sort=False).shift(fill_value=0)
    np.add.at(deductions, rows["day"].to_numpy(), step.to_numpy(dtype=np.int64))
    total_used = pd.Series(used, index=rows["claim"].to_numpy()).groupby(level=0).last()
    left = (allowance - total_used.reindex(allowance.index, fill_value=0)).clip(lower=0)
    closed = run["open_balance_cents"].to_numpy() == 0
    release = left[closed & (left.to_numpy() > 0)]
    if len(release):
        last_day = ledger.loc[mine].groupby("claim")["day"].max()
        np.add.at(earned, last_day.reindex(release.index).to_numpy(),
                  release.to_numpy(dtype=np.int64))
    return RevenueDays(earned, deductions)
