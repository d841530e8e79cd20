"""Calibration by approximate Bayesian computation (ABC-SMC, pyabc) against range targets.

What is pyabc's and what is ours. Inference is pyabc 0.13's ``ABCSMC`` (Beaumont et al. 2009;
Klinger et al. 2018): populations of particles, a multivariate normal perturbation kernel, a
median epsilon schedule, importance weights, and a resumable SQLite history. pyabc works in
logistic coordinates (:func:`prior`, :func:`to_box`): with 39 bounded priors its kernel,
working on the bounded values, proposed a point inside the prior's box about once in 2,000
tries, and narrowing it made the importance weights degenerate (one particle held 99.8%).
Samplers are pyabc's: ``MulticoreEvalParallelSampler`` on this
machine, ``DaskDistributedSampler`` when a Dask scheduler address is given (the same cluster
the sweeps use). Written here, because no library knows our targets:

- :class:`Simulator`, the model pyabc calls: it sets the observation share parameters
  (``observation.…``) apart (:func:`sim.runs.posterior.split_parameters`; they only map the
  run to the reported figures), validates the other sampled parameters through the
  scenario schema (:func:`sim.scenario.load.with_overrides`), runs the calibrated scenario at a
  reduced ``run.scale`` and stopped at the last month any target looks at (every policy dated
  later is dropped: the model is causal, so the months kept are identical to a full run's),
  and returns the targets' summary statistics in real officials and dollars.
- :class:`RangeDistance`, a pyabc ``Distance``: 0 when every target is inside its range, and
  otherwise the weighted sum of each target's log-ratio miss
  (:func:`sim.calibrate.statistics.miss`). Range targets have no single observed value, so the
  distance ignores ``x_0`` (which holds the ranges' midpoints only so that the history
  database describes the run).

Randomness: each simulation's replicate number is a CRC-32 of its parameter values, so a
parameter set always gets the same simulation under a given seed. The particles pyabc proposes
come from pyabc's own generators (seeded per worker process by pyabc), so two calibrations do
not propose identical particles; the posterior, not the particle list, is what is reproducible.

Generation 0 samples the prior (epsilon infinite); each later generation's epsilon is the
weighted median distance of the previous one, also after a resume
(:class:`ResumableMedianEpsilon`). A calibration runs one generation per call of ``ABCSMC.run``
so that progress is shown per generation and an interrupted run resumes from the history
database (``--resume``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
import time
import zlib
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from sim.calibrate.statistics import miss, ranges, statistics
from sim.calibrate.targets import TargetsSpec, require_metrics
from sim.runs.adapter import ScenarioAdapter
from sim.runs.cluster import open_client
from sim.runs.folders import git_commit
from sim.runs.posterior import split_parameters
from sim.runs.replicates import RunResult
from sim.scenario.load import load_scenario, with_overrides
from sim.scenario.policy import SCHEDULES
from sim.scenario.schema import Scenario
from sim.scenario.validation import validate
from sim.world.dates import month_of

DB_NAME = "calibration.db"
STATE_NAME = "calibration_run.json"


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
    """The model pyabc calls: parameters in, the targets' summary statistics out.

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
        params = to_box(self.spec, par)  # pyabc samples logistic coordinates (see prior)
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


class RangeDistance(pyabc.Distance):
    """0 inside every target's range; else the weighted sum of log-ratio misses (ignores x_0)."""

    def __init__(self, spec: TargetsSpec) -> None:
        super().__init__()
        self.spec = spec

    def __call__(self, x: dict, x_0: dict, t: int | None = None, par: dict | None = None) -> float:
        return float(sum(miss(target, x) for target in self.spec.targets))

    def get_config(self) -> dict:
        return {"name": "RangeDistance", "targets": [t.id for t in self.spec.targets]}


class ResumableMedianEpsilon(pyabc.MedianEpsilon):
    """Weighted median epsilon: infinite for generation 0 (the prior), and on resume taken from
    the last stored population (pyabc's numeric start would restart at infinity)."""

    def __init__(self) -> None:
        super().__init__(initial_epsilon=math.inf)

    def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations,
                   acceptor_config) -> None:  # fmt: skip
        if t > 0 and t not in self._look_up:
            self._update(t, get_weighted_distances())


def total_distance(spec: TargetsSpec, stats: Mapping[str, float]) -> float:
    """The ABC distance of a run's statistics (what :class:`RangeDistance` returns)."""
    return float(sum(miss(target, stats) for target in spec.targets))


def prior(spec: TargetsSpec) -> pyabc.Distribution:
    """The priors of the targets file as a pyabc distribution, in logistic coordinates.

    Each parameter is sampled as ``z ~ Logistic(0, 1)``; :func:`to_box` maps it to the
    parameter's value. Since ``1 / (1 + exp(-z))`` is then uniform on (0, 1), the values are
    exactly the targets file's uniform and loguniform priors, but pyabc's perturbation kernel
    works on an unbounded space where no proposal falls outside the prior.
    """
    return pyabc.Distribution(**{p.parameter: pyabc.RV("logistic", 0, 1) for p in spec.all_priors})


