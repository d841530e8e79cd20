"""Loading scenarios: a file, or a valid scenario, plus overrides, to a frozen valid Scenario."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.scenario.extends import leaf_paths, load_raw
from sim.scenario.overrides import apply_overrides
from sim.scenario.reading import absolute
from sim.scenario.schema import Scenario
from sim.scenario.validation import validate


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    overrides_from: str | None = None,
) -> Scenario:
    """Load, merge and validate a scenario file.

    Args:
        path: the YAML file.
        overrides: optional ``{"world.exposure.base_per_year": 0.1, ...}`` applied after merging.
        overrides_from: how errors in the overrides name their source (e.g. ``--set``); by
            default the file.

    Returns:
        The frozen, valid scenario.

    Raises:
        ScenarioError: on any bad input, naming the file and the field path.
    """
    data, origin = load_raw(Path(path))
    file = absolute(Path(path))
    own = frozenset(k for k, v in origin.items() if v == file)
    if overrides:
        source = overrides_from or file
        data = apply_overrides(data, overrides, source)
        origin = {**origin, **{dotted: source for dotted in overrides}}
        own = frozenset(overrides)
    return validate(data, file, origin, own)


def with_overrides(
    scenario: Scenario, overrides: Mapping[str, Any], file: str = "<overrides>"
) -> Scenario:
    """A copy of a valid scenario with dotted overrides, validated again.

    Errors name ``file`` and the override's path; dates the overrides set must lie in the period.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    base = Path(f"<{scenario.meta.name}>")
    origin: dict[str, str | Path] = {leaf: base for leaf in leaf_paths(data)}
    origin.update({dotted: file for dotted in overrides})
    own = frozenset(overrides)
    return validate(apply_overrides(data, overrides, file), file, origin, own)
