"""A local process pool that never outlives the command that started it.

Its workers ignore Ctrl-C (the command stops them itself and reports once, in
:mod:`sim.cli.main`) and die with the command even when it is killed with SIGKILL
(:func:`worker_init`). Cheap to import: spawned workers import this module to run their
initializer.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.context as mpc
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

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
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since birth: see below
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


class _BlockedStart:
    """Mixin: start the process with SIGINT blocked in the starting thread (restored at once)."""

    def start(self) -> None:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().start()  # type: ignore[misc]
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _SpawnProcess(_BlockedStart, mpc.SpawnProcess):
    pass


class _ForkProcess(_BlockedStart, mpc.ForkProcess):
    pass


class _ForkServerProcess(_BlockedStart, mpc.ForkServerProcess):
    pass


_PROCESS = {"spawn": _SpawnProcess, "fork": _ForkProcess, "forkserver": _ForkServerProcess}


class _SigintBlockedContext:
    """This interpreter's multiprocessing context, but its processes start with SIGINT blocked.

    A worker needs a moment to start (and, when spawned, to import flightsim) before
    :func:`worker_init` can make it ignore Ctrl-C; a signal mask is inherited across fork and
    exec, so blocking SIGINT while a worker starts closes that window. A Ctrl-C meanwhile
    reaches the parent a moment later.
    """

    def __init__(self) -> None:
        self._base = multiprocessing.get_context()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def Process(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - multiprocessing's name
        return _PROCESS[self._base.get_start_method()](*args, **kwargs)


def local_pool(jobs: int) -> ProcessPoolExecutor:
    """A process pool of ``jobs`` workers set up by :func:`worker_init`."""
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=_SigintBlockedContext(),  # type: ignore[arg-type]
        initializer=worker_init,
        initargs=(os.getpid(),),
    )


def stop_pool(pool: ProcessPoolExecutor, before: set) -> None:
    """Stop a pool at once: cancel what has not started, terminate the workers started since
    ``before`` (a set of :func:`multiprocessing.active_children`), then reap them."""
    pool.shutdown(wait=False, cancel_futures=True)
    workers = [p for p in multiprocessing.active_children() if p not in before]
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(timeout=5)
