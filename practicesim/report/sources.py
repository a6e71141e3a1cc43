"""Where each value of a scenario comes from, for the assumptions of the client reports.

A value's source is, in this order:

1. what the scenario's own ``sources`` says of its key path (or of the part that holds it):
   ``practicesim calibrate`` writes "calibrated from data: ..." there, and a user may write a
   reason ("contract signed 2026-10");
2. the model reference, when the value is the one of practicesim's baseline practice
   (``scenarios/baseline.yaml``): ``docs/model-reference.md`` gives each of those values with
   its published source or the assumption behind it (both files ship with the package, under
   ``practicesim/data``);
3. otherwise "user input (scenario file)": a value the scenario sets with no source given.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

from practicesim.report.labels import parameter_value
from practicesim.scenario import Scenario, load_scenario

USER_INPUT = "user input (scenario file)"
_HEADER = "| key path | unit | default |"
_MISSING = object()


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """A scenario's ``model_dump`` as {key path: value}: dicts by key, lists of dicts by item
    name (``payers[medicaid].share``; ``demand[primary_care]`` by service line, else by
    index). A distribution (a dict with ``dist``) and a list of plain values stay one value."""
    if isinstance(data, dict) and "dist" not in data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        out = {}
        for i, item in enumerate(data):
            field = next((k for k in ("name", "service_line") if item.get(k)), None)
            out.update(flatten({k: v for k, v in item.items() if k != field},
                               f"{prefix}[{item[field] if field else i}]"))
        return out
    return {prefix: data}


def flat_values(scenario: Scenario) -> dict[str, Any]:
    """The scenario's values by key path (``flatten`` of its dump, ``sources`` left out)."""
    return flatten(scenario.model_dump(mode="json", by_alias=True, exclude={"sources"}))


def shown(value: Any) -> str:
    """A value as the reports print it: ``lognormal median 12 p90 17`` for a distribution,
    ``a, b`` for a list, ``not set`` for None, numbers and yes/no as
    ``labels.parameter_value`` writes them (``290,000``)."""
    if value is None:
        return "not set"
    if isinstance(value, dict):
        return " ".join([str(value.get("dist", ""))]
                        + [f"{k} {shown(v)}" for k, v in value.items() if k != "dist"]).strip()
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value) if value else "none"
    return parameter_value(value)


def brief(source: str, limit: int = 180) -> str:
    """A source as a table cell: its first sentence (cut at ``limit`` characters), with the
    evidence flags ([S], [V], [M]) of the whole text kept."""
    first = re.split(r"(?<=[a-z0-9)\]])\. (?=[A-Z(0-9])", source, maxsplit=1)[0]
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0] + " ..."
    flags = [f for f in dict.fromkeys(re.findall(r"\[[SVM]\]", source)) if f not in first]
    return " ".join([first, *flags])


def source_of(scenario: Scenario, key: str, value: Any, unlike: Scenario | None = None) -> str:
    """The source of ``value`` at ``key`` (a path of ``flatten``) in ``scenario`` (module
    docstring). With ``unlike`` (the baseline a scenario is compared with), a ``sources``
    entry the scenario shares with it is not taken for the scenario's own value: it came
    with a value the scenario has changed."""
    given = _given(scenario, key)
    if given and (unlike is None or given != _given(unlike, key)):
        return given
    if _baseline().get(key, _MISSING) == value:
        reference = reference_source(key)
        return "model reference: " + (reference or "docs/model-reference.md")
    return USER_INPUT


def _given(scenario: Scenario, key: str) -> str | None:
    """The ``sources`` entry of ``key`` or of its longest part that has one; else the entries
    of the keys inside it (a distribution's ``median`` and ``p90``), each named."""
    given = {path: text for path, text in scenario.sources.items() if text}
    best = max((path for path in given if key == path or key.startswith(
        (f"{path}.", f"{path}["))), key=len, default=None)
    if best is not None:
        return given[best]
    inner = [f"{path[len(key) + 1:]}: {text}" for path, text in given.items()
             if path.startswith(f"{key}.")]
    return "; ".join(inner) or None


def reference_source(key: str) -> str | None:
    """The source column of the model reference's row for ``key`` (its most specific
    matching key path pattern, ``payers[].denial.rate`` for ``payers[medicaid].denial.rate``),
    as plain text; None where it has no row."""
    row = _row(key)
    return None if row is None else row[2]


def reference_unit(key: str) -> str | None:
    """The unit column of the model reference's row for ``key`` (``people``, ``dollars``,
    ``probability``, ...), as plain text; None where it has no row."""
    row = _row(key)
    return None if row is None else row[1]


def _row(key: str) -> tuple[re.Pattern[str], str, str] | None:
    """The model reference's row of the most specific key path pattern matching ``key``."""
    matches = [row for row in _reference() if row[0].match(key)]
    return max(matches, key=lambda row: len(row[0].pattern), default=None)


@functools.cache
def _reference() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """(key path pattern, unit, source text) of every parameter row of the model reference."""
    text = (resources.files("practicesim") / "data" / "model-reference.md").read_text(
        encoding="utf-8")
    rows: list[tuple[re.Pattern[str], str, str]] = []
    in_table = False
    for line in text.splitlines():
        if line.startswith(_HEADER):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if in_table and len(cells) >= 5 and cells[0].startswith("`"):
            source = _plain("|".join(cells[4:]))
            rows += [(_pattern(key), _plain(cells[1]), source) for key in _keys(cells[0])]
    return tuple(rows)


def _keys(cell: str) -> list[str]:
    """The key paths of a key path cell: ```demand[].ramp.days_to_half`, `days_to_90pct```
    names ``demand[].ramp.days_to_half`` and its sibling ``demand[].ramp.days_to_90pct``."""
    names = re.findall(r"`([^`]+)`", cell)
    first = names[0]
    parent = first.rsplit(".", 1)[0] if "." in first else ""
    return [first] + [name if "." in name or "[" in name or not parent else f"{parent}.{name}"
                      for name in names[1:]]


def _pattern(key: str) -> re.Pattern[str]:
    """``payers[].denial.reasons.<carc>`` -> a regex of the key paths it stands for (and of
    the keys inside them)."""
    if key.startswith("..."):
        key = "service_lines[]." + key[3:].lstrip(".")
    optional_item = key.endswith("[]")
    regex = re.escape(key.removesuffix("[]") if optional_item else key)
    regex = regex.replace(r"\[\]", r"\[[^\]]+\]") + (r"(?:\[[^\]]+\])?" if optional_item else "")
    regex = re.sub(r"<[^>]+>", r"[^.\\[\\]]+", regex)
    return re.compile(rf"{regex}(?:$|[.\[])")


def _plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    return text.replace("**", "").replace("`", "").strip()


@functools.cache
def _baseline() -> dict[str, Any]:
    """The baseline practice's values, flattened."""
    with resources.as_file(resources.files("practicesim") / "data" / "baseline.yaml") as path:
        scenario = load_scenario(path)
    return flat_values(scenario)
