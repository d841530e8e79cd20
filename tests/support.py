"""Shared helpers for the core tests: small scenarios that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.scenario.load import load_scenario
from sim.scenario.overrides import path_tokens
from sim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def write_scenario(folder: Path, name: str, body: dict, extends: Path = BASELINE) -> Path:
    """Write a scenario file that extends ``extends`` with ``body``; return its path."""
    path = folder / f"{name}.yaml"
    data = {"extends": str(extends), **body}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def small(overrides: dict | None = None, scale: int = 100) -> Scenario:
    """The baseline at ``scale`` real officials per agent (about 14,000 agents over 1978-2030)."""
    return load_scenario(BASELINE, {"run.scale": scale, **(overrides or {})})


def value_at(root: object, dotted: str) -> object:
    """The value at a dotted scenario path (``world.home.capture_per_year``,
    ``policy.exit_controls[2].value``) of a scenario or any object with those attributes."""
    node = root
    for token in path_tokens(dotted):
        node = node[token] if isinstance(token, int) else getattr(node, token)
    return node
