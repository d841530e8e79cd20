"""Run folders: tidy tables, the resolved scenario and a manifest, written atomically.

A folder is built by :func:`sim.files.atomic_folder` under a hidden temporary name beside its
destination and renamed into place only when every file is complete, so an interrupted run
leaves no half-written table. An existing folder is replaced only if flightsim wrote it: the
manifest carries the ``"flightsim": "run"`` marker that :mod:`sim.files` recognises.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.core.metrics import DERIVED, FLOWS, STOCKS, values, yearly
from sim.files import atomic_folder, marker
from sim.runs.replicates import RunResult
from sim.scenario.export import scenario_to_yaml
from sim.scenario.schema import Scenario

DEPENDENCIES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "PyYAML",
    "pydantic",
    "matplotlib",
    "tqdm",
)


def git_commit() -> str | None:
    """Commit of the checkout the package runs from (``+dirty`` when it has changes), if any."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def dependency_versions(names: Sequence[str] = DEPENDENCIES) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario's YAML (identical scenarios hash identically)."""
    return hashlib.sha256(scenario_to_yaml(scenario).encode("utf-8")).hexdigest()


def manifest(
    scenario: Scenario, seed: int, replicates: int, wall_seconds: float, **extra: Any
) -> dict[str, Any]:
    """The manifest of a run or comparison folder.

    Marked ``"flightsim": "run"`` unless ``extra`` names another kind (``flightsim="compare"``).
    """
    return {
        **marker("run"),
        "package": "flightsim",
        "version": __version__,
        "git_commit": git_commit(),
        "dependencies": dependency_versions(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "scenario": scenario.meta.name,
        "scenario_hash": scenario_hash(scenario),
        "seed": seed,
        "replicates": replicates,
        "scale": scenario.run.scale,
        "period": [scenario.run.start, scenario.run.end],
        "wall_seconds": round(wall_seconds, 3),
        "status": "complete",
        **extra,
    }


def flatten(prefix: str, data: Any) -> dict[str, Any]:
    """Dotted keys of a nested mapping (``world.exposure.base_per_year``); tuples become strings."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(f"{prefix}.{key}" if prefix else key, value))
    elif isinstance(data, list | tuple):
        out[prefix] = json.dumps(data)
    else:
        out[prefix] = data
    return out


def summary_table(results: Sequence[RunResult], scenario: Scenario) -> pd.DataFrame:
    """One row per run: inputs (world parameters, drawn parameters) and outcomes side by side."""
    inputs = flatten("world", scenario.model_dump(mode="json")["world"])
    rows = []
    for r in results:
        m = r.monthly
        row: dict[str, Any] = {
            "scenario": r.scenario,
            "replicate": r.replicate,
            "seed": r.seed,
            "wall_seconds": r.wall_seconds,
        }
        row.update({f"{name}_total": float(m[name].sum()) for name in FLOWS})
        row.update({f"{name}_total": float(values(m, name).sum()) for name in DERIVED})
        row.update({f"{name}_end": float(m[name].iloc[-1]) for name in STOCKS})
        row.update(inputs)
        row.update({f"param.{k}": v for k, v in r.params.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def tables(results: Sequence[RunResult], scenario: Scenario) -> dict[str, pd.DataFrame]:
    """Every table of a run folder, by file stem."""
    monthly = pd.concat([r.monthly for r in results], ignore_index=True)
    return {
        "timeseries": yearly(monthly),
        "timeseries_monthly": monthly,
        "countries": pd.concat([r.countries for r in results], ignore_index=True),
        "summary": summary_table(results, scenario),
        "events": pd.concat([r.events for r in results], ignore_index=True),
    }


CSV_SKIPPED = ("events",)
"""Tables written as Parquet only (an event log runs to hundreds of thousands of rows per run)."""


def write_table(folder: Path, stem: str, df: pd.DataFrame) -> None:
    df.to_parquet(folder / f"{stem}.parquet", index=False)
    if stem not in CSV_SKIPPED:
        df.to_csv(folder / f"{stem}.csv", index=False)


def write_run_folder(
    destination: Path,
    scenario: Scenario,
    results: Sequence[RunResult],
    run_manifest: dict[str, Any],
    plot: Callable[[dict[str, pd.DataFrame], Path], None] | None = None,
) -> Path:
    """Write a run folder atomically and return its path."""
    with atomic_folder(destination) as tmp:
        all_tables = tables(results, scenario)
        for stem, df in all_tables.items():
            write_table(tmp, stem, df)
        (tmp / "scenario.yaml").write_text(scenario_to_yaml(scenario), encoding="utf-8")
        if plot is not None:
            (tmp / "plots").mkdir()
            plot(all_tables, tmp / "plots")
        body = {**run_manifest, **marker("run")}
        (tmp / "manifest.json").write_text(json.dumps(body, indent=2), encoding="utf-8")
    return Path(destination)


def read_run_folder(folder: Path) -> dict[str, Any]:
    """Tables and manifest of a run folder."""
    folder = Path(folder)
    out: dict[str, Any] = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    out["manifest"] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return out
