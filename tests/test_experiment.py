"""Replications, paired comparisons with common random numbers, executors."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from practicesim.experiment import (
    AGING_COLUMNS,
    best_option,
    compare,
    describe,
    half_width,
    interval,
    monthly_series,
    replicate,
    sobol,
    sweep,
    tornado,
)
from practicesim.experiment.comparison import _break_even
from practicesim.progress import ReplicationProgress
from tests.conftest import build

SHORT = {"calendar.horizon_days": 120, "calendar.warmup_days": 60}


@pytest.fixture(scope="module")
def small_comparison():
    base = build({**SHORT, "name": "base"})
    more = build({**SHORT, "name": "two_billers", "staff.billers.count": 2})
    return compare(base, more, reps=8, seed=5, executor="serial")


def test_replications_are_identical_on_every_executor():
    scenario = build(SHORT)
    serial = replicate(scenario, reps=4, seed=9, executor="serial")
    pooled = replicate(scenario, reps=4, seed=9, executor="processes", workers=2)
    pd.testing.assert_frame_equal(serial.kpis, pooled.kpis)
    pd.testing.assert_frame_equal(serial.monthly, pooled.monthly)
    assert serial.kpis["collections"].nunique() == 4, "replications must differ"


def test_daily_series_and_their_bands():
    exp = replicate(build(SHORT), reps=3, seed=2, executor="serial")
    assert exp.daily.index.names == ["replication", "day"]
    assert len(exp.daily) == 3 * 120
    bands = exp.daily_summary("ar")
    assert len(bands) == 120
    assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()
    last = exp.daily.xs(120, level="day")["cumulative_net_cash"]
    assert np.allclose(last.to_numpy(), exp.kpis["net_cash_flow"].to_numpy(), atol=0.01)


def test_monthly_series_agree_with_the_ledger_and_the_kpis():
    """Aging buckets equal metrics.ar_aging at each month end and sum to the A/R; the waterfall
    postings reconcile the A/R to the cent; utilization and lead time weight up to the KPIs."""
    from practicesim import metrics, simulate

    run = simulate(build(SHORT), seed=3)
    monthly = monthly_series(run)
    reporting = run.daily[run.daily["reporting"]]
    ends = reporting.groupby(reporting["date"].dt.to_period("M"))["day"].last().to_numpy()
    aging = monthly[list(AGING_COLUMNS.values())]
    for month, day in enumerate(ends, start=1):
        oracle = metrics.ar_aging(run.ledger, int(day)).sum()
        assert np.allclose(aging.loc[month].to_numpy(), oracle.to_numpy(), atol=0.005)
    cents = (monthly * 100).round().astype("int64")
    assert (cents[list(AGING_COLUMNS.values())].sum(axis=1) == cents["ending_ar"]).all()
    opening_ar = int(run.daily.loc[run.daily["reporting"].idxmax() - 1, "ar_cents"])
    moved = (cents["charges"] - cents["contractual_adjustments"] - cents["denial_writeoffs"]
             - cents["bad_debt"] - cents["payments"]).sum()
    assert opening_ar + moved == int(cents["ending_ar"].iloc[-1]), "waterfall reconciles A/R"
    sessions = run.sessions[run.sessions["day"] >= run.calendar.warmup]
    month_of_day = run.daily.set_index("day")["date"].dt.to_period("M")
    minutes = (sessions["end_minutes"] - sessions["start_minutes"]).groupby(
        sessions["day"].map(month_of_day)).sum().to_numpy()
    kpis = run.kpis()
    assert np.isclose((monthly["provider_utilization"] * minutes).sum() / minutes.sum(),
                      kpis["provider_utilization"])
    booked = run.appointments[run.appointments["request_day"] >= run.calendar.warmup]
    requests = booked.groupby(booked["request_day"].map(month_of_day)).size().to_numpy()
    assert np.isclose((monthly["mean_lead_time_days"] * requests).sum() / requests.sum(),
                      kpis["mean_lead_time_days"])
    assert monthly["lost_request_rate"].between(0, 1).all()


def test_tables_stream_to_disk_and_read_back_per_replication(tmp_path):
    from practicesim import simulate

    scenario = build(SHORT)
    exp = replicate(scenario, reps=3, seed=2, executor="processes", workers=2,
                    tables=tmp_path / "tables")
    assert sorted(p.name for p in (tmp_path / "tables" / "ledger").iterdir()) == [
        "r000000.parquet", "r000001.parquet", "r000002.parquet"]
    ledger = exp.table("ledger")
    assert ledger.columns[0] == "replication"
    assert sorted(ledger["replication"].unique()) == [0, 1, 2]
    one = exp.table("ledger", replications=[1]).drop(columns="replication")
    pd.testing.assert_frame_equal(one, simulate(scenario, seed=2, replication=1).ledger,
                                  check_categorical=False)
    claims = exp.table("claims", columns=["claim", "status"])
    assert list(claims.columns) == ["replication", "claim", "status"]
    with pytest.raises(ValueError, match="kept no tables"):
        replicate(scenario, reps=1, executor="serial").table("ledger")


def test_a_comparison_streams_each_scenarios_tables(tmp_path):
    base = build({**SHORT, "name": "base"})
    more = build({**SHORT, "name": "two_billers", "staff.billers.count": 2})
    cmp = compare(base, more, reps=2, seed=5, executor="serial", tables=tmp_path / "t")
    for exp in (cmp.baseline, cmp.scenarios["two_billers"]):
        claims = exp.table("claims", columns=["claim"])
        assert sorted(claims["replication"].unique()) == [0, 1]
        assert exp.tables_dir == tmp_path / "t" / exp.scenario.name
    assert cmp.scenarios["two_billers"].table("daily")["replication"].nunique() == 2
    with pytest.raises(ValueError, match="independent"):
        compare(base, more, reps=1, executor="serial", independent=True, tables=tmp_path / "u")


def test_summary_has_interval_and_bands(small_comparison):
    summary = small_comparison.baseline.summary()
    row = summary.loc["net_collection_rate"]
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert row["p10"] <= row["p50"] <= row["p90"]
    months = small_comparison.baseline.monthly_summary("cumulative_net_cash")
    assert list(months.index) == [1, 2, 3, 4]  # January to April


def test_differences_are_scenario_minus_baseline(small_comparison):
    diffs = small_comparison.differences.xs("two_billers", level="scenario")
    expected = (small_comparison.scenarios["two_billers"].kpis
                - small_comparison.baseline.kpis)
    pd.testing.assert_frame_equal(diffs, expected)


def test_common_random_numbers_cut_the_variance_of_differences_at_least_fivefold(
        small_comparison):
    base = small_comparison.baseline.scenario
    more = small_comparison.scenarios["two_billers"].scenario
    independent = compare(base, more, reps=8, seed=5, executor="serial", independent=True)
    paired = small_comparison.differences["net_cash_flow"].var()
    unpaired = independent.differences["net_cash_flow"].var()
    assert unpaired / paired >= 5, f"variance ratio only {unpaired / paired:.1f}"


def test_decision_figures(small_comparison):
    decision = small_comparison.decision(months=(3,), cash_floor=0.0)
    row = decision.loc["two_billers"]
    assert row["cash_diff_m3_low"] <= row["cash_diff_m3"] <= row["cash_diff_m3_high"]
    assert 0.0 <= row["risk_cash_below_floor"] <= 1.0
    summary = small_comparison.summary().loc[("two_billers", "ending_denial_backlog")]
    assert 0.0 <= summary["p_better"] <= 1.0


def test_break_even_is_the_month_from_which_the_difference_stays_positive():
    assert _break_even(pd.Series([-3.0, -1.0, 2.0, -0.5, 1.0, 4.0], index=range(1, 7))) == 5
    assert _break_even(pd.Series([1.0, 2.0], index=[1, 2])) == 1
    assert np.isnan(_break_even(pd.Series([1.0, -2.0], index=[1, 2])))


def test_interval_is_student_t():
    mean, low, high = interval([1.0, 2.0, 3.0, 4.0], confidence=0.95)
    assert mean - low == pytest.approx(high - mean)
    assert mean == pytest.approx(2.5)
    assert high - mean == pytest.approx(3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-5)


def test_intervals_equal_scipy_stats_students_t_exactly():
    """``interval`` and ``describe`` take the t quantile from ``scipy.special.stdtrit`` (not to
    import scipy.stats): the same bits as ``scipy.stats.t.ppf`` for every sample size."""
    from scipy import stats

    rng = np.random.default_rng(4)
    for n in range(2, 61):
        values = rng.normal(100.0, 15.0, n)
        for confidence in (0.90, 0.95):
            t = stats.t.ppf(0.5 + confidence / 2, n - 1)
            half = t * values.std(ddof=1) / np.sqrt(n)
            mean = values.mean()
            assert interval(values, confidence) == (mean, mean - half, mean + half)
            row = describe(pd.DataFrame({"x": values}), confidence).loc["x"]
            assert (row["ci_low"], row["ci_high"]) == (mean - half, mean + half)


def test_compare_rejects_mismatched_calendars():
    with pytest.raises(ValueError, match="another calendar"):
        compare(build({**SHORT, "name": "a"}), build({"name": "b"}), reps=1,
                executor="serial")


def test_a_dask_cluster_gives_the_same_replications_bit_for_bit():
    distributed = pytest.importorskip("distributed")
    scenario = build(SHORT)
    serial = replicate(scenario, reps=4, seed=9, executor="serial")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = replicate(scenario, reps=4, seed=9, executor=client)
    pd.testing.assert_frame_equal(serial.kpis, on_dask.kpis)
    pd.testing.assert_frame_equal(serial.monthly, on_dask.monthly)


def test_an_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="executor must be"):
        replicate(build(SHORT), reps=2, executor="threads")


def test_auto_replications_stop_at_the_requested_precision():
    scenario = build(SHORT)
    exp = replicate(scenario, reps="auto", seed=3, executor="serial", kpi="collections",
                    precision=0.01, batch=4, max_reps=40)
    n = len(exp.kpis)
    assert n % 4 == 0
    assert 8 <= n < 40, f"expected to stop after a few batches, ran {n}"
    values = exp.kpis["collections"]
    assert half_width(values) <= 0.01 * values.mean()
    assert half_width(values.iloc[:n - 4]) > 0.01 * values.iloc[:n - 4].mean(), (
        "it should have stopped a batch earlier")


def test_sweep_runs_every_grid_point_on_the_same_replications():
    table = sweep(build(SHORT), {"staff.billers.count": [1, 2], "billing.queue_priority":
                                 ["fifo", "largest_first"]}, reps=2, seed=4, executor="serial")
    assert len(table) == 2 * 2 * 2
    assert set(table["staff.billers.count"]) == {1, 2}
    # demand does not depend on billing: the same replication has the same visits everywhere
    visits = table.groupby("replication")["visits_completed"].nunique()
    assert (visits == 1).all()


def test_latin_hypercube_samples_stay_in_their_ranges():
    table = sweep(build(SHORT), samples=4, ranges={"billing.claim_error_rate": (0.05, 0.25)},
                  reps=1, seed=4, executor="serial")
    assert table["point"].nunique() == 4
    assert table["billing.claim_error_rate"].between(0.05, 0.25).all()


def test_whole_number_ranges_sample_whole_numbers_evenly():
    table = sweep(build(SHORT), samples=8, ranges={"staff.billers.count": (1, 2)}, reps=1,
                  seed=4, executor="serial")
    counts = table["staff.billers.count"]
    assert counts.map(type).eq(int).all()
    assert sorted(counts.value_counts().tolist()) == [4, 4]


def test_sobol_indices_find_the_parameter_that_matters():
    """Denials follow the claim error rate; the clearinghouse fee has no effect on them: its
    total index is near zero and the error rate's near one."""
    pytest.importorskip("SALib")
    table = sobol(build({"calendar.horizon_days": 60, "calendar.warmup_days": 30}),
                  {"billing.claim_error_rate": (0.02, 0.4),
                   "costs.clearinghouse_fee_per_claim": (0.2, 0.4)},
                  kpis=["initial_denial_rate"], n=8, reps=1, seed=1, executor="processes",
                  workers=2)
    rows = table.set_index("parameter")
    assert list(table["parameter"]) == ["billing.claim_error_rate",
                                        "costs.clearinghouse_fee_per_claim"]
    assert rows.loc["billing.claim_error_rate", "ST"] > 0.8
    assert abs(rows.loc["costs.clearinghouse_fee_per_claim", "ST"]) < 0.05
    with pytest.raises(ValueError, match="power of two"):
        sobol(build(SHORT), {"billing.claim_error_rate": (0.02, 0.4)}, ["charges"], n=6)


