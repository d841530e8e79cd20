"""Running the explorer's comparison and the tables its charts show (no drawing here).

One run of the page is :func:`sim.compare.engine.compute_comparison` of the base and the explored
scenario at the page's scale, replicates and seed, so the effects it shows are those
``flightsim compare`` gives for the exported YAML with the same settings. The tables below
summarise the replicates of each scenario: yearly means with a 5-95% band, the stock abroad by
destination and year, and returns by channel over the comparison's horizon.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import (
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pandas as pd

from sim.compare.engine import Comparison, compute_comparison
from sim.core.metrics import BY_NAME, yearly
from sim.runs.posterior import posterior_tasks
from sim.runs.replicates import Task
from sim.scenario.schema import Scenario

HEADLINE: tuple[str, ...] = (
    "fled_abroad",
    "fled_or_missing",
    "returned",
    "stock_abroad",
    "treaty_free_share",
    "assets_recovered_usd",
)
"""Outcomes whose paired effects the page shows, in order."""

SERIES: tuple[str, ...] = ("fled_abroad", "returned", "stock_abroad")
"""Flows and stocks drawn over time with bands."""

CHANNELS: tuple[str, ...] = (
    "returned_persuasion",
    "returned_deportation",
    "returned_extradition",
    "returned_surrender",
)
"""Returns by channel (outcomes of the comparison)."""

BAND = (0.05, 0.95)


def _exit_with_parent(parent: int) -> None:
    """In a worker: end this process once the page's server that started it has gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _watch_parent(parent: int) -> None:
    """Worker initializer. Not :func:`sim.runs.pool.worker_init`: its ``PR_SET_PDEATHSIG``
    fires when the *thread* that started the worker ends, and the page starts its pool from a
    short-lived server thread, so workers would die mid-run; polling the parent's id does not."""
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def worker_pool(jobs: int) -> Executor:
    """Workers for the page's runs: one thread for one job, else spawned processes that end
    with the server however it stops (a killed server leaves no orphan behind)."""
    if jobs <= 1:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="flightsim-run")
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=get_context("spawn"),
        initializer=_watch_parent,
        initargs=(os.getpid(),),
    )


