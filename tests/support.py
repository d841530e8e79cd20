"""Shared helpers for the core tests: small scenarios that run in well under a second."""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.scenario.load import load_scenario
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