def test_progress_bar_reports_replications_and_the_half_width(monkeypatch):
    """``progress=True`` draws a rich bar; under reps='auto' its note is the half-width."""
    from rich.console import Console

    seen = []

    class Recording(ReplicationProgress):
        def __init__(self, total: int, label: str = "replications") -> None:
            super().__init__(total, label, console=Console(file=io.StringIO()))

        def __call__(self, done: int) -> None:
            seen.append(("done", done))
            super().__call__(done)

        def note(self, text: str) -> None:
            seen.append(("note", text))
            super().note(text)

    import practicesim.progress as progress_module

    monkeypatch.setattr(progress_module, "ReplicationProgress", Recording)
    exp = replicate(build(SHORT), reps="auto", seed=3, executor="serial", precision=0.05,
                    batch=2, max_reps=6, progress=True)
    done = [n for kind, n in seen if kind == "done"]
    assert done == list(range(1, len(exp.kpis) + 1))
    notes = [text for kind, text in seen if kind == "note"]
    assert notes and notes[0].startswith("collections half-width")


def test_tornado_ranks_parameters_by_swing():
    data = tornado(build(SHORT), {"billing.claim_error_rate": (0.02, 0.4),
                                  "costs.clearinghouse_fee_per_claim": (0.2, 0.4)},
                   kpis=["initial_denial_rate"], reps=2, seed=4, executor="serial")
    assert list(data["parameter"]) == ["billing.claim_error_rate",
                                       "costs.clearinghouse_fee_per_claim"]
    top = data.iloc[0]
    assert top["at_high"] > top["baseline"] > top["at_low"]


