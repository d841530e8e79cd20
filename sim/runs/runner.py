"""Running a scenario's replicates in parallel with a progress bar, then writing its run folder.

Local runs go to a :func:`sim.runs.pool.local_pool`, which never outlives the command.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

from tqdm import tqdm

from sim.runs.folders import manifest, write_run_folder
from sim.runs.plots import plot_run
from sim.runs.pool import local_pool, stop_pool
from sim.runs.replicates import RunResult, Task, default_jobs, replicate_tasks, run_many
from sim.scenario.schema import Scenario

RESULTS_ROOT = Path("results")


def execute(
    tasks: Sequence[Task],
    jobs: int | None = None,
    executor: Executor | None = None,
    label: str = "runs",
    show_progress: bool = True,
) -> list[RunResult]:
    """Run tasks with a progress bar (standard error) via :func:`sim.runs.replicates.run_many`.

    Without an ``executor`` and with more than one job and task, the runs go to a
    :func:`local_pool`, stopped at once if the run is interrupted (Ctrl-C, an error).
    """
    jobs = default_jobs() if jobs is None else max(int(jobs), 1)
    with tqdm(
        total=len(tasks), desc=label, unit="run", disable=not show_progress, leave=False
    ) as bar:
        if executor is not None or jobs == 1 or len(tasks) <= 1:
            return run_many(tasks, executor=executor, jobs=jobs, progress=bar.update)
        before = set(multiprocessing.active_children())
        pool = local_pool(min(jobs, len(tasks)))
        try:
            results = run_many(tasks, executor=pool, progress=bar.update)
        except BaseException:
            stop_pool(pool, before)
            raise
        pool.shutdown()
        return results


def run_scenario(
    scenario: Scenario,
    out: Path | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    tasks: Sequence[Task] | None = None,
    show_progress: bool = True,
    extra_manifest: dict | None = None,
) -> Path:
    """Run every replicate of a scenario and write its run folder.

    Args:
        scenario: a valid scenario.
        out: the folder to write; ``results/<scenario name>/`` by default.
        replicates, seed: override ``run.replicates`` and ``run.seed``.
        jobs: worker processes (default: this machine's CPU count).
        executor: any ``concurrent.futures.Executor`` instead of the local pool.
        tasks: explicit tasks (e.g. with parameters drawn from a posterior).
        show_progress: draw a progress bar.
        extra_manifest: more fields for the manifest.

    Returns:
        The run folder.
    """
    began = time.perf_counter()
    tasks = list(tasks) if tasks is not None else replicate_tasks(scenario, replicates, seed)
    jobs = default_jobs() if jobs is None else jobs
    results = execute(tasks, jobs, executor, label=scenario.meta.name, show_progress=show_progress)
    destination = Path(out) if out is not None else RESULTS_ROOT / scenario.meta.name
    root_seed = tasks[0].seed if tasks else scenario.run.seed
    info = manifest(
        scenario,
        seed=root_seed,
        replicates=len(tasks),
        wall_seconds=time.perf_counter() - began,
        jobs=jobs,
        run_wall_seconds=[round(r.wall_seconds, 3) for r in results],
        **(extra_manifest or {}),
    )
    return write_run_folder(destination, scenario, results, info, plot=plot_run)
