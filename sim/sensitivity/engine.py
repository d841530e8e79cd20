"""Sensitivity sweeps: SALib samples, run in batches on Dask, streamed to Parquet, resumable.

A sweep is ``n_samples x replicates`` runs. Run ``k = sample * replicates + replicate`` draws its
randomness only from integers: the sampler gets the sweep seed; the run's model seed is
``SeedSequence([sweep seed, sample]).generate_state(1)`` (halved to fit 63 bits) and the
replicate number keys the model's streams. Results therefore do not depend on the number of
workers, the order of completion or the number of restarts.

Batches of consecutive runs are Dask tasks. Each finished batch is written by the driver as one
Parquet chunk ``runs/chunk-<first>-<last>.parquet`` (temporary file, then an atomic rename), so
the driver holds only the batches in flight; resuming reads the run numbers already in the
chunks and submits the rest. A run that raises is recorded with its error (status ``failed``).
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.errors import SweepError
from sim.files import LOCK_NAME, clean_stale_temporaries, marker, write_atomic
from sim.runs.adapter import PeriodOutputs, ScenarioAdapter
from sim.scenario.load import with_overrides
from sim.scenario.schema import Scenario
from sim.sensitivity.effect import EffectModel
from sim.sensitivity.methods import METHODS
from sim.sensitivity.models import RunFunction
from sim.sensitivity.sweep import DUMMY, LoadedSweep, Output, resolve_model

RUNS_FOLDER = "runs"
KEY_COLUMNS = ("run", "sample", "replicate", "seed", "status", "error", "wall_seconds", "worker")


# ------------------------------------------------------------------------------- the run plan
def run_seed(sweep_seed: int, sample: int) -> int:
    """Model seed of every replicate of one sample point (fits the scenario's 63-bit seed)."""
    state = np.random.SeedSequence([int(sweep_seed), int(sample)]).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def analysis_seed(sweep_seed: int) -> int:
    """Seed of the bootstrap resampling (non-zero: SALib ignores a seed of 0)."""
    state = np.random.SeedSequence([int(sweep_seed), 0x616E616C]).generate_state(1)
    return int(state[0]) % (2**31 - 2) + 1


def sample_points(
    problem: Mapping[str, Any], method: str, n: int, seed: int, options: Any
) -> np.ndarray:
    """The SALib design for ``method``, drawn with an explicit seed.

    Args:
        problem: SALib problem dictionary (``names``, ``bounds``, ``dists``, optional ``groups``).
        method: ``sobol``, ``morris`` or ``fast`` (see :mod:`sim.sensitivity.methods`).
        n: base sample size (Sobol' base points, Morris trajectories, FAST points per curve;
            eFAST adds a check design of ``n // 2`` points per curve, so it costs 1.5 n D runs).
        seed: the sweep seed.
        options: :class:`~sim.sensitivity.sweep.Analysis` (second order, Morris levels, FAST M).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    return METHODS[method].sample(problem, n, seed, options)


@dataclass
class Plan:
    """Everything that decides a sweep's runs: design matrix, replicates, seed, model, outputs."""

    name: str
    method: str
    problem: dict[str, Any]
    X: np.ndarray
    replicates: int
    seed: int
    outputs: list[str]
    model: RunFunction
    options: Any = None
    fingerprint: str = ""
    integer: tuple[bool, ...] = ()
    base_size: int = 0
    batch_size: int = 0
    describe: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.problem["names"])

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_runs(self) -> int:
        return self.n_samples * self.replicates

    def values(self, sample: int) -> dict[str, float]:
        row = self.X[sample]
        ints = self.integer or (False,) * len(row)
        return {
            n: float(round(v)) if is_int else float(v)
            for n, v, is_int in zip(self.names, row, ints, strict=True)
        }

    def default_batch_size(self, workers: int) -> int:
        """About eight tasks per worker, between 1 and 500 runs each."""
        if self.batch_size:
            return self.batch_size
        return int(min(500, max(1, math.ceil(self.n_runs / (8 * max(workers, 1))))))


def plan_from_sweep(loaded: LoadedSweep) -> Plan:
    """The run plan of a validated sweep file."""
    sweep = loaded.sweep
    problem = sweep.problem()
    X = sample_points(problem, sweep.method, sweep.sample_size, sweep.seed, sweep.analysis)
    if sweep.model == "flightsim" and sweep.effect is not None:
        assert loaded.base is not None and loaded.reference is not None
        model: RunFunction = EffectModel(
            loaded.base, loaded.reference, str(loaded.file), sweep.outputs, sweep.effect
        )
    elif sweep.model == "flightsim":
        assert loaded.base is not None
        model = ScenarioModel(loaded.base, str(loaded.file), sweep.outputs)
    else:
        model = ModelWithOptions(resolve_model(sweep.model), sweep.model_options)
    return Plan(
        name=sweep.name,
        method=sweep.method,
        problem=problem,
        X=X,
        replicates=sweep.replicates,
        seed=sweep.seed,
        outputs=sweep.output_names,
        model=model,
        options=sweep.analysis,
        fingerprint=loaded.fingerprint(),
        integer=tuple(p.integer for p in sweep.parameters) + (False,) * sweep.has_dummy,
        base_size=sweep.sample_size,
        batch_size=sweep.batch_size or 0,
        describe=sweep.model_dump(mode="json"),
    )