def test_best_option_names_the_best_value_with_its_probability():
    table = best_option(build(SHORT), "staff.billers.count", [0, 1], kpi="collections",
                        reps=3, seed=4, executor="serial")
    assert table.attrs["best"] == 1, "with no biller no remittance posted by hand is posted"
    assert table.loc[0, "p_best"] == pytest.approx(1.0)
    assert table["p_best"].sum() == pytest.approx(1.0)


def test_an_interrupted_experiment_resumes_without_recomputing(tmp_path, monkeypatch):
    from practicesim.experiment import jobs

    scenario = build(SHORT)
    store = tmp_path / "parts"
    first = replicate(scenario, reps=4, seed=2, executor="serial", checkpoint=store)
    assert len(list(store.glob("*.pkl"))) == 4
    sorted(store.glob("*.pkl"))[0].unlink()  # as if interrupted before the last one finished
    calls = []
    real = jobs._run_job
    monkeypatch.setattr(jobs, "_run_job", lambda job: calls.append(job) or real(job))
    again = replicate(scenario, reps=4, seed=2, executor="serial", checkpoint=store)
    assert len(calls) == 1, "only the missing replication is run again"
    pd.testing.assert_frame_equal(first.kpis, again.kpis)
    more = replicate(scenario, reps=6, seed=2, executor="serial", checkpoint=store)
    assert len(calls) == 3, "a longer run reuses all four saved replications"
    pd.testing.assert_frame_equal(more.kpis.iloc[:4], first.kpis)


