"""Running a scenario's replicates in parallel with a progress bar, then writing its run folder.

The local process pool is made so that it never outlives the command: its workers ignore Ctrl-C
(the command stops them itself and reports once) and die with the command even when it is
killed with SIGKILL (:func:`worker_init`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from sim.runs.folders import manifest, write_run_folder
from sim.runs.plots import plot_run
from sim.runs.replicates import RunResult, Task, default_jobs, replicate_tasks, run_many
from sim.scenario.schema import Scenario

RESULTS_ROOT = Path("results")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WATCHDOG_SECONDS = 0.5


def worker_init(parent: int) -> None:
    """Initializer of every local pool worker: ignore Ctrl-C, and die with the parent process.

    Ctrl-C reaches the whole process group; the parent alone handles it (it stops the workers
    and prints one line), so a worker ignores SIGINT instead of printing its own traceback.
    If the parent is killed outright (SIGKILL, out of memory) it cannot stop its workers, so
    each worker watches it: on Linux the kernel sends the worker SIGKILL when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``: immediate, even while the worker computes in C); elsewhere a
    daemon thread polls the parent's id every :data:`WATCHDOG_SECONDS` and exits the worker.
    Once the workers are gone, multiprocessing's resource tracker sees its pipe close and
    exits too.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCHDOG_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="flightsim-parent-watchdog", daemon=True).start()


def local_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool of ``jobs`` workers set up by :func:`worker_init`."""
    return ProcessPoolExecutor(max_workers=jobs, initializer=worker_init, initargs=(os.getpid(),))


def stop_pool(pool: ProcessPoolExecutor, before: set) -> None:
    """Stop a pool at once: cancel what has not started, terminate the workers started since
    ``before`` (a set of :func:`multiprocessing.active_children`), then reap them."""
    pool.shutdown(wait=False, cancel_futures=True)
    workers = [p for p in multiprocessing.active_children() if p not in before]
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=5)


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
