"""Every bad input is refused cleanly: exit status 2, one line naming the file and the field path,
no traceback, nothing written (issue 10).

Each case goes through the command line (``flightsim validate`` or ``run``) and checks the whole
line on standard error; the library raises :class:`ScenarioError` with the same file and path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import BASELINE, ROOT

from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario.limits import MAX_CORE_HOURS, estimate
from sim.scenario.load import load_scenario
from sim.scenario.strict_yaml import MAX_DEPTH


def refused(capsys, argv: list[str], file: str | Path, path: str, words: str) -> str:
    """Run the command line; assert exit 2 and one line ``file: path: ...words...``."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    prefix = f"flightsim: error: {file}: {path}: " if path else f"flightsim: error: {file}: "
    assert err.startswith(prefix), err
    assert words in err, err
    return err


def scenario(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def child_of_baseline(tmp_path: Path, body: str) -> Path:
    meta = "" if body.startswith("meta:") else "meta: {name: bad}\n"
    return scenario(tmp_path, f"extends: {BASELINE}\n{meta}{body}")


# ------------------------------------------------------------------- 1. YAML and extends
def test_deep_nesting_is_refused(tmp_path, capsys):
    file = scenario(tmp_path, "meta: " + "[" * 100 + "]" * 100 + "\n")
    refused(capsys, ["validate", str(file)], file, "meta" + "[0]" * (MAX_DEPTH - 1), "line 1:")
    with pytest.raises(ScenarioError, match=f"nested deeper than {MAX_DEPTH} levels"):
        load_scenario(file)


def test_very_deep_nesting_does_not_exhaust_the_stack(tmp_path):
    file = scenario(tmp_path, "meta: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(ScenarioError, match="nested deeper"):
        load_scenario(file)


def test_recursive_alias_is_refused(tmp_path, capsys):
    file = scenario(tmp_path, "meta: &a {name: x, sources: [*a]}\n")
    refused(capsys, ["validate", str(file)], file, "meta.sources[0]", "line 1: an alias refers")


def test_alias_bomb_is_refused_before_it_expands(tmp_path, capsys):
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    file = scenario(tmp_path, "\n".join(levels) + "\n")
    refused(capsys, ["validate", str(file)], file, "a4", "more than 100,000 values")


def test_extends_chain_is_capped(tmp_path, capsys):
    for i in range(1000):
        (tmp_path / f"s{i}.yaml").write_text(f"extends: s{i + 1}.yaml\n", encoding="utf-8")
    (tmp_path / "s1000.yaml").write_text("meta: {name: end}\n", encoding="utf-8")
    refused(
        capsys,
        ["validate", str(tmp_path / "s0.yaml")],
        f"{tmp_path / 's15.yaml'} (extended by s14.yaml <- ... <- s0.yaml)",
        "extends",
        "extends chain longer than 16 files",
    )


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ('"' + "x" * 300 + '.yaml"', "file name too long"),
        ('"a\\0b.yaml"', "control characters: 'a\\x00b.yaml'"),
        ('"a\\nb.yaml"', "control characters: 'a\\nb.yaml'"),
        ("/etc/shadow", "expected a scenario file ending in .yaml or .yml, got /etc/shadow"),
        ("42", "expected the path of another scenario file"),
    ],
    ids=["too-long", "nul", "newline", "etc-shadow", "number"],
)
def test_bad_extends_names(tmp_path, capsys, target, words):
    file = scenario(tmp_path, f"extends: {target}\n")
    refused(capsys, ["validate", str(file)], file, "extends", words)


def test_extends_symlink_loop_fifo_and_folder(tmp_path, capsys):
    os.symlink(tmp_path / "loop2.yaml", tmp_path / "loop1.yaml")
    os.symlink(tmp_path / "loop1.yaml", tmp_path / "loop2.yaml")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "dir.yaml").mkdir()
    for target, words in [
        ("loop1.yaml", "too many levels of symbolic links"),
        ("fifo.yaml", "is not a regular file"),
        ("dir.yaml", "is a folder"),
    ]:
        file = scenario(tmp_path, f"extends: {target}\n", name=f"x-{target}")
        refused(capsys, ["validate", str(file)], file, "extends", words)
    refused(capsys, ["validate", str(tmp_path / "fifo.yaml")], tmp_path / "fifo.yaml", "", "not")