def to_box(spec: TargetsSpec, coordinates: Mapping[str, float]) -> dict[str, float]:
    """Parameter values of logistic coordinates (:func:`prior`), one per prior of ``spec``.

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


def observed(spec: TargetsSpec) -> dict[str, float]:
    """Midpoints of the target ranges, or the low end of a lower bound (stored in the history;
    the distance does not use them)."""
    return {
        key: (lo + hi) / 2 if math.isfinite(hi) else lo
        for t in spec.targets
        for key, lo, hi in ranges(t)
    }


# -------------------------------------------------------------------------------- running
def make_sampler(jobs: int, scheduler: str | None) -> tuple[Any, Callable[[], None], Any]:
    """A pyabc sampler, a function closing it, and an executor for follow-up runs (or None).

    With a scheduler address the sampler is pyabc's ``DaskDistributedSampler`` on a client from
    :func:`sim.runs.cluster.open_client` (connection timeout, a worker awaited, errors as
    :class:`~sim.errors.ClusterError`); the closing function closes that client.
    """
    if scheduler:
        with ExitStack() as stack:  # closes the client if anything below fails
            client, _ = stack.enter_context(open_client(scheduler))
            sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=4)
            executor = client.get_executor()
            return sampler, stack.pop_all().close, executor
    return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=jobs), lambda: None, None


def targets_hash(spec: TargetsSpec) -> str:
    """SHA-256 of the targets and priors (a resumed calibration must use the same ones)."""
    body = spec.model_dump(mode="json", exclude={"file"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _say(text: str, show: bool) -> None:
    if show:
        print(text, file=sys.stderr, flush=True)


def run_abc(
    spec: TargetsSpec,
    out: Path,
    population: int,
    generations: int,
    scale: int,
    resume: bool = False,
    jobs: int = 2,
    sampler: Any = None,
    show_progress: bool = True,
) -> tuple[pyabc.History, dict[str, Any]]:
    """Run (or resume) ABC-SMC until ``generations`` populations exist in ``out``'s history.

    Args:
        spec: targets and priors.
        out: folder of the history database and its state file.
        population: particles per generation.
        generations: total generations wanted (generation 0 samples the prior).
        scale: calibration ``run.scale``.
        resume: continue the history in ``out`` instead of starting one.
        jobs: local worker processes when no ``sampler`` is given.
        sampler: a pyabc sampler (default: multicore on ``jobs`` processes).
        show_progress: print one line per generation on standard error.

    Returns:
        The history and the run's state (budget, wall time, simulations).
    """
    require_metrics(spec)  # before any folder or simulation: a planned metric cannot be fitted
    out.mkdir(parents=True, exist_ok=True)
    db = out / DB_NAME
    state_file = out / STATE_NAME
    logging.getLogger("ABC").setLevel(logging.WARNING)
    scenario = calibration_scenario(spec, scale)
    abc = pyabc.ABCSMC(
        Simulator(scenario, spec, spec.settings.seed),
        prior(spec),
        RangeDistance(spec),
        population_size=population,
        eps=ResumableMedianEpsilon(),
        sampler=sampler or pyabc.sampler.MulticoreEvalParallelSampler(n_procs=jobs),
    )
    if resume:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        history = abc.load(f"sqlite:///{db.resolve()}", state["abc_id"])
    else:
        history = abc.new(f"sqlite:///{db.resolve()}", observed(spec))
        state = {
            "abc_id": history.id,
            "targets_hash": targets_hash(spec),
            "population": population,
            "scale": scale,
            "seed": spec.settings.seed,
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "commit": git_commit(),
            "wall_seconds": 0.0,
            "generations": [],
        }
        state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
    done = history.max_t + 1
    _say(
        f"calibrating {len(spec.parameters)} parameters on {len(spec.targets)} targets: "
        f"population {population}, generations {done}/{generations} done, scale {scale}",
        show_progress,
    )
    for t in range(done, generations):
        began = time.perf_counter()
        history = abc.run(max_nr_populations=1, minimum_epsilon=-1.0)
        seconds = time.perf_counter() - began
        row = history.get_all_populations().set_index("t").loc[t]
        info = {
            "t": t,
            "epsilon": float(row["epsilon"]),
            "simulations": int(row["samples"]),
            "accepted": int(row["particles"]),
            "wall_seconds": round(seconds, 1),
        }
        state["generations"].append(info)
        state["wall_seconds"] = round(state["wall_seconds"] + seconds, 1)
        state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
        rate = info["accepted"] / max(info["simulations"], 1)
        _say(
            f"generation {t + 1}/{generations}: epsilon {info['epsilon']:.3f}, "
            f"{info['simulations']} simulations, acceptance {rate:.0%}, {seconds:.0f} s",
            show_progress,
        )
    return history, state


def posterior_table(
    history: pyabc.History, spec: TargetsSpec, t: int | None = None
) -> pd.DataFrame:
    """A generation's particles (the last by default) as parameter values (:func:`to_box`): one
    column per parameter and a normalised ``weight``."""
    df, w = history.get_distribution(m=0, t=history.max_t if t is None else t)
    rows = [to_box(spec, {str(k): v for k, v in row.items()}) for _, row in df.iterrows()]
    table = pd.DataFrame(rows)
    table = table[sorted(table.columns)]
    table["weight"] = np.asarray(w, dtype=float) / float(np.sum(w))
    return table


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Quantile ``q`` of weighted values (inverse of the weighted empirical distribution)."""
    order = np.argsort(values)
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w) / np.sum(w)
    return float(v[min(int(np.searchsorted(cum, q)), len(v) - 1)])
