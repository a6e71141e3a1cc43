"""A practice's no-shows as a logistic model fitted to its appointments (statsmodels).

``logit P(no-show) = b0 + lead-time terms + b_r reminded + b_h prior no-show share + b_n has
history + weekday + visit type + age band``, each term present when the data vary in it:

- lead time, in days from booking to the appointment, enters as its bucket (same day, 1-7,
  8-30, over 30 days): no-shows rise steeply from same-day bookings and flatten beyond a month
  (Vitória: 5%, 25%, 34%, 34%). A smooth term (``log(1 + lead_days)``) on top of the buckets
  fitted the earlier weeks of the Vitória data better but predicted the later weeks worse
  (docs/validation.md);
- the patient's prior history: of the patient's appointments on earlier days (in the data the
  model was fitted on and those it is asked about), the share missed (0 with no history) and
  whether there is any history;
- the appointment's weekday, visit type and age band (0-17, 18-39, 40-64, 65+) as categories.

Each category's first level present in the data is the reference (e.g. same-day bookings, or
1-7 days where the practice books nothing the same day).

Only appointments that came to an end are fitted: kept or missed (``completed``, ``no_show``);
cancellations are not no-shows. ``engine_parameters`` condenses the fit into the simulator's
own no-show form (``scenario.NoShows``: a base rate, an odds ratio per week of lead time and one
for reminders) by refitting that form to the same data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

from practicesim.files import atomic_path
from practicesim.scenario import NoShows

LEAD_BUCKETS = (-1, 0, 7, 30, np.inf)
LEAD_LABELS = ("same day", "1-7 days", "8-30 days", "over 30 days")
AGE_BINS = (-np.inf, 17, 39, 64, np.inf)
AGE_LABELS = ("0-17", "18-39", "40-64", "65+")


@dataclass
class NoShowModel:
    """A fitted no-show model. ``result``: the statsmodels fit; ``history``: per patient
    pseudonym and appointment day, the appointments and no-shows seen (for prior history)."""

    result: sm.regression.linear_model.RegressionResultsWrapper
    columns: list[str]
    categories: dict[str, list[str]]
    history: pd.DataFrame
    n: int
    age_shares: dict[str, float] = field(default_factory=dict)

    @property
    def coefficients(self) -> pd.DataFrame:
        """Per term: coefficient (log odds), odds ratio, its 95% interval, p-value."""
        params, ci = self.result.params, self.result.conf_int(0.05)
        return pd.DataFrame({
            "coefficient": params, "odds_ratio": np.exp(params),
            "odds_ratio_low": np.exp(ci[0]), "odds_ratio_high": np.exp(ci[1]),
            "p_value": self.result.pvalues})

    def predict_proba(self, appointments: pd.DataFrame) -> pd.Series:
        """P(no-show) of each appointment (index kept), in the reader's schema. Prior history
        comes from the fitted appointments plus those given (with a known outcome)."""
        features = self._design(appointments, _history_features(appointments, self.history))
        return pd.Series(self.result.predict(features), index=appointments.index,
                         name="p_no_show")

    def calibration_curve(self, appointments: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
        """Observed vs predicted no-show rate by decile (``bins``) of predicted probability,
        over appointments that were kept or missed."""
        ended = _ended(appointments)
        predicted = self.predict_proba(ended)
        group = pd.qcut(predicted.rank(method="first"), bins, labels=False)
        observed = (ended["status"] == "no_show").astype(float)
        return pd.DataFrame({"predicted": predicted, "observed": observed, "bin": group}
                            ).groupby("bin").agg(predicted=("predicted", "mean"),
                                                 observed=("observed", "mean"),
                                                 n=("observed", "size"))

    def by_lead_bucket(self, appointments: pd.DataFrame) -> pd.DataFrame:
        """Observed and predicted no-show rate per lead-time bucket; error in percentage
        points (predicted - observed) x 100."""
        ended = _ended(appointments)
        predicted = self.predict_proba(ended)
        bucket = lead_bucket(ended["lead_days"])
        out = pd.DataFrame({"observed": (ended["status"] == "no_show").astype(float),
                            "predicted": predicted, "bucket": bucket}).groupby(
            "bucket", observed=True).agg(observed=("observed", "mean"),
                                         predicted=("predicted", "mean"),
                                         n=("observed", "size"))
        out["error_points"] = (out["predicted"] - out["observed"]) * 100
        return out

    def engine_form(self) -> dict:
        """The model as the simulator uses it (``clinic.noshows.FittedNoShows``): coefficients
        by term, the category levels, and the age-band mix of the fitted appointments (the
        simulated patients have no age: the engine adds the mix's mean age term). Aggregates
        only: no identifier, no patient history."""
        shares = self.age_shares
        return {"format": 1, "coefficients": {k: float(v) for k, v in
                                               self.result.params.items()},
                "lead_labels": list(LEAD_LABELS), "lead_edges": [0, 7, 30],
                "age_band_shares": shares, "n": self.n}

    def write(self, path: str | Path) -> Path:
        """Write ``engine_form()`` as JSON (atomically)."""

        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.engine_form(), indent=2))
        return path

    def _design(self, appointments: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
        frame = _features(appointments, history, self.categories)
        return frame.reindex(columns=self.columns, fill_value=0.0)


def fit_noshow(appointments: pd.DataFrame) -> NoShowModel:
    """Fit the no-show model to appointments in the reader's schema (``read_appointments``).

    >>> model = fit_noshow(appointments)  # doctest: +SKIP
    >>> model.coefficients  # doctest: +SKIP
    """
    ended = _ended(appointments)
    if ended.empty or ended["status"].nunique() < 2:
        raise ValueError("fitting no-shows needs appointments both kept and missed, found "
                         f"{ended['status'].value_counts().to_dict()}")
    history = _history_table(ended)
    categories = {
        "lead": [b for b in LEAD_LABELS if b in set(lead_bucket(ended["lead_days"]).dropna())],
        "weekday": sorted(ended["weekday"].unique().tolist()),
        "visit_type": sorted(ended["visit_type"].unique().tolist()),
        "age_band": [b for b in AGE_LABELS if b in set(age_band(ended["age"]).dropna())],
    }
    features = _features(ended, _history_features(ended, history, fitting=True), categories)
    features = features.loc[:, features.std() > 0]
    features.insert(0, "const", 1.0)
    y = (ended["status"] == "no_show").astype(float).to_numpy()
    result = sm.GLM(y, features.astype(float), family=sm.families.Binomial()).fit()
    bands = age_band(ended["age"]).value_counts(normalize=True)
    return NoShowModel(result=result, columns=list(features.columns), categories=categories,
                       history=history, n=len(ended),
                       age_shares={str(b): float(v) for b, v in bands.items() if v > 0})


def engine_parameters(appointments: pd.DataFrame) -> tuple[NoShows, pd.DataFrame]:
    """The simulator's no-show parameters fitted to the data: ``logit p = a + b lead_days/7 +
    c reminded`` (a GLM of that form), with the share of appointments reminded; and a table of
    each parameter with its 95% interval."""
    ended = _ended(appointments)
    x = pd.DataFrame({"const": 1.0, "weeks": ended["lead_days"] / 7.0})
    reminded = ended["reminded"].astype(float)
    if reminded.std() > 0:
        x["reminded"] = reminded
    y = (ended["status"] == "no_show").astype(float)
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit()
    ci = fit.conf_int(0.05)
    inv = 1 / (1 + np.exp(-fit.params["const"]))
    table = pd.DataFrame({
        "value": [inv, np.exp(fit.params["weeks"])],
        "low": [1 / (1 + np.exp(-ci.loc["const", 0])), np.exp(ci.loc["weeks", 0])],
        "high": [1 / (1 + np.exp(-ci.loc["const", 1])), np.exp(ci.loc["weeks", 1])],
    }, index=["no_shows.base_rate", "no_shows.lead_time_odds_ratio_per_week"])
    reminder_or = 1.0
    if "reminded" in fit.params:
        reminder_or = float(np.exp(fit.params["reminded"]))
        table.loc["no_shows.reminder_odds_ratio"] = [
            reminder_or, np.exp(ci.loc["reminded", 0]), np.exp(ci.loc["reminded", 1])]
    share = float(ended.loc[ended["lead_days"] >= 2, "reminded"].mean()) if (
        ended["lead_days"] >= 2).any() else 0.0
    table.loc["no_shows.reminder_share"] = [share, np.nan, np.nan]
    params = NoShows(base_rate=float(inv),
                     lead_time_odds_ratio_per_week=float(np.exp(fit.params["weeks"])),
                     reminder_share=share if reminder_or != 1.0 else 0.0,
                     reminder_odds_ratio=reminder_or)
    return params, table


def lead_bucket(lead_days: pd.Series) -> pd.Categorical:
    """Same day, 1-7, 8-30 or over 30 days."""
    return pd.cut(lead_days, LEAD_BUCKETS, labels=LEAD_LABELS)


def age_band(age: pd.Series) -> pd.Categorical:
    """0-17, 18-39, 40-64, 65+ (NaN where the age is unknown)."""
    return pd.cut(age, AGE_BINS, labels=AGE_LABELS)


def _ended(appointments: pd.DataFrame) -> pd.DataFrame:
    return appointments[appointments["status"].isin(["completed", "no_show"])]


def _history_table(ended: pd.DataFrame) -> pd.DataFrame:
    """Per patient and appointment day: appointments and no-shows that day."""
    day = ended["appointment_at"].dt.normalize()
    return (pd.DataFrame({"patient": ended["patient"], "day": day,
                          "missed": (ended["status"] == "no_show").astype(int)})
            .groupby(["patient", "day"], as_index=False)
            .agg(appointments=("missed", "size"), missed=("missed", "sum")))


def _history_features(appointments: pd.DataFrame, history: pd.DataFrame,
                      fitting: bool = False) -> pd.DataFrame:
    """Per appointment: the patient's appointments and no-shows on earlier days (counts
    through the latest earlier day with any)."""
    table = history if fitting else pd.concat(
        [history, _history_table(_ended(appointments))]).groupby(
        ["patient", "day"], as_index=False).max()
    table = table.sort_values(["patient", "day"])
    grouped = table.groupby("patient")
    table = table.assign(prior=grouped["appointments"].cumsum(),
                         prior_missed=grouped["missed"].cumsum())
    query = pd.DataFrame({"patient": appointments["patient"].to_numpy(),
                          "day": appointments["appointment_at"].dt.normalize().to_numpy(),
                          "order": np.arange(len(appointments))})
    merged = pd.merge_asof(query.sort_values("day"), table.sort_values("day"), on="day",
                           by="patient", direction="backward", allow_exact_matches=False)
    merged = merged.sort_values("order")
    prior = merged["prior"].fillna(0).to_numpy()
    missed = merged["prior_missed"].fillna(0).to_numpy()
    return pd.DataFrame({"prior": prior, "prior_missed": missed}, index=appointments.index)


def _features(appointments: pd.DataFrame, history: pd.DataFrame,
              categories: dict[str, list]) -> pd.DataFrame:
    lead = appointments["lead_days"].clip(lower=0)
    out = pd.DataFrame(index=appointments.index)
    out["const"] = 1.0
    bucket = lead_bucket(lead)
    for label in categories["lead"][1:]:
        out[f"lead {label}"] = (bucket == label).astype(float)
    out["reminded"] = appointments["reminded"].astype(float)
    has = history["prior"] > 0
    out["has history"] = has.astype(float)
    out["prior no-show share"] = np.where(has, history["prior_missed"]
                                          / history["prior"].where(has, 1), 0.0)
    for name, values in (("weekday", appointments["weekday"]),
                         ("visit_type", appointments["visit_type"]),
                         ("age_band", age_band(appointments["age"]).astype(object))):
        for level in categories[name][1:]:
            out[f"{name}={level}"] = (values == level).astype(float)
    return out
