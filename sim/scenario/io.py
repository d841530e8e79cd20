"""Reading scenario files: YAML at the edge, ``extends`` merging, and clear error messages.

``load_scenario(path)`` parses a file with ``yaml.safe_load``, follows ``extends:`` (relative to
the file), merges mappings key by key (a child's list replaces its parent's), validates once into
a frozen :class:`~sim.scenario.schema.Scenario`, then checks what a schema cannot see alone:
dates inside the run period, schedules in order, countries present in the data. Every failure is a
:class:`ScenarioError` naming the file and the dotted field path.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.schema import SCHEDULES, Scenario, month_of
from sim.world.countries import load_countries


def read_yaml(path: Path) -> Any:
    """Parse one YAML file safely, turning every failure into a :class:`ScenarioError`."""
    if not path.exists():
        raise ScenarioError(path, "", "file not found")
    if path.is_dir():
        raise ScenarioError(path, "", "is a folder, expected a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, "", f"cannot be read: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else "somewhere"
        tag = (exc.problem or "").split()[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        raise ScenarioError(
            path, "", f"{where}: YAML tags such as {tag} are not allowed (plain data only)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, "", f"broken YAML at {where}: {problem}") from None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into a copy of ``base``; mappings merge, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaf_paths(data: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix


def _resolve(path: Path, stack: tuple[Path, ...]) -> tuple[dict[str, Any], dict[str, Path]]:
    """Raw merged mapping of a file and its ``extends`` chain, with the file of each leaf."""
    path = path.resolve() if path.exists() else path
    if path in stack:
        chain = " -> ".join(p.name for p in (*stack, path))
        raise ScenarioError(stack[-1], "extends", f"extends cycle: {chain}")
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, "", f"expected a mapping at the top, got {type(data).__name__}")
    parent = data.pop("extends", None)
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(path, "extends", "expected a path to another scenario file")
        parent_path = (path.parent / parent).resolve()
        if not parent_path.exists():
            raise ScenarioError(path, "extends", f"file not found: {parent}")
        merged, origin = _resolve(parent_path, (*stack, path))
    merged = deep_merge(merged, data)
    for leaf in _leaf_paths(data):
        origin[leaf] = path
    return merged, origin


def _loc_to_path(loc: tuple[Any, ...], skip: frozenset[str] = frozenset()) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in skip:
            out += f".{part}" if out else str(part)
    return out


def _prefixes(path: str) -> Iterator[str]:
    """``a.b[2].c`` -> ``a.b``, ``a``: the dotted path before any index, then its parents."""
    plain = path.split("[")[0]
    while plain:
        yield plain
        plain = plain.rpartition(".")[0]


def _file_of(path: str, origin: Mapping[str, Path], default: Path) -> Path:
    return next((origin[p] for p in _prefixes(path) if p in origin), default)


def _describe(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    given = err.get("input")
    if kind and not kind.startswith("value_error") and not isinstance(given, dict | list):
        msg += f" (got {given!r})"
    return msg


def validation_error(
    exc: ValidationError,
    file: Path,
    origin: Mapping[str, Path] | None = None,
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
    path = _loc_to_path(tuple(first["loc"]), skip)
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return ScenarioError(_file_of(path, origin or {}, file), path, _describe(first) + more)


def validate(
    data: Mapping[str, Any],
    file: Path,
    origin: Mapping[str, Path] | None = None,
    own: frozenset[str] | None = None,
) -> Scenario:
    """Validate a merged mapping into a :class:`Scenario`, or raise :class:`ScenarioError`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, file, origin) from None
    check_semantics(scenario, file, origin, own)
    return scenario


