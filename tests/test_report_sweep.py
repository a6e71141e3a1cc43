"""The client report of a sweep (practicesim.report.sweep): answer first, KPI table of every grid
point with targets, main-effect and tornado figures, assumptions and method, self-contained."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from practicesim.experiment import sweep
from practicesim.output import write_sweep
from practicesim.report.html import ReportError
from practicesim.report.plots import tornado_chart
from practicesim.report.sweep import (
    SweepResults,
    main_effects,
    period,
    sweep_answer,
    sweep_report,
)
from tests.conftest import build
from tests.test_report_html import real_pngs

BILLERS = "staff.billers.count"
DENIALS = "payers[medicaid].denial.rate"
GRID = {BILLERS: [1, 2], DENIALS: [0.1, 0.3]}


@pytest.fixture(scope="module")
def base():
    return build({"calendar.horizon_days": 90})


@pytest.fixture(scope="module")
def table(base):
    return sweep(base, GRID, reps=3, seed=1, workers=1)


@pytest.fixture(scope="module")
def folder(base, table, tmp_path_factory):
    return write_sweep(table, base, GRID, 1, tmp_path_factory.mktemp("sweep") / "results")


@pytest.fixture(scope="module")
def page(folder):
    return sweep_report(folder)


def _without_images(text: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)


def _hand_table(bump: float = 0.0) -> pd.DataFrame:
    """A 3 x 2 grid, 4 replications: net cash = 1000 x billers - 100 (at denial rate 0.2)
    + 7 x replication; ``bump`` added to point (3 billers, 0.2) in replication 3."""
    rows = []
    for point, (billers, rate) in enumerate((b, r) for b in (1, 2, 3) for r in (0.1, 0.2)):
        for rep in range(4):
            cash = 1000.0 * billers - (100.0 if rate == 0.2 else 0.0) + 7.0 * rep
            if (billers, rate, rep) == (3, 0.2, 3):
                cash += bump
            rows.append({"point": point, BILLERS: billers, DENIALS: rate, "replication": rep,
                         "net_cash_flow": cash, "days_in_ar": 40.0 - 5.0 * billers + rep})
    return pd.DataFrame(rows)


def _hand(base, bump: float = 0.0) -> SweepResults:
    return SweepResults.of(_hand_table(bump), base, {BILLERS: [1, 2, 3], DENIALS: [0.1, 0.2]},
                           seed=7)


def test_the_report_answers_first_and_is_self_contained(page):
    body = _without_images(page)
    assert "<script" not in body and "http://" not in body and "https://" not in body
    assert "@import" not in body and "url(" not in body, "no external fonts or styles"
    assert body.index("<h2>The answer</h2>") < body.index("<h2>Key figures</h2>") < body.index(
        "<h2>Figures</h2>") < body.index("<h2>Assumptions</h2>") < body.index("<h2>Method</h2>")
    point = r"staff\.billers\.count = [12] and payers\[medicaid\]\.denial\.rate = 0\.[13]"
    money = r"\u2212?\$[\d,]+"
    assert re.search(
        rf"<p class='answer'>{point} gives the highest net cash over the 3-month period: "
        rf"{money} \(95% interval {money} to {money}\); it is the best point in \d+% of "
        rf"replications and {money} above the next best \({point}; 90% interval of the paired "
        rf"difference {money} to {money}\)\.</p>", body)
    assert ("<tr><td>payers[medicaid].denial.rate</td><td>0.1, 0.3</td><td>0.2</td>"
            "<td>user input (sweep grid)</td></tr>") in body
    assert "Key parameters of small_practice" in body
    assert "4 points x 3 replications, seed 1, common random numbers across points" in body


def test_every_figure_is_a_real_png_and_the_tornados_are_explained(page):
    assert real_pngs(page) == 4, "two main effects, two tornados"
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page)
    assert sum("main effects" in c.lower() and "zero line is the mean over the whole sweep" in c
               for c in captions) == 2


def test_main_effects_equal_a_hand_computation(base):
    results = _hand(base)
    effects = main_effects(results, "net_cash_flow")
    assert list(effects.columns) == ["parameter", "kpi", "low_value", "high_value", "at_low",
                                     "baseline", "at_high", "swing"]
    assert effects.to_dict("records") == [
        {"parameter": BILLERS, "kpi": "net_cash_flow", "low_value": 1.0, "high_value": 3.0,
         "at_low": 960.5, "baseline": 1960.5, "at_high": 2960.5, "swing": 2000.0},
        {"parameter": DENIALS, "kpi": "net_cash_flow", "low_value": 0.1, "high_value": 0.2,
         "at_low": 2010.5, "baseline": 1960.5, "at_high": 1910.5, "swing": 100.0}]
    table = results.table
    for row in effects.itertuples():
        by_value = table.groupby(row.parameter)["net_cash_flow"].mean()
        assert row.at_low == by_value.iloc[0] and row.at_high == by_value.iloc[-1]
    assert effects["baseline"].eq(table["net_cash_flow"].mean()).all()
    tornado_chart(effects, "net_cash_flow")  # the tornado chart draws it


def test_the_answer_names_the_best_point_its_share_and_the_paired_runner_up(base):
    assert sweep_answer(_hand(base, bump=150.0)) == (
        "staff.billers.count = 3 and payers[medicaid].denial.rate = 0.1 gives the highest net "
        "cash over the 3-month period: $3,010 (95% interval $2,996 to $3,025); it is the best "
        "point in 75% of replications and $62 above the next best (staff.billers.count = 3 and "
        "payers[medicaid].denial.rate = 0.2; 90% interval of the paired difference \u2212$26 "
        "to $151).")
    assert sweep_answer(_hand(base), "days_in_ar").startswith(
        "staff.billers.count = 3 and payers[medicaid].denial.rate = 0.1 gives the lowest days "
        "in A/R over the 3-month period: 26.5 ")


def test_the_best_point_is_the_one_with_the_highest_mean(table, folder, base):
    best = table.groupby("point")["net_cash_flow"].mean().idxmax()
    at = table[table["point"] == best]
    label = f"{BILLERS} = {at[BILLERS].iloc[0]} and {DENIALS} = {at[DENIALS].iloc[0]:g} gives"
    assert sweep_answer(SweepResults.read(folder)).startswith(label)
    assert sweep_answer(SweepResults.of(table, base, GRID, seed=1)) == sweep_answer(
        SweepResults.read(folder)), "the same answer from memory and from the folder"


def test_kpis_outside_their_targets_are_marked_in_words(folder):
    results = SweepResults.read(folder)
    results.table["clean_claim_rate"] = 0.80
    results.table["days_in_ar"] = 20.0
    text = sweep_report(results)
    row = re.search(r"<tr><td>clean claim rate</td>.*?</tr>", text).group(0)
    assert row.count("\u2716 outside target") == 4 and "&gt;= 95.0%" in row
    row = re.search(r"<tr><td>days in A/R</td>.*?</tr>", text).group(0)
    assert "outside target" not in row and "&lt; 35.0" in row
    assert re.search(r"<th>billers 1, payers\[medicaid\]\.denial\.rate = 0\.1</th>", text)


def test_a_folder_that_is_not_a_sweep_is_refused_by_name(folder, tmp_path):
    with pytest.raises(ReportError, match=rf"{re.escape(str(tmp_path))}: not the results of a "
                                          r"sweep \(missing sweep\.parquet, sweep\.json"):
        SweepResults.read(tmp_path)
    (tmp_path / "sweep.json").write_text((folder / "sweep.json").read_text())
    with pytest.raises(ReportError, match=r"missing sweep\.parquet;"):
        sweep_report(tmp_path)
    pd.read_parquet(folder / "sweep.parquet").drop(columns=[DENIALS]).to_parquet(
        tmp_path / "sweep.parquet")
    with pytest.raises(ReportError, match=r"sweep\.parquet: no column for "
                                          r"payers\[medicaid\]\.denial\.rate"):
        SweepResults.read(tmp_path)


def test_the_period_is_named_in_months_when_it_is_whole_months():
    assert period(build({"calendar.horizon_days": 365})) == "12-month"
    assert period(build({"calendar.horizon_days": 90})) == "3-month"
    assert period(build({"calendar.horizon_days": 100})) == "100-day"


def test_points_that_change_nothing_are_said_to_tie(base):
    table = _hand_table()
    table["net_cash_flow"] = 1000.0 + 7.0 * table["replication"]
    results = SweepResults.of(table, base, {BILLERS: [1, 2, 3], DENIALS: [0.1, 0.2]}, seed=7)
    assert "ties with" in sweep_answer(results) and "in every replication" in sweep_answer(
        results)
