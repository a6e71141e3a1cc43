"""What is wrong with a scenario: ``ScenarioError``, and the one-line messages built from
pydantic's validation errors (``file: key.path: what was expected, got what was found``, with a
"did you mean" for a misspelt key)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


class ScenarioError(ValueError):
    """A scenario file is wrong: the message names the file, the key path, expected and found."""


_TAGS = {"fixed", "exponential", "lognormal", "gamma", "normal", "uniform", "empirical"}


def explain(exc: ValidationError, data: dict[str, Any], source: str | Path | None,
             model: type[BaseModel]) -> str:
    """One line per error: ``file: key.path: what was expected, got what was found``.
    ``model``: the model ``data`` was validated as (the ``Scenario``), whose fields give the
    "did you mean" of an unknown key."""
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"]
           if p not in _TAGS and p != "[key]" and not str(p).startswith("function-")]
        key = _format_loc(loc)
        lines.append(f"{source}: {key}: {_message(err, loc, data, model)}" if source else
                     f"{key}: {_message(err, loc, data, model)}")
    return "\n".join(dict.fromkeys(lines))


def _format_loc(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(err: Any, loc: list[Any], data: dict[str, Any], model: type[BaseModel]) -> str:
    kind, ctx, found = err["type"], err.get("ctx", {}), err.get("input")
    if kind == "extra_forbidden":
        siblings = _siblings(loc, data, model)
        close = difflib.get_close_matches(str(loc[-1]), siblings, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if kind == "missing":
        return "required key is missing"
    bounds = {"greater_than": "> {gt}", "greater_than_equal": ">= {ge}",
              "less_than": "< {lt}", "less_than_equal": "<= {le}"}
    if kind in bounds:
        limit = {k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        return f"must be {bounds[kind].format(**limit)}, got {found!r}"
    if kind == "union_tag_invalid":
        return f"dist must be one of {sorted(_TAGS)}, got {ctx.get('tag')!r}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg'][0].lower()}{err['msg'][1:]}, got {found!r:.80}"


def _siblings(loc: list[Any], data: Any, root: type[BaseModel]) -> list[str]:
    """The keys the model accepts beside an unknown key (for a 'did you mean')."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        model = _inner_model(field.annotation) if field else None
    return list(model.model_fields) if model is not None and hasattr(model, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
