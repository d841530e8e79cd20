"""Posterior draws as runs: each replicate takes its own parameter set from a calibration posterior.

``posterior.parquet`` (written by ``flightsim calibrate``) holds one row per particle: one
column per calibrated parameter (dotted scenario names: ``world.…``, lever strengths
``policy.<list>[<i>].<field>``, observation shares) and a ``weight`` column.
Replicate ``k`` draws a row with probability proportional to its weight, from the named stream
``"posterior"`` of ``(seed, k)`` (see :mod:`sim.core.rng`), so the draw of any replicate is the same
whatever the number of replicates or workers. The drawn values are applied with
:func:`sim.scenario.load.with_overrides` (validated by the scenario schema) and recorded in
``Task.params``, so comparison bands include parameter uncertainty, not only chance.

A calibration posterior also holds the observation model's share parameters
(``observation.…``: how a reported figure's group relates to the model's officials, see
:mod:`sim.calibrate.statistics`). They are not scenario parameters: :func:`split_parameters`
is the one place that sets them apart, so they are never applied to a scenario.

Whatever parameter columns the file holds are drawn (a recalibration may add parameters); each
must name a number of the scenario (:func:`check_matches`), and in a comparison no policy may
change a drawn parameter (:func:`check_posterior_paths`), since the draw would erase the change.

A posterior may also hold lever strengths (``policy.<list>[<i>].<field>``: the levels of dated
levers that the calibration fitted, e.g. the 2014 exit controls). The fitted baseline sets them
at their medians; they are drawn only where asked (``levers=True``: the calibration's own
posterior-predictive runs), never in a comparison or a run, where a policy may change those very
levers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.rng import Streams
from sim.errors import CompareError, InputError, ScenarioError
from sim.runs.replicates import Task, resolve_replicates
from sim.scenario.load import with_overrides
from sim.scenario.overrides import path_tokens
from sim.scenario.schema import Scenario

WEIGHT = "weight"
STREAM = "posterior"
OBSERVATION_PREFIX = "observation."
"""Prefix of the observation model's parameters (calibrated, but not scenario parameters)."""


ESS_WARNING_SHARE = 0.1
"""Reports warn when a posterior's effective sample size is under this share of its particles:
a few particles then hold most of the weight."""


