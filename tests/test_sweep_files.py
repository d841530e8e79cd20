"""The shipped sweeps stay in step with the scenario schema."""

import yaml
from support import ROOT

from sim.scenario.schema import World


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
