"""Parameter documentation: tables of every scenario parameter, generated from the config models.

The meaning, unit and source of each parameter live next to its default in
:mod:`sim.scenario.schema` (``Field(..., **doc(meaning, unit, source))``). This module walks
the ``run``, ``world`` and ``policy`` models and renders them, with the columns of
``countries.csv``, as the Markdown tables of ``docs/ODD.md``. ``--check`` fails when the tables
in a document differ from the generated ones; ``--write`` rewrites them in place::

    python -m sim.scenario.params_doc                      # print the parameter tables
    python -m sim.scenario.params_doc --check docs/ODD.md  # exit 1 if the document is out of date
    python -m sim.scenario.params_doc --write docs/ODD.md  # regenerate the tables in the document
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import re
import sys
import typing
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.files import write_atomic
from sim.scenario.policy import SCHEDULES, Policy
from sim.scenario.schema import Run
from sim.scenario.world import World

SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("run", Run),
    ("world", World),
    ("policy", Policy),
)
"""Top-level scenario sections documented, in order (``meta`` only names the scenario)."""

COLUMNS = ("parameter", "meaning", "unit", "default", "source")
DATA_COLUMNS = ("column", "unit", "meaning", "source")


def _item_model(annotation: object) -> type[BaseModel] | None:
    """The model of a ``tuple[Model, ...]`` annotation, else None."""
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis and _is_model(args[0]):
            return args[0]
    return None


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _default(field: FieldInfo) -> str:
    """A default as it would be written in a scenario file."""
    value = field.default
    if value is PydanticUndefined:
        return "required"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "none" if not value else "(" + ", ".join(_number(v) for v in value) + ")"
    return _number(value)


def _number(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _shared_prefix(parent: str, names: list[str]) -> str:
    """Path of an item model shared by several list fields of one model (e.g. schedules)."""
    label = "<schedule>" if set(names) <= set(SCHEDULES) else "<" + "/".join(names) + ">"
    return f"{parent}.{label}[]"


def _walk(model: type[BaseModel], prefix: str, rows: list[dict[str, str]]) -> None:
    fields = model.model_fields
    items = {name: _item_model(f.annotation) for name, f in fields.items()}
    users: dict[type[BaseModel], list[str]] = {}
    for name, item in items.items():
        if item is not None:
            users.setdefault(item, []).append(name)
    done: set[type[BaseModel]] = set()
    for name, field in fields.items():
        path = f"{prefix}.{field.alias or name}"
        if _is_model(field.annotation):
            _walk(field.annotation, path, rows)  # a section: its fields carry the metadata
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rows.append(
            {
                "parameter": path,
                "meaning": field.description or "",
                "unit": str(extra.get("unit", "")),
                "default": _default(field),
                "source": str(extra.get("source", "")),
            }
        )
        item = items[name]
        if item is not None and item not in done:
            done.add(item)
            shared = users[item]
            _walk(item, _shared_prefix(prefix, shared) if len(shared) > 1 else f"{path}[]", rows)


def parameter_rows() -> list[dict[str, str]]:
    """One row per scenario parameter of ``run``, ``world`` and ``policy``.

    Nested sections are walked (``world.exposure.base_per_year``); list fields get a row of their
    own and their items' fields follow (``policy.pledges[].compliance``); an item model shared by
    several lists is listed once (``policy.<schedule>[].value``).

    Returns:
        Dicts with the keys of :data:`COLUMNS`, all strings (empty where metadata is missing).
    """
    rows: list[dict[str, str]] = []
    for name, model in SECTIONS:
        _walk(model, name, rows)
    calibrated = calibrated_sources()
    for row in rows:
        if row["parameter"] in calibrated:
            row["source"] = calibrated[row["parameter"]]
    return rows


CALIBRATION = Path(__file__).resolve().parents[2] / "calibration"


def calibrated_sources(folder: Path = CALIBRATION) -> dict[str, str]:
    """Source text of each calibrated parameter: its prior and the baseline's fitted value.

    Reads ``calibration/targets.yaml`` (priors) and ``calibration/fitted.yaml`` (posterior
    medians, which the baseline extends); empty when they are absent (an installed package).
    """
    targets, fitted = folder / "targets.yaml", folder / "fitted.yaml"
    if not targets.exists() or not fitted.exists():
        return {}
    priors = yaml.safe_load(targets.read_text(encoding="utf-8")).get("priors", [])
    values: dict[str, object] = {}

    def leaves(data: dict, prefix: str) -> None:
        for key, value in data.items():
            if isinstance(value, dict):
                leaves(value, f"{prefix}.{key}")
            else:
                values[f"{prefix}.{key}"] = value

    leaves(yaml.safe_load(fitted.read_text(encoding="utf-8")).get("world", {}), "world")
    out = {}
    for prior in priors:
        name = prior["parameter"]
        value = values.get(name, "?")
        out[name] = (
            f"calibrated to sources.md sections 1 and 4 by ABC-SMC: baseline {value} "
            f"(calibration/fitted.yaml), prior {prior['distribution']} "
            f"[{prior['low']}, {prior['high']}]"
        )
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _table(header: tuple[str, ...], rows: list[dict[str, str]], code: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        cells = [f"`{row[c]}`" if c == code else _cell(row[c]) for c in header]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _group(path: str) -> str:
    return path.rsplit(".", 1)[0]


def markdown_table() -> str:
    """The parameter tables: one per group of parameters (``run``, ``world.exposure``, ...)."""
    rows = parameter_rows()
    groups: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        groups.setdefault(_group(row["parameter"]), []).append(row)
    out: list[str] = []
    for group, members in groups.items():
        out += [f"#### `{group}`", ""]
        out += _table(COLUMNS, members, code="parameter")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def data_column_rows() -> list[dict[str, str]]:
    """Rows of ``sim/world/data/countries.columns.csv`` (column, unit, meaning, source)."""
    text = (resources.files("sim.world") / "data" / "countries.columns.csv").read_text("utf-8")
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def data_columns_table() -> str:
    """The table of the country data columns, as documented beside the data."""
    return "\n".join(_table(DATA_COLUMNS, data_column_rows(), code="column")) + "\n"


BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
_KEY_RE = re.compile(r"^\s*(\w+):\s*(?:#.*)?$")
_STEP_RE = re.compile(
    r"\{\s*from:\s*\"?([\d-]+)\"?\s*,\s*value:\s*([\d.eE+-]+)\s*\}\s*(?:#\s*(.*))?$"
)


def baseline_rows(path: Path = BASELINE) -> list[dict[str, str]]:
    """The schedules of the baseline scenario: lever, from, value and the note beside it.

    Values come from the validated scenario; the note is the YAML comment on the step's line.
    """
    from sim.scenario.load import load_scenario  # not at import time: reads files

    policy = load_scenario(path).policy
    notes: dict[tuple[str, str, float], str] = {}
    lever = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        key = _KEY_RE.match(line)
        lever = key.group(1) if key else lever
        step = _STEP_RE.search(line)
        if step:
            note = (step.group(3) or "").strip()
            notes[(lever, step.group(1), float(step.group(2)))] = note
    rows = []
    for name in SCHEDULES:
        for item in getattr(policy, name):
            note = notes.get((name, item.start, item.value), "")
            rows.append(
                {"lever": name, "from": item.start, "value": _number(item.value), "note": note}
            )
    return rows


def baseline_table() -> str:
    """The table of the baseline's lever schedules (scenarios/baseline.yaml)."""
    return (
        "\n".join(_table(("lever", "from", "value", "note"), baseline_rows(), code="lever")) + "\n"
    )


