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

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from practicesim.calibrate.appointments import excluded_rows
from practicesim.calibrate.contract_variance import (
    fit_underpayments,
    read_contracts,
    underpayments_into,
)
from practicesim.calibrate.from_appointments import fit_appointments
from practicesim.calibrate.from_ledger import fit_ledger, secondaries_from_remittances
from practicesim.calibrate.noshow import NoShowModel
from practicesim.calibrate.payers import (
    PayerFits,
    allowed_by_code,
)
from practicesim.calibrate.remittance import Remittances
from practicesim.calibrate.report import calibration_report
from practicesim.calibrate.secondaries import fit_secondaries
from practicesim.calibrate.status_lags import STATUS_CLASSES, lags_by_status, secondary_lags
from practicesim.files import write_atomically
from practicesim.scenario import Scenario, ScenarioError, get_path, load_scenario

DEFAULT_BASE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
RESULT_FILES = frozenset({"scenario.yaml", "parameters.csv", "excluded.csv", "suppressed.csv",
                          "report.html", "noshow_model.json"})
MODEL_FILE = "noshow_model.json"


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
            _cap_secondaries(updates, self.scenario)
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
              base: Scenario | str | Path = DEFAULT_BASE,
              contracts: pd.DataFrame | str | Path | None = None) -> Calibration:
    """Calibrate ``base`` (a scenario or its file) to the sources given: an appointments table
    (``read_appointments``), a ledger (``read_transactions``) and 835 remittances (``read_835``,
    or a ledger made from them; their ledger stands in for payers when no transaction report
    is given, their service lines give the allowed-to-charge ratio by code, and their secondary
    CLPs each payer's secondary coverage: ``calibrate.secondaries``, and the lag of a payer
    seen only as a secondary: ``calibrate.status_lags``); with the practice's ``contracts``
    (``read_contracts``, or its CSV), the 835s' service lines against them give each payer's
    underpayments and its contract rates (``calibrate.contract_variance``).

    >>> calibration = calibrate(appointments=read_appointments(path, mapping))  # doctest: +SKIP
    >>> calibration.write("output/calibrated")  # doctest: +SKIP
    """
    if not isinstance(base, Scenario):
        base = load_scenario(base)
    if contracts is not None and not isinstance(remittances, Remittances):
        raise ValueError("a contract table is read against 835 service lines: give the "
                         "remittances (read_835) with it")
    if contracts is not None and not isinstance(contracts, pd.DataFrame):
        contracts = read_contracts(contracts)
    underpayments = None
    data: dict[str, Any] = base.model_dump(mode="json", by_alias=True)
    data["changes"] = []
    rows: dict[str, tuple] = {}
    excluded, suppressed = [], []
    figures: dict[str, Any] = {}
    noshow = payers = secondaries = status_lags = None
    primaries: set[str] = set()
    ends = []
    if appointments is not None:
        noshow = fit_appointments(appointments, data, rows, figures)
        excluded.append(excluded_rows(appointments).assign(
            file=appointments.attrs.get("source", "appointments")))
        ends.append(appointments["appointment_at"].max())
    if remittances is not None and not isinstance(remittances, pd.DataFrame):
        table, small = allowed_by_code(remittances.service_lines, remittances.adjustments,
                                       remittances.claims)
        figures["allowed_by_code"] = table.reset_index()
        suppressed.append(pd.DataFrame(small, columns=["payer", "cell", "patients"]))
        secondaries = fit_secondaries(remittances.claims, remittances.adjustments)
        figures["secondaries"] = secondaries.table.reset_index()
        suppressed.append(pd.DataFrame(secondaries.suppressed,
                                       columns=["payer", "cell", "patients"]))
        if contracts is not None:
            underpayments = fit_underpayments(remittances.service_lines,
                                              remittances.adjustments, remittances.claims,
                                              contracts)
            figures["underpayments"] = underpayments.table.reset_index()
            suppressed.append(pd.DataFrame(underpayments.suppressed,
                                           columns=["payer", "cell", "patients"]))
        status_lags, small = lags_by_status(remittances.claims)
        primaries = set(remittances.claims.loc[remittances.claims["status"].map(
            STATUS_CLASSES).isin(["primary", "denied"]), "payer_name"])
        figures["lags_by_status"] = status_lags
        suppressed.append(pd.DataFrame(small, columns=["payer", "cell", "patients"]))
        remittances = ledger_of_remittances(remittances)
    ledger = transactions if transactions is not None else remittances
    if ledger is not None:
        source = "transactions" if transactions is not None else "remittances"
        payers = fit_ledger(ledger, base, data, rows, figures)
        if secondaries is not None and "payers" in data:
            secondaries_from_remittances(data, secondaries, base, rows)
        if status_lags is not None and "payers" in data:
            secondary_lags(data, status_lags, rows, primaries)
        if underpayments is not None and "payers" in data:
            underpayments_into(data, underpayments, contracts, rows)
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


AFTER_PRIMARY = frozenset({"2", "3", "20", "21"})
"""CLP02 of a payer deciding after the primary (as secondary or tertiary, or forwarding as
such): its CLP repeats the primary's claim and charge, so fits of the practice's payers leave
it out (``calibrate.secondaries`` links it to the primary's claim)."""


def ledger_of_remittances(remittances: Remittances) -> pd.DataFrame:
    """The 835s' ledger with days counted from their earliest date of service, without the
    claims a payer processed after the primary (``AFTER_PRIMARY``)."""
    origin = remittances.claims["service_date"].min()
    if pd.isna(origin):
        origin = remittances.claims["payment_date"].min()
    ledger = remittances.ledger(pd.Timestamp(origin).date())
    claims = remittances.claims
    after = claims.loc[claims["status"].isin(AFTER_PRIMARY), "claim_row"]
    ledger = ledger[~ledger["claim"].isin(after)].reset_index(drop=True)
    ledger.attrs["origin"] = pd.Timestamp(origin)
    return ledger


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


def _cap_secondaries(updates: dict, scenario: Scenario) -> None:
    """Drawn apart, a primary's secondary shares may sum above 1: scale them down to 1."""
    for payer in scenario.payers:
        keys = {other: f"payers[{payer.name}].secondary[{other}]" for other in payer.secondary}
        shares = {other: updates.get(key, payer.secondary[other]) for other, key in keys.items()}
        total = sum(shares.values())
        if total > 1 and any(key in updates for key in keys.values()):
            for other, key in keys.items():
                updates[key] = shares[other] / total


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
