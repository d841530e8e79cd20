"""Benchmark of the sweep engine: runs per second with 1 and 2 local Dask workers, same sweep.

Runs the shipped APEC sweep (scenarios/sweeps/apec_new_agreement.yaml) at a small sample size
through the real engine (LocalCluster on 127.0.0.1, batches, Parquet chunks), once with one
worker and once with two, into temporary folders. Workers are warmed up (imports, country data)
before the clock starts; the time is the engine's wall time for all runs, writes included. It
also prints how long one run takes inside a worker (it rises when the cores are shared with
other work) and how busy the engine keeps the workers (scheduling overhead shows there).

    .venv/bin/python benchmarks/bench_sweep.py [--sample-size 4] [--batch-size 4]

Ends with ``RESULT workers=1 runs_per_s=<x>`` and ``RESULT workers=2 runs_per_s=<y>``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sim.runs.cluster import open_client
from sim.sensitivity.engine import execute, plan_from_sweep, prepare_folder, read_runs
from sim.sensitivity.sweep import load_sweep

SWEEP = Path(__file__).resolve().parent.parent / "scenarios" / "sweeps" / "apec_new_agreement.yaml"


def _warm() -> None:
    """Import the model and load the country tables in a worker before timing."""
    from sim.world.countries import load_countries

    load_countries()


def measure(workers: int, sample_size: int, batch_size: int) -> float:
    """Runs per second of the sweep on ``workers`` local workers."""
    plan = plan_from_sweep(load_sweep(SWEEP, sample_size=sample_size))
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_client(kind="local", workers=workers) as (
            client,
            _,
        ),
    ):
        out = Path(tmp) / "sweep"
        prepare_folder(out, plan, resume=False)
        client.run(_warm)
        session = execute(plan, out, client, progress=False, batch_size=batch_size)
        assert session.runs_done == plan.n_runs
        per_run = read_runs(out, ["run", "wall_seconds"])["wall_seconds"]
        busy = per_run.sum() / workers / session.wall_seconds
        print(
            f"workers={workers}: {plan.n_runs} runs in {session.wall_seconds:.1f} s "
            f"({session.runs_per_second:.3f} runs/s, batches of {batch_size}); one run takes "
            f"{per_run.mean():.2f} s inside a worker; workers busy {busy:.0%} of the time",
            flush=True,
        )
        return session.runs_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-size", type=int, default=4, help="Sobol' N (power of 2)")
    parser.add_argument("--batch-size", type=int, default=4, help="runs per task")
    args = parser.parse_args()
    rates = {k: measure(k, args.sample_size, args.batch_size) for k in (1, 2)}
    print(f"scaling 2 vs 1 worker: {rates[2] / rates[1]:.2f}")
    for k, rate in rates.items():
        print(f"RESULT workers={k} runs_per_s={rate:.3f}")


if __name__ == "__main__":
    main()
