"""Benchmark: the full vectorized model against its oracle (one Mesa agent per official).

Both implementations run the same rules (tests/reference is the oracle that tests/test_oracle.py
checks event for event against the model) on the baseline over 1978-2030, at three sizes of
about 10k, 100k and 1M officials in office on average. The size is set through ``run.scale``;
because the baseline has about 574k officials in office on average at ``run.scale: 1`` (the
largest size it can reach), ``world.population.initial_officials`` is raised to 1,000,000 for
the size runs (the rules and the costs per official are unchanged). Each measurement runs in a
fresh process so that its peak resident memory is its own; the model's process first loads its
compiled kernels from the disk cache with a small warm-up run (a one-off per process, as in
every calibration or sweep worker), so the timed run is what each later run costs.

Measured per size, for the model (construction and ``run_model``, event log on):

- ``officials``: mean number of officials in office over the run, in simulated agents;
- ``ns_per_official_month``: wall time over the sum of officials in office over the months;
- ``reference_ratio``: oracle wall time over model wall time on the same scenario and seed
  (``na`` above ``--oracle-max`` officials: the oracle would take hours);
- ``peak_bytes_per_official``: the process's peak RSS during the run, above its peak before the
  model was built, per official in office.

Then the calibration scale: a full baseline replicate (``run``, tables included) at
``run.scale: 25``, best of 3 after the warm-up, and the resident memory a finished run leaves
behind (growth over 40 runs in one process after 20 settling runs, per run; Mesa 3.3 kept every
model alive until ``FlightModel.release``). Ends with ``RESULT`` lines.

Usage: ``python benchmarks/bench_model.py [--sizes 100 10 1] [--oracle-max 200000]``
(``--sizes`` are ``run.scale`` values). On a machine shared with other work the times vary.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the oracle lives with the tests (tests/reference)

from reference.oracle import ReferenceModel  # noqa: E402

from sim.core.model import FlightModel  # noqa: E402
from sim.runs.replicates import run  # noqa: E402
from sim.scenario.load import load_scenario  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
INITIAL_OFFICIALS = 1_000_000
"""Officials in office in 1978 for the size runs (baseline: 500,000); see the module docstring."""
CALIBRATION_SCALE = 25
REPEATED_RUNS = 40
"""Runs over which :func:`memory_per_run` measures the memory a finished run leaves behind."""


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def measure(kind: str, scale: int) -> dict[str, float]:
    """Build and run one model (``kind``: ``model`` or ``oracle``) in this process."""
    overrides = {"run.scale": scale, "world.population.initial_officials": INITIAL_OFFICIALS}
    scenario = load_scenario(BASELINE, overrides)
    make = FlightModel if kind == "model" else ReferenceModel
    if kind == "model":
        warm_up()
    before = _peak_rss_bytes()
    began = time.perf_counter()
    model = make(scenario)
    model.run_model()
    seconds = time.perf_counter() - began
    in_office = model.monthly_table()["in_office"].to_numpy() / scale
    return {
        "seconds": seconds,
        "officials": float(in_office.mean()),
        "official_months": float(in_office.sum()),
        "peak_bytes": float(_peak_rss_bytes() - before),
    }


def warm_up() -> None:
    """Load the compiled kernels from their disk cache (a one-off per process, 0.2-0.6 s) with a
    small three-year run, so that timings are those of every later run in a worker."""
    FlightModel(load_scenario(BASELINE, {"run.scale": 2000, "run.end": "1980-12"})).run_model()


def calibration_run() -> float:
    """Wall time of one full baseline replicate at the calibration scale: best of 3 warm runs
    (calibration and sweep workers run thousands of replicates per process)."""
    scenario = load_scenario(BASELINE, {"run.scale": CALIBRATION_SCALE})
    warm_up()
    best = float("inf")
    for replicate in range(3):
        began = time.perf_counter()
        run(scenario, replicate)
        best = min(best, time.perf_counter() - began)
    return best


def _rss_kb() -> int:
    """The process's resident memory (Linux ``/proc/self/status``), in kB, after a full garbage
    collection and glibc's ``malloc_trim`` (freed heap pages go back to the system, so what is
    left is what is still held)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/status", encoding="ascii") as fh:
        line = next(x for x in fh if x.startswith("VmRSS:"))
    return int(line.split()[1])


def memory_per_run(runs: int = REPEATED_RUNS) -> float:
    """Resident memory kept per finished run, in kB: growth over ``runs`` baseline replicates at
    the calibration scale after 20 settling runs (a worker runs thousands; 0 means nothing kept)."""
    scenario = load_scenario(BASELINE, {"run.scale": CALIBRATION_SCALE})
    warm_up()
    for replicate in range(20):
        run(scenario, replicate)
    before = _rss_kb()
    for replicate in range(20, 20 + runs):
        run(scenario, replicate)
    return (_rss_kb() - before) / runs


def in_fresh_process(fn, *args):
    """Run ``fn(*args)`` in a new process (its own peak RSS) and return the result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10, 1], help="run.scale")
    parser.add_argument(
        "--oracle-max",
        type=float,
        default=200_000,
        help="run the oracle only up to this many officials in office",
    )
    args = parser.parse_args()
    lines = []
    for scale in args.sizes:
        model = in_fresh_process(measure, "model", scale)
        n = model["officials"]
        ns = model["seconds"] / model["official_months"] * 1e9
        print(
            f"scale={scale}: {n:,.0f} officials in office on average, model "
            f"{model['seconds']:.2f} s ({ns:.1f} ns per official-month)",
            flush=True,
        )
        ratio = "na"
        if n <= args.oracle_max:
            oracle = in_fresh_process(measure, "oracle", scale)
            ratio = f"{oracle['seconds'] / model['seconds']:.0f}"
            print(
                f"  oracle {oracle['seconds']:.1f} s: {ratio}x the model, peak "
                f"{oracle['peak_bytes'] / n:.0f} bytes per official",
                flush=True,
            )
        lines.append(
            f"RESULT officials={n:.0f} ns_per_official_month={ns:.2f} reference_ratio={ratio} "
            f"peak_bytes_per_official={model['peak_bytes'] / n:.0f}"
        )
    seconds = in_fresh_process(calibration_run)
    lines.append(f"RESULT scale={CALIBRATION_SCALE} run_s={seconds:.2f}")
    kept = in_fresh_process(memory_per_run)
    lines.append(f"RESULT repeated_runs={REPEATED_RUNS} kept_kb_per_run={kept:.0f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
