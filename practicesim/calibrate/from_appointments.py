"""What a practice's appointments say of its scenario: no-shows and cancellations, demand by
weekday and month, the visit mix and each visit type's provider minutes
(``practicesim.calibrate.calibration`` describes each fit)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from practicesim.calibrate.noshow import NoShowModel, engine_parameters, fit_noshow
from practicesim.calibrate.payers import MIN_PATIENTS, wilson


def fit_appointments(appointments: pd.DataFrame, data: dict, rows: dict,
                     figures: dict) -> NoShowModel | None:
    """No-shows and cancellations, demand and durations (the no-show fit only when the data
    have both kept and missed appointments: an export of visits alone informs demand only),
    written into the scenario's ``data``; each fitted key's (value, low, high, n, source) into
    ``rows``; the observed-vs-fitted figures' data into ``figures``."""
    status = appointments["status"]
    model = None
    if (status == "no_show").any() and (status == "completed").any():
        model = _no_shows(appointments, data, rows, figures)
    late = int((status == "late_cancel").sum())
    not_cancelled = int((status != "cancelled").sum())
    ahead = appointments["lead_days"] >= 2
    cancelled = int((status[ahead] == "cancelled").sum())
    if late or cancelled:
        data["no_shows"]["late_cancel_rate"] = late / max(not_cancelled, 1)
        rows["no_shows.late_cancel_rate"] = (data["no_shows"]["late_cancel_rate"],
                                             *wilson(late, not_cancelled), not_cancelled,
                                             "appointments")
        early = cancelled / max(int(ahead.sum()), 1)
        data["scheduling"]["early_cancel_rate"] = early
        rows["scheduling.early_cancel_rate"] = (early, *wilson(cancelled, int(ahead.sum())),
                                                int(ahead.sum()), "appointments (booked 2+ "
                                                "days ahead: the only ones cancelled early)")
    _demand(appointments, data, rows, figures)
    _durations(appointments, data, rows, figures)
    lead = appointments.groupby("visit_type")["lead_days"]
    figures["lead_times"] = pd.DataFrame({
        "appointments": lead.size(), "p10": lead.quantile(0.1), "median": lead.median(),
        "p90": lead.quantile(0.9), "mean": lead.mean()}).reset_index()
    return model


def _no_shows(appointments: pd.DataFrame, data: dict, rows: dict,
              figures: dict) -> NoShowModel:
    model = fit_noshow(appointments)
    params, table = engine_parameters(appointments)
    n = int(appointments["status"].isin(["completed", "no_show"]).sum())
    for key, row in table.iterrows():
        rows[key] = (float(row["value"]), float(row["low"]), float(row["high"]), n,
                     "appointments")
    # an export lists a patient who left unseen as a no-show (practicesim's own export does),
    # so the fitted rate holds the walk-outs: none are simulated on top of it
    data.setdefault("flow", {})["walk_out_minutes"] = None
    data["no_shows"].update(base_rate=params.base_rate,
                            lead_time_odds_ratio_per_week=params.lead_time_odds_ratio_per_week,
                            reminder_share=params.reminder_share,
                            reminder_odds_ratio=params.reminder_odds_ratio)
    figures["noshow_by_lead"] = model.by_lead_bucket(appointments)
    figures["noshow_calibration"] = model.calibration_curve(appointments)
    return model