# ------------------------------------------------------------------------------------ models
class ScenarioModel:
    """The flightsim model as a per-run function: sampled values -> scalar outputs.

    A :class:`~sim.runs.adapter.ScenarioAdapter` over the sweep's base scenario (event log off:
    no output needs it) that reads each output with :func:`sim.core.metrics.period_value`.

    Args:
        base: the sweep's resolved base scenario.
        file: the sweep file (named when a sampled value is rejected).
        outputs: the sweep's outputs (each a metric over a period).
    """

    def __init__(self, base: Scenario, file: str, outputs: Sequence[Output]) -> None:
        measured = []
        for o in outputs:
            assert o.metric is not None and o.period is not None
            measured.append((o.label, o.metric, o.period[0], o.period[1]))
        quiet = with_overrides(base, {"run.event_log": False}, file=file)
        self.adapter = ScenarioAdapter(quiet, file, PeriodOutputs(measured))

    def __call__(self, values: Mapping[str, float], seed: int, replicate: int) -> dict[str, float]:
        return self.adapter(values, replicate, seed)


class ModelWithOptions:
    """A registered per-run function, called with the sweep's ``model_options``."""

    def __init__(self, function: RunFunction, options: Mapping[str, Any]) -> None:
        self.function = function
        self.options = dict(options)

    def __call__(
        self, values: Mapping[str, float], seed: int, replicate: int
    ) -> Mapping[str, float]:
        return self.function(values, seed, replicate, **self.options)


# ------------------------------------------------------------------------------------ batches
def run_batch(model: RunFunction, names: Sequence[str], rows: Sequence[tuple]) -> pd.DataFrame:
    """Run a batch of runs on a worker; one row per run, errors recorded, never raised.

    Args:
        model: the per-run function.
        names: parameter names, in the order of each row's values.
        rows: ``(run, sample, replicate, seed, values)`` tuples.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    records = []
    for run, sample, replicate, seed, vals in rows:
        began = time.perf_counter()
        values = dict(zip(names, vals, strict=True))
        record: dict[str, Any] = {
            "run": run,
            "sample": sample,
            "replicate": replicate,
            "seed": seed,
            "status": "ok",
            "error": "",
        }
        try:  # the dummy parameter is sampled and recorded but reaches no model
            outputs = model({k: v for k, v in values.items() if k != DUMMY}, seed, replicate)
            record.update({f"out.{k}": float(v) for k, v in outputs.items()})
        except Exception as exc:  # noqa: BLE001 - every failure is recorded with its run
            last = traceback.extract_tb(exc.__traceback__)[-1]
            record["status"] = "failed"
            record["error"] = (
                f"{type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
            )
        record["wall_seconds"] = time.perf_counter() - began
        record["worker"] = worker
        record.update({f"param.{k}": float(v) for k, v in values.items()})
        records.append(record)
    return pd.DataFrame.from_records(records)


def batch_rows(plan: Plan, runs: Sequence[int]) -> list[tuple]:
    """The rows :func:`run_batch` needs for some run numbers."""
    rows = []
    for k in runs:
        sample, replicate = divmod(int(k), plan.replicates)
        vals = tuple(plan.values(sample).values())
        rows.append((int(k), sample, replicate, run_seed(plan.seed, sample), vals))
    return rows


def split_batches(runs: Sequence[int], size: int) -> list[list[int]]:
    """Consecutive runs in groups of at most ``size``."""
    runs = list(runs)
    return [runs[i : i + size] for i in range(0, len(runs), size)]


# ------------------------------------------------------------------------------------ storage
def prepare_folder(folder: Path, plan: Plan, resume: bool) -> None:
    """Create a sweep folder, or check that an existing one holds this very sweep.

    Call it holding the folder's :class:`sim.files.FolderLock` (the lock file is the only
    thing a new sweep folder may already hold). Chunks half-written by a killed driver are
    removed (:func:`sim.files.clean_stale_temporaries`).

    Raises:
        SweepError: ``resume`` without a folder, or the folder belongs to another sweep.
    """
    info = folder / "sweep.json"
    if info.exists():
        held = json.loads(info.read_text(encoding="utf-8"))
        if held.get("fingerprint") != plan.fingerprint:
            raise SweepError(
                f"{folder}: holds another sweep ({held.get('name')}, sample size "
                f"{held.get('sample_size')}); choose another --out"
            )
        clean_stale_temporaries(folder / RUNS_FOLDER)
        return
    if resume:
        raise SweepError(f"{folder}: --resume needs an existing sweep folder")
    if folder.exists() and any(p.name != LOCK_NAME for p in folder.iterdir()):
        raise SweepError(f"{folder}: exists and is not a sweep folder; choose another --out")
    (folder / RUNS_FOLDER).mkdir(parents=True, exist_ok=True)
    samples = pd.DataFrame(plan.X, columns=plan.names)
    samples.insert(0, "sample", np.arange(plan.n_samples))
    write_atomic(folder / "samples.parquet", samples.to_parquet(index=False))
    record = {
        **marker("sensitivity"),
        "name": plan.name,
        "fingerprint": plan.fingerprint,
        "method": plan.method,
        "sample_size": plan.base_size,
        "n_samples": plan.n_samples,
        "replicates": plan.replicates,
        "n_runs": plan.n_runs,
        "seed": plan.seed,
        "sweep": plan.describe,
    }
    write_atomic(info, json.dumps(record, indent=2))


def write_chunk(folder: Path, table: pd.DataFrame) -> Path:
    """Write one finished batch as ``runs/chunk-<first>-<last>.parquet``, atomically."""
    runs = table["run"].to_numpy()
    dest = folder / RUNS_FOLDER / f"chunk-{runs.min():09d}-{runs.max():09d}.parquet"
    return write_atomic(dest, table.to_parquet(index=False))


def chunk_files(folder: Path) -> list[Path]:
    return sorted((folder / RUNS_FOLDER).glob("chunk-*.parquet"))


def finished_runs(folder: Path) -> np.ndarray:
    """Run numbers already recorded in the folder's chunks (sorted; read one column at a time)."""
    parts = [
        pq.read_table(p, columns=["run"]).column("run").to_numpy() for p in chunk_files(folder)
    ]
    return np.sort(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)


