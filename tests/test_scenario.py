"""Scenario files: loading, extends, dated changes, key paths and error messages."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from practicesim.scenario import ScenarioError, load_scenario, parse_path, set_path
from tests.conftest import BASELINE, SMALL, build


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_baseline_loads_with_ten_providers_and_five_plus_payers():
    scenario = load_scenario(BASELINE)
    assert sum(p.count for p in scenario.providers) == 10
    assert len(scenario.payers) >= 5
    kinds = {p.kind for p in scenario.payers}
    assert {"medicare", "medicaid", "commercial", "self_pay"} <= kinds


def test_scenario_is_frozen_and_picklable():
    scenario = load_scenario(BASELINE)
    assert pickle.loads(pickle.dumps(scenario)) == scenario
    with pytest.raises(Exception, match="frozen"):
        scenario.name = "changed"


def test_hash_is_stable_and_sensitive():
    assert load_scenario(BASELINE).hash == load_scenario(BASELINE).hash
    assert build({"staff.billers.count": 2}).hash != build().hash


def test_extends_merges_named_lists_by_name():
    small = load_scenario(SMALL)
    assert [p.name for p in small.providers] == ["physician"]
    assert small.providers[0].count == 2
    # untouched parts of a merged item come from the base file
    assert small.providers[0].annual_compensation == 290000
    assert small.payers == load_scenario(BASELINE).payers


def test_unknown_key_is_an_error_naming_file_and_key(tmp_path):
    path = write(tmp_path, f"extends: {BASELINE}\nstaf: {{}}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: staf: unknown key (did you mean 'staff'?)"


def test_bound_error_names_key_path_expected_and_found(tmp_path):
    text = (f"extends: {BASELINE}\npayers:\n  - name: medicaid\n"
            "    lag_days: {dist: lognormal, median: -3, p90: 4}\n")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == f"{path}: payers[3].lag_days.median: must be > 0, got -3"


def test_nested_unknown_key_is_an_error(tmp_path):
    path = write(tmp_path, f"extends: {BASELINE}\nbilling:\n  scrubber_catch: 0.9\n")
    with pytest.raises(ScenarioError, match=r"billing\.scrubber_catch: unknown key"):
        load_scenario(path)


def test_unknown_distribution_is_explained(tmp_path):
    path = write(tmp_path, f"extends: {BASELINE}\nbilling:\n  charge_lag_days: {{dist: weibull}}\n")
    with pytest.raises(ScenarioError, match="dist must be one of"):
        load_scenario(path)


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "absent.yaml")
    path = write(tmp_path, "name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)


def test_reference_to_unknown_payer_is_an_error():
    with pytest.raises(ScenarioError, match="unknown payer 'aetna'"):
        build({"providers[physician].credentialing": {"aetna": {"effective": "2027-03-01"}}})


def test_bare_number_is_a_fixed_distribution():
    scenario = build({"billing.scrub_fix_days": 3})
    assert scenario.billing.scrub_fix_days.dist == "fixed"
    assert scenario.billing.scrub_fix_days.value == 3


def test_key_paths_address_lists_by_index_and_name():
    assert parse_path("payers[commercial_a].denial.rate") == [
        "payers", "commercial_a", "denial", "rate"]
    assert parse_path("providers[0].count") == ["providers", 0, "count"]
    data = {"payers": [{"name": "a", "x": 1}, {"name": "b", "x": 2}]}
    set_path(data, "payers[b].x", 5)
    assert data["payers"][1]["x"] == 5


def test_setting_an_unknown_key_path_fails():
    with pytest.raises(ScenarioError, match=r"staff\.bilers: unknown key \(did you mean 'billers'"):
        build({"staff.bilers.count": 2})


def test_dated_changes_give_epochs_in_date_order(tmp_path):
    text = (f"extends: {SMALL}\nchanges:\n"
            "  - {date: 2027-05-01, set: {staff.billers.count: 3}}\n"
            "  - {date: 2027-03-01, set: {staff.billers.count: 2}, note: hire}\n")
    scenario = load_scenario(write(tmp_path, text))
    epochs = scenario.epochs()
    assert [str(d) for d, _ in epochs] == ["2026-10-03", "2027-03-01", "2027-05-01"]
    assert [s.staff.billers.count for _, s in epochs] == [1, 2, 3]


def test_a_change_to_an_invalid_value_is_reported_with_its_index(tmp_path):
    text = (f"extends: {SMALL}\nchanges:\n"
            "  - {date: 2027-03-01, set: {staff.billers.count: -1}}\n")
    with pytest.raises(ScenarioError, match=r"changes\[0\].*staff\.billers\.count"):
        load_scenario(write(tmp_path, text))


def test_extends_cycle_is_detected(tmp_path):
    write(tmp_path, "extends: b.yaml\nname: a\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\nname: b\n", "b.yaml")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_changes_that_restructure_the_practice_are_rejected(tmp_path):
    for change in ("providers[physician].count: 5", "payers[commercial_b].name: commercial_c"):
        text = f"extends: {SMALL}\nchanges:\n  - date: 2027-03-01\n    set:\n      {change}\n"
        with pytest.raises(ScenarioError, match="cannot be added, removed or re-counted"):
            load_scenario(write(tmp_path, text))


def test_changes_are_validated_together_in_date_order(tmp_path):
    text = (f"extends: {SMALL}\nchanges:\n"
            "  - {date: 2027-04-01, set: {patient_collections.statement_cycle_days: 0}}\n"
            "  - {date: 2027-03-01, set: {staff.billers.count: 2}}\n")
    with pytest.raises(ScenarioError, match=r"changes\[0\] \(2027-04-01\)"):
        load_scenario(write(tmp_path, text))


def test_shares_must_sum_to_one():
    with pytest.raises(ScenarioError, match="shares must be >= 0 and sum to 1"):
        build({"billing.error_denial_reasons": {"16": 0.5}})


@pytest.mark.parametrize(("rates", "message"), [
    ({30: 1.0}, r"walk_ins_per_hour\[30\]"), ({9: -1.0}, r"walk_ins_per_hour\[9\]: must be >= 0")])
def test_walk_in_hours_and_rates_are_checked(rates, message):
    with pytest.raises(ScenarioError, match=message):
        build({"demand[primary_care].walk_ins_per_hour": rates})


def test_changes_to_visit_types_or_calendar_are_rejected(tmp_path):
    for change in ("calendar.horizon_days: 30", "starting_cash: 5"):
        text = f"extends: {SMALL}\nchanges:\n  - date: 2027-03-01\n    set:\n      {change}\n"
        with pytest.raises(ScenarioError, match="cannot change mid-run"):
            load_scenario(write(tmp_path, text))


def test_errors_on_mapping_keys_name_the_key():
    with pytest.raises(ScenarioError) as err:
        build({"demand[primary_care].month_factors": {13: 1.0}})
    assert "month_factors[13]:" in str(err.value)
    assert "[key]" not in str(err.value)


@pytest.mark.parametrize("change", [
    "payers[medicare].lag_days: 30", "billing.charge_lag_days: 9",
    "patient_collections.agency_days: 10", "payers[medicaid].share: 0.5",
])
def test_changes_the_engine_would_ignore_are_rejected(tmp_path, change):
    text = f"extends: {SMALL}\nchanges:\n  - date: 2027-03-01\n    set:\n      {change}\n"
    with pytest.raises(ScenarioError, match="cannot change mid-run"):
        load_scenario(write(tmp_path, text))
