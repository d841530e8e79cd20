"""The baseline uses the calibrated parameters of calibration/fitted.yaml."""

import re
from types import SimpleNamespace

import yaml
from support import BASELINE, ROOT, value_at

from sim.calibrate.targets import load_targets
from sim.scenario.load import load_scenario
from sim.scenario.world import World

FITTED = ROOT / "calibration" / "fitted.yaml"


def _leaves(data, prefix=""):
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _leaves(value, path)
        else:
            yield path, value


def test_baseline_world_equals_fitted_medians():
    fitted = yaml.safe_load(FITTED.read_text(encoding="utf-8"))
    assert set(fitted) == {"world"}
    scenario = load_scenario(BASELINE).model_dump()
    leaves = list(_leaves(fitted))
    assert len(leaves) >= 10
    for path, value in leaves:
        node = scenario
        for part in path.split("."):
            node = node[part]
        assert node == value, path


def test_every_calibrated_parameter_has_a_prior():
    targets = yaml.safe_load((ROOT / "calibration" / "targets.yaml").read_text(encoding="utf-8"))
    priors = {p["parameter"] for p in targets["priors"]}
    fitted = dict(_leaves(yaml.safe_load(FITTED.read_text(encoding="utf-8"))))
    # world parameters in fitted.yaml; lever strengths in the baseline (next test)
    assert set(fitted) == {p for p in priors if p.startswith("world.")}


def test_every_prior_holds_its_parameters_hand_set_default():
    # priors are centred on, or at least hold, the schema's hand-set value of each parameter
    # (for a lever strength, the baseline's level: the fitted median once calibrated)
    world = World()
    baseline = load_scenario(BASELINE)
    spec = load_targets(ROOT / "calibration" / "targets.yaml")
    assert len(spec.priors) >= 34
    hand_set = SimpleNamespace(world=world, policy=baseline.policy)
    for prior in spec.priors:
        value = value_at(hand_set, prior.parameter)
        assert prior.low <= value <= prior.high, prior.parameter


def test_baseline_sets_the_fitted_lever_strengths():
    # fitted.yaml lists the lever strengths' posterior medians in its header; a scenario's dated
    # schedules replace those of the file it extends, so the baseline sets them itself
    header = [line for line in FITTED.read_text(encoding="utf-8").splitlines() if line[:1] == "#"]
    levers = dict(
        re.fullmatch(r"#\s+(policy\.\S+): (\S+)", line).groups()
        for line in header
        if re.fullmatch(r"#\s+policy\.\S+: \S+", line)
    )
    targets = yaml.safe_load((ROOT / "calibration" / "targets.yaml").read_text(encoding="utf-8"))
    assert set(levers) == {
        p["parameter"] for p in targets["priors"] if p["parameter"][:7] == "policy."
    }
    baseline = load_scenario(BASELINE)
    for path, value in levers.items():
        assert value_at(baseline, path) == float(value), path
