"""Validation error messages: a pydantic error as a ScenarioError naming file and dotted path."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.strict_yaml import printable

Origin = Mapping[str, str | Path]
"""The file (or how errors name it) that set each dotted leaf path."""

_UNION_TAG = re.compile(r"^[a-z][a-z0-9_-]*\[.*\]$|^(?:int|float|str|bool|none)$")
"""Pydantic's names of a union's members in error locations (``literal['a','b']``): not fields."""


def _loc_to_path(
    loc: tuple[Any, ...], skip: frozenset[str] = frozenset(), keep_last: bool = False
) -> str:
    """A dotted path from a pydantic location, without union member names and tags."""
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in skip or (
            _UNION_TAG.match(str(part)) and not (keep_last and i == len(loc) - 1)
        ):
            continue
        else:
            out += f".{printable(str(part))}" if out else printable(str(part))
    return out


def prefixes(path: str) -> Iterator[str]:
    """``a.b[2].c`` -> ``a.b``, ``a``: the dotted path before any index, then its parents."""
    plain = path.split("[")[0]
    while plain:
        yield plain
        plain = plain.rpartition(".")[0]


def file_of(path: str, origin: Origin, default: str | Path) -> str | Path:
    """The file that set ``path`` (or its nearest parent), else ``default``."""
    return next((origin[p] for p in prefixes(path) if p in origin), default)


def short(value: Any, limit: int = 60) -> str:
    """``repr`` of a value on one line, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = printable(str(err.get("msg", "invalid value")).removeprefix("Value error, "))
    given = err.get("input")
    if kind and not kind.startswith("value_error") and not isinstance(given, dict | list):
        msg += f" (got {short(given)})"
    return msg


def validation_error(
    exc: ValidationError,
    file: str | Path,
    origin: Origin | None = None,
    skip: frozenset[str] = frozenset(),
) -> ScenarioError:
    """The first problem of a pydantic error as a :class:`ScenarioError` with its dotted path.

    Args:
        exc: the validation error.
        file: the file to name (or, with ``origin``, the default when no leaf matches).
        origin: the file each leaf path came from (``extends`` chains).
        skip: location parts that are not fields (e.g. a tagged union's tags).
    """
    errors = exc.errors()
    first = errors[0]
    path = _loc_to_path(tuple(first["loc"]), skip, first.get("type") == "extra_forbidden")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return ScenarioError(file_of(path, origin or {}, file), path, _describe(first) + more)
