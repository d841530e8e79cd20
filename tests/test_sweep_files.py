"""Sweep files: the shipped sweeps stay in step with the schema; bad ones are refused at load."""

import math

import pytest
import yaml
from support import ROOT

from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario.world import World
from sim.sensitivity.models import FUNCTIONS, MODEL_NAMES
from sim.sensitivity.sweep import load_sweep


def _scalar_world_paths(model=World, prefix="world"):
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            yield from _scalar_world_paths(annotation, f"{prefix}.{name}")
        elif not isinstance(field.default, tuple):
            yield f"{prefix}.{name}"


def test_morris_screening_covers_every_scalar_world_parameter():
    sweep = yaml.safe_load((ROOT / "scenarios" / "sweeps" / "morris_world.yaml").read_text())
    varied = {p["path"] for p in sweep["parameters"]}
    assert varied == set(_scalar_world_paths())


# ------------------------------------------------------------------ bad sweep files (issue 10)
BASE = {
    "name": "bad",
    "base": str(ROOT / "scenarios" / "baseline.yaml"),
    "changes": {"run": {"scale": 50, "event_log": False}},
    "parameters": [{"path": "world.decision.flee_constant", "bounds": [-3.0, -2.0]}],
    "outputs": [{"metric": "returned", "period": ["2014-01", "2020-12"]}],
    "method": "sobol",
    "sample_size": 8,
    "seed": 5,
}


def _param(**fields):
    return {"parameters": [{"path": "world.decision.flee_constant", "bounds": [0, 1], **fields}]}


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"model": "os:system"}, "model", "unknown model 'os:system'; known: flightsim, ishigami"),
        ({"model": "sim.sensitivity.models:ishigami"}, "model", "unknown model"),
        (
            {"parameters": [{"path": "run.scale", "bounds": [10, 50]}]},
            "parameters[0].integer",
            "run.scale = 25.28: Input should be a valid integer",
        ),
        (
            {
                "parameters": [
                    {"path": "world.corruption.share_corrupt", "bounds": [0.3, 0.1], "dist": "norm"}
                ]
            },
            "parameters[0].dist",
            "norm is unbounded but world.corruption.share_corrupt has limits",
        ),  # fmt: skip
        (
            {
                "parameters": [
                    {"path": "world.assets.share_taken", "bounds": [-1.0, 0.2], "dist": "lognorm"}
                ]
            },
            "parameters[0].dist",
            "lognorm is unbounded but world.assets.share_taken has limits",
        ),  # fmt: skip
        (_param(bounds=[0, math.inf]), "parameters[0].bounds[1]", "finite number"),
        ({"sample_size": "8"}, "sample_size", "expected a whole number, got text '8'"),
        ({"changes": {"run": {"end": "2978-12"}}}, "changes.run.end", "would need about"),
    ],
)
def test_bad_sweep_files_are_refused_before_running(tmp_path, capsys, change, where, words):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**BASE, **change}), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flightsim: error: {path}: {where}: "), err
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_unbounded_distribution_on_an_unbounded_parameter_is_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump({**BASE, **_param(bounds=[-2.4, 0.3], dist="norm")}))
    assert load_sweep(path).sweep.parameters[0].dist == "norm"


def test_duplicate_key_in_a_sweep_file_names_it(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(yaml.safe_dump(BASE) + "seed: 6\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    assert err.value.path == "seed" and "appears twice" in err.value.message


def test_models_are_looked_up_in_the_registry_only():
    assert MODEL_NAMES == ("flightsim", "ishigami")
    assert FUNCTIONS["ishigami"]({"x1": 0.0, "x2": 0.0, "x3": 0.0}, 1, 0) == {"y": 0.0}
