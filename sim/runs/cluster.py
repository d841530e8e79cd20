"""Dask clusters for sweeps: a loopback LocalCluster, a running scheduler, or SLURM jobs.

``open_client`` is a context manager yielding a ``distributed.Client`` and a plain description
of the cluster (kind, address, workers) for the manifest. Everything it starts it also stops.
SLURM workers are submitted as batch jobs through dask-jobqueue (the optional ``slurm`` extra);
the scheduler then runs inside this process and workers connect back to it.

A ``--scheduler`` address is checked before use (:func:`check_address`), and the scheduler must
answer within :data:`CONNECT_SECONDS` (:func:`probe_scheduler`): ``distributed.Client`` itself
waits forever on an address that accepts connections and says nothing.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sim.errors import ClusterError

CONNECT_SECONDS = 10.0
"""How long a ``--scheduler`` has to answer before the command gives up (exit status 2)."""

_ADDRESS = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})$"
)


INPROC = "inproc://"
"""Prefix of an in-process scheduler's address (a LocalCluster without processes)."""


def check_address(address: str) -> str:
    """A scheduler address such as ``tcp://HOST:PORT`` (or ``HOST:PORT``, or an in-process
    ``inproc://...``), or ClusterError."""
    if address.strip().startswith(INPROC):
        return address.strip()
    match = _ADDRESS.match(address.strip())
    if match is None or not 0 < int(match["port"]) < 65536:
        raise ClusterError(
            f"--scheduler {address}: not a scheduler address; expected tcp://HOST:PORT"
        )
    return address.strip()


def probe_scheduler(address: str, seconds: float | None = None) -> None:
    """Check that a Dask scheduler answers at ``address`` within ``seconds``
    (default :data:`CONNECT_SECONDS`).

    An in-process scheduler (``inproc://``) lives in this very process and is not probed.

    Raises:
        ClusterError: a bad address, nothing listening, or something that is not a Dask
            scheduler (no answer to an ``identity`` request in time).
    """
    # imported here: distributed takes seconds to import and only --scheduler needs it
    from distributed.comm import connect

    seconds = CONNECT_SECONDS if seconds is None else seconds
    if check_address(address).startswith(INPROC):
        return

    async def identity() -> object:
        comm = await connect(check_address(address), timeout=seconds)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded() -> object:
        return await asyncio.wait_for(identity(), seconds + 1)  # connect's own limit first

    try:
        reply = asyncio.run(bounded())
    except TimeoutError:
        raise ClusterError(
            f"--scheduler {address}: cannot connect: no Dask scheduler answered within "
            f"{seconds:.0f} s"
        ) from None
    except (OSError, ValueError) as exc:
        raise ClusterError(
            f"--scheduler {address}: cannot connect within {seconds:.0f} s ({exc})"
        ) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise ClusterError(f"--scheduler {address}: answered, but is not a Dask scheduler")


@dataclass(frozen=True)
class SlurmOptions:
    """Job settings for ``--cluster slurm`` (each worker is one single-core job)."""

    queue: str | None = None
    account: str | None = None
    walltime: str = "01:00:00"
    memory: str = "2GB"
    interface: str | None = None
    host: str | None = None
    log_directory: str | None = None
    job_extra_directives: tuple[str, ...] = ()
    python: str = field(default_factory=lambda: sys.executable)


def slurm_cluster(options: SlurmOptions, workers: int) -> Any:
    """A ``dask_jobqueue.SLURMCluster`` of single-process, single-thread worker jobs (not scaled).

    Raises:
        ClusterError: dask-jobqueue is not installed.
    """
    try:
        from dask_jobqueue import SLURMCluster  # optional extra, only for --cluster slurm
    except ImportError:
        raise ClusterError(
            "--cluster slurm needs dask-jobqueue: pip install 'flightsim[slurm]'"
        ) from None
    scheduler_options: dict[str, Any] = {"dashboard_address": ":0"}
    if options.host:
        scheduler_options["host"] = options.host
    return SLURMCluster(
        cores=1,
        processes=1,
        memory=options.memory,
        walltime=options.walltime,
        queue=options.queue,
        account=options.account,
        interface=options.interface,
        python=options.python,
        log_directory=options.log_directory,
        job_extra_directives=list(options.job_extra_directives),
        job_name="flightsim-sweep",
        scheduler_options=scheduler_options,
    )


@contextmanager
def open_client(
    scheduler: str | None = None,
    kind: str = "local",
    workers: int | None = None,
    slurm: SlurmOptions | None = None,
    wait_seconds: float = 300.0,
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Connect to or start a cluster, yield ``(client, description)``, then close what it started.

    Args:
        scheduler: ``tcp://HOST:PORT`` of a running scheduler (takes precedence over ``kind``).
        kind: ``local`` (LocalCluster on 127.0.0.1, one single-thread process per worker) or
            ``slurm`` (workers submitted as SLURM jobs).
        workers: workers to start (local: CPU count by default; slurm: 2 jobs by default).
        slurm: job settings for ``kind == "slurm"``.
        wait_seconds: how long to wait for the first worker.

    Raises:
        ClusterError: the scheduler cannot be reached, or no worker arrived in time.
    """
    # distributed takes about a second to import; only commands that use a cluster need it
    from distributed import Client, LocalCluster

    cluster = None
    n = 1
    try:
        if scheduler:
            probe_scheduler(scheduler)
            try:
                client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise ClusterError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
            described = {"kind": "scheduler", "address": scheduler}
        elif kind == "local":
            n = workers or max(os.cpu_count() or 1, 1)
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # its HTTP server stays on loopback too
            )
            client = Client(cluster)
            described = {"kind": "local", "address": cluster.scheduler_address, "requested": n}
        elif kind == "slurm":
            n = workers or 2
            cluster = slurm_cluster(slurm or SlurmOptions(), n)
            cluster.scale(jobs=n)
            client = Client(cluster)
            described = {
                "kind": "slurm",
                "address": cluster.scheduler_address,
                "requested": n,
                "job_script": cluster.job_script(),
            }
        else:
            raise ClusterError(f"--cluster: expected local or slurm, got {kind!r}")
        try:
            client.wait_for_workers(n if kind == "local" and not scheduler else 1, wait_seconds)
        except TimeoutError:
            client.close()
            raise ClusterError(f"no Dask worker joined within {wait_seconds:.0f} s") from None
        info = client.scheduler_info(n_workers=-1)
        described["workers"] = len(info.get("workers", {}))  # when the sweep started
        described["threads"] = sum(client.nthreads().values())
        try:
            yield client, described
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
