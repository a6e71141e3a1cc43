"""The client report opened in a real headless Chromium (practicesim.report.browser): it loads
with no console error and no network request, every figure loads at a non-zero size, the
answer and the KPI table are there, the screenshot is not blank, it fits a phone's width, and
its PDF print has the same sections. Skips, with the reason, where Chromium is not installed
(``.ci/run`` installs Debian's chromium)."""

from __future__ import annotations

import io

import pytest
from matplotlib import image

from practicesim.experiment import compare, sweep
from practicesim.output import write_comparison, write_sweep
from practicesim.report.browser import check_page, find_chromium
from practicesim.report.html import comparison_report
from tests.conftest import build
from tests.test_cli import cli

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="Chromium is not installed (apt-get install chromium; .ci/run installs it as root)")

SECTIONS = ("The answer", "Key figures", "Figures", "Assumptions", "Method")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = build({"calendar.horizon_days": 90})
    hire = base.with_changes({"staff.billers.count": 2}).model_copy(
        update={"name": "hire_biller"})
    folder = tmp_path_factory.mktemp("cmp")
    results = write_comparison(compare(base, hire, reps=3, seed=1, workers=1),
                               folder / "results")
    page = folder / "report.html"
    page.write_text(comparison_report(results), encoding="utf-8")
    return results, page


def test_the_report_loads_cleanly_in_chromium(report):
    _, page = report
    check = check_page(page)
    assert check.errors == []
    assert check.requests == [], "no network request"
    assert len(check.images) >= 4
    for loaded, natural_width, natural_height, shown_width in check.images:
        assert loaded and natural_width > 0 and natural_height > 0 and shown_width > 0
    assert "hire_biller lowers 3-month net cash" in check.text or (
        "hire_biller raises 3-month net cash" in check.text)
    assert "clean claim rate" in check.text and "target" in check.text
    pixels = image.imread(io.BytesIO(check.screenshot), format="png")
    assert pixels.std() > 0.01, "the screenshot is not blank"


def test_the_report_fits_a_phone_screen(report):
    _, page = report
    check = check_page(page, width=390, height=844)
    assert check.scroll_width <= 391, "no sideways scrolling of the page (tables scroll alone)"
    assert all(shown <= 390 for *_, shown in check.images)


def test_the_pdf_has_the_same_sections(report, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    results, _ = report
    out = tmp_path / "report.html"
    done = cli("report", str(results), "--out", str(out), "--pdf")
    assert done.returncode == 0, done.stderr
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(out.with_suffix(".pdf")).pages)
    positions = [text.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)


def test_a_sweep_report_from_the_cli_loads_cleanly_at_phone_width(tmp_path):
    base = build({"calendar.horizon_days": 90})
    grid = {"staff.billers.count": [1, 2]}
    results = write_sweep(sweep(base, grid, reps=2, seed=1, workers=1), base, grid, 1,
                          tmp_path / "sweep")
    out = tmp_path / "sweep.html"
    done = cli("report", str(results), "--out", str(out))
    assert done.returncode == 0, done.stderr
    check = check_page(out, width=390, height=844)
    assert check.errors == [] and check.requests == []
    assert len(check.images) == 3, "the main effect and two tornados"
    assert all(loaded and width > 0 for loaded, width, *_ in check.images)
    assert "gives the highest net cash" in check.text and "days in A/R" in check.text
    assert check.scroll_width <= 391
