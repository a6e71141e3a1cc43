"""Where each value of a scenario comes from (practicesim.report.sources): the scenario's own
``sources``, the model reference for the baseline practice's values, user input otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from practicesim.report.sources import (
    USER_INPUT,
    brief,
    flat_values,
    flatten,
    reference_source,
    reference_unit,
    shown,
    source_of,
)
from practicesim.scenario import ScenarioError, load_scenario

SCENARIOS = sorted(Path(__file__).parents[1].joinpath("scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_value_of_every_scenario_has_a_row_in_the_model_reference(path):
    missing = [k for k in flat_values(load_scenario(path)) if reference_source(k) is None]
    assert not missing, f"docs/model-reference.md has no row for {missing}"


def test_templated_rows_match_the_key_paths_they_stand_for():
    assert "[S]" in reference_source("no_shows.base_rate")
    assert reference_source("payers[medicaid].denial.rate") == reference_source(
        "payers[medicare].denial.rate")
    assert "BLS" in reference_source("staff.billers.annual_salary")
    assert reference_source("demand[allergy].ramp.days_to_90pct") == reference_source(
        "demand[allergy].ramp.days_to_half"), "a sibling named in the same cell"
    assert reference_source("outsourcing.fee_rate").startswith("full outsourcing: 4-10%")
    assert reference_source("no_such.key") is None
    assert reference_unit("staff.billers.count") == "people"
    assert reference_unit("payers[medicaid].denial.rate") == "probability per first adjudication"
    assert reference_unit("no_such.key") is None
    assert "](" not in reference_source("calendar.warmup_days"), "markdown links made plain"


def test_the_source_of_a_value_is_given_referenced_or_user_input():
    base = load_scenario(SCENARIOS[0].with_name("baseline.yaml"))
    rate = base.payers[1].denial.rate
    key = f"payers[{base.payers[1].name}].denial.rate"
    assert source_of(base, key, rate).startswith("model reference:")
    changed = base.with_changes({key: 0.2})
    assert source_of(changed, key, 0.2) == USER_INPUT
    given = changed.with_changes({"sources": {f"payers[{base.payers[1].name}]": "contract 2026"}})
    assert source_of(given, key, 0.2) == "contract 2026", "a part's source covers its keys"
    assert given.hash == changed.hash, "sources do not change what is simulated"
    lag = f"payers[{base.payers[1].name}].lag_days"
    fitted = base.with_changes({"sources": {f"{lag}.median": "fitted", f"{lag}.p90": "fitted"}})
    assert source_of(fitted, lag, None) == "median: fitted; p90: fitted", "parts of a value"
    again = given.with_changes({key: 0.25})
    assert source_of(again, key, 0.25, unlike=given) == USER_INPUT, "an inherited source is stale"


def test_a_source_must_name_a_key_path_of_the_scenario(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {SCENARIOS[0].with_name('baseline.yaml')}\nname: bad\n"
                    "sources:\n  payers[nope].share: a guess\n")
    with pytest.raises(ScenarioError, match=r"bad.yaml: sources: 'payers\[nope\].share' is not"):
        load_scenario(path)
    parent = tmp_path / "parent.yaml"
    parent.write_text(f"extends: {SCENARIOS[0].with_name('baseline.yaml')}\nname: parent\n"
                      "sources:\n  payers[self_pay].share: our front desk's count\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\npayers:\n  - name: self_pay\n"
                     "    remove: true\n")
    with pytest.raises(ScenarioError, match="an empty text drops an inherited entry"):
        load_scenario(child)
    child.write_text(child.read_text() + "sources:\n  payers[self_pay].share: ''\n")
    assert load_scenario(child).sources == {"payers[self_pay].share": ""}
    changed = load_scenario(SCENARIOS[0].with_name("outsource_rcm.yaml")).with_changes(
        {"sources": {"changes[0].set": "the vendor's offer"}})
    assert len(changed.epochs()) >= 2, "a source on a dated change does not stop the run"


def test_values_are_shown_as_a_reader_writes_them():
    assert shown({"dist": "lognormal", "median": 12.0, "p90": 17.0}) == "lognormal median 12 p90 17"
    assert shown(290000) == "290,000" and shown(1234567.5) == "1,234,567.5"
    assert shown(None) == "not set" and shown([]) == "none" and shown([0.5, 0.25]) == "0.5, 0.25"
    flat = flatten({"payers": [{"name": "medicaid", "share": 0.2}],
                    "demand": [{"service_line": "primary_care", "requests_per_day": 90}]})
    assert flat == {"payers[medicaid].share": 0.2, "demand[primary_care].requests_per_day": 90}


def test_a_source_in_brief_is_its_first_sentence_with_its_evidence_flags():
    text = ("Denials besides scrubber misses. Medicare: NHIRC 2013 [S]. Commercial: survey "
            "figure [V].")
    assert brief(text) == "Denials besides scrubber misses [S] [V]"
    assert len(brief("word " * 100)) <= 184 and brief("word " * 100).endswith("...")
    assert shown(True) == "yes" and shown(3) == "3"
