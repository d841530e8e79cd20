"""Running scenarios: one run per (scenario, replicate), many runs through any executor.

``run`` is a top-level, picklable, side-effect-free function: any worker rebuilds any run from the
scenario and two integers. ``run_many`` takes any ``concurrent.futures.Executor`` (a process pool
here, a Dask ``client.get_executor()`` on a cluster) and returns results in replicate order,
whatever the order of completion.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.core.metrics import COUNTRY_COLUMNS, FLOWS, STOCKS
from sim.core.model import FlightModel
from sim.core.population import EVENTS
from sim.core.rules import CHANNELS
from sim.scenario.schema import Scenario


@dataclass
class RunResult:
    """Tables of one run: monthly series, yearly per-country series, event log, timings."""

    scenario: str
    replicate: int
    seed: int
    monthly: pd.DataFrame
    countries: pd.DataFrame
    events: pd.DataFrame
    wall_seconds: float
    params: dict[str, Any] = field(default_factory=dict)


def run(
    scenario: Scenario, replicate: int = 0, seed: int | None = None, params: dict | None = None
) -> RunResult:
    """Simulate one replicate of a scenario.

    Args:
        scenario: a valid scenario.
        replicate: replicate number (keys the random streams with the seed).
        seed: root seed; defaults to ``scenario.run.seed``.
        params: parameter values this run was drawn with (e.g. from a posterior), recorded as is.

    Returns:
        The run's tables.
    """
    began = time.perf_counter()
    model = FlightModel(scenario, replicate=replicate, seed=seed)
    try:
        model.run_model()
        name = scenario.meta.name
        root = model.seed_value
        dates = [model.date_of(t) for t in range(model.n_steps)]
        monthly = model.monthly_table()[[*FLOWS, *STOCKS]]
        monthly.insert(0, "date", dates)
        monthly.insert(1, "year", [int(d[:4]) for d in dates])
        _keys(monthly, name, replicate, root)
        countries = _country_table(model, dates)
        _keys(countries, name, replicate, root)
        events = _event_table(model, dates)
        _keys(events, name, replicate, root)
    finally:
        model.release()  # Mesa 3.3 would keep the model alive for the whole process
    return RunResult(
        scenario=name,
        replicate=replicate,
        seed=root,
        monthly=monthly,
        countries=countries,
        events=events,
        wall_seconds=time.perf_counter() - began,
        params=dict(params or {}),
    )


def _keys(df: pd.DataFrame, name: str, replicate: int, seed: int) -> None:
    df.insert(0, "scenario", name)
    df.insert(1, "replicate", replicate)
    df.insert(2, "seed", seed)


def _country_table(model: FlightModel, dates: list[str]) -> pd.DataFrame:
    """Per country and calendar year: stock at year end, flows over the year, status at year end."""
    years = np.array([int(d[:4]) for d in dates])
    unique_years, last = np.unique(years[::-1], return_index=True)
    last = len(years) - 1 - last
    codes = np.searchsorted(unique_years, years)
    n_y, n_c = len(unique_years), len(model.table)
    fled = np.zeros((n_y, n_c))
    back = np.zeros((n_y, n_c))
    np.add.at(fled, codes, model.country_fled_to)
    np.add.at(back, codes, model.country_returned_from)
    columns = {  # the model records counts already in real officials
        "stock_abroad": model.country_stock[last],
        "fled_to": fled,
        "returned_from": back,
        "cooperation": model.country_cooperation[last],
        "treaty_in_force": model.country_treaty[last],
    }
    table = pd.DataFrame(
        {
            "year": np.repeat(unique_years, n_c),
            "iso3": np.tile(np.array(model.table.iso3), n_y),
            **{k: v.ravel() for k, v in columns.items()},
        }
    )
    assert tuple(columns) == COUNTRY_COLUMNS
    return table


def _event_table(model: FlightModel, dates: list[str]) -> pd.DataFrame:
    log = model.officials.log
    if log is None:
        return pd.DataFrame(columns=["official_id", "date", "event", "country", "how"])
    cols = log.columns()
    events = cols["event"].astype(np.int64)
    is_channel = np.isin(events, [EVENTS.index("returned"), EVENTS.index("prosecuted_abroad")])
    how = np.where(is_channel, cols["how"].astype(np.int64), -1)
    return pd.DataFrame(
        {
            "official_id": cols["official_id"],
            "date": pd.Categorical.from_codes(cols["step"], categories=dates),
            "event": pd.Categorical.from_codes(events, categories=list(EVENTS)),
            "country": pd.Categorical.from_codes(
                cols["country"].astype(np.int64), categories=list(model.table.iso3)
            ),
            "how": pd.Categorical.from_codes(how, categories=list(CHANNELS)),
        }
    )


@dataclass(frozen=True)
class Task:
    """One run to do: a scenario, a replicate and a seed (and optional recorded parameters)."""

    scenario: Scenario
    replicate: int
    seed: int
    params: dict[str, Any] = field(default_factory=dict)


def run_task(task: Task) -> RunResult:
    """Top-level, picklable entry point for executors."""
    return run(task.scenario, task.replicate, task.seed, task.params)


def resolve_replicates(
    scenario: Scenario, replicates: int | None = None, seed: int | None = None
) -> tuple[int, int]:
    """The number of replicates and the root seed: as given, else the scenario's.

    Args:
        scenario: supplies ``run.replicates`` and ``run.seed`` for what is not given.
        replicates: number of replicates, or None.
        seed: root seed, or None.

    Returns:
        ``(replicates, seed)``.
    """
    return scenario.resolved(replicates, seed)


def replicate_tasks(
    scenario: Scenario, replicates: int | None = None, seed: int | None = None
) -> list[Task]:
    """Tasks for replicates ``0..n-1`` of one scenario, all under one root seed."""
    n, root = resolve_replicates(scenario, replicates, seed)
    return [Task(scenario, k, root) for k in range(n)]


def default_jobs() -> int:
    """Worker processes to use on this machine by default (its CPU count)."""
    return max(os.cpu_count() or 1, 1)


def run_many(
    tasks: Sequence[Task],
    executor: Executor | None = None,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Run tasks and return their results in task order.

    Args:
        tasks: what to run.
        executor: any ``concurrent.futures.Executor``; by default a process pool of ``jobs``
            workers (or in this process when ``jobs == 1``).
        jobs: worker processes when no executor is given.
        progress: called with 1 each time a run finishes.
    """
    jobs = default_jobs() if jobs is None else max(int(jobs), 1)
    if executor is None and (jobs == 1 or len(tasks) <= 1):
        out = []
        for task in tasks:
            out.append(run_task(task))
            if progress:
                progress(1)
        return out
    if executor is not None:
        return _collect(executor, tasks, progress)
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        return _collect(pool, tasks, progress)


def _collect(executor: Executor, tasks: Iterable[Task], progress) -> list[RunResult]:
    futures = {executor.submit(run_task, task): i for i, task in enumerate(tasks)}
    results: list[RunResult | None] = [None] * len(futures)
    for future in as_completed(futures):
        results[futures[future]] = future.result()
        if progress:
            progress(1)
    return [r for r in results if r is not None]