class CountingExecutor(Executor):
    """An executor that reports each finished run (for the page's progress bar) and can be
    cancelled: :meth:`cancel` drops every run still waiting and refuses new ones."""

    def __init__(self, inner: Executor, on_done: Callable[[], None]) -> None:
        self.inner = inner
        self.on_done = on_done
        self.cancelled = threading.Event()
        self._futures: list[Future] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self.cancelled.is_set():
                raise CancelledError("a newer run of the page replaced this one")
            future = self.inner.submit(fn, *args, **kwargs)
            self._futures.append(future)
        future.add_done_callback(lambda f: None if f.cancelled() else self.on_done())
        return future

    def cancel(self) -> None:
        """Stop between replicates: waiting runs are dropped, running ones end on their own.

        A replicate already in a worker process is not interrupted: killing the worker would
        break the pool the page shares (``BrokenProcessPool``); its watchdog
        (:func:`_watch_parent`) is only for the server going away.
        """
        with self._lock:
            self.cancelled.set()
            futures = list(self._futures)
        for future in futures:
            future.cancel()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The inner executor belongs to the caller; it is not shut down here."""


class Superseded(Exception):
    """A newer run of the page replaced this one; its result is not to be shown."""


class LatestRun:
    """The page's runs, of which only the newest counts.

    :meth:`begin` makes the executor of a new run and cancels the previous run's (its waiting
    replicates never start); :meth:`run` returns a result only while its run is still the
    newest, so a stale result is never shown however late it arrives.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: CountingExecutor | None = None

    def begin(self, inner: Executor, on_done: Callable[[], None]) -> CountingExecutor:
        """A new run's executor on ``inner``; the previous run is cancelled."""
        fresh = CountingExecutor(inner, on_done)
        with self._lock:
            previous, self._current = self._current, fresh
        if previous is not None:
            previous.cancel()
        return fresh

    def is_current(self, executor: CountingExecutor) -> bool:
        """True while ``executor``'s run is the newest."""
        return self._current is executor and not executor.cancelled.is_set()

    def run(self, executor: CountingExecutor, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` for the run of ``executor`` (which ``fn`` must use).

        Raises:
            Superseded: a newer run began before this one ended.
        """
        try:
            result = fn(*args)
        except CancelledError:
            raise Superseded("a newer run of the page replaced this one") from None
        if not self.is_current(executor):
            raise Superseded("a newer run of the page replaced this one")
        return result


def run_explorer(
    base: Scenario,
    policy: Scenario,
    executor: Executor,
    posterior: Path | None = None,
) -> Comparison:
    """Paired comparison of ``policy`` against ``base`` under ``policy.run``'s settings.

    Args:
        base: the base scenario (its ``run`` scale is replaced by the policy's).
        policy: the explored scenario (:func:`sim.explore.levers.build_policy`).
        executor: where the runs go (e.g. a :class:`CountingExecutor`).
        posterior: a ``posterior.parquet``: replicate k of both scenarios draws the same
            parameters, as ``flightsim compare --posterior`` does.
    """
    run = policy.run
    base = base.model_copy(update={"run": run})
    draws: Callable[[Scenario], list[Task]] | None = None
    if posterior is not None:

        def draws(scenario: Scenario) -> list[Task]:
            return posterior_tasks(scenario, posterior, run.replicates, run.seed)

    return compute_comparison(
        [base, policy],
        ["base", "explored"],
        replicates=run.replicates,
        seed=run.seed,
        executor=executor,
        posterior=draws,
        show_progress=False,
    )


@dataclass(frozen=True)
class Tables:
    """What the charts show, for the base (first label) and the explored scenario."""

    labels: tuple[str, str]
    series: pd.DataFrame
    destinations: pd.DataFrame
    channels: pd.DataFrame
    effects: pd.DataFrame
    horizon: tuple[str, str]


def band_table(yearly_runs: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Per scenario, metric and year: mean, low and high (5% and 95%) over replicates."""
    long = yearly_runs.melt(
        id_vars=["scenario", "replicate", "year"], value_vars=list(names), var_name="metric"
    )
    grouped = long.groupby(["scenario", "metric", "year"], sort=True)["value"]
    out = grouped.agg(mean="mean", low=lambda v: v.quantile(BAND[0]),
                      high=lambda v: v.quantile(BAND[1]))  # fmt: skip
    return out.reset_index()


def destination_table(results: Sequence, labels: Sequence[str]) -> pd.DataFrame:
    """Mean stock abroad per scenario, destination (ISO3) and year, over replicates."""
    frames = [r.countries.assign(scenario=lab) for r, lab in zip(results, labels, strict=True)]
    table = pd.concat(frames, ignore_index=True)
    out = table.groupby(["scenario", "iso3", "year"], sort=True)["stock_abroad"].mean()
    return out.reset_index()


def channel_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Mean returns per scenario and channel over the horizon (one row per pair)."""
    rows = outcomes[outcomes["outcome"].isin(CHANNELS)]
    out = rows.groupby(["scenario", "outcome"], sort=False)["value"].mean().reset_index()
    out["channel"] = out["outcome"].str.removeprefix("returned_")
    return out


def headline_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """The paired effects of the headline outcomes, with their labels and units, in order."""
    rows = effects.set_index("outcome").loc[list(HEADLINE)].reset_index()
    rows.insert(1, "label", [BY_NAME[n].label for n in rows["outcome"]])
    return rows[["outcome", "label", "estimate", "low", "high", "p_better", "unit"]]


def tables_of(comparison: Comparison) -> Tables:
    """All the page's tables from one comparison."""
    monthly = pd.concat(
        [r.monthly.assign(scenario=lab)
         for r, lab in zip(comparison.results, comparison.run_labels, strict=True)],
        ignore_index=True,
    )  # fmt: skip
    return Tables(
        labels=(comparison.labels[0], comparison.labels[1]),
        series=band_table(yearly(monthly), SERIES),
        destinations=destination_table(comparison.results, comparison.run_labels),
        channels=channel_table(comparison.outcomes),
        effects=headline_effects(comparison.effects),
        horizon=comparison.horizon,
    )


def format_number(value: float, unit: str) -> str:
    """How the page shows an effect: shares to 3 decimals, money in millions, else 1 decimal."""
    if unit in ("share", "0-1"):
        return f"{value:+.3f}"
    if unit == "US$":
        return f"{value / 1e6:+,.1f}M"
    return f"{value:+,.1f}"
