"""Scenario discovery: PRIM boxes of the conditions under which a sweep's output reaches a goal.

Over a finished sweep folder, :func:`discover` marks each sample point whose output (the mean
over its replicates) meets a goal the user names, such as ``returned_2026_2035 >= 0.10`` (with
an ``effect:`` sweep of kind ``relative``: returns up by at least 10%), and runs PRIM (Friedman
and Fisher 1999, as adapted for scenario discovery by Bryant and Lempert 2010; the ``prim``
package, a standalone version of the EMA Workbench's) over the sampled parameters. PRIM peels
the box of the whole sample one edge at a time, trading *coverage* (the share of all
goal-meeting points that lie in the box) for *density* (the share of the points in the box that
meet the goal); *mass* is the share of all points in the box. The box reported is the one on
the peeling trajectory with the highest coverage among those whose density reaches
``min_density`` (else the densest). The dummy parameter is left out; everything is
deterministic (PRIM draws no random numbers).
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import prim

from sim.errors import AnalysisIncomplete, InputError
from sim.files import (
    LOCK_NAME,
    FolderRefused,
    atomic_folder,
    check_place,
    folder_kind,
    marker,
)
from sim.sensitivity.engine import read_runs
from sim.sensitivity.plots import box_plot, peeling_plot
from sim.sensitivity.sweep import DUMMY

KIND = "prim"
"""The ``flightsim`` marker of a discovery folder's manifest."""

OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_GOAL = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*(>=|<=|>|<)\s*([-+]?[0-9.]+(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Goal:
    """``output op threshold``, e.g. ``returned_2026_2035 >= 0.10``."""

    output: str
    op: str
    threshold: float

    @property
    def text(self) -> str:
        return f"{self.output} {self.op} {self.threshold:g}"

    def met(self, values: np.ndarray) -> np.ndarray:
        return OPERATORS[self.op](values, self.threshold)


def parse_goal(text: str, outputs: list[str]) -> Goal:
    """Parse ``--goal``; the output must be one of the sweep's.

    Raises:
        InputError: a malformed goal or an unknown output (listing the known ones).
    """
    m = _GOAL.match(text)
    if not m:
        raise InputError(
            f"--goal: expected OUTPUT >= NUMBER (or >, <=, <), e.g. "
            f"'{outputs[0] if outputs else 'returned_2026_2035'} >= 0.10'; got {text!r}"
        )
    name, op, number = m.groups()
    if name not in outputs:
        raise InputError(f"--goal: unknown output {name!r}; the sweep's: {', '.join(outputs)}")
    return Goal(name, op, float(number))


def sweep_points(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Sampled parameters (without the dummy) and outputs (mean over replicates) per sample.

    Raises:
        InputError: ``folder`` is not a sweep folder.
        AnalysisIncomplete: runs are missing or failed (finish the sweep first).
    """
    info_file = folder / "sweep.json"
    if not info_file.is_file():
        raise InputError(f"{folder}: not a sweep folder (no sweep.json)")
    info = json.loads(info_file.read_text(encoding="utf-8"))
    outputs = [o.get("name") or _label(o) for o in info["sweep"]["outputs"]]
    samples = pd.read_parquet(folder / "samples.parquet").set_index("sample")
    runs = read_runs(folder, ["run", "sample", "status", *[f"out.{o}" for o in outputs]])
    done = runs[runs["status"] == "ok"] if len(runs) else runs
    if len(done) != int(info["n_runs"]):
        raise AnalysisIncomplete(
            f"{folder}: {int(info['n_runs']) - len(done)} of {info['n_runs']} runs are missing "
            "or failed; finish the sweep (rerun it, or --resume) before scenario discovery"
        )
    means = done.groupby("sample", sort=True)[[f"out.{o}" for o in outputs]].mean()
    means.columns = outputs
    X = samples.drop(columns=[DUMMY], errors="ignore").loc[means.index]
    return X, means, info


def _label(output: dict[str, Any]) -> str:
    a, b = (p[:7].replace("-", "") for p in output["period"])
    return f"{output['metric']}_{a}" if a == b else f"{output['metric']}_{a}_{b}"


@dataclass
class Discovery:
    """PRIM's result: the chosen box, the whole peeling trajectory and the goal's base rate."""

    goal: Goal
    box: pd.DataFrame
    trajectory: pd.DataFrame
    chosen: int
    n_points: int
    n_met: int
    bounds: pd.DataFrame

    @property
    def stats(self) -> dict[str, float]:
        row = self.trajectory.iloc[self.chosen]
        return {k: float(row[k]) for k in ("coverage", "density", "mass")} | {
            "restricted": int(row["restricted"])
        }


def discover(
    X: pd.DataFrame,
    y: np.ndarray,
    goal: Goal,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Run PRIM on the points meeting ``goal`` and choose a box on the peeling trajectory.

    Raises:
        AnalysisIncomplete: no point (or every point) meets the goal: there is no box to find.
    """
    met = goal.met(np.asarray(y, dtype=float))
    n, k = len(met), int(met.sum())
    if k == 0 or k == n:
        which = "no" if k == 0 else "every"
        raise AnalysisIncomplete(
            f"--goal: {which} sample point meets {goal.text} ({k} of {n}); "
            "there is no box to find: choose another threshold"
        )
    finder = prim.Prim(
        X.reset_index(drop=True), met.astype(int), threshold=0.5, threshold_type=">",
        peel_alpha=peel_alpha, mass_min=mass_min,
    )  # fmt: skip
    box = finder.find_box()
    traj = box.peeling_trajectory.reset_index(drop=True).astype(float)
    traj = traj.rename(columns={"res dim": "restricted"})[
        ["coverage", "density", "mass", "restricted"]
    ]
    dense = traj.index[traj["density"] >= min_density]
    chosen = (
        int(traj.loc[dense, "coverage"].idxmax()) if len(dense) else int(traj["density"].idxmax())
    )
    box.select(chosen)
    limits = box.limits.rename(columns={"qp values": "quasi_p"})
    bounds = pd.DataFrame({"low": X.min(), "high": X.max()})
    table = bounds.copy()
    table["min"], table["max"], table["quasi_p"] = table["low"], table["high"], np.nan
    for name, row in limits.iterrows():
        table.loc[name, ["min", "max", "quasi_p"]] = [row["min"], row["max"], row["quasi_p"]]
    table["restricted"] = table.index.isin(limits.index)
    table["share_of_range"] = (table["max"] - table["min"]) / (table["high"] - table["low"])
    table = table.reset_index(names="parameter")
    table = table[["parameter", "restricted", "min", "max", "low", "high", "share_of_range",
                   "quasi_p"]]  # fmt: skip
    table = table.sort_values(["restricted", "quasi_p"], ascending=[False, True])
    return Discovery(goal, table.reset_index(drop=True), traj, chosen, n, k, bounds)


def slug(goal: Goal) -> str:
    """A folder name for a goal: ``prim-<output>-ge-0.1``."""
    words = {">=": "ge", ">": "gt", "<=": "le", "<": "lt"}
    return f"prim-{goal.output}-{words[goal.op]}-{goal.threshold:g}".replace("+", "")


def report_markdown(d: Discovery, folder: Path) -> str:
    """The discovery's ``report.md``: the goal, the box in words, the trajectory."""
    s = d.stats
    lines = [
        f"# Scenario discovery: when does `{d.goal.text}` hold?",
        "",
        f"Sweep folder `{folder}`: {d.n_points} sample points (outputs averaged over "
        f"replicates); {d.n_met} ({d.n_met / d.n_points:.0%}) meet the goal.",
        "",
        f"PRIM's chosen box (trajectory step {d.chosen} of {len(d.trajectory) - 1}): "
        f"**coverage {s['coverage']:.0%}** (of the points meeting the goal, the share inside "
        f"the box), **density {s['density']:.0%}** (of the points inside, the share meeting "
        f"it), **mass {s['mass']:.0%}** (share of all points inside), {s['restricted']} "
        "restricted parameter(s).",
        "",
        "| parameter | box | sampled range | share of range | quasi-p |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for _, r in d.box[d.box["restricted"]].iterrows():
        lines.append(
            f"| `{r['parameter']}` | {r['min']:.4g} to {r['max']:.4g} | {r['low']:.4g} to "
            f"{r['high']:.4g} | {r['share_of_range']:.0%} | {r['quasi_p']:.2g} |"
        )
    lines += [
        "",
        "Parameters not listed are unrestricted. A quasi-p value above 0.05 means the "
        "restriction on that parameter may be chance (Bryant and Lempert 2010).",
        "",
        "![peeling trajectory](plots/peeling.png)",
        "",
        "![box](plots/box.png)",
        "",
        "Files: `box.csv` (every parameter: restricted, min, max, sampled range, quasi-p), "
        "`trajectory.csv` (coverage, density, mass, restricted parameters per peeling step), "
        "`manifest.json`.",
        "",
    ]
    return "\n".join(lines)


def check_destination(out: Path) -> bool:
    """Whether ``out`` may be written: absent or empty (False) or an earlier PRIM folder (True).

    Raises:
        FolderRefused: ``out`` holds anything else (never overwritten), or cannot be written.
    """
    check_place(out)
    if out.is_dir() and any(p.name != LOCK_NAME for p in out.iterdir()):
        if folder_kind(out) != KIND:
            raise FolderRefused(
                f"{out}: --out: holds files this command did not write; choose another --out"
            )
        return True
    return False


def write_discovery(d: Discovery, sweep_folder: Path, out: Path, extra: dict[str, Any]) -> Path:
    """Write the box, trajectory, plots, report and manifest into ``out``, atomically.

    An earlier PRIM folder at ``out`` has its own files replaced (anything else there is
    kept); any other occupied ``out`` is refused by :func:`check_destination`.
    """
    again = check_destination(out)
    with atomic_folder(out, merge=again) as tmp:
        d.box.to_csv(tmp / "box.csv", index=False)
        d.trajectory.rename_axis("step").to_csv(tmp / "trajectory.csv")
        (tmp / "plots").mkdir()
        peeling_plot(d.trajectory, d.chosen, d.goal.text, tmp / "plots" / "peeling.png")
        box_plot(d.box, d.goal.text, d.stats, tmp / "plots" / "box.png")
        (tmp / "report.md").write_text(report_markdown(d, sweep_folder), encoding="utf-8")
        info = {
            **marker(KIND),
            "sweep_folder": str(sweep_folder),
            "goal": d.goal.text,
            "points": d.n_points,
            "points_meeting_goal": d.n_met,
            "chosen_step": d.chosen,
            **d.stats,
            **extra,
        }
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return out
