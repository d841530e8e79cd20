"""ABC-SMC with MCMC moves: equally weighted particles under a shrinking tolerance.

The sampler of Drovandi and Pettitt (2011, Biometrics 67: 225-233), "replenishment" ABC-SMC,
written here because importance-weighted ABC-SMC (pyabc, used before) degenerated on this
problem: with 39 parameters a particle's weight, prior over proposal density, spread over many
orders of magnitude, and the last calibration's effective sample size was 1.4 of 300.
Here no particle is ever weighted:

1. Generation 0 samples ``N`` particles from the prior and simulates each.
2. Each later generation drops the ``discard`` share of particles farthest from the targets.
   The tolerance ``epsilon`` becomes the largest distance kept, so the kept particles are an
   equally weighted sample of the ABC posterior at ``epsilon``. Each dropped particle is
   replaced by a copy of a kept one, drawn uniformly.
3. Each copy then takes MCMC steps that leave that posterior invariant (ABC-MCMC, Marjoram et
   al. 2003): a normal random walk proposal with covariance ``2.38^2 / d`` times the kept
   particles' covariance (Roberts, Gelman and Gilks 1997), accepted with probability
   ``min(1, prior ratio)`` and only if its simulation is within ``epsilon``. The prior ratio
   is checked first, so a proposal it rejects costs no simulation.
4. The first round of steps estimates the acceptance rate ``p``. The copies then take
   ``R = ceil(log c / log(1 - p))`` rounds in all, so that each has moved at least once with
   probability ``1 - c`` (``move_failure``), at most ``max_rounds``.
5. The sampler stops when that first round accepts less than ``min_acceptance`` (the
   tolerance can no longer shrink at a reasonable cost), when every particle meets every
   target (``epsilon`` 0), or after the generations asked for.

The particles live in logistic coordinates (:func:`sim.calibrate.abc.to_box`): the standard
logistic prior has unbounded support, so no proposal leaves the prior's box.

What replaces the importance weights as a measure of health is diversity: the number of
distinct particles and the share of copies that moved (a copy that never moved duplicates its
parent). The posterior table merges duplicates, weighting each distinct particle by its
multiplicity, so its Kish effective sample size counts them honestly.

Randomness: the prior sample and every generation's resampling and proposals come from a
generator seeded by ``(seed, generation)``, drawn in the main process in a fixed order; each
simulation's replicate number is a CRC-32 of its parameter values
(:func:`sim.calibrate.abc.replicate_of`). So a calibration is identical whatever the number of
workers, and a resumed one is identical to one never interrupted.

Each generation is written (``populations.parquet``, atomically) before the next begins; an
interrupted calibration resumes from the last complete generation.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.abc import (
    Simulator,
    calibration_scenario,
    targets_hash,
    to_box,
    total_distance,
)
from sim.calibrate.targets import TargetsSpec, require_metrics
from sim.files import write_atomic
from sim.runs.cluster import open_client
from sim.runs.folders import git_commit
from sim.runs.pool import local_pool, stop_pool
from sim.runs.posterior import WEIGHT

POPULATIONS_NAME = "populations.parquet"
STATE_NAME = "calibration_run.json"
SAMPLER = "ABC-SMC with MCMC moves (Drovandi and Pettitt 2011)"
ROBERTS_SCALE = 2.38**2
"""Random-walk scale ``2.38^2 / d`` of Roberts, Gelman and Gilks (1997)."""


@dataclass(frozen=True)
class SmcSettings:
    """The sampler's tuning constants (Drovandi and Pettitt 2011 use the same four).

    Attributes:
        discard: share of particles dropped (and replenished) each generation (their alpha).
        move_failure: chance ``c`` that a copy never moves; sets the rounds of MCMC steps.
        max_rounds: cap on the rounds of MCMC steps in a generation (the cost of one round is
            one simulation per copy).
        min_acceptance: stop once the first round of a generation accepts less than this.
    """

    discard: float = 0.5
    move_failure: float = 0.01
    max_rounds: int = 40
    min_acceptance: float = 0.015


# --------------------------------------------------------------------------------- storage
@dataclass
class Population:
    """One generation: coordinates (particles x parameters), statistics, distances."""

    coords: np.ndarray
    stats: list[dict[str, float]]
    distance: np.ndarray


class Populations:
    """Every stored generation of a calibration (``populations.parquet``).

    Columns: ``t``, ``particle``, ``z:<parameter>`` (logistic coordinates), ``s:<statistic>``
    and ``distance``.
    """

    def __init__(self, table: pd.DataFrame, parameters: Sequence[str]) -> None:
        self.table = table
        self.parameters = list(parameters)
        self.coordinate_columns = [f"z:{p}" for p in self.parameters]

    @classmethod
    def read(cls, folder: Path, spec: TargetsSpec) -> Populations:
        return cls(pd.read_parquet(folder / POPULATIONS_NAME), spec.parameters)

    @property
    def max_t(self) -> int:
        return int(self.table["t"].max()) if len(self.table) else -1

    def _rows(self, t: int) -> pd.DataFrame:
        return self.table[self.table["t"] == t].sort_values("particle")

    def population(self, t: int) -> Population:
        rows = self._rows(t)
        coords = rows[self.coordinate_columns].to_numpy(dtype=float)
        return Population(coords, _stat_records(rows), rows["distance"].to_numpy(dtype=float))

    def stats(self, t: int) -> pd.DataFrame:
        """Generation ``t``'s statistics, one row per particle."""
        return pd.DataFrame(_stat_records(self._rows(t)))

    def values(self, spec: TargetsSpec, t: int) -> pd.DataFrame:
        """Generation ``t``'s parameter values (one row per particle, duplicates kept)."""
        rows = self._rows(t)
        return pd.DataFrame(
            [
                to_box(spec, dict(zip(self.parameters, z, strict=True)))
                for z in rows[self.coordinate_columns].to_numpy(dtype=float)
            ]
        )

    def appended(self, t: int, pop: Population) -> Populations:
        frame = pd.DataFrame(pop.coords, columns=self.coordinate_columns)
        stats = pd.DataFrame(pop.stats).add_prefix("s:")
        frame = pd.concat([frame, stats], axis=1)
        frame.insert(0, "particle", np.arange(len(pop.distance)))
        frame.insert(0, "t", t)
        frame["distance"] = pop.distance
        table = frame if self.table.empty else pd.concat([self.table, frame], ignore_index=True)
        return Populations(table, self.parameters)

    def write(self, folder: Path) -> None:
        write_atomic(folder / POPULATIONS_NAME, self.table.to_parquet(index=False))


