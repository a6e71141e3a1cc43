"""Dotted key paths into a scenario's data (``payers[commercial_a].denial.rate``): list items
are addressed by index or by name. Used by dated ``changes:``, ``with_changes``, ``sources:``
and sweeps."""

from __future__ import annotations

import re
from typing import Any

from practicesim.scenario.errors import ScenarioError

_PART = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


def parse_path(path: str) -> list[str | int]:
    """``"payers[commercial_a].denial.rate"`` -> ``["payers", "commercial_a", "denial", "rate"]``;
    a bracketed integer becomes an index."""
    parts: list[str | int] = []
    for name, bracket in _PART.findall(path):
        if bracket:
            parts.append(int(bracket) if bracket.lstrip("-").isdigit() else bracket)
        else:
            parts.append(name)
    if not parts:
        raise ScenarioError(f"empty key path {path!r}")
    return parts


def _child(node: Any, key: str | int, path: str) -> Any:
    if isinstance(node, list):
        if isinstance(key, int):
            if not -len(node) <= key < len(node):
                raise ScenarioError(f"{path}: index {key} out of range (list of {len(node)})")
            return key
        for i, item in enumerate(node):
            if isinstance(item, dict) and key in (item.get("name"), item.get("service_line")):
                return i
        names = [item.get("name") or item.get("service_line") for item in node]
        raise ScenarioError(f"{path}: no item named {key!r}, expected one of {names}")
    if isinstance(node, dict):
        return key
    raise ScenarioError(f"{path}: cannot index into a {type(node).__name__} with {key!r}")


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted key path inside nested dicts and lists (a scenario's
    ``model_dump``); ``ScenarioError`` when the path names nothing there."""
    node: Any = data
    for key in parse_path(path):
        try:
            node = node[_child(node, key, path)]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError(f"{path}: no {key!r} here") from None
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted key path inside nested dicts and lists (in place). Missing
    mapping keys are created; whether they are allowed is for validation to say."""
    parts = parse_path(path)
    node: Any = data
    for key in parts[:-1]:
        k = _child(node, key, path)
        if isinstance(node, dict) and k not in node:
            node[k] = {}
        node = node[k]
    node[_child(node, parts[-1], path)] = value
