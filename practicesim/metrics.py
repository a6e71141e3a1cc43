"""Revenue-cycle and operations KPIs, computed from the ledger and the run's tables.

Every function takes plain DataFrames in the schemas of ``practicesim.ledger`` (ledger) and
``practicesim.results.Run`` (claims, appointments, visits, sessions, daily), so the same code
runs on a simulated run and on a practice's imported history. Periods are half-open ranges of
days ``[start, end)``. Money comes back in dollars, rates as fractions, durations in days or
minutes as named. Definitions follow HFMA MAP Keys wording where one exists
(``../shared/domain/revenue-cycle.md`` in the project's design notes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from practicesim import ledger as lg

AGING_BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, 120, "91-120"),
                 (121, 10**9, ">120"))
MATURITY_DAYS = 90
"""Claims younger than this at the end of a period are left out of collection rates."""


def _period(df: pd.DataFrame, column: str, start: int, end: int) -> pd.DataFrame:
    return df[(df[column] >= start) & (df[column] < end)]


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _cents_by_kind(ledger: pd.DataFrame) -> pd.Series:
    sums = ledger.groupby("kind", observed=False)["amount_cents"].sum()
    return sums.reindex(list(lg.KINDS), fill_value=0)


def ending_ar(ledger: pd.DataFrame, as_of_day: int) -> float:
    """A/R in dollars: the sum of open balances after ``as_of_day``."""
    return float(lg.open_balances(ledger, as_of_day).sum()) / 100


def days_in_ar(ledger: pd.DataFrame, as_of_day: int, window_days: int = 90) -> float:
    """Days in A/R = ending A/R / average daily gross charges over the trailing
    ``window_days`` (calendar days ``(as_of_day - window_days, as_of_day]``, fewer when the
    ledger starts later: from its first day)."""
    first_day = int(ledger["day"].min()) if len(ledger) else as_of_day
    window = max(1, min(window_days, as_of_day - first_day + 1))
    charges = ledger[(ledger["kind"] == lg.CHARGE) & (ledger["day"] > as_of_day - window)
                     & (ledger["day"] <= as_of_day)]["amount_cents"].sum() / 100
    return _ratio(ending_ar(ledger, as_of_day), charges / window)


def ar_aging(ledger: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """Open balances in dollars by who owes them (each payer, or ``patient``) and by days since
    the date of service: 0-30, 31-60, 61-90, 91-120, >120.

    A claim's patient part is what was transferred to patient responsibility less patient
    payments and bad debt; the rest of its open balance is its payer's: the secondary's once
    the primary has transferred the claim to it (``transfer_to_secondary``), else the
    primary's (the payer it was last sent to: another insurer once an eligibility denial has
    found the patient's right payer).
    """
    rows = ledger[ledger["day"] <= as_of_day]
    totals = rows.pivot_table(index="claim", columns="kind", values="amount_cents",
                              aggfunc="sum", fill_value=0, observed=False)
    totals = totals.reindex(columns=list(lg.KINDS), fill_value=0)
    balance = totals[list(lg.DEBITS)].sum(axis=1) - totals[list(lg.REDUCING)].sum(axis=1)
    patient = (totals[lg.TRANSFER] - totals[lg.PATIENT_PAYMENT] - totals[lg.BAD_DEBT]).clip(
        lower=0).clip(upper=balance)
    first = rows.drop_duplicates("claim").set_index("claim")
    age = as_of_day - first["service_day"].reindex(balance.index)
    holder = rows[rows["kind"].isin([lg.CHARGE, lg.OPENING, lg.SUBMISSION,
                                     lg.TRANSFER_SECONDARY])]
    payer = _last_payer(holder).reindex(balance.index).fillna(
        first["payer"].astype(str).reindex(balance.index))
    parts = pd.concat([
        pd.DataFrame({"owed_by": payer, "age": age, "cents": balance - patient}),
        pd.DataFrame({"owed_by": "patient", "age": age, "cents": patient}),
    ])
    parts = parts[parts["cents"] > 0]
    labels = [label for _, _, label in AGING_BUCKETS]
    edges = [-1] + [high for _, high, _ in AGING_BUCKETS]
    parts["bucket"] = pd.cut(parts["age"], edges, labels=labels)
    table = parts.pivot_table(index="owed_by", columns="bucket", values="cents", aggfunc="sum",
                              fill_value=0, observed=False).reindex(columns=labels, fill_value=0)
    return table / 100


def _last_payer(rows: pd.DataFrame) -> pd.Series:
    """Per claim, the payer of its last row among ``rows`` (text)."""
    return rows.drop_duplicates("claim", keep="last").set_index("claim")["payer"].astype(str)


def primary_payers(ledger: pd.DataFrame) -> pd.Series:
    """Per claim, its primary payer: the payer of its ``charge`` (or ``opening_balance``), or
    of its last submission (a claim billed to the patient's right payer after an eligibility
    denial)."""
    return _last_payer(ledger[ledger["kind"].isin([lg.CHARGE, lg.OPENING, lg.SUBMISSION])])


def secondary_collections(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Secondary collections (dollars) = payments posted in the period by a payer other than
    the claim's primary (``primary_payers``)."""
    paid = _period(ledger[ledger["kind"] == lg.PAYER_PAYMENT], "day", start, end)
    other = (paid["payer"].astype(str).to_numpy()
             != paid["claim"].map(primary_payers(ledger)).to_numpy())
    return float(paid.loc[other, "amount_cents"].sum()) / 100


