"""``calibrate``: a practice's exports in, a scenario of that practice out.

Each source given replaces the base scenario's figures it informs; everything else keeps the
base scenario's values, and ``Calibration.parameters`` says which is which (``source``:
``appointments``, ``transactions``, or ``base scenario``):

- appointments: the no-show model in the simulator's form (base rate, odds ratios per week of
  lead time and for reminders, reminder share), late and early cancellation rates, demand
  (booked appointments per clinic day, weekday and month factors, day-to-day over-dispersion)
  and, where start and end times are present, each visit type's provider minutes (a lognormal
  with a Kolmogorov-Smirnov goodness of fit);
- transactions: the payers found (kind from the mapping's ``payer_kinds`` or guessed from the
  name), their mix, remittance lag and floor, initial denial rate net of the claim errors the
  base scenario's scrubber misses, CARC mix, allowed amounts (as a share of Medicare's, through
  the base fee schedule's charge-to-Medicare ratio), cost sharing; the charge lag.

The scenario starts on the first day of the month after the data end. Calibrated figures are
aggregates: no identifier and no cell of fewer than 11 patients reaches them or any file that
``Calibration.write`` produces.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from practicesim.calibrate.appointments import excluded_rows
from practicesim.calibrate.noshow import NoShowModel, engine_parameters, fit_noshow
from practicesim.calibrate.payers import (
    MIN_PATIENTS,
    PayerFits,
    allowed_by_code,
    fit_payers,
    wilson,
)
from practicesim.calibrate.remittance import Remittances
from practicesim.calibrate.report import calibration_report
from practicesim.files import write_atomically
from practicesim.scenario import Scenario, ScenarioError, get_path, load_scenario

DEFAULT_BASE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
RESULT_FILES = frozenset({"scenario.yaml", "parameters.csv", "excluded.csv", "suppressed.csv",
                          "report.html", "noshow_model.json"})
MODEL_FILE = "noshow_model.json"
_KIND_WORDS = (("advantage", "medicare_advantage"), ("medicare", "medicare"),
               ("medicaid", "medicaid"), ("self", "self_pay"), ("no_insurance", "self_pay"),
               ("uninsured", "self_pay"), ("cash", "self_pay"))


@dataclass
class Calibration:
    """A calibrated scenario, every parameter with its source and interval, what was left out.

    ``parameters``: one row per scenario key path: ``value``, ``low``, ``high`` (95%, where a
    fit gives one), ``n`` (observations), ``source``. ``excluded``: input rows left out as data
    errors (file, row, reason). ``suppressed``: cells of fewer than 11 patients left out."""

    scenario: Scenario
    parameters: pd.DataFrame
    excluded: pd.DataFrame
    suppressed: pd.DataFrame
    noshow: NoShowModel | None = None
    payers: PayerFits | None = None
    figures: dict[str, Any] = field(default_factory=dict, repr=False)
    """Observed-vs-fitted data for the report's plots (aggregates only)."""

    def sample(self, n: int, seed: int = 0) -> list[Scenario]:
        """``n`` scenarios with the fitted parameters drawn from their uncertainty (parameter
        uncertainty beside the simulation's own): each parameter with a 95% interval is drawn
        from a normal on the scale where its interval is symmetric enough (log for positive
        quantities, logit for shares), independently of the others; a lag's p90 keeps its ratio
        to the drawn median. Run one or more replications of each and pool them.

        >>> runs = [simulate(s, seed=1, replication=i)  # doctest: +SKIP
        ...         for i, s in enumerate(calibration.sample(40))]
        """
        rng = np.random.default_rng(seed)
        drawn = self.parameters.dropna(subset=["low", "high"])
        drawn = drawn[(drawn["high"] > drawn["low"]) & ~drawn.index.str.endswith(".p90")]
        scenarios = []
        for _ in range(n):
            updates: dict[str, Any] = {}
            for key, row in drawn.iterrows():
                value = _draw(rng, float(row["value"]), float(row["low"]), float(row["high"]))
                _set_drawn(updates, self.scenario, str(key), value, self.parameters)
            scenarios.append(self.scenario.with_changes(updates))
        return scenarios

    def write(self, folder: str | Path) -> Path:
        """Write ``scenario.yaml``, ``parameters.csv``, ``excluded.csv``, ``suppressed.csv``,
        ``report.html`` and, when no-shows were fitted, ``noshow_model.json`` (the fitted model,
        which the written scenario's ``no_shows.model`` names: the engine uses it as fitted)
        into ``folder``, all or nothing."""
        def fill(staging: Path) -> None:
            header = ("# Calibrated by practicesim calibrate: figures from the practice's data"
                      " where\n# parameters.csv says so, the base scenario's elsewhere.\n")
            data = self.scenario.model_dump(mode="json", by_alias=True)
            if self.noshow is not None:
                (staging / MODEL_FILE).write_text(json.dumps(self.noshow.engine_form(),
                                                             indent=2), encoding="utf-8")
                data["no_shows"]["model"] = MODEL_FILE
            (staging / "scenario.yaml").write_text(
                header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            self.parameters.to_csv(staging / "parameters.csv", index_label="key")
            self.excluded.to_csv(staging / "excluded.csv", index=False)
            self.suppressed.to_csv(staging / "suppressed.csv", index=False)
            (staging / "report.html").write_text(calibration_report(self), encoding="utf-8")

        return write_atomically(Path(folder), fill, RESULT_FILES)


def calibrate(appointments: pd.DataFrame | None = None,
              transactions: pd.DataFrame | None = None,
              remittances: Remittances | pd.DataFrame | None = None,
              base: Scenario | str | Path = DEFAULT_BASE) -> Calibration:
    """Calibrate ``base`` (a scenario or its file) to the sources given: an appointments table
    (``read_appointments``), a ledger (``read_transactions``) and 835 remittances (``read_835``,
    or a ledger made from them; their ledger stands in for payers when no transaction report
    is given, and their service lines give the allowed-to-charge ratio by code).

    >>> calibration = calibrate(appointments=read_appointments(path, mapping))  # doctest: +SKIP
    >>> calibration.write("output/calibrated")  # doctest: +SKIP
    """
    if not isinstance(base, Scenario):
        base = load_scenario(base)
    data: dict[str, Any] = base.model_dump(mode="json", by_alias=True)
    data["changes"] = []
    rows: dict[str, tuple] = {}
    excluded, suppressed = [], []
    figures: dict[str, Any] = {}
    noshow = payers = None
    ends = []
    if appointments is not None:
        noshow = _from_appointments(appointments, data, rows, figures)
        excluded.append(excluded_rows(appointments).assign(
            file=appointments.attrs.get("source", "appointments")))
        ends.append(appointments["appointment_at"].max())
    if remittances is not None and not isinstance(remittances, pd.DataFrame):
        table, small = allowed_by_code(remittances.service_lines, remittances.adjustments,
                                       remittances.claims)
        figures["allowed_by_code"] = table.reset_index()
        suppressed.append(pd.DataFrame(small, columns=["payer", "cell", "patients"]))
        remittances = remittance_ledger(remittances)
    ledger = transactions if transactions is not None else remittances
    if ledger is not None:
        source = "transactions" if transactions is not None else "remittances"
        payers = _from_ledger(ledger, base, data, rows, figures)
        rows.update({key: (*row[:4], row[4].replace("transactions", source))
                     for key, row in rows.items() if row[4].startswith("transactions")})
        suppressed.append(payers.suppressed)
        rows_left_out = pd.DataFrame(ledger.attrs.get("excluded", []),
                                     columns=["row", "reason"])
        if len(rows_left_out):
            excluded.append(rows_left_out.assign(file=ledger.attrs.get("source", "ledger")))
        claims_left_out = pd.DataFrame(ledger.attrs.get("excluded_claims", []))
        if len(claims_left_out):
            excluded.append(pd.DataFrame({"row": claims_left_out["row"],
                                          "reason": claims_left_out["reason"],
                                          "file": claims_left_out["file"]}))
        origin = pd.Timestamp(ledger.attrs.get("origin", "1970-01-01"))
        ends.append(origin + pd.Timedelta(days=int(ledger["day"].max())))
    if ends:
        end = max(ends)
        start = (end + pd.offsets.MonthBegin(1)).date()
        data["calendar"]["start"] = start.isoformat()
        data["calendar"]["holidays"] = [d for d in data["calendar"]["holidays"]
                                        if dt.date.fromisoformat(str(d)) >= start
                                        - dt.timedelta(days=data["calendar"]["warmup_days"])]
        rows["calendar.start"] = (np.nan, np.nan, np.nan, np.nan,
                                  f"data end: the next month's first day, {start.isoformat()}")
    data["name"] = f"{base.name}_calibrated"
    data["description"] = "Calibrated from the practice's data (parameters.csv)."
    parameters = _parameter_table(rows)
    fitted = _sources(parameters, data)
    data["sources"] = {**_still_valid(data.get("sources", {}), data, fitted), **fitted}
    scenario = Scenario.model_validate(data)
    return Calibration(
        scenario=scenario, parameters=parameters,
        excluded=(pd.concat(excluded, ignore_index=True) if excluded
                  else pd.DataFrame(columns=["row", "reason", "file"])),
        suppressed=(pd.concat(suppressed, ignore_index=True) if suppressed
                    else pd.DataFrame(columns=["payer", "cell", "patients"])),
        noshow=noshow, payers=payers, figures=figures)


def remittance_ledger(remittances: Remittances) -> pd.DataFrame:
    """The 835s' ledger with days counted from their earliest date of service."""
    origin = remittances.claims["service_date"].min()
    if pd.isna(origin):
        origin = remittances.claims["payment_date"].min()
    ledger = remittances.ledger(pd.Timestamp(origin).date())
    ledger.attrs["origin"] = pd.Timestamp(origin)
    return ledger


def _from_appointments(appointments: pd.DataFrame, data: dict, rows: dict,
                       figures: dict) -> NoShowModel | None:
    """No-shows and cancellations, demand and durations (the no-show fit only when the data
    have both kept and missed appointments: an export of visits alone informs demand only)."""
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


def _from_ledger(ledger: pd.DataFrame, base: Scenario, data: dict, rows: dict,
                 figures: dict) -> PayerFits:
    kinds = dict(ledger.attrs.get("payer_kinds", {}))
    names = sorted(ledger["payer"].astype(str).unique().tolist())
    kinds = {name: kinds.get(name) or _guess_kind(name) for name in names}
    fits = fit_payers(ledger, {n for n, k in kinds.items() if k == "self_pay"})
    template = {p.kind: p.model_dump(mode="json", by_alias=True) for p in base.payers}
    error_share = base.billing.claim_error_rate * (1 - base.billing.scrubber_catch_rate)
    ratio = _charge_to_medicare(base)
    payers = []
    for name in names:
        whole = fits.suppressed[fits.suppressed["cell"] == "all parameters"]
        if (name, "share") not in fits.table.index or name in set(whole["payer"]):
            continue
        kind = kinds[name]
        payer = copy.deepcopy(template.get(kind) or template.get("commercial") or
                              next(iter(template.values())))
        payer.update(name=name, kind=kind, share=fits.value(name, "share"))
        rows[f"payers[{name}].share"] = _row(fits, name, "share")
        if kind != "self_pay" and (name, "lag_median_days") in fits.table.index:
            _payer_terms(payer, name, fits, error_share, ratio, rows)
        payers.append(payer)
    if payers:
        data["payers"] = payers
        for provider in data["providers"]:
            provider["credentialing"] = {k: v for k, v in provider["credentialing"].items()
                                         if k in {p["name"] for p in payers}}
        data["billing"]["posting_lag_days"] = 0.0
        rows["billing.posting_lag_days"] = (0.0, np.nan, np.nan, np.nan,
                                            "transactions (posting is inside the fitted lag)")
    _charge_lag(fits, data, rows)
    figures["lags"] = fits.lags
    parameters = fits.table.index.get_level_values("parameter")
    if "initial_denial_rate" in set(parameters):
        figures["denials"] = fits.table.xs("initial_denial_rate", level="parameter")
    return fits


def _payer_terms(payer: dict, name: str, fits: PayerFits, error_share: float, ratio: float,
                 rows: dict) -> None:
    lag = fits.lags[name]
    payer["lag_days"] = {"dist": "lognormal", "median": lag.median, "p90": lag.p90}
    payer["floor_days"] = lag.floor
    rows[f"payers[{name}].lag_days.median"] = _row(fits, name, "lag_median_days")
    rows[f"payers[{name}].lag_days.p90"] = _row(fits, name, "lag_p90_days")
    rows[f"payers[{name}].floor_days"] = _row(fits, name, "floor_days")
    observed = fits.value(name, "initial_denial_rate")
    payer["denial"]["rate"] = max(0.0, (observed - error_share) / (1 - error_share))
    value, low, high, n, _ = _row(fits, name, "initial_denial_rate")
    net = [max(0.0, (x - error_share) / (1 - error_share)) for x in (value, low, high)]
    rows[f"payers[{name}].denial.rate"] = (*net, n, "transactions (net of scrubber misses)")
    if fits.reasons.get(name):
        payer["denial"]["reasons"] = _normalised(fits.reasons[name])
    if (name, "allowed_share_of_charge") not in fits.table.index:
        return
    allowed = fits.value(name, "allowed_share_of_charge") * ratio
    payer["allowed_pct_of_medicare"] = allowed
    value, low, high, n, _ = _row(fits, name, "allowed_share_of_charge")
    rows[f"payers[{name}].allowed_pct_of_medicare"] = (
        allowed, low * ratio, high * ratio, n, "transactions (x base charge/Medicare ratio)")
    sharing = payer["cost_sharing"]
    sharing["copay"] = fits.value(name, "copay_dollars")
    sharing["deductible_probability"] = fits.value(name, "deductible_probability")
    sharing["coinsurance"] = min(1.0, max(0.0, fits.value(name, "coinsurance")))
    for key, parameter in (("copay", "copay_dollars"),
                           ("deductible_probability", "deductible_probability"),
                           ("coinsurance", "coinsurance")):
        rows[f"payers[{name}].cost_sharing.{key}"] = _row(fits, name, parameter)


def _charge_lag(fits: PayerFits, data: dict, rows: dict) -> None:
    """Charge entry lag: days from service to charge, as a gamma with the observed mean
    (less half a day: the engine enters charges ``ceil(lag)`` days after the visit) and cv."""
    lag = (fits.claims["charge_day"] - fits.claims["service_day"]).astype(float)
    lag = lag[lag >= 0]
    if fits.claims.loc[lag.index, "patient"].nunique() < MIN_PATIENTS or len(lag) < 2:
        return
    mean = max(float(lag.mean()) - 0.5, 0.0)
    if mean <= 0.05:
        data["billing"]["charge_lag_days"] = 0.0
    else:
        cv = float(lag.std(ddof=1) / lag.mean())
        data["billing"]["charge_lag_days"] = {"dist": "gamma", "mean": mean, "cv": max(cv, 0.01)}
    sem = float(lag.std(ddof=1) / math.sqrt(len(lag)))
    rows["billing.charge_lag_days.mean"] = (mean, mean - 1.96 * sem, mean + 1.96 * sem,
                                            len(lag), "transactions")


def _draw(rng: np.random.Generator, value: float, low: float, high: float) -> float:
    """One draw: on the logit scale for a share in (0, 1), the log scale for a positive
    quantity, else as it is; the standard deviation from the 95% interval."""
    if low > 0 and high < 1 and 0 < value < 1:
        forward, back = (lambda x: math.log(x / (1 - x))), (lambda z: 1 / (1 + math.exp(-z)))
    elif low > 0:
        forward, back = math.log, math.exp
    else:
        return float(np.clip(rng.normal(value, (high - low) / (2 * 1.959964)), 0, None))
    sd = (forward(high) - forward(low)) / (2 * 1.959964)
    return float(back(rng.normal(forward(value), sd)))


def _set_drawn(updates: dict, scenario: Scenario, key: str, value: float,
               parameters: pd.DataFrame) -> None:
    """Put a drawn value at its key path (a lag median as a whole lognormal, its p90 scaled)."""
    if key.endswith(".lag_days.median"):
        base = key.removesuffix(".median")
        ratio = float(parameters.loc[f"{base}.p90", "value"]) / float(
            parameters.loc[key, "value"])
        updates[base] = {"dist": "lognormal", "median": value, "p90": value * ratio}
    elif key == "billing.charge_lag_days.mean":
        lag = scenario.billing.charge_lag_days.model_dump(mode="json", by_alias=True)
        if isinstance(lag, dict) and "mean" in lag:
            updates["billing.charge_lag_days"] = {**lag, "mean": value}
    else:
        updates[key] = min(value, 1.0) if key.endswith(("rate", "probability", "share",
                                                         "coinsurance")) else value


def _row(fits: PayerFits, payer: str, parameter: str) -> tuple:
    r = fits.table.loc[(payer, parameter)]
    return (float(r["value"]), float(r["low"]), float(r["high"]), int(r["n"]), "transactions")


def _normalised(mix: dict[str, float]) -> dict[str, float]:
    total = sum(mix.values())
    shares = {k: round(v / total, 6) for k, v in mix.items()}
    first = next(iter(shares))
    shares[first] = round(1.0 - sum(v for k, v in shares.items() if k != first), 6)
    return shares


def _guess_kind(name: str) -> str:
    lowered = name.lower().replace(" ", "_")
    for word, kind in _KIND_WORDS:
        if word in lowered:
            return kind
    return "commercial"


def _charge_to_medicare(base: Scenario) -> float:
    """Mean charge / Medicare allowed over the base fee schedule (turns an allowed share of
    charges into a share of Medicare's allowed amount)."""
    ratios = [e.charge / e.medicare_allowed for e in base.fee_schedule.values()
              if e.medicare_allowed > 0]
    return float(np.mean(ratios))


def _sources(parameters: pd.DataFrame, data: dict) -> dict[str, str]:
    """The scenario's ``sources`` of the calibrated keys: ``calibrated from data: <how>`` with
    the 95% interval and the number of observations where the fit gives them. A key that names
    no value of the scenario (``billing.charge_lag_days.mean`` where the base's charge lag is
    written with a median) is recorded on the nearest value that holds it, with its name in
    the text; several such keys of one value are joined."""
    out: dict[str, list[str]] = {}
    for key, row in parameters.iterrows():
        path = _nearest_key_path(data, str(key))
        detail = [str(row["source"])] if path == key else [f"{key}: {row['source']}"]
        if pd.notna(row["low"]) and pd.notna(row["high"]):
            detail.append(f"95% interval {row['low']:.4g} to {row['high']:.4g}")
        if pd.notna(row["n"]):
            detail.append(f"n = {int(row['n']):,}")
        out.setdefault(path, []).append("; ".join(detail))
    return {path: "calibrated from data: " + " | ".join(texts) for path, texts in out.items()}


def _still_valid(sources: dict[str, str], data: dict, fitted: dict[str, str]) -> dict[str, str]:
    """The base scenario's ``sources`` that still name a value of the calibrated scenario and
    say nothing of a calibrated value (not on it, above it or inside it)."""

    def overlaps(path: str, key: str) -> bool:
        return path == key or path.startswith((f"{key}.", f"{key}[")) or key.startswith(
            (f"{path}.", f"{path}["))

    out = {}
    for path, text in sources.items():
        if any(overlaps(path, key) for key in fitted):
            continue
        try:
            get_path(data, path)
        except ScenarioError:
            continue
        out[path] = text
    return out


def _nearest_key_path(data: dict, key: str) -> str:
    """``key`` itself, or its longest leading part that names a value of ``data``."""
    parts = key.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        try:
            get_path(data, candidate)
        except ScenarioError:
            continue
        return candidate
    raise ScenarioError(f"calibrated key {key!r} names nothing in the scenario")


def _parameter_table(rows: dict[str, tuple]) -> pd.DataFrame:
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["value", "low", "high", "n", "source"])
    table.index.name = "key"
    return table.sort_index()
