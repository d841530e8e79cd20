"""Overrides by dotted path: ``--set PATH=VALUE`` parsing and setting paths in a raw mapping."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError
from sim.scenario.messages import short
from sim.scenario.strict_yaml import parse, printable


def parse_sets(items: Sequence[str] | None, option: str = "--set") -> dict[str, Any]:
    """``["world.decision.flee_constant=-2.5", ...]`` as overrides; values are YAML 1.2 values.

    Raises:
        ScenarioError: naming ``option`` and the path: no ``=``, a malformed path, a value that
            is not YAML, a path given twice.
    """
    out: dict[str, Any] = {}
    for item in items or ():
        dotted, equals, text = item.partition("=")
        dotted = dotted.strip()
        if not equals or not dotted:
            raise ScenarioError(option, "", f"expected PATH=VALUE, got {short(item)}")
        where = printable(dotted)
        try:
            path_tokens(dotted)
        except ValueError as exc:
            raise ScenarioError(option, where, str(exc)) from None
        if dotted in out:
            raise ScenarioError(option, where, "set twice")
        try:
            out[dotted] = parse(text) if text.strip() else None
        except yaml.YAMLError:
            raise ScenarioError(option, where, f"not a YAML value: {short(text)}") from None
        if out[dotted] is None:
            raise ScenarioError(option, where, "expected a value after '='")
    return out


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_tokens(dotted: str) -> list[str | int]:
    """``"policy.pledges[2].compliance"`` -> ``["policy", "pledges", 2, "compliance"]``."""
    tokens: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(dotted):
        between = dotted[pos : m.start()]
        if between not in ("", "."):
            raise ValueError(f"malformed path {dotted!r}")
        tokens.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(dotted) or not tokens or not isinstance(tokens[0], str):
        raise ValueError(f"malformed path {dotted!r}")
    return tokens


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any], source: str | Path = "<overrides>"
) -> dict[str, Any]:
    """Set paths in a copy of a raw mapping.

    Paths are dotted keys with optional list indices: ``world.decision.flee_constant``,
    ``policy.pledges[2].compliance``. Missing mapping levels are created; a list index must exist.

    Raises:
        ScenarioError: a malformed path or an index that does not exist (naming ``source``).
    """
    out = copy.deepcopy(dict(data))
    for dotted, value in overrides.items():
        try:
            tokens = path_tokens(dotted)
        except ValueError as exc:
            raise ScenarioError(source, printable(dotted), str(exc)) from None
        node: Any = out
        for here, nxt in zip(tokens[:-1], tokens[1:], strict=True):
            node = _descend(node, here, nxt, dotted, source)
        last = tokens[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise ScenarioError(source, printable(dotted), f"no item [{last}] in the list")
            node[last] = value
        else:
            node[last] = value
    return out


def _descend(node: Any, key: str | int, nxt: str | int, dotted: str, source: str | Path) -> Any:
    if isinstance(key, int):
        if not isinstance(node, list) or key >= len(node):
            raise ScenarioError(source, printable(dotted), f"no item [{key}] in the list")
        return node[key]
    if not isinstance(node, dict):
        raise ScenarioError(source, printable(dotted), f"{key!r} is not inside a mapping")
    child = node.get(key)
    if isinstance(nxt, int):
        if not isinstance(child, list):
            raise ScenarioError(source, printable(dotted), f"{key!r} is not a list")
        return child
    if child is None:
        child = {}
        node[key] = child
    elif not isinstance(child, dict):
        raise ScenarioError(source, printable(dotted), f"{key!r} is not a mapping")
    return child
