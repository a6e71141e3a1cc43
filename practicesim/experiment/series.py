"""What one run is summarised to: its monthly series (``monthly_series``, with A/R by age at
month end, ``aging_at`` and ``AGING_COLUMNS``) and its daily series (``daily_series``), in
dollars, numbered from the first reported month or day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicesim import ledger as lg
from practicesim import metrics
from practicesim.results import Run

AGING_COLUMNS = {label: f"ar_{label.replace('-', '_').replace('>', 'over_')}"
                 for _, _, label in metrics.AGING_BUCKETS}
"""Monthly series column of each A/R aging bucket: ``ar_0_30`` ... ``ar_over_120``."""


def monthly_series(run: Run) -> pd.DataFrame:
    """Per reported month (numbered from 1), from the run's tables:

    - money (dollars, month totals): ``charges``, ``collections`` (cash in), ``costs``,
      ``net_cash_flow``, and the ledger postings of the revenue waterfall:
      ``contractual_adjustments``, ``denial_writeoffs``, ``bad_debt``, ``payments`` (payer and
      patient payments);
    - at month end (dollars): ``ending_ar``, ``ending_cash``, and A/R by days since the date of
      service, ``ar_0_30`` ... ``ar_over_120`` (``AGING_COLUMNS``; they sum to ``ending_ar``);
    - operations: ``denial_backlog`` (claims, monthly mean), ``provider_utilization`` (minutes
      with a patient / session minutes of sessions in the month), ``mean_lead_time_days``
      (requests made in the month), ``lost_request_rate`` (requests lost / requests);
    - ``cumulative_net_cash`` since the start of reporting (dollars);
    - the accrual view (``practicesim.accrual``; dollars): ``revenue_earned`` (expected net
      revenue of the month's services), ``revenue_deductions`` (write-offs beyond the
      contractual allowance), ``accrued_costs`` (production pay in the month earned),
      ``net_income`` = revenue_earned - revenue_deductions - accrued_costs, and
      ``cumulative_net_income``.
    """
    daily = run.daily
    d = daily[daily["reporting"]]
    month = d["date"].dt.to_period("M")
    grouped = d.groupby(month, sort=True)
    cents = grouped[["charge_cents", "collections_cents", "costs_cents", "net_cash_flow_cents",
                     "contractual_adjustment_cents", "denial_writeoff_cents", "bad_debt_cents",
                     "payer_payment_cents", "patient_payment_cents", "revenue_earned_cents",
                     "revenue_deductions_cents", "accrued_costs_cents",
                     "net_income_cents"]].sum()
    out = pd.DataFrame({
        "charges": cents["charge_cents"] / 100,
        "collections": cents["collections_cents"] / 100,
        "costs": cents["costs_cents"] / 100,
        "net_cash_flow": cents["net_cash_flow_cents"] / 100,
        "contractual_adjustments": cents["contractual_adjustment_cents"] / 100,
        "denial_writeoffs": cents["denial_writeoff_cents"] / 100,
        "bad_debt": cents["bad_debt_cents"] / 100,
        "payments": (cents["payer_payment_cents"] + cents["patient_payment_cents"]) / 100,
        "ending_ar": grouped["ar_cents"].last() / 100,
        "ending_cash": grouped["cash_cents"].last() / 100,
        "denial_backlog": grouped["denial_backlog"].mean(),
    })
    aging = aging_at(run.ledger, grouped["day"].last().to_numpy())
    for label, column in AGING_COLUMNS.items():
        out[column] = aging[label].to_numpy() / 100
    month_of = pd.Series(month.to_numpy(), index=d["day"].to_numpy())
    sessions = run.sessions[run.sessions["day"].isin(month_of.index)]
    session_month = month_of.reindex(sessions["day"]).to_numpy()
    span = sessions["end_minutes"] - sessions["start_minutes"]
    out["provider_utilization"] = (sessions["busy_minutes"].groupby(session_month).sum()
                                   / span.groupby(session_month).sum())
    booked = run.appointments[run.appointments["request_day"].isin(month_of.index)]
    out["mean_lead_time_days"] = booked["lead_days"].groupby(
        month_of.reindex(booked["request_day"]).to_numpy()).mean()
    out["lost_request_rate"] = grouped["requests_lost"].sum() / grouped["requests"].sum()
    out["cumulative_net_cash"] = out["net_cash_flow"].cumsum()
    for column in ("revenue_earned", "revenue_deductions", "accrued_costs", "net_income"):
        out[column] = cents[f"{column}_cents"] / 100
    out["cumulative_net_income"] = out["net_income"].cumsum()
    out.index = pd.RangeIndex(1, len(out) + 1, name="month")
    return out


def aging_at(ledger: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    """A/R in cents by days since the date of service (``metrics.AGING_BUCKETS``) at the end
    of each of ``days`` (simulation days): one row per day, one column per bucket label; a
    row sums to the A/R of that day.

    Every posting of a claim carries the claim's date of service, so the bucket sums are the
    sums of the signed postings up to the day, grouped by the bucket of (day - service day):
    one vectorised pass per day, no per-claim table."""
    posted = ledger["day"].to_numpy()
    service = ledger["service_day"].to_numpy()
    signed = lg.signed_cents(ledger)
    labels = [label for _, _, label in metrics.AGING_BUCKETS]
    edges = np.array([high for _, high, _ in metrics.AGING_BUCKETS[:-1]])
    rows = []
    for day in days:
        mask = posted <= day
        bucket = np.searchsorted(edges, day - service[mask], side="left")
        rows.append(np.bincount(bucket, weights=signed[mask], minlength=len(labels)))
    table = np.rint(np.array(rows, dtype=float).reshape(len(days), len(labels)))
    return pd.DataFrame(table.astype(np.int64), index=pd.Index(days, name="day"),
                        columns=labels)


def daily_series(daily: pd.DataFrame) -> pd.DataFrame:
    """Per reported day (numbered from 1): charges, collections, costs, revenue-cycle costs,
    vendor fees, net cash flow (dollars), A/R and cash at the day's end (dollars), denial and
    coding backlogs (claims), visits completed, and cumulative net cash since the start of
    reporting (dollars)."""
    d = daily[daily["reporting"]]
    out = pd.DataFrame({
        "charges": d["charge_cents"].to_numpy() / 100,
        "collections": d["collections_cents"].to_numpy() / 100,
        "costs": d["costs_cents"].to_numpy() / 100,
        "revenue_cycle_costs": d["revenue_cycle_costs_cents"].to_numpy() / 100,
        "vendor_fees": d["vendor_fees_cents"].to_numpy() / 100,
        "net_cash_flow": d["net_cash_flow_cents"].to_numpy() / 100,
        "ar": d["ar_cents"].to_numpy() / 100,
        "cash": d["cash_cents"].to_numpy() / 100,
        "denial_backlog": d["denial_backlog"].to_numpy(dtype=float),
        "coding_backlog": d["coding_backlog"].to_numpy(dtype=float),
        "visits_completed": d["visits_completed"].to_numpy(dtype=float),
    }, index=pd.RangeIndex(1, len(d) + 1, name="day"))
    out["cumulative_net_cash"] = out["net_cash_flow"].cumsum()
    return out