def charity_care(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Charity care (dollars) = financial-assistance adjustments (``contractual_adjustment``
    rows with reason ``charity``) posted in the period."""
    rows = _period(ledger[ledger["kind"] == lg.CONTRACTUAL], "day", start, end)
    charity = rows["carc_reason"].astype(str) == lg.CHARITY
    return float(rows.loc[charity, "amount_cents"].sum()) / 100


def refunds(daily: pd.DataFrame, start: int, end: int) -> float:
    """Refunds (dollars) = desk deposits paid back to patients in the period (a deposit above
    the patient responsibility of its claim, or on a claim written off)."""
    return float(_period(daily, "day", start, end)["refunds_cents"].sum()) / 100


def ar_over_90_pct(aging: pd.DataFrame, owed_by: str = "all") -> float:
    """A/R over 90 days = open balances more than 90 days past the date of service / all open
    balances, from an ``ar_aging`` table (buckets 91-120 and >120). ``owed_by``: ``"all"``,
    ``"insurance"`` (every payer's row) or ``"patient"`` (the patient's row)."""
    if owed_by == "insurance":
        aging = aging[aging.index != "patient"]
    elif owed_by == "patient":
        aging = aging[aging.index == "patient"]
    old = aging[[label for low, _, label in AGING_BUCKETS if low > 90]].to_numpy().sum()
    return _ratio(old, aging.to_numpy().sum())


def denied_dollars_recovered_pct(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Denied dollars recovered = denied charges (``first_adjudications``: a claim's, or a
    line's) that a payer later paid / all denied charges, of claims denied on their first
    adjudication in ``[start, end - 90)`` (90 days to be reworked, appealed and paid). A denied
    claim counts as paid by any later payer payment; a denied line by a later payment of the
    payer that denied it (not an underpayment's)."""
    first = _period(first_adjudications(ledger), "day", start, max(start, end - MATURITY_DAYS))
    denied = first[first["denied"]]
    payments = ledger[ledger["kind"] == lg.PAYER_PAYMENT]
    recovered = denied["claim"].isin(payments["claim"].unique()).to_numpy().copy()
    lines = denied[denied["line"]]
    later = payments[payments["claim"].isin(lines["claim"])
                     & (payments["carc_reason"].astype(str) != lg.UNDERPAYMENT)]
    later = later.merge(lines[["claim", "day", "payer"]], on="claim", suffixes=("", "_denied"))
    later = later[(later["day"] > later["day_denied"])
                  & (later["payer"].astype(str) == later["payer_denied"])]
    line_rows = denied["line"].to_numpy()
    recovered[line_rows] = lines["claim"].isin(later["claim"]).to_numpy()
    return _ratio(denied.loc[recovered, "denied_cents"].sum(), denied["denied_cents"].sum())


def bad_debt_pct(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Bad debt % = bad debt posted in the period / net patient service revenue (charges -
    contractual adjustments posted in the period), as ``denial_writeoff_pct``."""
    c = _cents_by_kind(_period(ledger, "day", start, end))
    return _ratio(c[lg.BAD_DEBT], c[lg.CHARGE] - c[lg.CONTRACTUAL])


def patient_collection_rate(ledger: pd.DataFrame, start: int, end: int,
                            payers: set[str] | None = None) -> float:
    """Patient collection rate = patient payments / patient responsibility (every
    ``transfer_to_patient``: PR from payers, desk copays, self-pay balances), over claims with
    a date of service in ``[start, end - 90)`` (matured); ``payers``: only claims of these
    primary payers (the self-pay collection rate takes the self-pay payers)."""
    cohort = _period(ledger, "service_day", start, max(start, end - MATURITY_DAYS))
    if payers is not None:
        primary = primary_payers(cohort)
        cohort = cohort[cohort["claim"].isin(primary.index[primary.isin(payers)])]
    c = _cents_by_kind(cohort)
    return _ratio(c[lg.PATIENT_PAYMENT], c[lg.TRANSFER])


def first_adjudications(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per claim, its first adjudication: day, whether it was a denial (of the claim, or of a
    line of a claim otherwise paid: ``line_denial``), the claim's charge and the denied
    charge (cents: the claim's, or the line's). An adjudication is a denial, a payer payment,
    a contractual adjustment or a transfer to the patient or to a secondary payer posted after
    a submission."""
    decided = ledger[ledger["kind"].isin([lg.DENIAL, lg.LINE_DENIAL, lg.PAYER_PAYMENT,
                                          lg.CONTRACTUAL, lg.TRANSFER, lg.TRANSFER_SECONDARY])
                     & ledger["claim"].isin(
        ledger.loc[ledger["kind"] == lg.SUBMISSION, "claim"])]
    first = decided.drop_duplicates("claim")
    charges = ledger[ledger["kind"] == lg.CHARGE].groupby("claim")["amount_cents"].sum()
    charge = charges.reindex(first["claim"]).to_numpy()
    kind = first["kind"].to_numpy()
    return pd.DataFrame({
        "claim": first["claim"].to_numpy(),
        "day": first["day"].to_numpy(),
        "payer": first["payer"].astype(str).to_numpy(),
        "denied": (kind == lg.DENIAL) | (kind == lg.LINE_DENIAL),
        "line": kind == lg.LINE_DENIAL,
        "charge_cents": charge,
        "denied_cents": np.where(kind == lg.LINE_DENIAL, first["amount_cents"].to_numpy(),
                                 np.where(kind == lg.DENIAL, charge, 0)),
    })


def initial_denial_rate(ledger: pd.DataFrame, start: int, end: int,
                        dollars: bool = False) -> float:
    """Initial denial rate = claims denied in whole or in part (a line) on first adjudication
    / claims adjudicated, for first adjudications in ``[start, end)``; with ``dollars``,
    denied charges (the claim's, or the denied line's) / charges adjudicated."""
    first = _period(first_adjudications(ledger), "day", start, end)
    if dollars:
        return _ratio(first["denied_cents"].sum(), first["charge_cents"].sum())
    return _ratio(first["denied"].sum(), len(first))


def _matured_cohort(ledger: pd.DataFrame, start: int, end: int) -> pd.Series:
    """Cents by kind for claims with a date of service in ``[start, end - MATURITY_DAYS)``."""
    cohort = _period(ledger, "service_day", start, max(start, end - MATURITY_DAYS))
    return _cents_by_kind(cohort)


def net_collection_rate(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Net collection rate = payments / (charges - contractual adjustments), over claims with a
    date of service in ``[start, end - 90)`` (matured), with all their postings."""
    c = _matured_cohort(ledger, start, end)
    return _ratio(c[lg.PAYER_PAYMENT] + c[lg.PATIENT_PAYMENT], c[lg.CHARGE] - c[lg.CONTRACTUAL])


def gross_collection_rate(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Gross collection rate = payments / gross charges, over the same matured claims."""
    c = _matured_cohort(ledger, start, end)
    return _ratio(c[lg.PAYER_PAYMENT] + c[lg.PATIENT_PAYMENT], c[lg.CHARGE])


def denial_writeoff_pct(ledger: pd.DataFrame, start: int, end: int) -> float:
    """Denial write-off % = denial write-offs posted in the period / net patient service
    revenue (charges - contractual adjustments posted in the period)."""
    c = _cents_by_kind(_period(ledger, "day", start, end))
    return _ratio(c[lg.DENIAL_WRITEOFF], c[lg.CHARGE] - c[lg.CONTRACTUAL])


def clean_claim_rate(claims: pd.DataFrame, start: int, end: int) -> float:
    """Clean claim rate = claims that passed every scrubber edit and were accepted on first
    submission (no rejection, no manual touch) / claims first submitted (attempted) in the
    period, whether or not they were accepted."""
    sent = _period(claims[claims["first_attempt_day"] >= 0], "first_attempt_day", start, end)
    return _ratio(sent["clean"].sum(), len(sent))


def _adjudicated(claims: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """The claims first adjudicated in ``[start, end)``."""
    return _period(claims[claims["first_adjudication_day"] >= 0], "first_adjudication_day",
                   start, end)


def underpayment_rate(claims: pd.DataFrame, start: int, end: int) -> float:
    """Underpayment rate = cents primaries withheld below their contracts / cents they owed
    under them (``underpaid_cents`` / ``contracted_payment_cents``), over claims first
    adjudicated in the period."""
    done = _adjudicated(claims, start, end)
    return _ratio(done["underpaid_cents"].sum(), done["contracted_payment_cents"].sum())


def underpayment_recovered(claims: pd.DataFrame, start: int, end: int) -> float:
    """Underpayments recovered = cents of underpayments the payers paid after the practice's
    appeal / cents underpaid, over claims first adjudicated in ``[start, end - 90)`` (90 days
    to be found, appealed and decided)."""
    done = _adjudicated(claims, start, max(start, end - MATURITY_DAYS))
    return _ratio(done["underpayment_recovered_cents"].sum(), done["underpaid_cents"].sum())


def first_pass_resolution_rate(claims: pd.DataFrame, start: int, end: int) -> float:
    """First-pass resolution rate = claims paid (or adjudicated to the patient) on their first
    submission, neither rejected nor denied (in whole or a line) / claims first adjudicated in
    the period."""
    done = _adjudicated(claims, start, end)
    done = done[done["submissions"] > 0]
    passed = ((done["initial_denial_reason"] == "") & (done["line_denial_reason"] == "")
              & ~done["rejected"])
    return _ratio(passed.sum(), len(done))


def cost_to_collect(daily: pd.DataFrame, start: int, end: int) -> float:
    """Cost to collect = revenue-cycle costs (coders, billers, RCM software, clearinghouse,
    statements, agency and vendor fees) / cash collected, over the period."""
    d = _period(daily, "day", start, end)
    return _ratio(d["revenue_cycle_costs_cents"].sum(), d["collections_cents"].sum())


_DUE = ("completed", "left_unseen", "no_show", "late_cancel")
"""Statuses of appointments due and not cancelled with notice."""


def no_show_rate(appointments: pd.DataFrame, start: int, end: int) -> float:
    """No-show rate = no-shows / appointments due in the period and not cancelled with notice
    (kept, left unseen, no-shows, late cancellations). Late cancellations:
    ``late_cancel_rate``."""
    due = _period(appointments, "day", start, end)
    due = due[due["status"].isin(_DUE)]
    return _ratio((due["status"] == "no_show").sum(), len(due))


def late_cancel_rate(appointments: pd.DataFrame, start: int, end: int) -> float:
    """Late cancellations / appointments due and not cancelled with notice."""
    due = _period(appointments, "day", start, end)
    due = due[due["status"].isin(_DUE)]
    return _ratio((due["status"] == "late_cancel").sum(), len(due))


def provider_utilization(sessions: pd.DataFrame, start: int, end: int) -> float:
    """Provider utilization = minutes with a patient inside sessions / session minutes."""
    s = _period(sessions, "day", start, end)
    return _ratio(s["busy_minutes"].sum(), (s["end_minutes"] - s["start_minutes"]).sum())


def work_rvus(lines: pd.DataFrame, claims: pd.DataFrame, work: dict[str, float], start: int,
              end: int) -> float:
    """Work RVUs billed for services in ``[start, end)``: each claim line's code's work RVU
    (``work``: code -> work RVU; a code without one counts 0) times its units."""
    served = claims.loc[(claims["service_day"] >= start) & (claims["service_day"] < end),
                        "claim"]
    billed = lines[lines["claim"].isin(served)]
    per_unit = billed["code"].astype(str).map(work).fillna(0.0).to_numpy(dtype=float)
    return float((per_unit * billed["units"].to_numpy()).sum())


def continuity_upc(visits: pd.DataFrame) -> float:
    """Usual provider of care index over patients with two or more visits: the sum over them
    of their visits with the provider they saw most, divided by all their visits."""
    counts = visits.groupby(["patient", "provider"], observed=True).size()
    per_patient = counts.groupby(level="patient")
    total = per_patient.sum()
    repeat = total >= 2
    return _ratio(float(per_patient.max()[repeat].sum()), float(total[repeat].sum()))


def provider_days(sessions: pd.DataFrame, start: int, end: int) -> int:
    """Provider-days in ``[start, end)``: days a provider had a session."""
    s = _period(sessions, "day", start, end)
    return len(s[["day", "provider"]].drop_duplicates())


def provider_ftes(sessions: pd.DataFrame, start: int, end: int) -> float:
    """Provider FTEs = provider-days / days with any session (a provider working every clinic
    day is one FTE)."""
    s = _period(sessions, "day", start, end)
    return _ratio(provider_days(sessions, start, end), s["day"].nunique())


def kpis(run: object) -> pd.Series:
    """All KPIs of a ``Run`` over its reporting period (after the warm-up).

    Rates are fractions, days are days, money is dollars, waits are minutes.
    """
    cal = run.calendar
    start, end = cal.warmup, cal.n_days
    ledger, daily = run.ledger, run.daily
    period = _period(daily, "day", start, end)
    booked = _period(run.appointments, "request_day", start, end)
    visits = _period(run.visits, "day", start, end)
    sessions = _period(run.sessions, "day", start, end)
    last = end - 1
    self_pay = {p.name for p in run.scenario.payers if p.kind == "self_pay"}
    aging = ar_aging(ledger, last)
    work = {code: fee.rvu.work for code, fee in run.scenario.fee_schedule.items()
            if fee.rvu is not None}
    wrvus = work_rvus(run.lines, run.claims, work, start, end)
    n_provider_days = provider_days(run.sessions, start, end)
    unseen = float(period["patients_left_unseen"].sum())
    values = {
        "days_in_ar": days_in_ar(ledger, last),
        "clean_claim_rate": clean_claim_rate(run.claims, start, end),
        "initial_denial_rate": initial_denial_rate(ledger, start, end),
        "initial_denial_rate_dollars": initial_denial_rate(ledger, start, end, dollars=True),
        "first_pass_resolution_rate": first_pass_resolution_rate(run.claims, start, end),
        "net_collection_rate": net_collection_rate(ledger, start, end),
        "gross_collection_rate": gross_collection_rate(ledger, start, end),
        "denial_writeoff_pct": denial_writeoff_pct(ledger, start, end),
        "cost_to_collect": cost_to_collect(daily, start, end),
        "no_show_rate": no_show_rate(run.appointments, start, end),
        "late_cancel_rate": late_cancel_rate(run.appointments, start, end),
        "provider_utilization": provider_utilization(run.sessions, start, end),
        "mean_provider_overtime_minutes": float(sessions["overtime_minutes"].mean()),
        "mean_lead_time_days": float(booked["lead_days"].mean()),
        "lost_request_rate": _ratio(period["requests_lost"].sum(), period["requests"].sum()),
        "mean_patient_wait_minutes": float(visits["total_wait_minutes"].mean()),
        "visits_completed": float(len(visits)),
        "left_unseen_rate": _ratio(unseen, unseen + len(visits)),
        "telehealth_share": _ratio(float(visits["telehealth"].sum()), len(visits)),
        "call_abandonment_rate": _ratio(period["calls_abandoned"].sum(), period["calls"].sum()),
        "mean_call_hold_minutes": _ratio(period["call_hold_minutes"].sum(),
                                         period["calls"].sum()),
        "continuity_upc": continuity_upc(visits),
        "visits_per_provider_day": _ratio(len(visits), n_provider_days),
        "wrvus_per_provider_day": _ratio(wrvus, n_provider_days),
        "wrvus_per_provider_fte": _ratio(wrvus * 365 / (end - start),
                                         provider_ftes(run.sessions, start, end)),
        "compensation_per_wrvu": _ratio(period["provider_compensation_cents"].sum() / 100,
                                        wrvus),
        "staff_overtime": period["staff_overtime_cents"].sum() / 100,
        "provider_workday_hours": _ratio(
            (sessions["end_minutes"] - sessions["start_minutes"] + sessions["overtime_minutes"]
             + sessions["after_hours_minutes"]).sum() / 60, n_provider_days),
        "after_hours_documentation_minutes": _ratio(sessions["after_hours_minutes"].sum(),
                                                    n_provider_days),
        "charges": period["charge_cents"].sum() / 100,
        "ar_over_90_pct": ar_over_90_pct(aging),
        "insurance_ar_over_90_pct": ar_over_90_pct(aging, "insurance"),
        "patient_ar_over_90_pct": ar_over_90_pct(aging, "patient"),
        "denied_dollars_recovered_pct": denied_dollars_recovered_pct(ledger, start, end),
        "bad_debt_pct": bad_debt_pct(ledger, start, end),
        "patient_collection_rate": patient_collection_rate(ledger, start, end),
        "self_pay_collection_rate": patient_collection_rate(ledger, start, end, self_pay),
        "collections": period["collections_cents"].sum() / 100,
        "secondary_collections": secondary_collections(ledger, start, end),
        "underpayment_rate": underpayment_rate(run.claims, start, end),
        "underpayment_recovered": underpayment_recovered(run.claims, start, end),
        "refunds": refunds(daily, start, end),
        "charity_care": charity_care(ledger, start, end),
        "costs": period["costs_cents"].sum() / 100,
        "net_cash_flow": period["net_cash_flow_cents"].sum() / 100,
        "revenue_earned": period["revenue_earned_cents"].sum() / 100,
        "net_income": period["net_income_cents"].sum() / 100,
        "ending_ar": float(daily["ar_cents"].iloc[last]) / 100,
        "ending_cash": float(daily["cash_cents"].iloc[last]) / 100,
        "ending_credit_balance": float(daily["credit_balance_cents"].iloc[last]) / 100,
        "ending_denial_backlog": float(daily["denial_backlog"].iloc[last]),
    }
    return pd.Series(values, name="value", dtype=np.float64)