def test_parse_errors_never_quote_the_file(tmp_path, capsys):
    secret = "hunter2-SECRET-token"
    for text, words in [
        (f"password: '{secret}\n", "not valid YAML"),
        (f"{secret}\n", "expected a mapping of sections at the top, got text"),
        (f"- {secret}\n", "got a list"),
        (f"a: *{secret}\n", "not valid YAML"),
    ]:
        file = scenario(tmp_path, text)
        err = refused(capsys, ["validate", str(file)], file, "", words)
        assert secret not in err


def test_missing_extends_suggests_the_file_that_exists(tmp_path, capsys):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "base.yaml").write_text("meta: {name: base}\n", encoding="utf-8")
    file = scenario(tmp_path, "extends: base.yaml\n")
    refused(
        capsys,
        ["validate", str(file)],
        file,
        "extends",
        "file not found: base.yaml; did you mean scenarios/base.yaml? paths are relative to "
        "the file that extends",
    )


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ('meta: {name: "a\\x07b"}', "meta.name", "(got 'a\\x07b')"),
        ('world: {decision: {"flee\\nconstant": 1}}', "world.decision.flee\\nconstant", "unknown"),
        ('meta: {description: "x", sources: ["\\x1b[31m"], name: "\\r"}', "meta.name", "'\\r'"),
    ],
    ids=["bell-in-value", "newline-in-key", "carriage-return"],
)
def test_control_characters_stay_on_one_line(tmp_path, capsys, body, path, words):
    file = child_of_baseline(tmp_path, body)
    refused(capsys, ["validate", str(file)], file, path, words)


def test_empty_file_is_refused(tmp_path, capsys):
    for text in ("", "# only a comment\n"):
        file = scenario(tmp_path, text)
        refused(capsys, ["validate", str(file)], file, "", "empty scenario file; write at least")


# -------------------------------------------------------------------------------- 2. values
@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ("world: {decision: {flee_constant: .nan}}", "world.decision.flee_constant", "finite"),
        ("world: {corruption: {share_corrupt: .inf}}", "world.corruption.share_corrupt", "finite"),
        ("world: {home: {capture_per_year: -.inf}}", "world.home.capture_per_year", "finite"),
        (
            "world: {population: {rank_shares: [.nan, 0.3, 0.0, 0.0]}}",
            "world.population.rank_shares[0]",
            "finite",
        ),
        ("policy: {campaign: [{from: '2012-12', value: .inf}]}", "policy.campaign[0].value", "fin"),
        ("world: {decision: {flee_constant: yes}}", "world.decision.flee_constant", "text 'yes'"),
        ("world: {decision: {flee_constant: '5e-2'}}", "world.decision.flee_constant", "'5e-2'"),
        ("world: {decision: {flee_constant: 1:30}}", "world.decision.flee_constant", "'1:30'"),
        ("world: {decision: {flee_constant: true}}", "world.decision.flee_constant", "got true"),
        ("run: {event_log: yes}", "run.event_log", "expected true or false, got 'yes'"),
        ("run: {event_log: 1}", "run.event_log", "expected true or false, got 1"),
        ("run: {scale: '10'}", "run.scale", "expected a whole number, got text '10'"),
    ],
)
def test_non_finite_and_yaml11_values_are_refused(tmp_path, capsys, body, path, words):
    file = child_of_baseline(tmp_path, body)
    refused(capsys, ["validate", str(file)], file, path, words)


def test_binary_tag_is_refused(tmp_path, capsys):
    file = child_of_baseline(tmp_path, "world: {decision: {flee_constant: !!binary aGk=}}")
    refused(capsys, ["validate", str(file)], file, "", "line 3: YAML tags such as !!binary")


def test_duplicate_keys_name_key_and_line(tmp_path, capsys):
    file = child_of_baseline(tmp_path, "policy: {}\nrun: {}\npolicy: {}")
    refused(capsys, ["validate", str(file)], file, "policy", "line 5: the key appears twice")
    file = child_of_baseline(tmp_path, "world:\n  decision:\n    hide_rank: 1\n    hide_rank: 2")
    refused(capsys, ["validate", str(file)], file, "world.decision.hide_rank", "line 6")


@pytest.mark.parametrize("date", ["2018-02-31", "２０１８-01"], ids=["feb-31", "fullwidth-digits"])
def test_impossible_dates_are_refused(tmp_path, date):
    file = child_of_baseline(tmp_path, f'run: {{start: "{date}"}}')
    with pytest.raises(ScenarioError) as err:
        load_scenario(file)
    assert err.value.path == "run.start"


