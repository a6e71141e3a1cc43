"""Reading scenario files: YAML, the ``extends:`` chain merged (``load_raw``, ``merge``),
validation with dated changes and ``sources`` checked (``validate``), and ``load_scenario``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from practicesim.scenario.changes import structural_change
from practicesim.scenario.errors import ScenarioError, explain
from practicesim.scenario.paths import get_path
from practicesim.scenario.root import Scenario


def merge(base: Any, over: Any) -> Any:
    """Overlay ``over`` on ``base``: dicts by key, lists of named dicts by name."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(over, list) and _named(base) and _named(over):
        out_list = list(base)
        index = {_name_of(item): i for i, item in enumerate(base)}
        for item in over:
            name = _name_of(item)
            if item.get("remove"):
                out_list = [x for x in out_list if _name_of(x) != name]
                index = {_name_of(x): i for i, x in enumerate(out_list)}
            elif name in index:
                out_list[index[name]] = merge(out_list[index[name]], item)
            else:
                index[name] = len(out_list)
                out_list.append(item)
        return out_list
    return over


def _name_of(item: dict[str, Any]) -> Any:
    return item.get("name", item.get("service_line"))


def _named(items: list[Any]) -> bool:
    return all(isinstance(i, dict) and _name_of(i) is not None for i in items)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, expected a scenario YAML file") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected UTF-8 YAML)") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}:{where}: not valid YAML ({exc.__class__.__name__})") from None
    except ValueError as exc:
        raise ScenarioError(f"{path}: a value cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of scenario sections, got {data!r:.60}")
    return data


def load_raw(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario file's data with its ``extends:`` chain merged, not yet validated."""
    path = Path(path)
    data = _read_yaml(path)
    _resolve_model_path(data, path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    parent_path = (path.parent / str(parent)).resolve()
    if parent_path in _seen:
        raise ScenarioError(f"{path}: extends: {parent} makes a cycle")
    base = load_raw(parent_path, (*_seen, parent_path))
    validate(base, parent_path)
    return merge(base, data)


def _resolve_model_path(data: dict[str, Any], path: Path) -> None:
    """A ``no_shows.model`` path is relative to the file that names it: make it absolute."""
    section = data.get("no_shows")
    if isinstance(section, dict) and isinstance(section.get("model"), str):
        model = Path(section["model"])
        if not model.is_absolute():
            section["model"] = str((path.parent / model).resolve())


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge ``extends:`` and validate a scenario file; raise ScenarioError on mistakes.

    >>> s = load_scenario("scenarios/baseline.yaml")  # doctest: +SKIP
    >>> s.calendar.horizon_days  # doctest: +SKIP
    365
    """
    return validate(load_raw(path), Path(path))


def validate(data: dict[str, Any], source: str | Path) -> Scenario:
    """Validate scenario data; errors name ``source`` and the key path."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(explain(exc, data, source, Scenario)) from None
    _check_sources(scenario, source)
    current = scenario.model_copy(update={"changes": []})
    order = sorted(range(len(scenario.changes)), key=lambda k: scenario.changes[k].date)
    for i in order:
        change = scenario.changes[i]
        try:
            changed = current.with_changes(change.set)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: changes[{i}] ({change.date}): {exc}") from None
        problem = structural_change(current, changed)
        if problem:
            raise ScenarioError(f"{source}: changes[{i}] ({change.date}): {problem}")
        current = changed
    return scenario


def _check_sources(scenario: Scenario, source: str | Path) -> None:
    """Every ``sources`` key with a text names a value of the scenario."""
    if not scenario.sources:
        return
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"sources"})
    for path, text in scenario.sources.items():
        try:
            if text:
                get_path(data, path)
        except ScenarioError:
            raise ScenarioError(f"{source}: sources: {path!r} is not a key path of this "
                                "scenario (e.g. payers[medicaid].denial.rate; an empty text "
                                "drops an inherited entry)") from None