def effective_sample_size(weights: Sequence[float] | np.ndarray) -> float:
    """Kish's effective sample size of weighted particles, (sum w)^2 / sum w^2: the number of
    equally weighted draws they are worth (all equal: their number; one holds all: 1)."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    return float(total**2 / np.square(w).sum()) if total > 0 else 0.0


def split_parameters(values: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """``(scenario parameters, observation parameters)`` of a set of calibrated values."""
    scenario = {k: v for k, v in values.items() if not k.startswith(OBSERVATION_PREFIX)}
    observation = {k: v for k, v in values.items() if k.startswith(OBSERVATION_PREFIX)}
    return scenario, observation


def _applied(name: str, levers: bool) -> bool:
    """Whether a posterior column is applied to the scenario of a drawn replicate."""
    return name.startswith("world.") or (levers and name.startswith("policy."))


def read_posterior(path: Path) -> pd.DataFrame:
    """Read and check a posterior table; weights are returned normalised to sum to 1.

    Raises:
        InputError: the file is missing, unreadable, or not a posterior table.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: --posterior: file not found")
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad input
        raise InputError(
            f"{path}: --posterior: not a readable Parquet file ({type(exc).__name__})"
        ) from None
    if WEIGHT not in table.columns:
        raise InputError(f"{path}: weight: required column is missing")
    params = [c for c in table.columns if c != WEIGHT]
    if not params:
        raise InputError(f"{path}: no parameter columns besides weight")
    for column in params:
        if not str(column).startswith(("world.", "policy.", OBSERVATION_PREFIX)):
            raise InputError(
                f"{path}: {column}: expected a world parameter (world.<section>.<name>), "
                f"a lever strength (policy.<list>[<i>].<field>) "
                f"or an observation share ({OBSERVATION_PREFIX}<name>)"
            )
        if not pd.api.types.is_numeric_dtype(table[column]):
            raise InputError(f"{path}: {column}: expected numbers")
        if not np.isfinite(table[column].to_numpy(dtype=float)).all():
            raise InputError(f"{path}: {column}: missing or infinite values")
    if table.empty:
        raise InputError(f"{path}: the posterior has no rows")
    weights = pd.to_numeric(table[WEIGHT], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise InputError(f"{path}: weight: expected non-negative numbers with a positive sum")
    out = table.copy()
    out[WEIGHT] = weights / weights.sum()
    return out


def check_matches(scenario: Scenario, params: Sequence[str], path: Path) -> None:
    """Every posterior column must name a number of the scenario (whatever columns it holds).

    Raises:
        ScenarioError: naming the file and the first column the scenario does not have.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    hint = "the posterior does not match this model (recalibrate, or --fixed-parameters)"
    for name in params:
        value = _value_at(data, name)
        if value is None:
            raise ScenarioError(
                path, name, f"unknown key in scenario {scenario.meta.name!r}: {hint}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(
                path, name, f"not a numeric parameter of scenario {scenario.meta.name!r}: {hint}"
            )


def draw_index(weights: np.ndarray, seed: int, replicate: int) -> int:
    """Row drawn by one replicate: weighted, from stream ``posterior`` of ``(seed, replicate)``."""
    rng = Streams(seed, replicate)[STREAM].generator()
    return int(rng.choice(len(weights), p=weights))


def posterior_tasks(
    scenario: Scenario,
    path: Path,
    replicates: int | None = None,
    seed: int | None = None,
    levers: bool = False,
) -> list[Task]:
    """Tasks whose replicates each draw their own parameter set from a posterior.

    Args:
        scenario: the scenario to run (its other parameters stay as they are).
        path: ``posterior.parquet``.
        replicates: number of replicates (default ``scenario.run.replicates``).
        seed: root seed (default ``scenario.run.seed``).
        levers: also draw the lever strengths (``policy.…``) of the posterior: only for the
            scenario that was calibrated (the calibration's posterior-predictive runs).

    Returns:
        One task per replicate, with the drawn values in ``Task.params``.

    Raises:
        InputError: a bad posterior file.
        ScenarioError: a drawn value the scenario schema rejects (names the file and field).
    """
    n, root = resolve_replicates(scenario, replicates, seed)
    draws = posterior_draws(path, n, root)
    check_matches(scenario, [k for k in draws[0][1] if _applied(k, levers)], Path(path))
    tasks = []
    for k, (row, values) in enumerate(draws):
        # observation shares never touch the scenario; lever strengths only when asked
        drawn = {name: v for name, v in values.items() if _applied(name, levers)}
        try:
            drawn_scenario = with_overrides(scenario, drawn, file=str(path))
        except ScenarioError as exc:
            raise ScenarioError(path, exc.path, f"posterior row {row}: {exc.message}") from None
        tasks.append(Task(drawn_scenario, k, root, params=drawn))
    return tasks


def posterior_draws(path: Path, replicates: int, seed: int) -> list[tuple[int, dict[str, float]]]:
    """Per replicate ``k`` (in order): the row it draws and every value of that row, the
    observation shares included (what :func:`posterior_tasks` applies, and what a fit table
    needs to map the run to the reported figures).

    Raises:
        InputError: a bad posterior file.
    """
    table = read_posterior(Path(path))
    weights = table[WEIGHT].to_numpy()
    params = [c for c in table.columns if c != WEIGHT]
    out = []
    for k in range(replicates):
        row = table.iloc[draw_index(weights, seed, k)]
        out.append((int(row.name), {name: float(row[name]) for name in params}))
    return out


def check_posterior_paths(
    scenarios: Sequence[Scenario], files: Sequence[str], tasks: Sequence[Task]
) -> None:
    """A policy may not change a parameter the posterior draws: the draw would erase it.

    ``scenarios[0]`` is the base; ``tasks`` are its posterior tasks (their ``params`` name the
    drawn parameters).

    Raises:
        CompareError: naming the policy file and the parameter.
    """
    if not tasks:
        return
    base = scenarios[0].model_dump(mode="json", by_alias=True)
    for scenario, file in zip(scenarios[1:], files[1:], strict=True):
        data = scenario.model_dump(mode="json", by_alias=True)
        for name in tasks[0].params:
            if _value_at(data, name) != _value_at(base, name):
                raise CompareError(
                    f"{file}: {name}: the policy changes a parameter the posterior draws, so "
                    "the draw would erase the change; compare with --fixed-parameters"
                )


def _value_at(data: Any, dotted: str) -> Any:
    """The value at a dotted path of a dumped scenario (None where it does not exist)."""
    for token in path_tokens(dotted):
        try:
            data = data[token]
        except (KeyError, IndexError, TypeError):
            return None
    return data