def test_a_checkpoint_of_an_older_format_is_recomputed_not_read(tmp_path, monkeypatch):
    import pickle

    from practicesim.experiment import jobs

    scenario = build(SHORT)
    store = tmp_path / "parts"
    store.mkdir()
    with monkeypatch.context() as older:
        older.setattr(jobs, "CHECKPOINT_FORMAT", jobs.CHECKPOINT_FORMAT - 1)
        stale = store / f"{jobs._job_key(jobs.Job(scenario, 2, 0))}.pkl"
    # a pickle whose class lives at a path that no longer exists: reading it would fail
    stale.write_bytes(b"cpracticesim.no_such_module\nReplication\n.")
    with pytest.raises(ModuleNotFoundError):
        pickle.loads(stale.read_bytes())
    resumed = replicate(scenario, reps=1, seed=2, executor="serial", checkpoint=store)
    fresh = replicate(scenario, reps=1, seed=2, executor="serial")
    pd.testing.assert_frame_equal(resumed.kpis, fresh.kpis)
    assert len(list(store.glob("*.pkl"))) == 2, "the stale file is left alone, a new one saved"


def test_replicate_compare_and_sweep_are_at_the_package_top():
    import practicesim

    assert (practicesim.replicate, practicesim.compare, practicesim.sweep) == (
        replicate, compare, sweep)
    assert {"replicate", "compare", "sweep"} <= set(practicesim.__all__)