BLOCKS: dict[str, Callable[[], str]] = {
    "params": markdown_table,
    "columns": data_columns_table,
    "baseline": baseline_table,
}
"""Generated blocks of a document, between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_block(text: str, name: str) -> str:
    """The text between a block's markers (without the newlines next to them).

    Raises:
        ValueError: if the markers are missing, repeated or out of order.
    """
    start, end = _markers(name)
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise ValueError(f"expected one {start} followed by one {end}")
    inner = text[text.index(start) + len(start) : text.index(end)]
    return inner.strip("\n") + "\n"


def replace_blocks(text: str) -> str:
    """The document with every generated block rewritten."""
    for name, render in BLOCKS.items():
        read_block(text, name)  # validates the markers
        start, end = _markers(name)
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{render()}{end}{tail}"
    return text


def stale_blocks(text: str) -> dict[str, str]:
    """Blocks whose text differs from the generated one, each with a unified diff."""
    out = {}
    for name, render in BLOCKS.items():
        current, wanted = read_block(text, name), render()
        if current != wanted:
            diff = difflib.unified_diff(
                current.splitlines(), wanted.splitlines(), "document", "generated", lineterm=""
            )
            out[name] = "\n".join(diff)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: print, check or write the generated tables; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sim.scenario.params_doc", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="DOC", type=Path, help="exit 1 if DOC is out of date")
    group.add_argument("--write", metavar="DOC", type=Path, help="rewrite the tables in DOC")
    args = parser.parse_args(argv)
    path = args.check or args.write
    if path is None:
        sys.stdout.write(markdown_table())
        return 0
    try:
        text = path.read_text(encoding="utf-8")
        stale = stale_blocks(text)
    except (OSError, ValueError) as exc:
        print(f"params_doc: error: {path}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for name, diff in stale.items():
            print(f"{path}: block '{name}' is out of date:\n{diff}", file=sys.stderr)
        if stale:
            print(
                f"regenerate with: python -m sim.scenario.params_doc --write {path}",
                file=sys.stderr,
            )
        return 1 if stale else 0
    if stale:
        write_atomic(path, replace_blocks(text))
    print(f"{path}: {', '.join(stale) or 'nothing'} rewritten")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
