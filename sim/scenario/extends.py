"""Resolving ``extends`` chains: a scenario file merged key by key onto the files it extends."""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

from sim.errors import ScenarioError
from sim.scenario.reading import absolute, file_problem, read_yaml
from sim.scenario.strict_yaml import printable


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``; mappings merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    """The dotted path of every leaf (non-mapping value) of a nested mapping."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix


MAX_EXTENDS = 16
"""Longest ``extends`` chain followed (the shipped scenarios use one step)."""
SCENARIO_SUFFIXES = (".yaml", ".yml")
"""What an ``extends`` target must end with: a scenario file, never any other file."""
EMPTY = "empty scenario file; write at least `meta: {name: ...}`"


def _label(path: Path, stack: tuple[Path, ...]) -> str | Path:
    """How errors name a file: a parent also names the files that extend it."""
    if not stack:
        return path
    names = [printable(p.name) for p in reversed(stack)]
    if len(names) > 3:
        names = [names[0], "...", names[-1]]
    return f"{printable(str(path))} (extended by {' <- '.join(names)})"


def _kind(data: Any) -> str:
    """A value's kind for messages, never the value (it may be any file's content)."""
    return {str: "text", list: "a list", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(data), type(data).__name__
    )


def _resolve(path: Path, stack: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, str | Path]]:
    """Raw merged mapping of a file and its ``extends`` chain, with the file of each leaf."""
    label = _label(path, stack)
    if path in stack:
        chain = " -> ".join(p.name for p in (*stack, path))
        raise ScenarioError(_label(stack[-1], stack[:-1]), "extends", f"extends cycle: {chain}")
    data = read_yaml(path, label)
    if data is None:
        raise ScenarioError(label, "", EMPTY)
    if not isinstance(data, dict):
        raise ScenarioError(
            label, "", f"expected a mapping of sections at the top, got {_kind(data)}"
        )
    parent = data.pop("extends", None)
    merged: dict[str, Any] = {}
    origin: dict[str, str | Path] = {}
    if parent is not None:
        if len(stack) + 1 >= MAX_EXTENDS:
            raise ScenarioError(
                label, "extends", f"extends chain longer than {MAX_EXTENDS} files; shorten it"
            )
        merged, origin = _resolve(_extends_target(path, label, parent), (*stack, path))
    merged = deep_merge(merged, data)
    for leaf in leaf_paths(data):
        origin[leaf] = label
    return merged, origin


def _extends_target(path: Path, label: str | Path, parent: Any) -> Path:
    """The file ``extends: parent`` names, checked before it is opened."""

    def fail(message: str) -> NoReturn:
        raise ScenarioError(label, "extends", message)

    if not isinstance(parent, str) or not parent:
        fail("expected the path of another scenario file")
    if not parent.isprintable():
        fail(f"the file name contains control characters: {parent[:80]!r}")
    name = printable(parent[:80]) + ("..." if len(parent) > 80 else "")
    if len(parent) > 1024 or any(len(part) > 255 for part in parent.split("/")):
        fail(f"file name too long ({len(parent):,} characters): {name}")
    if not parent.endswith(SCENARIO_SUFFIXES):
        fail(f"expected a scenario file ending in .yaml or .yml, got {name}")
    target = absolute(path.parent / parent)
    problem = file_problem(path.parent / parent)
    if problem == "file not found":
        fail(f"file not found: {name}{_did_you_mean(path, parent)}")
    if problem:
        fail(f"{name}: {problem}")
    return target


def _did_you_mean(path: Path, parent: str) -> str:
    """A hint naming a file of that name near the extending file, relative to it."""
    here = path.parent
    near = [here.parent / parent, Path.cwd() / parent]
    with contextlib.suppress(OSError):  # an unreadable folder gives no hint, not an error
        near += [d / parent for d in sorted(here.iterdir())[:200] if d.is_dir()]
    for candidate in near:
        if candidate.is_file():
            relative = os.path.relpath(candidate, here)
            return f"; did you mean {relative}? paths are relative to the file that extends"
    return "; paths are relative to the file that extends"


def load_raw(path: str | Path) -> tuple[dict[str, Any], dict[str, str | Path]]:
    """The merged mapping of a scenario file (``extends`` followed) and each leaf's file."""
    return _resolve(absolute(Path(path)), ())