def _stat_records(rows: pd.DataFrame) -> list[dict[str, float]]:
    cols = [c for c in rows.columns if c.startswith("s:")]
    return [{c[2:]: float(v) for c, v in zip(cols, r, strict=True)} for r in rows[cols].to_numpy()]


def posterior_table(
    populations: Populations, spec: TargetsSpec, t: int | None = None
) -> pd.DataFrame:
    """A generation's distinct particles (the last by default) as parameter values, one column
    per parameter, and ``weight``: each particle's multiplicity over the population size."""
    values = populations.values(spec, populations.max_t if t is None else t)
    values = values[sorted(values.columns)]
    counted = values.groupby(list(values.columns), sort=False).size().reset_index(name=WEIGHT)
    counted[WEIGHT] = counted[WEIGHT].astype(float) / len(values)
    return counted


# ---------------------------------------------------------------------------- the sampler
def log_prior(z: np.ndarray) -> np.ndarray:
    """Log density of independent standard logistic coordinates, one value per row."""
    a = np.abs(z)
    return -(a + 2.0 * np.log1p(np.exp(-a))).sum(axis=-1)


def rounds_for(acceptance: float, settings: SmcSettings) -> int:
    """Rounds of MCMC steps so that a copy moves at least once with chance ``1 - c``."""
    if acceptance >= 1.0:
        return 1
    if acceptance <= 0.0:
        return settings.max_rounds
    need = math.ceil(math.log(settings.move_failure) / math.log(1.0 - acceptance))
    return int(min(max(need, 1), settings.max_rounds))


def generation_rng(seed: int, t: int) -> np.random.Generator:
    """The generator of generation ``t`` (the prior sample is generation 0)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(t), 0x5E3C]))


Evaluate = Callable[[np.ndarray], list[dict[str, float]]]
"""Coordinates (rows) -> each row's target statistics, in order."""


def prior_sample(n: int, d: int, seed: int, evaluate: Evaluate, spec: TargetsSpec) -> Population:
    coords = generation_rng(seed, 0).logistic(0.0, 1.0, size=(n, d))
    stats = evaluate(coords)
    return Population(coords, stats, np.array([total_distance(spec, s) for s in stats]))


