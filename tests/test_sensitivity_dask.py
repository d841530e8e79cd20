"""Sweeps on real Dask processes: a scheduler and workers on 127.0.0.1, killed workers and drivers.

No mocks: the test starts ``dask scheduler`` and ``dask worker`` processes on free loopback ports,
runs ``flightsim sensitivity`` as a subprocess, SIGKILLs a worker or the driver mid-sweep, and
checks that the indices are identical to the same sweep on one local worker. The model is the
Ishigami function with replicate noise (cheap) through the same engine.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.sensitivity.engine import chunk_files, finished_runs

BIN = Path(sys.executable).parent
N, REPLICATES = 128, 2
RUNS = N * 6 * REPLICATES  # Sobol': D + 2 runs per point, D = 3 inputs and the dummy


def write_sweep(folder: Path) -> Path:
    spec = {
        "name": "ishigami-noisy",
        "model": "ishigami",
        "model_options": {"noise": 0.3, "sleep": 0.004},
        "parameters": [{"path": f"x{i}", "bounds": [-math.pi, math.pi]} for i in (1, 2, 3)],
        "outputs": [{"name": "y"}],
        "method": "sobol",
        "sample_size": N,
        "replicates": REPLICATES,
        "seed": 99,
        "batch_size": 20,
    }
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskProcesses:
    """A ``dask scheduler`` and ``dask worker`` processes on loopback; always stopped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []

    def _start(self, args: list[str], log: str) -> subprocess.Popen:
        out = open(self.folder / log, "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [str(BIN / "dask"), *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def start(self, workers: int) -> DaskProcesses:
        self._start(
            ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            "scheduler.log",
        )
        deadline = time.time() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.time() > deadline:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.2)
        for i in range(workers):
            self.workers.append(
                self._start(
                    [
                        "worker",
                        self.address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--death-timeout",
                        "60",
                    ],
                    f"worker-{i}.log",
                )
            )
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
        return self

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def dask_processes(tmp_path):
    started: list[DaskProcesses] = []

    def start(workers: int) -> DaskProcesses:
        d = DaskProcesses(tmp_path)
        started.append(d)
        return d.start(workers)

    yield start
    for d in started:
        d.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep on one local worker (LocalCluster, in this process's driver)."""
    folder = tmp_path_factory.mktemp("reference")
    out = folder / "out"
    assert (
        main(
            [
                "sensitivity",
                str(write_sweep(folder)),
                "--workers",
                "1",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    return pd.read_parquet(out / "indices.parquet")


def driver(sweep: Path, out: Path, address: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "sensitivity",
            str(sweep),
            "--scheduler",
            address,
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_chunks(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while len(chunk_files(out)) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, "no progress"
        time.sleep(0.02)


def finish(proc: subprocess.Popen, timeout: float = 180) -> None:
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, stderr


def assert_complete_once(out: Path) -> None:
    runs = finished_runs(out)
    assert np.array_equal(runs, np.arange(RUNS)), "a run is missing or recorded twice"
    assert not list((out / "runs").glob(".*"))


def test_two_worker_processes_match_one_local_worker(tmp_path, dask_processes, reference):
    cluster = dask_processes(2)
    out = tmp_path / "out"
    finish(driver(write_sweep(tmp_path), out, cluster.address))
    assert_complete_once(out)
    workers = pd.concat(pd.read_parquet(p, columns=["worker"]) for p in chunk_files(out))
    assert workers["worker"].nunique() == 2
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "indices.parquet"), reference, check_exact=True
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cluster"]["kind"] == "scheduler"
    assert manifest["cluster"]["workers"] == 2


def test_a_killed_worker_does_not_change_the_indices(tmp_path, dask_processes, reference):
    cluster = dask_processes(2)
    out = tmp_path / "out"
    proc = driver(write_sweep(tmp_path), out, cluster.address)
    wait_for_chunks(out, 8, proc)
    victim = cluster.workers[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    at_kill = len(finished_runs(out))
    assert at_kill < RUNS
    finish(proc)
    assert_complete_once(out)
    workers = pd.concat(pd.read_parquet(p, columns=["worker"]) for p in chunk_files(out))
    assert workers["worker"].str.endswith(f":{victim.pid}").any(), "the victim never worked"
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "indices.parquet"), reference, check_exact=True
    )


def test_a_killed_driver_resumes_without_loss_or_repeats(tmp_path, dask_processes, reference):
    cluster = dask_processes(2)
    out = tmp_path / "out"
    sweep = write_sweep(tmp_path)
    proc = driver(sweep, out, cluster.address)
    wait_for_chunks(out, 6, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    before = len(finished_runs(out))
    assert 0 < before < RUNS
    assert not (out / "indices.parquet").exists()
    resumed = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "sensitivity",
            str(sweep),
            "--scheduler",
            cluster.address,
            "--out",
            str(out),
            "--resume",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    finish(resumed)
    assert_complete_once(out)
    sessions = [json.loads(x) for x in (out / "sessions.jsonl").read_text().splitlines()]
    assert len(sessions) == 1, "the killed session must not have recorded itself"
    assert sessions[0]["runs_before"] == before
    assert sessions[0]["runs_done"] == RUNS - before
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "indices.parquet"), reference, check_exact=True
    )
