"""docs/ODD.md stays true to the code: generated tables current, every parameter documented;
docs/sources.md covers what the model uses, and no file cites notes outside the repository."""

from __future__ import annotations

import csv
import inspect
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from sim.core import rules
from sim.core.metrics import DERIVED, METRICS
from sim.core.population import OfficialState
from sim.scenario import params_doc
from sim.scenario.policy import Policy
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
REFERENCE = re.compile(
    r"sources\.md|treaties\.csv|countries\.csv|World Bank|WDI|"
    r"\b[A-Z][A-Za-z]+(?: et al\.)? (?:19|20)\d\d\b"
)
"""What a non-assumption source must name: a reference file, a data set, or an author/law-year."""


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return params_doc.parameter_rows()


def _leaves(prefix: str, value: object) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_leaves(f"{prefix}.{k}", v) for k, v in value.items()))
    return {prefix}


def _code_mentions(text: str, name: str) -> bool:
    """True if ``name`` appears as a whole word inside a Markdown code span (not a fence)."""
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    spans = re.findall(r"`([^`\n]+)`", prose)
    return any(re.search(rf"\b{re.escape(name)}\b", span) for span in spans)


def test_generated_blocks_are_current(text):
    stale = params_doc.stale_blocks(text)
    assert not stale, "run: python -m sim.scenario.params_doc --write docs/ODD.md\n" + "\n".join(
        stale.values()
    )


def test_check_fails_on_a_stale_table_and_write_repairs_it(tmp_path, capsys):
    good = ODD.read_text(encoding="utf-8")
    row = "| `world.exposure.base_per_year` |"
    assert row in good
    doc = tmp_path / "ODD.md"
    doc.write_text(good.replace(row, "| `world.exposure.base_per_year_old` |"), encoding="utf-8")
    assert params_doc.main(["--check", str(doc)]) == 1
    assert "block 'params' is out of date" in capsys.readouterr().err
    assert params_doc.main(["--write", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == good
    assert params_doc.main(["--check", str(doc)]) == 0


def test_missing_markers_are_an_error(tmp_path, capsys):
    doc = tmp_path / "ODD.md"
    doc.write_text("# no generated blocks here\n", encoding="utf-8")
    assert params_doc.main(["--check", str(doc)]) == 2
    assert "<!-- params:start -->" in capsys.readouterr().err


def test_every_run_and_world_parameter_has_a_row(rows):
    dump = Scenario().model_dump(by_alias=True)
    wanted = _leaves("run", dump["run"]) | _leaves("world", dump["world"])
    wanted |= {f"policy.{name}" for name in Policy.model_fields if name != "treaties"}
    wanted |= _leaves("policy.treaties", dump["policy"]["treaties"])
    assert wanted <= {row["parameter"] for row in rows}


def test_every_parameter_has_meaning_unit_default_and_source(rows):
    for row in rows:
        for column in params_doc.COLUMNS:
            assert row[column].strip(), (
                f"{row['parameter']}: no {column} (see sim/scenario/schema.py doc())"
            )


def test_sources_are_assumptions_conventions_or_name_a_reference(rows):
    for row in rows:
        source = row["source"]
        if source.startswith(("assumption", "convention")):
            continue
        assert REFERENCE.search(source), f"{row['parameter']}: source names nothing: {source!r}"


def test_world_parameters_are_not_mere_conventions(rows):
    for row in rows:
        if row["parameter"].startswith("world."):
            assert not row["source"].startswith("convention"), row["parameter"]


def test_every_metric_is_described(text):
    for name in [m.name for m in METRICS] + list(DERIVED):
        assert f"`{name}`" in text, f"metric {name} is not mentioned in docs/ODD.md"


def test_every_rule_function_is_described(text):
    functions = [
        name
        for name, obj in inspect.getmembers(rules, inspect.isfunction)
        if obj.__module__ == rules.__name__ and not name.startswith("_")
    ]
    assert len(functions) >= 10
    for name in functions:
        assert _code_mentions(text, name), f"rule {name} is not described in docs/ODD.md"


def test_every_official_state_is_described(text):
    for state in OfficialState:
        assert f"`{state.name}`" in text, f"state {state.name} is not in docs/ODD.md"


def test_every_random_stream_is_described(text):
    names = set()
    for path in (ROOT / "sim").rglob("*.py"):
        names |= set(re.findall(r"streams\[\"(\w+)\"\]", path.read_text(encoding="utf-8")))
    assert {"exposure", "return", "destination"} <= names
    for name in names:
        assert f"| `{name}`" in text or f", `{name}` |" in text, f"stream {name} not in ODD table"


# ------------------------------------------------------------------------ a clone stands alone
SOURCES = ROOT / "docs" / "sources.md"


def test_no_tracked_file_outside_tests_points_outside_the_repository():
    """Citations name docs/sources.md or the data files, never notes a clone does not have (the
    reference notes beside the repository); this test's own pattern is a regex that does not
    spell the path, so the whole repository, tests included, is searched."""
    found = subprocess.run(
        ["git", "grep", "-l", "-i", "-E", "shared[/]reference", "--", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert found.returncode in (0, 1), found.stderr  # 1: no match
    assert found.stdout == "", (
        f"files citing the reference notes outside the clone: {found.stdout.split()}"
    )


def test_sources_list_every_treaty_as_in_the_data_file():
    text = SOURCES.read_text(encoding="utf-8")
    with (ROOT / "sim" / "world" / "data" / "treaties.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            dates = [row["signed"], row["in_force"] or "-", row["withdrawn"] or "-"]
            cells = [row["partner"], row["iso3"], *dates, row["status_2025"]]
            cells += [row["confidence"], row["source"]]
            assert f"| {' | '.join(cells)} |" in text, f"treaty {row['iso3']} differs or is missing"


def test_sources_cover_every_calibration_target_and_baseline_date():
    text = SOURCES.read_text(encoding="utf-8")
    targets = yaml.safe_load((ROOT / "calibration" / "targets.yaml").read_text(encoding="utf-8"))
    for target in targets["targets"]:
        figure = target["id"].split("_")[0]  # T1_assets is the money of figure T1
        assert f"| {figure} |" in text, f"target {target['id']} not in docs/sources.md"
    baseline = (ROOT / "scenarios" / "baseline.yaml").read_text(encoding="utf-8")
    for month in sorted(set(re.findall(r'(?:from|date|start): "(\d{4}-\d\d)"', baseline))):
        assert month in text or f"| {month[:4]} |" in text, f"baseline date {month} not sourced"