def next_generation(
    pop: Population,
    t: int,
    seed: int,
    evaluate: Evaluate,
    spec: TargetsSpec,
    settings: SmcSettings,
    say: Callable[[str], None] = lambda _: None,
) -> tuple[Population, dict[str, Any]] | None:
    """Generation ``t`` from generation ``t - 1``, and its record; None when the tolerance
    cannot shrink (every particle already within the largest distance kept)."""
    rng = generation_rng(seed, t)
    n, d = pop.coords.shape
    n_keep = max(n - int(settings.discard * n), 2)
    epsilon = float(np.sort(pop.distance, kind="stable")[n_keep - 1])
    keep = pop.distance <= epsilon
    dropped = np.flatnonzero(~keep)
    if dropped.size == 0:
        return None
    kept = np.flatnonzero(keep)
    parents = kept[rng.integers(0, kept.size, size=dropped.size)]
    coords = pop.coords.copy()
    stats = list(pop.stats)
    distance = pop.distance.copy()
    coords[dropped] = pop.coords[parents]
    for i, j in zip(dropped, parents, strict=True):
        stats[i] = pop.stats[j]
        distance[i] = pop.distance[j]
    cov = np.atleast_2d(np.cov(pop.coords[kept], rowvar=False)) * ROBERTS_SCALE / d
    cov += np.eye(d) * 1e-9 * max(float(np.trace(cov)) / d, 1e-12)
    chol = np.linalg.cholesky(cov)
    moved = np.zeros(dropped.size, dtype=bool)
    proposals = accepted = simulations = 0
    rounds, trial = 1, 0.0
    r = 0
    while r < rounds:
        step = rng.standard_normal((dropped.size, d)) @ chol.T
        u = np.log(rng.random(dropped.size))
        current = coords[dropped]
        proposed = current + step
        passes = np.flatnonzero(u < log_prior(proposed) - log_prior(current))
        results = evaluate(proposed[passes]) if passes.size else []
        simulations += passes.size
        took = 0
        for k, s in zip(passes, results, strict=True):
            dist = total_distance(spec, s)
            if dist <= epsilon:
                i = dropped[k]
                coords[i], stats[i], distance[i] = proposed[k], s, dist
                moved[k] = True
                took += 1
        proposals += dropped.size
        accepted += took
        if r == 0:
            trial = took / dropped.size
            rounds = rounds_for(trial, settings)
        r += 1
        say(f"  generation {t}: round {r}/{rounds}, {took} of {dropped.size} steps accepted")
    info = {
        "t": t,
        "epsilon": epsilon,
        "simulations": simulations,
        "rounds": rounds,
        "trial_acceptance": round(trial, 4),
        "acceptance": round(accepted / max(proposals, 1), 4),
        "moved": round(float(moved.mean()), 4),
        "distinct": int(np.unique(coords, axis=0).shape[0]),
        "at_zero": int((distance == 0).sum()),
    }
    return Population(coords, stats, distance), info


# ------------------------------------------------------------------------------- running
def make_executor(jobs: int, scheduler: str | None) -> tuple[Executor | None, Callable[[], None]]:
    """Where simulations run: a Dask client's executor when a scheduler address is given
    (connection through :func:`sim.runs.cluster.open_client`), else None (the calibration
    starts its own local pool). Also a function closing it."""
    if not scheduler:
        return None, lambda: None
    with ExitStack() as stack:  # closes the client if anything below fails
        client, _ = stack.enter_context(open_client(scheduler))
        executor = client.get_executor()
        return executor, stack.pop_all().close


def _simulate_chunk(simulator: Simulator, coords: list[list[float]]) -> list[dict[str, float]]:
    names = simulator.spec.parameters
    return [simulator(dict(zip(names, z, strict=True))) for z in coords]


