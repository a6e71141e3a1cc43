"""The fitted no-show model (practicesim.calibrate.noshow): out-of-sample on the public Vitória
appointments, and recovering the simulator's own no-show parameters from a simulated export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from practicesim import load_scenario, simulate
from practicesim.calibrate.appointments import read_appointments
from practicesim.calibrate.exports import write_appointments_csv
from practicesim.calibrate.noshow import _history_features, engine_parameters, fit_noshow
from practicesim.clinic.noshows import FittedNoShows
from practicesim.scenario import ScenarioError
from tests.conftest import BASELINE, ROOT, SHARED_DATA

VITORIA = SHARED_DATA / "noshow_vitoria_2016" / "appointments_2016-04-29_to_2016-05-20.csv"
SPLIT = pd.Timestamp("2016-05-10")


@pytest.fixture(scope="module")
def vitoria() -> pd.DataFrame:
    if not VITORIA.exists():
        pytest.skip("../shared/data (Vitória appointments) absent")
    return read_appointments(VITORIA, ROOT / "calibration" / "vitoria_mapping.yaml")


def test_later_weeks_no_show_rate_predicted_within_two_points_per_lead_bucket(vitoria):
    """Fitted on appointments before 2016-05-10 (28,703), predicting the 38,657 after: every
    lead-time bucket (same day, 1-7, 8-30, over 30 days) within 2 percentage points
    (docs/validation.md records the figures)."""
    model = fit_noshow(vitoria[vitoria["appointment_at"] < SPLIT])
    later = vitoria[vitoria["appointment_at"] >= SPLIT]
    buckets = model.by_lead_bucket(later)
    assert list(buckets.index) == ["same day", "1-7 days", "8-30 days", "over 30 days"]
    assert buckets["n"].sum() == len(later)
    assert (buckets["error_points"].abs() < 2.0).all(), buckets
    curve = model.calibration_curve(later)
    assert curve["predicted"].is_monotonic_increasing
    assert np.corrcoef(curve["predicted"], curve["observed"])[0, 1] > 0.95


def test_coefficients_have_intervals_and_the_expected_signs(vitoria):
    model = fit_noshow(vitoria[vitoria["appointment_at"] < SPLIT])
    table = model.coefficients
    assert (table["odds_ratio_low"] < table["odds_ratio"]).all()
    assert (table["odds_ratio"] < table["odds_ratio_high"]).all()
    assert table.loc["lead 8-30 days", "odds_ratio_low"] > 3, "booked ahead: far more no-shows"
    assert table.loc["prior no-show share", "odds_ratio_low"] > 1, "past no-shows predict"
    assert table.loc["age_band=65+", "odds_ratio_high"] < 1, "older patients come more"


def test_predict_proba_keeps_the_index_and_uses_earlier_history(vitoria):
    model = fit_noshow(vitoria[vitoria["appointment_at"] < SPLIT])
    later = vitoria[vitoria["appointment_at"] >= SPLIT].head(500)
    p = model.predict_proba(later)
    assert p.index.equals(later.index)
    assert ((p > 0) & (p < 1)).all()
    again = later.copy()
    again.loc[:, "patient"] = np.arange(len(again)) + 10**15  # strangers with no history
    assert not np.allclose(model.predict_proba(again), p), "history changes the prediction"


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_the_simulators_no_show_parameters_are_recovered_from_its_own_export(tmp_path):
    """A baseline year exported and read back: base rate 0.085, lead-time odds ratio 1.08 a
    week and reminder odds ratio 0.75 (docs/model-reference.md) each within 3.29 standard
    errors of the fit on the log-odds scale (its 99.9% interval, so that the three checks
    together fail by chance on fewer than one seed in 300); the reminder share (0.7) within
    0.02. Nobody walks out unseen here: an export lists such a patient as a no-show (about 0.7%
    of appointments in the baseline, a bias of about +0.09 on the base rate's log-odds)."""
    scenario = load_scenario(BASELINE).with_changes({"flow.walk_out_minutes": None})
    run = simulate(scenario, seed=3)
    path = write_appointments_csv(run, tmp_path / "appointments.csv")
    df = read_appointments(path, ROOT / "calibration" / "practicesim_appointments_mapping.yaml")
    params, table = engine_parameters(df)
    truth = scenario.no_shows
    for key, true, scale in (
            ("no_shows.base_rate", truth.base_rate, logit),
            ("no_shows.lead_time_odds_ratio_per_week", truth.lead_time_odds_ratio_per_week,
             np.log),
            ("no_shows.reminder_odds_ratio", truth.reminder_odds_ratio, np.log)):
        value, low, high = (scale(table.loc[key, c]) for c in ("value", "low", "high"))
        se = (high - low) / (2 * 1.959964)
        assert abs(value - scale(true)) < 3.29 * se, (key, table.loc[key])
    assert params.reminder_share == pytest.approx(truth.reminder_share, abs=0.02)


def test_the_engine_uses_the_fitted_model_as_fitted(tmp_path):
    """``FittedNoShows`` (the engine's reading of ``NoShowModel.write``) gives every appointment
    the probability ``predict_proba`` gives it, history terms included, to 1e-9."""
    run = simulate(load_scenario(BASELINE).with_changes({"calendar.horizon_days": 120}), seed=2)
    path = write_appointments_csv(run, tmp_path / "appointments.csv")
    df = read_appointments(path, ROOT / "calibration" / "practicesim_appointments_mapping.yaml")
    model = fit_noshow(df)
    fitted = FittedNoShows(model.write(tmp_path / "model.json"))
    sample = df[df["status"].isin(["completed", "no_show"])].sample(400, random_state=1)
    history = _history_features(sample, model.history)
    engine = [fitted.probability(int(a.lead_days), bool(a.reminded), int(a.weekday),
                                 str(a.visit_type), int(h.prior), int(h.prior_missed))
              for a, h in zip(sample.itertuples(), history.itertuples(), strict=True)]
    np.testing.assert_allclose(engine, model.predict_proba(sample).to_numpy(), atol=1e-9)
    assert history["prior"].gt(0).any(), "some appointments carry a history"


def test_a_scenario_names_its_model_relative_to_its_own_file(tmp_path):
    """``no_shows.model`` resolves against the file that names it, also through ``extends``;
    a dated change of it is refused (the history it needs is kept from the run's start)."""
    model = tmp_path / "fits" / "model.json"
    model.parent.mkdir()
    model.write_text('{"format": 1, "coefficients": {"const": -2.0}, '
                     '"lead_labels": ["same day", "1-7 days", "8-30 days", "over 30 days"], '
                     '"lead_edges": [0, 7, 30], "age_band_shares": {}, "n": 100}')
    parent = tmp_path / "fits" / "calibrated.yaml"
    parent.write_text(f"extends: {BASELINE}\nname: calibrated\nno_shows: {{model: model.json}}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: fits/calibrated.yaml\nname: child\n")
    scenario = load_scenario(child)
    assert scenario.no_shows.model == str(model.resolve())
    run = simulate(scenario.with_changes({"calendar.horizon_days": 30}), seed=1)
    due = run.appointments[run.appointments["status"].isin(["completed", "no_show"])]
    rate = (due["status"] == "no_show").mean()
    assert rate == pytest.approx(1 / (1 + np.exp(2.0)), abs=0.02), "logit p = -2 for all"
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nname: bad\nchanges:\n  - date: 2027-02-01\n"
                   f"    set: {{no_shows.model: {model}}}\n")
    with pytest.raises(ScenarioError, match=r"no_shows\.model"):
        load_scenario(bad)
