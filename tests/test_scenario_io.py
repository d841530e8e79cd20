"""Scenario files: extends, validation, and every kind of bad input with its field path."""

from pathlib import Path

import pytest
import yaml
from support import BASELINE, write_scenario

from sim.errors import ScenarioError
from sim.scenario.export import json_schema, scenario_to_yaml
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.overrides import parse_sets
from sim.scenario.schema import Scenario
from sim.scenario.strict_yaml import parse
from sim.world.dates import month_of


def test_baseline_validates_and_round_trips(tmp_path):
    s = load_scenario(BASELINE)
    assert s.meta.name == "baseline"
    assert s.n_steps == (2030 - 1978 + 1) * 12
    again = tmp_path / "resolved.yaml"
    again.write_text(scenario_to_yaml(s), encoding="utf-8")
    assert load_scenario(again) == s


def test_extends_overrides_only_given_keys(tmp_path):
    path = write_scenario(
        tmp_path,
        "child",
        {"meta": {"name": "child"}, "world": {"decision": {"flee_constant": -1.0}}},
    )
    child, base = load_scenario(path), load_scenario(BASELINE)
    assert child.world.decision.flee_constant == -1.0
    assert child.world.decision.hide_constant == base.world.decision.hide_constant
    assert child.policy == base.policy


def test_with_overrides_revalidates():
    s = load_scenario(BASELINE)
    t = with_overrides(s, {"world.exposure.base_per_year": 0.2, "run.scale": 10})
    assert t.world.exposure.base_per_year == 0.2 and t.run.scale == 10
    with pytest.raises(ScenarioError) as err:
        with_overrides(s, {"world.corruption.share_corrupt": 2.0})
    assert err.value.path == "world.corruption.share_corrupt"


def test_month_of():
    assert month_of("1970-01") == 0
    assert month_of("2014-07-22") == 44 * 12 + 6
    assert month_of("1978") == 8 * 12


BAD = [
    (
        "unknown key",
        {"world": {"decision": {"flee_konstant": 1}}},
        "world.decision.flee_konstant",
        "unknown key",
    ),
    ("wrong type", {"run": {"replicates": "many"}}, "run.replicates", "expected a whole number"),
    (
        "probability",
        {"world": {"corruption": {"share_corrupt": 1.5}}},
        "world.corruption.share_corrupt",
        "less than or equal to 1",
    ),
    (
        "date outside",
        {"policy": {"campaign": [{"from": "2040-01", "value": 1}]}},
        "policy.campaign[0].from",
        "outside the run period",
    ),
    (
        "bad date",
        {"policy": {"campaign": [{"from": "2014-13", "value": 1}]}},
        "policy.campaign[0].from",
        "real calendar date",
    ),
    (
        "unordered",
        {"policy": {"pursuit": [{"from": "2010-01", "value": 1}, {"from": "2000-01", "value": 1}]}},
        "policy.pursuit[1].from",
        "increasing date order",
    ),
    (
        "country",
        {"policy": {"treaties": {"add": [{"iso3": "XYZ", "date": "2020-01"}]}}},
        "policy.treaties.add[0].iso3",
        "not in the data",
    ),
    (
        "pledge member",
        {"policy": {"pledges": [{"name": "x", "date": "2020-01", "members": ["USA", "QQQ"]}]}},
        "policy.pledges[0].members[1]",
        "not in the data",
    ),
    ("period", {"run": {"start": "2000-01", "end": "1990-01"}}, "run", "before run.start"),
]


@pytest.mark.parametrize("label,body,path,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_path(tmp_path, label, body, path, words):
    file = write_scenario(tmp_path, "bad", body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(file)
    assert err.value.path == path
    assert words in err.value.message
    assert Path(err.value.file).name == "bad.yaml"


def test_error_in_parent_names_parent(tmp_path):
    parent = write_scenario(tmp_path, "parent", {"world": {"home": {"capture_per_year": -1}}})
    child = write_scenario(tmp_path, "child", {"meta": {"name": "child"}}, extends=parent)
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert err.value.file == f"{parent} (extended by child.yaml)"
    assert err.value.path == "world.home.capture_per_year"


def test_extends_cycle(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "a.yaml")
    assert "cycle" in err.value.message and err.value.path == "extends"


@pytest.mark.parametrize(
    "text,words",
    [
        ("meta: !!python/object/apply:os.system ['true']\n", "not allowed"),
        ("meta: [1, 2\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("extends: nowhere.yaml\n", "file not found"),
    ],
)
def test_yaml_problems(tmp_path, text, words):
    path = tmp_path / "x.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert words in err.value.message


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "none.yaml")


def test_json_schema_lists_sections():
    import json

    schema = json.loads(json_schema())
    for key in ("meta", "world", "policy", "run", "extends"):
        assert key in schema["properties"]


def test_defaults_are_valid():
    assert Scenario().run.seed >= 0
    yaml.safe_dump(Scenario().model_dump(mode="json", by_alias=True))


def test_overrides_reach_list_items():
    s = load_scenario(BASELINE)
    t = with_overrides(s, {"policy.pledges[0].compliance": 0.9, "policy.campaign[2].value": 2.0})
    assert t.policy.pledges[0].compliance == 0.9
    assert t.policy.campaign[2].value == 2.0
    assert t.policy.pledges[1] == s.policy.pledges[1]


@pytest.mark.parametrize(
    "path,words",
    [
        ("policy.pledges[9].compliance", "no item [9]"),
        ("policy.campaign.value", "not a mapping"),
        ("world..x", "malformed path"),
        ("world.decision[0]", "not a list"),
    ],
)
def test_bad_override_paths(path, words):
    with pytest.raises(ScenarioError) as err:
        with_overrides(load_scenario(BASELINE), {path: 1.0})
    assert words in err.value.message and err.value.path == path


def test_committed_json_schema_is_current():
    committed = BASELINE.parent.parent / "docs" / "scenario.schema.json"
    assert committed.read_text(encoding="utf-8").strip() == json_schema().strip(), (
        "regenerate with: flightsim schema --out docs/scenario.schema.json"
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("010", 10),  # YAML 1.1: octal 8
        ("0o17", 15),
        ("0x1F", 31),
        ("1e3", 1000.0),
        ("-.inf", float("-inf")),
        ("yes", "yes"),  # YAML 1.1: True
        ("1:30", "1:30"),  # YAML 1.1: 90
        ("1_000", "1_000"),  # YAML 1.1: 1000
        ("2014-07-22", "2014-07-22"),  # YAML 1.1: a date object
        ("True", True),
        ("~", None),
    ],
)
def test_files_are_read_as_yaml_1_2(text, value):
    assert parse(f"a: {text}\n") == {"a": value}


def test_merge_keys_are_plain_keys_in_yaml_1_2():
    assert parse("<<: {a: 1}\n") == {"<<": {"a": 1}}


def test_set_values_are_yaml_and_reach_the_scenario():
    sets = parse_sets(["run.scale=20", "run.event_log=false", "policy.pledges[0].members=[USA]"])
    assert sets == {"run.scale": 20, "run.event_log": False, "policy.pledges[0].members": ["USA"]}
    s = load_scenario(BASELINE, sets, overrides_from="--set")
    assert s.run.scale == 20 and s.policy.pledges[0].members == ("USA",)
    with pytest.raises(ScenarioError) as err:
        load_scenario(BASELINE, {"run.scale": 0}, overrides_from="--set")
    assert (err.value.file, err.value.path) == ("--set", "run.scale")
