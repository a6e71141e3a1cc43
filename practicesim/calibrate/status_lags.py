"""Payer lags by claim status, from 835 remittances: how long each payer takes to answer a
claim, by what its answer was.

Each CLP answers a submission the payer received on its DTM*050 date (the received date) and
is paid on its payment's date (BPR16, the ``payment_date``). Per payer (N1*PR) and status class
of the CLP (CLP02):

- ``primary``: 1 (processed as primary) and 19 (and forwarded to the secondary);
- ``secondary``: 2, 3 (processed as secondary, tertiary), 20 and 21 (and forwarded on);
- ``denied``: 4;

the lag is payment date - received date (days; CLPs without a received date, or received
after their payment, are left out of it). Reversals (22) and predeterminations (25) answer
nothing and are left out. Reported per cell: CLPs, patients, the median with its
distribution-free 95% interval (order statistics: the ranks a binomial(n, 1/2) puts 2.5%
outside each side of), the 90th percentile, the mean, and the median from the date of
service (DTM*232) to payment over all the cell's CLPs.

Remittances hold only the claims a payer answered, so these are lags of answered claims (the
ledger's fit, ``calibrate.payers``, censors the waiting ones and stays the primary lag of a
calibrated scenario). ``calibrate`` uses the ``secondary`` cells: a payer seen only as someone's
secondary (a Medigap plan) gets its ``lag_days`` from them, a lognormal through the median and
the 90th percentile. ``denied`` against ``primary`` says whether a payer denies sooner than it
pays; the simulator has one lag per payer for both, so the difference is reported, not written.

Privacy: a (payer, status) cell of fewer than ``MIN_PATIENTS`` patients is left out and listed
in the suppressed cells with its count given only as "fewer than 11".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from practicesim.calibrate.payers import MIN_PATIENTS, SMALL_CELL

STATUS_CLASSES = {"1": "primary", "19": "primary", "2": "secondary", "3": "secondary",
                  "20": "secondary", "21": "secondary", "4": "denied"}
"""CLP02 codes by the class of answer they are (module docstring)."""
COLUMNS = ["payer", "status", "claims", "patients", "median_days", "median_low",
           "median_high", "p90_days", "mean_days", "service_median_days"]


def lags_by_status(claims: pd.DataFrame, payer_name: Callable[[str], str] = str,
                   ) -> tuple[pd.DataFrame, list[tuple[str, str, str]]]:
    """The lag table of the ``Remittances.claims`` table (module docstring), one row per
    (payer, status) cell with ``COLUMNS``, payer names through ``payer_name``; and the cells
    suppressed for having fewer than ``MIN_PATIENTS`` patients (payer, cell, patients).

    >>> table, _ = lags_by_status(read_835("remittances/").claims)  # doctest: +SKIP
    >>> table.set_index(["payer", "status"]).loc[("MEDICARE", "denied"), "median_days"]
    ... # doctest: +SKIP
    """
    status = claims["status"].astype(str).map(STATUS_CLASSES)
    answered = claims[status.notna()].assign(
        payer=lambda c: c["payer_name"].astype(str).map(payer_name),
        status_class=status[status.notna()],
        lag=lambda c: (c["payment_date"] - c["received_date"]).dt.days,
        from_service=lambda c: (c["payment_date"] - c["service_date"]).dt.days)
    rows, suppressed = [], []
    for (payer, kind), cell in answered.groupby(["payer", "status_class"], sort=True):
        dated = cell[cell["lag"] >= 0]
        lags = dated["lag"].to_numpy(dtype=float)
        patients = dated["patient"].nunique()
        if patients < MIN_PATIENTS:
            suppressed.append((payer, f"lag of {kind} claims", SMALL_CELL))
            continue
        low, high = median_interval(lags)
        service = cell["from_service"].dropna()
        rows.append((payer, kind, len(lags), patients, float(np.median(lags)), low, high,
                     float(np.quantile(lags, 0.9)), float(lags.mean()),
                     float(service.median()) if len(service) else np.nan))
    return pd.DataFrame(rows, columns=COLUMNS), suppressed


def median_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """A distribution-free ``level`` interval of the median of ``values``: the order
    statistics of ranks ``k`` and ``n - k + 1``, ``k`` the (1 - level) / 2 quantile of
    Binomial(n, 1/2) (at least 1: the extremes for a small n). For n = 100 at 95%, ranks 40
    and 61."""
    ordered = np.sort(np.asarray(values, dtype=float))
    n = len(ordered)
    if n == 0:
        return (np.nan, np.nan)
    k = max(1, int(stats.binom.ppf((1 - level) / 2, n, 0.5)))
    return (float(ordered[k - 1]), float(ordered[n - k]))


def secondary_lags(data: dict, table: pd.DataFrame, rows: dict,
                   primaries: set[str]) -> None:
    """Each payer of the scenario ``data`` seen only as someone's secondary (not among
    ``primaries``, the payers with a CLP as primary or a denial) whose lag the ledger did not
    fit (no ``payers[<name>].lag_days.median`` in ``rows``) and that has a ``secondary`` cell
    in ``table`` gets that cell's lag as its ``lag_days``: a lognormal through the median and
    90th percentile (a fixed number of days when they are equal); its (value, low, high, n,
    source) rows go into ``rows``."""
    cells = table[table["status"] == "secondary"].set_index("payer")
    for payer in data.get("payers", []):
        name = payer["name"]
        key = f"payers[{name}].lag_days"
        if f"{key}.median" in rows or name in primaries or name not in cells.index:
            continue
        cell = cells.loc[name]
        median, p90 = float(cell["median_days"]), float(cell["p90_days"])
        source = ("remittances (its secondary claims, CLP02 = 2: received date DTM*050 to "
                  "payment date)")
        if median <= 0 or p90 <= median:
            payer["lag_days"] = max(median, 0.0)
            rows[key] = (payer["lag_days"], cell["median_low"], cell["median_high"],
                         cell["claims"], source)
            continue
        payer["lag_days"] = {"dist": "lognormal", "median": median, "p90": p90}
        rows[f"{key}.median"] = (median, cell["median_low"], cell["median_high"],
                                 cell["claims"], source)
        rows[f"{key}.p90"] = (p90, np.nan, np.nan, cell["claims"], source)