def check_semantics(
    scenario: Scenario,
    file: Path,
    origin: Mapping[str, Path] | None = None,
    own: frozenset[str] | None = None,
) -> None:
    """Checks across fields: dates in the period, schedules ascending, known countries.

    ``own`` lists the dotted paths the file (or the overrides) set itself; only their dates must
    lie in the run period (``None``: every date). Inherited dates beyond a shortened period are
    simply never reached.
    """
    origin = origin or {}
    lo, hi = scenario.start_month, scenario.end_month
    period = f"{scenario.run.start}..{scenario.run.end}"

    def fail(path: str, message: str) -> None:
        raise ScenarioError(_file_of(path, origin, file), path, message)

    def in_period(path: str, date: str) -> None:
        # a date set by the file itself must lie in its period; dates inherited through
        # ``extends`` from a longer parent are simply never reached when the period is shorter
        if own is not None and not any(p in own for p in _prefixes(path)):
            return
        if not lo <= month_of(date) <= hi:
            fail(path, f"date {date} is outside the run period {period}")

    policy = scenario.policy
    for name in SCHEDULES:
        steps = getattr(policy, name)
        previous = None
        for i, step in enumerate(steps):
            in_period(f"policy.{name}[{i}].from", step.start)
            if previous is not None and month_of(step.start) <= previous:
                fail(f"policy.{name}[{i}].from", "schedule steps must be in increasing date order")
            previous = month_of(step.start)
    for i, window in enumerate(policy.leniency_windows):
        in_period(f"policy.leniency_windows[{i}].start", window.start)
        in_period(f"policy.leniency_windows[{i}].end", window.end)
    countries = load_countries()
    known = set(countries.iso3)
    for i, pledge in enumerate(policy.pledges):
        in_period(f"policy.pledges[{i}].date", pledge.date)
        if isinstance(pledge.members, tuple):
            for j, iso3 in enumerate(pledge.members):
                if iso3 not in known:
                    fail(
                        f"policy.pledges[{i}].members[{j}]", f"country {iso3!r} is not in the data"
                    )
    for kind in ("add", "withdraw"):
        for i, change in enumerate(getattr(policy.treaties, kind)):
            in_period(f"policy.treaties.{kind}[{i}].date", change.date)
            if change.iso3 not in known:
                fail(
                    f"policy.treaties.{kind}[{i}].iso3",
                    f"country {change.iso3!r} is not in the data",
                )


def load_raw(path: str | Path) -> tuple[dict[str, Any], dict[str, Path]]:
    """The merged mapping of a scenario file (``extends`` followed) and each leaf's file."""
    return _resolve(Path(path), ())


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load, merge and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: optional ``{"world.exposure.base_per_year": 0.1, ...}`` applied after merging.

    Returns:
        The frozen, valid scenario.

    Raises:
        ScenarioError: on any bad input, naming the file and the field path.
    """
    data, origin = load_raw(Path(path))
    file = Path(path).resolve() if Path(path).exists() else Path(path)
    own = frozenset(k for k, v in origin.items() if v == file)
    if overrides:
        data = apply_overrides(data, overrides)
        origin.update({dotted: file for dotted in overrides})
        own = frozenset(overrides)
    return validate(data, file, origin, own)


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


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set paths in a copy of a raw mapping.

    Paths are dotted keys with optional list indices: ``world.decision.flee_constant``,
    ``policy.pledges[2].compliance``. Missing mapping levels are created; a list index must exist.

    Raises:
        ScenarioError: a malformed path or an index that does not exist (file ``<overrides>``).
    """
    out = copy.deepcopy(dict(data))
    for dotted, value in overrides.items():
        try:
            tokens = path_tokens(dotted)
        except ValueError as exc:
            raise ScenarioError("<overrides>", dotted, str(exc)) from None
        node: Any = out
        for here, nxt in zip(tokens[:-1], tokens[1:], strict=True):
            node = _descend(node, here, nxt, dotted)
        last = tokens[-1]
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise ScenarioError("<overrides>", dotted, f"no item [{last}] in the list")
            node[last] = value
        else:
            node[last] = value
    return out


def _descend(node: Any, key: str | int, nxt: str | int, dotted: str) -> Any:
    if isinstance(key, int):
        if not isinstance(node, list) or key >= len(node):
            raise ScenarioError("<overrides>", dotted, f"no item [{key}] in the list")
        return node[key]
    if not isinstance(node, dict):
        raise ScenarioError("<overrides>", dotted, f"{key!r} is not inside a mapping")
    child = node.get(key)
    if isinstance(nxt, int):
        if not isinstance(child, list):
            raise ScenarioError("<overrides>", dotted, f"{key!r} is not a list")
        return child
    if child is None:
        child = {}
        node[key] = child
    elif not isinstance(child, dict):
        raise ScenarioError("<overrides>", dotted, f"{key!r} is not a mapping")
    return child


def with_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], file: str = "<overrides>"
) -> Scenario:
    """A copy of a valid scenario with dotted overrides, validated again.

    Errors name ``file`` and the override's path; dates the overrides set must lie in the period.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    base = Path(f"<{scenario.meta.name}>")
    origin = {leaf: base for leaf in _leaf_paths(data)}
    origin.update({dotted: Path(file) for dotted in overrides})
    own = frozenset(overrides)
    return validate(apply_overrides(data, overrides), Path(file), origin, own)


def scenario_to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML (what a run folder keeps beside its results)."""
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False)


def json_schema() -> str:
    """JSON schema of a scenario file, for editors (``extends`` allowed at the top)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "path of a scenario file this one overrides",
    }
    schema["title"] = "flightsim scenario"
    return json.dumps(schema, indent=2, sort_keys=True)
