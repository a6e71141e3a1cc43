"""The what-if scenario files under scenarios/: each states its question and validates; the
credentialing pair isolates lateness."""

from __future__ import annotations

from datetime import date

import pytest

from practicesim import load_scenario
from practicesim.engine import Practice
from tests.conftest import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_each_scenario_states_its_question_and_validates(path):
    first = path.read_text().splitlines()[0]
    if path.name != "baseline.yaml":
        assert first.startswith("# Question:"), f"{path.name} should open with its question"
    assert load_scenario(path).name == path.stem


def test_late_credentialing_shifts_every_enrollment_by_the_application_delay():
    """Same processing-time draws in both files (common random numbers), so each payer's
    enrollment takes effect exactly as much later as the application went in."""
    on_time = load_scenario(ROOT / "scenarios" / "hire_provider.yaml")
    late = load_scenario(ROOT / "scenarios" / "late_credentialing.yaml")
    delay = (date(2027, 2, 1) - date(2026, 11, 1)).days
    for replication in range(3):
        a, b = Practice(on_time, 1, replication), Practice(late, 1, replication)
        seat = [s.name for s in a.ctx.seats].index("new_physician")
        for payer, terms in enumerate(on_time.payers):
            if terms.kind == "self_pay":
                continue
            shift = (b.ctx.coverage.effective_day(seat, payer)
                     - a.ctx.coverage.effective_day(seat, payer))
            assert shift == delay, terms.name
