"""Posterior draws: weighted, seeded per replicate, schema-validated; bad files fail cleanly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.errors import InputError, ScenarioError
from sim.runs.posterior import effective_sample_size, posterior_tasks
from sim.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
FLEE = "world.decision.flee_constant"
CAPTURE = "world.home.capture_per_year"


def _posterior(folder: Path, rows: dict, name: str = "posterior.parquet") -> Path:
    path = folder / name
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(BASELINE, {"run.scale": 200})


def test_each_replicate_draws_a_weighted_row_recorded_and_applied(tmp_path, scenario):
    path = _posterior(tmp_path, {FLEE: [-3.0, -2.0], CAPTURE: [0.2, 0.4], "weight": [1.0, 3.0]})
    tasks = posterior_tasks(scenario, path, replicates=200, seed=11)
    assert [t.replicate for t in tasks] == list(range(200))
    assert all(t.seed == 11 for t in tasks)
    for t in tasks:
        assert t.params in ({FLEE: -3.0, CAPTURE: 0.2}, {FLEE: -2.0, CAPTURE: 0.4})
        assert t.scenario.world.decision.flee_constant == t.params[FLEE]
        assert t.scenario.world.home.capture_per_year == t.params[CAPTURE]
        assert t.scenario.world.decision.hide_constant == scenario.world.decision.hide_constant
    share = sum(t.params[FLEE] == -2.0 for t in tasks) / len(tasks)
    assert 0.65 <= share <= 0.85  # weight 3/4; binomial sd 0.03


def test_draws_depend_only_on_seed_and_replicate(tmp_path, scenario):
    path = _posterior(tmp_path, {FLEE: [-3.0, -2.5, -2.0, -1.5], "weight": [1, 1, 1, 1]})
    few = posterior_tasks(scenario, path, replicates=5, seed=3)
    many = posterior_tasks(scenario, path, replicates=40, seed=3)
    assert [t.params for t in few] == [t.params for t in many[:5]]
    other = posterior_tasks(scenario, path, replicates=40, seed=4)
    assert [t.params for t in other] != [t.params for t in many]
    defaults = posterior_tasks(scenario, path)
    assert len(defaults) == scenario.run.replicates
    assert defaults[0].seed == scenario.run.seed


def test_zero_weight_rows_are_never_drawn(tmp_path, scenario):
    path = _posterior(tmp_path, {FLEE: [-3.0, -2.0], "weight": [0.0, 2.0]})
    assert {t.params[FLEE] for t in posterior_tasks(scenario, path, 30, 1)} == {-2.0}


BAD = [
    ({FLEE: [-2.0]}, "weight: required column is missing"),
    ({FLEE: [-2.0], "weight": [-1.0]}, "weight: expected non-negative numbers"),
    ({FLEE: [-2.0], "weight": [0.0]}, "weight: expected non-negative numbers"),
    ({"weight": [1.0]}, "no parameter columns"),
    ({"run.scale": [3.0], "weight": [1.0]}, "run.scale: expected a world parameter"),
    ({FLEE: [float("nan")], "weight": [1.0]}, f"{FLEE}: missing or infinite values"),
    ({FLEE: ["a"], "weight": [1.0]}, f"{FLEE}: expected numbers"),
]


@pytest.mark.parametrize(("rows", "message"), BAD)
def test_bad_posterior_files_raise_input_errors(tmp_path, scenario, rows, message):
    path = _posterior(tmp_path, rows)
    with pytest.raises(InputError) as err:
        posterior_tasks(scenario, path, 2, 1)
    assert str(err.value).startswith(f"{path}: {message}")


def test_missing_and_unreadable_files(tmp_path, scenario):
    with pytest.raises(InputError, match="file not found"):
        posterior_tasks(scenario, tmp_path / "none.parquet", 2, 1)
    text = tmp_path / "text.parquet"
    text.write_text("not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        posterior_tasks(scenario, text, 2, 1)


def test_values_the_schema_rejects_name_file_and_field(tmp_path, scenario):
    path = _posterior(tmp_path, {CAPTURE: [-0.5], "weight": [1.0]})
    with pytest.raises(ScenarioError) as err:
        posterior_tasks(scenario, path, 2, 1)
    assert err.value.file == str(path)
    assert err.value.path == CAPTURE
    unknown = _posterior(
        tmp_path, {"world.decision.flee_konstant": [1.0], "weight": [1.0]}, "u.parquet"
    )
    with pytest.raises(ScenarioError) as err:
        posterior_tasks(scenario, unknown, 2, 1)
    assert err.value.path == "world.decision.flee_konstant"
    assert "unknown key" in err.value.message


def test_run_command_rejects_a_bad_posterior_without_output(tmp_path, capsys):
    path = _posterior(tmp_path, {FLEE: [-2.0]})
    out = tmp_path / "out"
    code = main(["run", str(BASELINE), "--posterior", str(path), "--out", str(out), "--quiet"])
    assert code == 2
    assert (
        capsys.readouterr().err == f"flightsim: error: {path}: weight: required column is missing\n"
    )
    assert not out.exists()


def test_lever_strengths_are_drawn_only_in_the_calibrations_own_runs(tmp_path, scenario):
    exits = "policy.exit_controls[2].value"
    share = "observation.officials_share_sky_net"
    path = _posterior(
        tmp_path, {FLEE: [-3.0, -2.0], exits: [1.5, 2.5], share: [0.2, 0.3], "weight": [1, 1]}
    )
    hand_set = scenario.policy.exit_controls[2].value
    for t in posterior_tasks(scenario, path, replicates=20, seed=3):
        # a comparison or a run: the world is drawn, the levers stay the scenario's own
        assert t.params.keys() == {FLEE}
        assert t.scenario.policy.exit_controls[2].value == hand_set
    for t in posterior_tasks(scenario, path, replicates=20, seed=3, levers=True):
        assert t.params.keys() == {FLEE, exits}  # shares never reach a scenario
        assert t.scenario.policy.exit_controls[2].value == t.params[exits]
        assert t.params[exits] == (1.5 if t.params[FLEE] == -3.0 else 2.5)  # one row each
    beyond = _posterior(tmp_path, {"policy.exit_controls[9].value": [1.0], "weight": [1]}, "b.pq")
    with pytest.raises(ScenarioError, match=r"exit_controls\[9\]"):
        posterior_tasks(scenario, beyond, replicates=2, seed=3, levers=True)


def test_effective_sample_size_counts_equal_weights_and_falls_to_one_when_one_holds_all():
    assert effective_sample_size([0.25] * 4) == pytest.approx(4)
    assert effective_sample_size([3.0, 3.0, 3.0]) == pytest.approx(3)  # scale-free
    assert effective_sample_size([1.0, 0.0, 0.0, 0.0]) == pytest.approx(1)
    assert effective_sample_size([0.5, 0.25, 0.25]) == pytest.approx(1 / 0.375)
    assert effective_sample_size([0.0, 0.0]) == 0.0