# ---------------------------------------------------------------------- 3. where it comes from
@pytest.mark.parametrize(
    ("bad", "chain", "path", "words"),
    [
        (
            "policy: {pledges: [{name: p, date: '2020', members: x}]}\n",
            ["parent.yaml", "child.yaml"],
            "policy.pledges[0].members",
            "expected 'apec', 'g20', 'apec_and_g20' or a list of ISO3 codes",
        ),
        ("meta: [1, 2\n", ["child.yaml"], "", "line 2, column 1: not valid YAML"),
    ],
    ids=["schema-error-in-grandparent", "yaml-error-in-parent"],
)
def test_error_in_a_parent_names_the_files_that_extend_it(
    tmp_path, capsys, bad, chain, path, words
):
    bottom = scenario(tmp_path, bad, "bottom.yaml")
    above = bottom.name
    for name in chain:
        scenario(tmp_path, f"extends: {above}\n", name)
        above = name
    label = f"{bottom} (extended by {' <- '.join(chain)})"
    refused(capsys, ["validate", str(tmp_path / chain[-1])], label, path, words)


# ---------------------------------------------------------------------- 4. resource bombs
@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        ('run: {end: "2978-12"}', "run.end", "over 1978-01..2978-12 would need about"),
        (
            "world: {population: {initial_officials: 10000000000}}",
            "world.population.initial_officials",
            "about 4.5e+10 simulated officials",
        ),
        (
            "run: {replicates: 10000}\nworld: {population: {initial_officials: 5000000}}",
            "run.replicates",
            "10,000 replicates would take about",
        ),
    ],
    ids=["1000-years", "ten-billion-officials", "replicates"],
)
def test_resource_bombs_are_refused_before_running(tmp_path, capsys, body, path, words):
    file = child_of_baseline(tmp_path, body)
    refused(capsys, ["validate", str(file)], file, path, words)


def test_replicates_option_bomb_is_refused_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["run", str(BASELINE), "--replicates", "1000000000", "--out", str(out), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flightsim: error: --replicates: 1,000,000,000 replicates of baseline")
    assert len(err.splitlines()) == 1 and not out.exists()


def test_the_shipped_baseline_is_far_inside_the_limits():
    cost = estimate(load_scenario(BASELINE))
    assert 1e8 < cost.official_months < 1e9  # 500,000 officials over 636 months, growing
    assert cost.core_hours * 10_000 < MAX_CORE_HOURS  # even the most replicates the schema allows


# --------------------------------------------------------------------------------- 6. --set
@pytest.mark.parametrize(
    ("sets", "path", "words"),
    [
        (["world.decision.flee_constant=abc"], "world.decision.flee_constant", "text 'abc'"),
        (["world.decision.flee_constant=.nan"], "world.decision.flee_constant", "finite"),
        (["world.decision.flee_konstant=1"], "world.decision.flee_konstant", "unknown key"),
        (["world..x=1"], "world..x", "malformed path"),
        (["run.scale=2", "run.scale=3"], "run.scale", "set twice"),
        (["run.scale=[1"], "run.scale", "not a YAML value"),
        (["run.scale="], "run.scale", "expected a value"),
        (["policy.pledges[9].compliance=1"], "policy.pledges[9].compliance", "no item [9]"),
    ],
)
def test_set_errors_name_the_option_and_path(tmp_path, capsys, sets, path, words):
    out = tmp_path / "out"
    argv = ["run", str(BASELINE), "--out", str(out), "--quiet"]
    for item in sets:
        argv += ["--set", item]
    refused(capsys, argv, "--set", path, words)
    assert not out.exists()


def test_set_without_equals(tmp_path, capsys):
    argv = ["compare", str(BASELINE), str(BASELINE), "--set", "run.scale", "--quiet"]
    refused(capsys, argv, "--set", "", "expected PATH=VALUE, got 'run.scale'")


def test_set_changes_the_run_and_is_recorded_in_the_manifest(tmp_path):
    out = tmp_path / "out"
    argv = ["run", str(BASELINE), "--replicates", "1", "--jobs", "1", "--out", str(out)]
    argv += ["--quiet", "--set", "run.scale=2000", "--set", "world.decision.flee_constant=-2.5"]
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overrides"] == {
        "run.scale": 2000,
        "world.decision.flee_constant": -2.5,
    }
    assert manifest["scale"] == 2000
    resolved = load_scenario(out / "scenario.yaml")
    assert resolved.world.decision.flee_constant == -2.5


def test_readme_documents_set_and_empty_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--set" in readme and "empty scenario file" in readme