def _demand(appointments: pd.DataFrame, data: dict, rows: dict, figures: dict) -> None:
    """Booked appointments per clinic day of the first demand line, by weekday and month (days
    with no appointment at all, holidays and closures, are not clinic days)."""
    booked = appointments.groupby(appointments["appointment_at"].dt.normalize()).size()
    days = pd.date_range(booked.index.min(), booked.index.max(), freq="D")
    clinic = set(data["calendar"]["clinic_days"])
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    open_days = [d for d in days if names[d.weekday()] in clinic and booked.get(d, 0) > 0]
    counts = booked.reindex(open_days, fill_value=0)
    mean = float(counts.mean())
    demand = data["demand"][0]
    demand["requests_per_day"] = mean
    sem = float(counts.std(ddof=1) / math.sqrt(len(counts))) if len(counts) > 1 else np.nan
    rows[f"demand[{demand['service_line']}].requests_per_day"] = (
        mean, mean - 1.96 * sem, mean + 1.96 * sem, len(counts), "appointments")
    weekday = counts.groupby(counts.index.day_of_week).mean() / mean
    demand["weekday_factors"] = {names[d]: round(float(f), 4) for d, f in weekday.items()}
    months = counts.index.month.nunique()
    if months >= 12:
        month = counts.groupby(counts.index.month).mean() / mean
        demand["month_factors"] = {int(m): round(float(f), 4) for m, f in month.items()}
    expected = counts.index.day_of_week.map(weekday).to_numpy() * mean
    excess = float(np.mean((counts.to_numpy() - expected) ** 2 - expected))
    demand["dispersion"] = math.sqrt(excess) / mean if excess > 0 else 0.0
    rows[f"demand[{demand['service_line']}].dispersion"] = (
        demand["dispersion"], np.nan, np.nan, len(counts), "appointments")
    _visit_mix(appointments, data, rows)
    figures["demand_by_weekday"] = pd.DataFrame({"observed": counts.groupby(
        counts.index.day_of_week).mean()}).rename(index=dict(enumerate(names)))


def _visit_mix(appointments: pd.DataFrame, data: dict, rows: dict) -> None:
    """The first line's visit-type shares and new-patient share from the appointments, when
    every appointment's visit type is one of the line's (by name)."""
    line = data["service_lines"][0]
    kinds = {v["name"]: bool(v.get("new_patient")) for v in line["visit_types"]}
    counts = appointments["visit_type"].astype(str).value_counts()
    if counts.empty or not set(counts.index) <= set(kinds):
        return
    n = int(counts.sum())
    new = int(sum(c for name, c in counts.items() if kinds[name]))
    demand = data["demand"][0]
    if 0 < new < n:
        demand["new_patient_share"] = new / n
        rows[f"demand[{demand['service_line']}].new_patient_share"] = (
            new / n, *wilson(new, n), n, "appointments (visit types)")
    for vtype in line["visit_types"]:
        same_kind = sum(c for name, c in counts.items() if kinds[name] == kinds[vtype["name"]])
        count = int(counts.get(vtype["name"], 0))
        if count and same_kind:
            vtype["share"] = count / same_kind
            key = f"service_lines[{line['name']}].visit_types[{vtype['name']}].share"
            rows[key] = (count / same_kind, *wilson(count, same_kind), same_kind,
                         "appointments")


def _durations(appointments: pd.DataFrame, data: dict, rows: dict, figures: dict) -> None:
    """Provider minutes per visit type from start and end times (lognormal, KS test)."""
    if "start_at" not in appointments or "end_at" not in appointments:
        return
    minutes = (appointments["end_at"] - appointments["start_at"]).dt.total_seconds() / 60
    fits = {}
    for line in data["service_lines"]:
        for vtype in line["visit_types"]:
            sample = minutes[(appointments["visit_type"] == vtype["name"])
                             & (minutes > 0)].dropna()
            patients = appointments.loc[sample.index, "patient"].nunique()
            if patients < MIN_PATIENTS or len(sample) < 30:
                continue
            sigma, _, scale = stats.lognorm.fit(sample, floc=0)
            ks = stats.kstest(sample, "lognorm", args=(sigma, 0, scale))
            p90 = float(scale * math.exp(sigma * stats.norm.ppf(0.9)))
            vtype["provider_minutes"] = {"dist": "lognormal", "median": float(scale),
                                         "p90": p90}
            key = f"service_lines[{line['name']}].visit_types[{vtype['name']}].provider_minutes"
            rows[key + ".median"] = (float(scale), np.nan, np.nan, len(sample),
                                     f"appointments (lognormal; Kolmogorov-Smirnov D = "
                                     f"{ks.statistic:.3f}, p = {ks.pvalue:.3g})")
            fits[vtype["name"]] = (sample.quantile([0.1, 0.25, 0.5, 0.75, 0.9]).to_numpy(),
                                   stats.lognorm.ppf([0.1, 0.25, 0.5, 0.75, 0.9], sigma,
                                                     scale=scale))
    figures["durations"] = fits