def evaluator(simulator: Simulator, executor: Executor | None, workers: int) -> Evaluate:
    """Simulate rows of coordinates on ``executor`` (in this process when None), in chunks of
    about a quarter of a row per worker so that the pickled scenario travels seldom."""

    def evaluate(coords: np.ndarray) -> list[dict[str, float]]:
        rows = [list(map(float, z)) for z in coords]
        if executor is None:
            return _simulate_chunk(simulator, rows)
        size = max(1, math.ceil(len(rows) / (4 * max(workers, 1))))
        futures = [
            executor.submit(_simulate_chunk, simulator, rows[i : i + size])
            for i in range(0, len(rows), size)
        ]
        return [s for f in futures for s in f.result()]

    return evaluate


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
    executor: Executor | None = None,
    show_progress: bool = True,
    settings: SmcSettings | None = None,
) -> tuple[Populations, dict[str, Any]]:
    """Run (or resume) the sampler until ``generations`` populations exist in ``out`` or a
    stopping rule holds (see the module docstring).

    Args:
        spec: targets and priors.
        out: folder of ``populations.parquet`` and the state file.
        population: particles.
        generations: total generations wanted (generation 0 samples the prior).
        scale: calibration ``run.scale``.
        resume: continue the calibration in ``out`` instead of starting one.
        jobs: local worker processes when no ``executor`` is given.
        executor: where simulations run (e.g. a Dask client's executor); by default a local
            pool of ``jobs`` processes, or this process when ``jobs`` is 1.
        show_progress: print progress on standard error.
        settings: the sampler's constants. A resumed run keeps its own, except a
            ``max_rounds`` given here, which applies from the next generation on (the state
            records the change; the generations already made stay as they were).

    Returns:
        The populations and the run's state (budget, wall time, simulations, stopping reason).
    """
    require_metrics(spec)  # before any folder or simulation: a planned metric cannot be fitted
    out.mkdir(parents=True, exist_ok=True)
    state_file = out / STATE_NAME
    scenario = calibration_scenario(spec, scale)
    if resume:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        stored = SmcSettings(**state["settings"])
        populations = Populations.read(out, spec)
        if settings is not None and settings.max_rounds != stored.max_rounds:
            stored = SmcSettings(**{**asdict(stored), "max_rounds": settings.max_rounds})
            state.setdefault("changes", []).append(
                {"from_generation": populations.max_t + 1, "max_rounds": settings.max_rounds}
            )
            state["settings"] = asdict(stored)
        settings = stored
    else:
        settings = settings or SmcSettings()
        state = {
            "sampler": SAMPLER,
            "settings": asdict(settings),
            "targets_hash": targets_hash(spec),
            "population": population,
            "scale": scale,
            "seed": spec.settings.seed,
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "commit": git_commit(),
            "wall_seconds": 0.0,
            "generations": [],
            "stopped": None,
        }
        populations = Populations(pd.DataFrame(), spec.parameters)

    def show(text: str) -> None:
        _say(text, show_progress)

    seed = spec.settings.seed
    simulator = Simulator(scenario, spec, seed)
    with ExitStack() as stack:
        pool = executor
        if pool is None and jobs > 1:
            before = set(multiprocessing.active_children())
            local = local_pool(jobs)
            pool = local
            stack.callback(local.shutdown)
            stack.push(lambda kind, *_: stop_pool(local, before) if kind else None)
        evaluate = evaluator(simulator, pool, jobs)
        show(
            f"calibrating {len(spec.parameters)} parameters on {len(spec.targets)} targets: "
            f"population {population}, generations {populations.max_t + 1}/{generations} done, "
            f"scale {scale}"
        )
        while populations.max_t + 1 < generations:
            t = populations.max_t + 1
            began = time.perf_counter()
            if t == 0:
                pop = prior_sample(population, len(spec.parameters), seed, evaluate, spec)
                info: dict[str, Any] = {"t": 0, "epsilon": math.inf, "simulations": population,
                                        "rounds": 0, "trial_acceptance": 1.0, "acceptance": 1.0,
                                        "moved": 1.0, "distinct": population,
                                        "at_zero": int((pop.distance == 0).sum())}  # fmt: skip
            else:
                last = state["generations"][-1]
                if last["trial_acceptance"] < settings.min_acceptance:
                    state["stopped"] = (
                        f"generation {t - 1}'s first round accepted {last['trial_acceptance']:.1%} "
                        f"of steps, under {settings.min_acceptance:.1%}"
                    )
                    break
                step = next_generation(
                    populations.population(t - 1), t, seed, evaluate, spec, settings, show
                )
                if step is None:
                    state["stopped"] = "every particle is within the tolerance (it cannot shrink)"
                    break
                pop, info = step
            seconds = time.perf_counter() - began
            info["wall_seconds"] = round(seconds, 1)
            populations = populations.appended(t, pop)
            populations.write(out)
            state["generations"].append(info)
            state["wall_seconds"] = round(state["wall_seconds"] + seconds, 1)
            write_atomic(state_file, json.dumps(state, indent=2))
            show(
                f"generation {t + 1}/{generations}: epsilon {info['epsilon']:.3f}, "
                f"{info['simulations']} simulations, first-round acceptance "
                f"{info['trial_acceptance']:.0%}, {info['rounds']} rounds, "
                f"{info['distinct']} distinct particles, {seconds:.0f} s"
            )
        write_atomic(state_file, json.dumps(state, indent=2))
    if state["stopped"]:
        show(f"stopped: {state['stopped']}")
    return populations, state