def read_runs(folder: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """The recorded runs (chosen columns), sorted by run number."""
    files = chunk_files(folder)
    if not files:
        return pd.DataFrame(columns=list(columns or KEY_COLUMNS))
    wanted = list(columns) if columns is not None else None
    frames = []
    for p in files:
        names = pq.read_schema(p).names
        cols = [c for c in wanted if c in names] if wanted is not None else None
        frames.append(pd.read_parquet(p, columns=cols))
    return pd.concat(frames, ignore_index=True).sort_values("run", ignore_index=True)


# ------------------------------------------------------------------------------------- engine
@dataclass
class Session:
    """What one invocation of the engine did."""

    runs_done: int
    runs_before: int
    wall_seconds: float
    workers: int
    batch_size: int

    @property
    def runs_per_second(self) -> float:
        return self.runs_done / self.wall_seconds if self.wall_seconds > 0 else float("nan")


def execute(
    plan: Plan,
    folder: Path,
    client: Any,
    progress: bool = True,
    batch_size: int | None = None,
    on_chunk: Callable[[Path], None] | None = None,
) -> Session:
    """Run every run of the plan not yet in the folder, streaming batches to Parquet chunks.

    Args:
        plan: the runs.
        folder: a folder prepared by :func:`prepare_folder`.
        client: a ``distributed.Client``.
        progress: draw a progress bar (runs done, runs per second, time left) on stderr.
        batch_size: runs per task (default: :meth:`Plan.default_batch_size`).
        on_chunk: called with each chunk written.
    """
    # distributed takes about a second to import; analysing a finished sweep does not need it
    from distributed import as_completed

    began = time.perf_counter()
    done = finished_runs(folder)
    if len(done) != len(np.unique(done)):
        raise SweepError(f"{folder}: a run is recorded twice; the folder was edited by hand")
    todo = np.setdiff1d(np.arange(plan.n_runs), done)
    nthreads = client.nthreads()
    workers = max(len(nthreads), 1)
    size = batch_size or plan.default_batch_size(workers)
    batches = split_batches(todo.tolist(), size)
    threads = max(sum(nthreads.values()), 1)
    window = max(2 * threads, 4)
    pending = iter(batches)

    def submit(batch: list[int]) -> Any:
        key = f"sweep-{plan.fingerprint[:12]}-{batch[0]}-{batch[-1]}"
        rows = batch_rows(plan, batch)
        return client.submit(run_batch, plan.model, plan.names, rows, key=key, retries=2)

    bar = tqdm(
        total=plan.n_runs,
        initial=len(done),
        unit="run",
        desc=plan.name,
        disable=not progress,
        smoothing=0.1,
        dynamic_ncols=True,
    )
    finished = 0
    try:
        futures = as_completed([submit(b) for b in _take(pending, window)])
        for future in futures:
            table = future.result()
            path = write_chunk(folder, table)
            finished += len(table)
            bar.update(len(table))
            future.release()
            if on_chunk is not None:
                on_chunk(path)
            for b in _take(pending, 1):
                futures.add(submit(b))
    finally:
        bar.close()
    return Session(finished, len(done), time.perf_counter() - began, workers, size)


def _take(it: Iterable[list[int]], n: int) -> list[list[int]]:
    out = []
    for item in it:
        out.append(item)
        if len(out) == n:
            break
    return out
