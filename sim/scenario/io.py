"""Reading scenario files: YAML at the edge, ``extends`` merging, and clear error messages.

``load_scenario(path)`` parses a file with ``yaml.safe_load``, follows ``extends:`` (relative to
the file), merges mappings key by key (a child's list replaces its parent's), validates once into
a frozen :class:`~sim.scenario.schema.Scenario`, then checks what a schema cannot see alone:
dates inside the run period, schedules in order, countries present in the data. Every failure is a
:class:`ScenarioError` naming the file and the dotted field path.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.scenario.limits import check_run
from sim.scenario.policy import SCHEDULES
from sim.scenario.schema import Scenario
from sim.scenario.strict_yaml import MAX_FILE_BYTES, Refused, parse, printable
from sim.world.countries import load_countries
from sim.world.dates import month_of


def read_yaml(path: Path, label: str | Path | None = None) -> Any:
    """Parse one YAML file strictly (:mod:`sim.scenario.strict_yaml`); failures are
    :class:`ScenarioError` naming ``label`` (default: the path) and never quoting the file.

    Only a regular file is opened (a FIFO would block, a device never end); its size is capped.
    """
    label = path if label is None else label
    problem = file_problem(path)
    if problem:
        raise ScenarioError(label, "", problem)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(label, "", "not UTF-8 text") from None
    except OSError as exc:
        raise ScenarioError(label, "", f"cannot be read: {_os_problem(exc)}") from None
    try:
        return parse(text)
    except Refused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise ScenarioError(label, exc.path, where + exc.message) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else "somewhere"
        tag = (exc.problem or "").split()[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        raise ScenarioError(
            label,
            "",
            f"{where}: YAML tags such as {printable(tag)[:40]} are not allowed (plain data only)",
        ) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError(
            label, "", f"character {exc.position + 1}: not valid YAML (a control character)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = _without_content(getattr(exc, "problem", None) or "")
        why = f" ({printable(problem)})" if problem else ""
        raise ScenarioError(label, "", f"{where}: not valid YAML{why}") from None


def _without_content(problem: str) -> str:
    """A YAML problem with quoted text from the file left out (``'...'``): PyYAML quotes short
    tokens (``','``, ``'<stream end>'``, ``'\\t'``), which are kept, but also alias names and
    other text of the file. Unpaired quotes: nothing is kept."""
    parts = problem.split("'")
    if len(parts) % 2 == 0 or '"' in problem:
        return ""
    for i in range(1, len(parts), 2):
        if len(parts[i]) > 4 and not (parts[i].startswith("<") and parts[i].endswith(">")):
            parts[i] = "..."
    return "'".join(parts)


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None: only regular files are opened
    (a FIFO would block, a device never end); the size is capped."""
    try:
        info = path.stat()
    except ValueError:
        return "the file name contains a NUL byte"
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot be read: {_os_problem(exc)}"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, expected a YAML file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, socket or device)"
    if info.st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES:,} bytes; not an input file"
    return None


def absolute(path: Path) -> Path:
    """``path`` resolved (symbolic links followed) when possible, else made absolute."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long, a NUL byte
        return path.absolute()


def _os_problem(exc: OSError) -> str:
    """An OS error without the file name (which the message names already)."""
    return printable(exc.strerror or type(exc).__name__).lower()


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
    for leaf in _leaf_paths(data):
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


def _prefixes(path: str) -> Iterator[str]:
    """``a.b[2].c`` -> ``a.b``, ``a``: the dotted path before any index, then its parents."""
    plain = path.split("[")[0]
    while plain:
        yield plain
        plain = plain.rpartition(".")[0]


def _file_of(path: str, origin: Origin, default: str | Path) -> str | Path:
    return next((origin[p] for p in _prefixes(path) if p in origin), default)


def _short(value: Any, limit: int = 60) -> str:
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
        msg += f" (got {_short(given)})"
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
    return ScenarioError(_file_of(path, origin or {}, file), path, _describe(first) + more)


def validate(
    data: Mapping[str, Any],
    file: str | Path,
    origin: Origin | None = None,
    own: frozenset[str] | None = None,
) -> Scenario:
    """Validate a merged mapping into a :class:`Scenario`, or raise :class:`ScenarioError`.

    Beyond the schema: dates, schedules and countries (:func:`check_semantics`) and what one
    run would cost (:func:`sim.scenario.limits.check_run`).
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, file, origin) from None
    check_semantics(scenario, file, origin, own)
    check_run(scenario, lambda path: _file_of(path, origin or {}, file))
    return scenario


def check_semantics(
    scenario: Scenario,
    file: str | Path,
    origin: Origin | None = None,
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


def load_raw(path: str | Path) -> tuple[dict[str, Any], dict[str, str | Path]]:
    """The merged mapping of a scenario file (``extends`` followed) and each leaf's file."""
    return _resolve(absolute(Path(path)), ())


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    overrides_from: str | None = None,
) -> Scenario:
    """Load, merge and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: optional ``{"world.exposure.base_per_year": 0.1, ...}`` applied after merging.
        overrides_from: how errors in the overrides name their source (e.g. ``--set``); by
            default the file.

    Returns:
        The frozen, valid scenario.

    Raises:
        ScenarioError: on any bad input, naming the file and the field path.
    """
    data, origin = load_raw(Path(path))
    file = absolute(Path(path))
    own = frozenset(k for k, v in origin.items() if v == file)
    if overrides:
        source = overrides_from or file
        data = apply_overrides(data, overrides, source)
        origin = {**origin, **{dotted: source for dotted in overrides}}
        own = frozenset(overrides)
    return validate(data, file, origin, own)


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
            raise ScenarioError(option, "", f"expected PATH=VALUE, got {_short(item)}")
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
            raise ScenarioError(option, where, f"not a YAML value: {_short(text)}") from None
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


def with_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], file: str = "<overrides>"
) -> Scenario:
    """A copy of a valid scenario with dotted overrides, validated again.

    Errors name ``file`` and the override's path; dates the overrides set must lie in the period.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    base = Path(f"<{scenario.meta.name}>")
    origin: dict[str, str | Path] = {leaf: base for leaf in _leaf_paths(data)}
    origin.update({dotted: file for dotted in overrides})
    own = frozenset(overrides)
    return validate(apply_overrides(data, overrides, file), file, origin, own)


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
