"""The model side of calibration: the calibrated scenario, one simulation, the distance.

Approximate Bayesian computation against range targets; the sampler is
:mod:`sim.calibrate.smc` (ABC-SMC with MCMC moves). Here:

- :func:`truncate` and :func:`calibration_scenario`: the scenario the targets file names, at a
  reduced ``run.scale`` and stopped at the last month any target looks at (every policy dated
  later is dropped: the model is causal, so the months kept are identical to a full run's).
- :class:`Simulator`, the model the sampler calls: it maps a particle's logistic coordinates to
  parameter values (:func:`to_box`), sets the observation share parameters (``observation.…``)
  apart (:func:`sim.runs.posterior.split_parameters`; they only map the run to the reported
  figures), validates the other values through the scenario schema
  (:func:`sim.scenario.load.with_overrides`), runs the scenario and returns the targets'
  summary statistics in real officials and dollars.
- :func:`total_distance`: 0 when every target is inside its range, and otherwise the sum of
  each target's log-ratio miss (:func:`sim.calibrate.statistics.miss`). Range targets have no
  single observed value.

Coordinates: each parameter is sampled as ``z ~ Logistic(0, 1)`` and ``1 / (1 + exp(-z))`` is
then uniform on (0, 1), so :func:`to_box` gives exactly the targets file's uniform and
loguniform priors while the sampler's random walk works on an unbounded space where no
proposal leaves the prior's box. (Working on the bounded values, a 39-dimensional kernel
proposed a point inside the box about once in 2,000 tries.)

Randomness: each simulation's replicate number is a CRC-32 of its parameter values
(:func:`replicate_of`), so a parameter set always gets the same simulation under a given seed.
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sim.calibrate.statistics import miss, statistics
from sim.calibrate.targets import TargetsSpec
from sim.runs.adapter import ScenarioAdapter
from sim.runs.posterior import split_parameters
from sim.runs.replicates import RunResult
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.policy import SCHEDULES
from sim.scenario.schema import Scenario
from sim.scenario.validation import validate
from sim.world.dates import month_of


# ------------------------------------------------------------------------------- scenario
def truncate(scenario: Scenario, end: str) -> Scenario:
    """The scenario stopped at ``end``: policy events dated later are dropped (they cannot act).

    Leniency windows running past ``end`` are cut at ``end``.
    """
    if month_of(end) >= scenario.end_month:
        return scenario
    data = scenario.model_dump(mode="json", by_alias=True)
    last = month_of(end)
    data["run"]["end"] = end
    policy = data["policy"]
    for name in SCHEDULES:
        policy[name] = [s for s in policy[name] if month_of(s["from"]) <= last]
    windows = [w for w in policy["leniency_windows"] if month_of(w["start"]) <= last]
    for w in windows:
        if month_of(w["end"]) > last:
            w["end"] = end
    policy["leniency_windows"] = windows
    policy["pledges"] = [p for p in policy["pledges"] if month_of(p["date"]) <= last]
    for kind in ("add", "withdraw"):
        changes = policy["treaties"][kind]
        policy["treaties"][kind] = [c for c in changes if month_of(c["date"]) <= last]
    for name, key in (("investor_visa_changes", "date"), ("targeted", "from"),
                      ("host_reactions", "date")):  # fmt: skip
        policy[name] = [c for c in policy[name] if month_of(c[key]) <= last]
    return validate(data, Path("<calibration>"))


def calibration_scenario(spec: TargetsSpec, scale: int | None = None) -> Scenario:
    """The scenario the targets file names, at the calibration scale, stopped after the targets."""
    base = load_scenario(spec.scenario_path)
    scale = spec.settings.scale if scale is None else scale
    base = with_overrides(base, {"run.scale": scale, "run.event_log": False}, file=spec.file)
    return truncate(base, spec.end)


def replicate_of(params: Mapping[str, float]) -> int:
    """Replicate number of a parameter set: CRC-32 of its values (same set, same simulation)."""
    text = json.dumps({k: float(v) for k, v in sorted(params.items())}, sort_keys=True)
    return zlib.crc32(text.encode("utf-8")) & 0x7FFFFFFF


# ------------------------------------------------------------------------- model, distance
def target_statistics(
    spec: TargetsSpec, result: RunResult, observation: Mapping[str, float]
) -> dict[str, float]:
    """Every target's statistics from one run, mapped by the observation shares' values."""
    stats: dict[str, float] = {}
    for target in spec.targets:
        stats.update(statistics(target, result.monthly, result.countries, observation))
    return stats


class TargetStatistics:
    """A measure for :class:`~sim.runs.adapter.ScenarioAdapter`: every target's statistics,
    under fixed observation shares."""

    def __init__(self, spec: TargetsSpec, observation: Mapping[str, float] | None = None) -> None:
        self.spec = spec
        self.observation = dict(observation or {})

    def __call__(self, result: RunResult) -> dict[str, float]:
        return target_statistics(self.spec, result, self.observation)


def target_adapter(scenario: Scenario, spec: TargetsSpec) -> ScenarioAdapter:
    """Scenario parameter values -> one run of the calibration scenario (statistics without
    observation shares; :func:`simulate` applies them)."""
    return ScenarioAdapter(scenario, spec.file, TargetStatistics(spec))


class Simulator:
    """The model the sampler calls: logistic coordinates in, the targets' statistics out.

    Args:
        scenario: the calibration scenario (see :func:`calibration_scenario`).
        spec: the targets.
        seed: root seed of every simulation.
    """

    def __init__(self, scenario: Scenario, spec: TargetsSpec, seed: int) -> None:
        self.scenario = scenario
        self.spec = spec
        self.seed = seed
        self.adapter = target_adapter(scenario, spec)

    def __call__(self, par: Mapping[str, float]) -> dict[str, float]:
        params = to_box(self.spec, par)  # the sampler works in logistic coordinates
        return _simulate(self.adapter, self.spec, params, replicate_of(params), self.seed)


def _simulate(
    adapter: ScenarioAdapter,
    spec: TargetsSpec,
    params: Mapping[str, float],
    replicate: int,
    seed: int,
) -> dict[str, float]:
    world, observation = split_parameters(dict(params))
    return target_statistics(spec, adapter.run(world, replicate, seed), observation)


def simulate(
    scenario: Scenario, spec: TargetsSpec, params: Mapping[str, float], replicate: int, seed: int
) -> dict[str, float]:
    """Run one parameter set (observation shares included) and return every target's
    statistics."""
    return _simulate(target_adapter(scenario, spec), spec, params, replicate, seed)


def total_distance(spec: TargetsSpec, stats: Mapping[str, float]) -> float:
    """The ABC distance of a run's statistics (0 inside every range)."""
    return float(sum(miss(target, stats) for target in spec.targets))


def to_box(spec: TargetsSpec, coordinates: Mapping[str, float]) -> dict[str, float]:
    """Parameter values of logistic coordinates (module docstring), one per prior of ``spec``.

    ``u = 1 / (1 + exp(-z))``; a uniform prior gives ``low + (high - low) u``, a loguniform one
    ``low (high / low) ** u``.
    """
    out = {}
    for p in spec.all_priors:
        u = 1.0 / (1.0 + math.exp(-float(coordinates[p.parameter])))
        if p.distribution == "uniform":
            value = p.low + (p.high - p.low) * u
        else:
            value = p.low * (p.high / p.low) ** u
        out[p.parameter] = min(max(value, p.low), p.high)  # rounding at u = 0 or 1
    return out


def targets_hash(spec: TargetsSpec) -> str:
    """SHA-256 of the targets and priors (a resumed calibration must use the same ones)."""
    body = spec.model_dump(mode="json", exclude={"file"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Quantile ``q`` of weighted values (inverse of the weighted empirical distribution)."""
    order = np.argsort(values)
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w) / np.sum(w)
    return float(v[min(int(np.searchsorted(cum, q)), len(v) - 1)])
