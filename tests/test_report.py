"""Plots of practicesim.report: each is drawn from a small real run, experiment, comparison or
tornado table, saved as a PNG and checked to be a real picture with a title and labelled axes;
the data functions behind the plots are checked to the cent."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from practicesim import Run, metrics, simulate
from practicesim.experiment import Comparison, compare, tornado
from practicesim.report import (
    WATERFALL_STEPS,
    DollarFormatter,
    ar_aging_area,
    ar_aging_over_time,
    cash_difference_fan,
    effect_ranking,
    kpi_name,
    monthly_cash,
    revenue_waterfall,
    tornado_chart,
    waterfall_table,
)
from tests.conftest import build

SHORT = {"calendar.horizon_days": 120, "calendar.warmup_days": 60}


@pytest.fixture(scope="module")
def run() -> Run:
    return simulate(build(SHORT), seed=3)


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    base = build({**SHORT, "name": "base"})
    more = build({**SHORT, "name": "two_billers", "staff.billers.count": 2})
    return compare(base, more, reps=3, seed=5, executor="serial")


@pytest.fixture(scope="module")
def sensitivity() -> pd.DataFrame:
    return tornado(build(SHORT), {"billing.claim_error_rate": (0.02, 0.4),
                                  "staff.billers.count": (0, 2)},
                   kpis=["net_cash_flow", "days_in_ar"], reps=1, seed=4, executor="serial")


def assert_real_picture(fig: Figure, path) -> None:
    """The figure saves to a non-trivial, non-blank PNG and its first axes has a title and
    both axis labels."""
    assert isinstance(fig, Figure)
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > 5_000
    pixels = mpimg.imread(path)[..., :3]
    assert pixels.std() > 0.05, "the picture is (nearly) blank"
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


# --- cash difference fan ----------------------------------------------------------------------


def test_cash_difference_fan(comparison, tmp_path):
    fig = cash_difference_fan(comparison)
    assert_real_picture(fig, tmp_path / "fan.png")
    ax = fig.axes[0]
    assert "two_billers" in ax.get_title() and "base" in ax.get_title()
    assert ax.get_xlabel() == "month"
    assert ax.get_ylabel() == "cumulative net cash difference ($)"
    mean_line = next(line for line in ax.get_lines() if line.get_label().startswith("mean"))
    expected = comparison.cash_differences.xs("two_billers", level="scenario").groupby(
        "month").mean()
    np.testing.assert_allclose(mean_line.get_ydata(), expected.to_numpy())
    assert len(ax.collections) == 2, "a 50% and a 90% band"
    assert ax.get_legend() is not None


def test_cash_difference_fan_scenario_choice_and_given_axes(comparison, tmp_path):
    outer = Figure(figsize=(10, 4))
    left, _ = outer.subplots(1, 2)
    assert cash_difference_fan(comparison, "two_billers", ax=left) is outer
    assert left.get_title()
    with pytest.raises(ValueError, match="no scenario 'nope'"):
        cash_difference_fan(comparison, "nope")


# --- A/R aging --------------------------------------------------------------------------------


def test_ar_aging_over_time_matches_ar_aging_and_ending_ar(run):
    last = run.calendar.n_days - 1
    days = [0, 30, 90, last]
    table = ar_aging_over_time(run.ledger, days)
    labels = [label for _, _, label in metrics.AGING_BUCKETS]
    assert list(table.columns) == labels
    assert list(table.index) == days and table.index.name == "day"
    expected = metrics.ar_aging(run.ledger, last).sum().reindex(labels)
    np.testing.assert_allclose(table.loc[last].to_numpy(), expected.to_numpy(), atol=0.005)
    assert table.loc[0].sum() == 0, "nothing is open before the first charge"
    pd.testing.assert_frame_equal(ar_aging_over_time(run.ledger, iter(days)), table)
    for day in days[1:]:
        assert table.loc[day].sum() == pytest.approx(metrics.ending_ar(run.ledger, day),
                                                     abs=0.01)


def test_ar_aging_area(run, tmp_path):
    table = ar_aging_over_time(run.ledger, range(0, run.calendar.n_days, 10))
    fig = ar_aging_area(table)
    assert_real_picture(fig, tmp_path / "aging.png")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "accounts receivable ($)"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [f"{label} days" for _, _, label in reversed(metrics.AGING_BUCKETS)]
    dated = ar_aging_area(table, dates=run.calendar.dates(table.index))
    assert_real_picture(dated, tmp_path / "aging_dates.png")
    assert dated.axes[0].get_xlabel() == "date"
    with pytest.raises(ValueError, match="dates has"):
        ar_aging_area(table, dates=run.calendar.dates(table.index[:2]))


# --- revenue waterfall ------------------------------------------------------------------------


def test_waterfall_table_adds_up_to_gross_charges(run):
    start, end = run.calendar.warmup, run.calendar.n_days
    table = waterfall_table(run.ledger, start, end)
    assert tuple(table.index) == WATERFALL_STEPS
    assert table.drop("gross_charges").sum() == pytest.approx(table["gross_charges"], abs=0.01)
    period = run.ledger[(run.ledger["day"] >= start) & (run.ledger["day"] < end)]
    cents = period.groupby("kind", observed=False)["amount_cents"].sum()
    assert table["gross_charges"] * 100 == pytest.approx(cents["charge"], abs=0.5)
    assert table["collected"] * 100 == pytest.approx(
        cents["payer_payment"] + cents["patient_payment"], abs=0.5)
    assert (table.drop("rest") >= 0).all()
    # Over the whole run (an empty practice at day 0) the rest is exactly the ending A/R.
    whole = waterfall_table(run.ledger, 0, end)
    assert whole["rest"] == pytest.approx(metrics.ending_ar(run.ledger, end - 1), abs=0.01)


def test_revenue_waterfall(run, tmp_path):
    start, end = run.calendar.warmup, run.calendar.n_days
    fig = revenue_waterfall(run.ledger, start, end)
    assert_real_picture(fig, tmp_path / "waterfall.png")
    ax = fig.axes[0]
    table = waterfall_table(run.ledger, start, end)
    bars = ax.patches
    assert len(bars) == len(WATERFALL_STEPS)
    assert bars[0].get_height() == pytest.approx(table["gross_charges"])
    assert bars[-1].get_height() == pytest.approx(table["rest"])
    # the steps walk down from the gross charges to the top of the rest bar
    assert bars[4].get_y() == pytest.approx(table["rest"], abs=0.01)
    labels = [text.get_text() for text in ax.texts]
    assert len(labels) == len(WATERFALL_STEPS) and labels[0].startswith("$")


# --- tornado ----------------------------------------------------------------------------------


def test_tornado_chart(sensitivity, tmp_path):
    for kpi in ("net_cash_flow", "days_in_ar"):
        fig = tornado_chart(sensitivity, kpi)
        assert_real_picture(fig, tmp_path / f"tornado_{kpi}.png")
        ax = fig.axes[0]
        rows = sensitivity[sensitivity["kpi"] == kpi]
        ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()),
                           strict=True),
                       reverse=True)
        assert [name for _, name in ticks] == list(rows["parameter"]), "largest swing on top"
        n = len(rows)
        low = [p.get_width() for p in ax.patches[:n]]
        high = [p.get_width() for p in ax.patches[n:2 * n]]
        np.testing.assert_allclose(low, rows["at_low"] - rows["baseline"])
        np.testing.assert_allclose(high, rows["at_high"] - rows["baseline"])
        top = rows.iloc[0]
        assert kpi_name(kpi) in ax.get_xlabel() and kpi_name(kpi) in ax.get_title()
        texts = [t.get_text() for t in ax.texts]
        assert f"low {top['low_value']:g}" in texts and f"high {top['high_value']:g}" in texts
    with pytest.raises(ValueError, match="no rows for KPI"):
        tornado_chart(sensitivity, "collections")


# --- monthly cash -----------------------------------------------------------------------------


def test_monthly_cash(comparison, tmp_path):
    experiment = comparison.baseline
    fig = monthly_cash(experiment)
    assert_real_picture(fig, tmp_path / "monthly.png")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "dollars per month ($)" and ax.get_xlabel() == "month"
    months = experiment.monthly.index.get_level_values("month").nunique()
    assert len(ax.patches) == 2 * months
    mean = experiment.monthly["collections"].groupby("month").mean()
    heights = [p.get_height() for p in ax.patches[:months]]
    np.testing.assert_allclose(heights, mean.to_numpy())
    net = next(line for line in ax.get_lines() if line.get_label() == "net cash flow (mean)")
    np.testing.assert_allclose(
        net.get_ydata(), experiment.monthly["net_cash_flow"].groupby("month").mean())


def test_dollar_ticks_stay_distinct_when_close():
    labels = DollarFormatter().format_ticks([-46_700, -46_650, -46_600, 0])
    assert len(set(labels)) == 4 and labels[-1] == "$0"
    assert DollarFormatter().format_ticks([0, 250_000, 1_250_000]) == ["$0", "$0.25M", "$1.25M"]


# --- effect ranking ----------------------------------------------------------------------------


def test_effect_ranking_puts_the_best_scenario_on_top(tmp_path):
    base = build({**SHORT, "name": "base"})
    others = [build({**SHORT, "name": "no_billers", "staff.billers.count": 0}),
              build({**SHORT, "name": "two_billers", "staff.billers.count": 2})]
    cmp = compare(base, *others, reps=3, seed=5, executor="serial")
    fig = effect_ranking(cmp, month=3)
    assert_real_picture(fig, tmp_path / "ranking.png")
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    means = cmp.cash_differences.xs(3, level="month").groupby(level="scenario").mean()
    assert names == list(means.sort_values().index), "best (largest) on top"
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(list(means.sort_values()))
