"""The client report of a comparison (practicesim.report.html, ``practicesim report``): answer
first, KPI table with targets, embedded figures, assumptions and method, self-contained."""

from __future__ import annotations

import base64
import io
import re

import pytest
from matplotlib import image

from practicesim import report
from practicesim.experiment import compare
from practicesim.output import write_comparison
from practicesim.report.html import (
    Results,
    answer,
    comparison_report,
    summary_html,
    waterfall_means,
)
from practicesim.report.labels import money
from tests.conftest import build
from tests.test_cli import cli


@pytest.fixture(scope="module")
def comparison():
    base = build({"calendar.horizon_days": 90})
    hire = base.with_changes({"staff.billers.count": 2}).model_copy(
        update={"name": "hire_biller"})
    return compare(base, hire, reps=3, seed=1, workers=1)


@pytest.fixture(scope="module")
def folder(comparison, tmp_path_factory):
    return write_comparison(comparison, tmp_path_factory.mktemp("cmp") / "results")


def test_the_report_answers_first_and_is_self_contained(folder):
    text = comparison_report(folder)
    body = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    assert "<script" not in body and "http://" not in body and "https://" not in body
    assert "@import" not in body and "url(" not in body, "no external fonts or styles"
    first = body.index("<h2>The answer</h2>")
    assert first < body.index("Key figures") < body.index("Figures") < body.index(
        "Assumptions") < body.index("Method")
    assert re.search(r"hire_biller (raises|lowers) 3-month net cash by \$[\d,]+ compared with "
                     r"small_practice \(90% interval", body)
    assert "staff.billers.count" in body, "the parameter that differs is listed"
    assert "3 replications of each scenario, seed 1, common random numbers" in body


def real_pngs(text: str) -> int:
    """How many PNG images the page embeds, each checked to decode to a sizeable, not blank
    picture."""
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)
    for data in images:
        pixels = image.imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100
        assert pixels.std() > 0.01, "not a blank image"
    return len(images)


def test_every_figure_is_a_real_png(folder):
    assert real_pngs(comparison_report(folder)) == 11, (
        "fan, cash, net income, A/R, 2 aging, 2 waterfalls, utilization, lead time, backlog")


def test_kpis_outside_their_targets_are_marked_in_words(folder):
    results = Results.read(folder)
    results.summary.loc[results.summary["kpi"] == "clean_claim_rate", "value"] = 0.80
    text = comparison_report(results)
    row = re.search(r"<tr><td>clean claim rate</td>.*?</tr>", text).group(0)
    assert "outside target" in row and "&gt;= 95.0%" in row


def test_the_same_answer_from_memory_and_from_the_folder(comparison, folder):
    assert answer(Results.of(comparison), "hire_biller") == answer(Results.read(folder),
                                                                   "hire_biller")
    assert "<table" in summary_html(comparison)
    pytest.importorskip("IPython")
    assert "hire_biller" in report.show(comparison).data
    assert not hasattr(comparison, "show"), "the experiment layer holds no presentation"


def test_the_cli_writes_the_report_and_refuses_a_folder_that_is_not_results(folder, tmp_path):
    out = tmp_path / "report.html"
    done = cli("report", str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("<!doctype html>")
    done = cli("report", str(tmp_path), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "not the results of a comparison" in done.stderr


def test_the_waterfall_is_the_mean_of_the_period_postings(folder):
    """Each step is the mean over replications of the period's postings, the rest closes the
    bars, and results written before the monthly series held them get a note instead."""
    results = Results.read(folder)
    means = waterfall_means(results)
    assert list(means.columns) == [results.baseline, "hire_biller"]
    base = results.monthly[results.monthly["scenario"] == results.baseline]
    by_rep = base.groupby("replication").sum(numeric_only=True)
    assert means.loc["gross_charges", results.baseline] == pytest.approx(
        by_rep["charges"].mean())
    assert means.loc["collected", results.baseline] == pytest.approx(by_rep["payments"].mean())
    assert means.loc["denial_writeoffs", results.baseline] == pytest.approx(
        by_rep["denial_writeoffs"].mean())
    months = base.pivot(index="replication", columns="month", values="ending_ar")
    first = base[base["month"] == 1].set_index("replication")
    opening = months[1] - (first["charges"] - first["contractual_adjustments"]
                           - first["denial_writeoffs"] - first["bad_debt"] - first["payments"])
    change = months[months.columns.max()] - opening
    assert means.loc["rest", results.baseline] == pytest.approx(change.mean(), abs=0.01), (
        "the closing bar is the change in A/R (month-end balances vs the postings)")
    assert "Rest: change in A/R" in comparison_report(results)
    old = Results.read(folder)
    old.monthly = old.monthly.drop(columns=["ar_0_30", "payments", "net_income",
                                            "cumulative_net_income"])
    note = comparison_report(old)
    assert "run the comparison again to see those figures" in note
    assert len(re.findall(r"data:image/png", note)) == 4
    assert "Profit and loss" not in note and "accrual" not in answer(old, "hire_biller")


def test_the_answer_and_the_pnl_give_the_accrual_view_beside_cash(folder):
    """The answer's accrual sentence is the paired mean of cumulative net income at month 12;
    the P&L table's rows are the means over replications of the first 12 months' sums, and
    net income is revenue earned less deductions less costs incurred."""
    results = Results.read(folder)
    monthly = results.monthly
    wide = {name: monthly[monthly["scenario"] == name].pivot(
        index="replication", columns="month", values="cumulative_net_income")
        for name in (results.baseline, "hire_biller")}
    last = min(12, int(monthly["month"].max()))
    mean = (wide["hire_biller"][last] - wide[results.baseline][last]).mean()
    text = answer(results, "hire_biller", month=last)
    assert f"{last}-month net income by {money(abs(mean))}" in text
    assert ("raises" if mean >= 0 else "lowers") in text.split("accrual basis")[1]
    base = monthly[(monthly["scenario"] == results.baseline) & (monthly["month"] <= 12)]
    sums = base.groupby("replication")[["revenue_earned", "revenue_deductions",
                                        "accrued_costs", "net_income"]].sum()
    assert (sums["net_income"] - (sums["revenue_earned"] - sums["revenue_deductions"]
                                  - sums["accrued_costs"])).abs().max() < 0.01
    page = comparison_report(results)
    row = re.search(r"<tr><td>net income \(accrual\)</td><td>(.*?)</td>", page).group(1)
    assert row == money(sums["net_income"].mean())


def test_every_assumption_names_its_source(comparison):
    """Changed values are user input unless the scenario says otherwise; the baseline's key
    parameters carry the scenario's own sources, or the model reference's where the value is
    practicesim's baseline value."""
    results = Results.of(comparison)
    text = comparison_report(results)
    row = re.search(r"<tr><td>staff\.billers\.count</td>.*?</tr>", text).group(0)
    assert "user input (scenario file)" in row
    base = results.scenarios[results.baseline]
    payer = base.payers[0].name
    results.scenarios[results.baseline] = base.with_changes(
        {"sources": {f"payers[{payer}]": "calibrated from data: remittances 2026"}})
    text = comparison_report(results)
    row = re.search(rf"<tr><td>payers\[{payer}\]\.share</td>.*?</tr>", text).group(0)
    assert "calibrated from data: remittances 2026" in row
    row = re.search(r"<tr><td>no_shows\.base_rate</td>.*?</tr>", text).group(0)
    assert "model reference: near the 8% no-show" in row
