"""``--cluster slurm``: the generated worker job script, and a sweep on a real one-node SLURM.

The slow test needs slurmctld, slurmd and munge running on this machine (``.ci/slurm-setup.sh``).
Without them it is skipped, unless ``FLIGHTSIM_REQUIRE_SLURM=1`` (set in CI) makes it fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.runs.cluster import SlurmOptions, slurm_cluster
from sim.sensitivity.engine import chunk_files, finished_runs


def test_job_script_of_slurm_workers():
    options = SlurmOptions(
        queue="debug",
        account="flightsim",
        walltime="00:10:00",
        memory="1GB",
        host="127.0.0.1",
        job_extra_directives=("--exclusive",),
    )
    cluster = slurm_cluster(options, workers=2)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    lines = script.splitlines()
    assert "#SBATCH -p debug" in lines
    assert "#SBATCH -A flightsim" in lines
    assert "#SBATCH -t 00:10:00" in lines
    assert "#SBATCH -n 1" in lines and "#SBATCH --cpus-per-task=1" in lines
    assert "#SBATCH --exclusive" in lines
    command = lines[-1]
    assert command.startswith(f"{sys.executable} -m distributed.cli.dask_worker tcp://127.0.0.1:")
    assert "--nthreads 1" in command


def slurm_ready() -> str | None:
    """None when a SLURM node is idle here, else why not."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "SLURM is not installed (run .ci/slurm-setup.sh)"
    state = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    if state.returncode != 0 or not {"idle", "mixed"} & set(state.stdout.split()):
        return f"no idle SLURM node (run .ci/slurm-setup.sh): {state.stderr.strip()}"
    return None


@pytest.mark.slow
def test_sweep_on_slurm_workers_matches_one_local_worker(tmp_path):
    why = slurm_ready()
    if why is not None:
        if os.environ.get("FLIGHTSIM_REQUIRE_SLURM") == "1":
            pytest.fail(why)
        pytest.skip(why)
    from test_sensitivity_dask import RUNS, write_sweep

    sweep = write_sweep(tmp_path)
    local = tmp_path / "local"
    argv = ["sensitivity", str(sweep), "--workers", "1", "--out", str(local), "--quiet"]
    assert main(argv) == 0
    out = tmp_path / "slurm"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sensitivity",
            str(sweep),
            "--cluster",
            "slurm",
            "--workers",
            "2",
            "--slurm-host",
            "127.0.0.1",
            "--slurm-walltime",
            "00:10:00",
            "--slurm-log-directory",
            str(tmp_path / "logs"),
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(finished_runs(out)) == RUNS
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "indices.parquet"),
        pd.read_parquet(local / "indices.parquet"),
        check_exact=True,
    )
    workers = pd.concat(pd.read_parquet(p, columns=["worker"]) for p in chunk_files(out))
    assert workers["worker"].nunique() >= 1
    assert Path(out / "slurm-job.sh").read_text().startswith("#!/usr/bin/env bash")
    logs = list((tmp_path / "logs").glob("*.err"))
    assert logs, "no worker job ran through SLURM"
    left = subprocess.run(["squeue", "-h", "-n", "flightsim-sweep"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "worker jobs were left in the queue"
