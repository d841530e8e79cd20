"""Sensitivity analysis of a finished sweep: indices with intervals, convergence, tidy tables.

Outputs are averaged over replicates per sample point, then analysed with SALib (Sobol' S1, ST
and optionally S2; Morris mu*, mu, sigma; eFAST S1, ST), bootstrap intervals seeded from the
sweep seed. The convergence check recomputes every index on the first half of the design (the
first half of the Sobol' base points or Morris trajectories, the first half of each eFAST search
curve) and flags an index whose interval is wider than 0.1 or that moved by more than its
interval's half-width; the next sample size is the one that brings the widest interval to 0.1
(intervals narrow as 1/sqrt(N)). Analysis refuses to run while any run is missing or failed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import AnalysisIncomplete
from sim.runs.folders import dependency_versions, git_commit
from sim.sensitivity.engine import Plan, analysis_seed, read_runs
from sim.sensitivity.methods import METHODS
from sim.sensitivity.plots import convergence_plot, index_bars
from sim.sensitivity.sweep import DUMMY

MAX_WIDTH = 0.1
"""Widest acceptable interval (full width, in index units; Morris mu* relative to the largest)."""

INDEX_COLUMNS = [
    "output",
    "method",
    "index",
    "parameter",
    "value",
    "conf",
    "low",
    "high",
    "sample",
    "n",
    "above_dummy",
]


class IncompleteSweep(AnalysisIncomplete):
    """Some runs are missing or failed; the analysis refuses to run and lists them."""

    def __init__(self, missing: np.ndarray, failed: pd.DataFrame, folder: Path) -> None:
        self.missing = missing
        self.failed = failed
        self.folder = folder
        parts = []
        if len(missing):
            parts.append(
                f"{len(missing)} runs not done (first: {_short(missing)}); rerun with --resume"
            )
        if len(failed):
            first = failed.iloc[0]
            parts.append(
                f"{len(failed)} runs failed (first: run {first['run']}, sample {first['sample']}, "
                f"replicate {first['replicate']}: {first['error']}); see {folder / 'failures.csv'}"
            )
        super().__init__(f"{folder}: cannot analyse: " + "; ".join(parts))


def _short(runs: np.ndarray) -> str:
    head = ", ".join(str(int(r)) for r in runs[:5])
    return head + (", ..." if len(runs) > 5 else "")


def collect_outputs(folder: Path, plan: Plan) -> dict[str, np.ndarray]:
    """Outputs per sample point (mean over replicates), in sample order.

    Raises:
        IncompleteSweep: a run is missing, failed, or returned a non-finite output; the failed
            runs (with parameters and error) are written to ``failures.csv``.
    """
    outs = [f"out.{o}" for o in plan.outputs]
    params = [f"param.{n}" for n in plan.names]
    cols = ["run", "sample", "replicate", "seed", "status", "error", *outs, *params]
    runs = read_runs(folder, cols)
    for c in outs:
        if c not in runs.columns:
            runs[c] = np.nan
    missing = np.setdiff1d(np.arange(plan.n_runs), runs["run"].to_numpy())
    values = runs[outs].to_numpy(dtype=float) if len(runs) else np.zeros((0, len(outs)))
    bad_value = (runs["status"] == "ok") & ~np.isfinite(values).all(axis=1)
    runs.loc[bad_value, "status"] = "failed"
    runs.loc[bad_value, "error"] = "non-finite output"
    failed = runs[runs["status"] != "ok"]
    if len(missing) or len(failed):
        if len(failed):
            failed.to_csv(folder / "failures.csv", index=False)
        raise IncompleteSweep(missing, failed, folder)
    (folder / "failures.csv").unlink(missing_ok=True)
    means = runs.groupby("sample", sort=True)[outs].mean()
    return {o: means[f"out.{o}"].to_numpy() for o in plan.outputs}


def analyse(plan: Plan, Y: np.ndarray, half: bool = False) -> pd.DataFrame:
    """Indices of one output as a tidy table (``half``: on the first half of the design)."""
    method = METHODS[plan.method]
    X, Y = method.design_part(plan.problem, plan.X, Y, plan.base_size, half, plan.options)
    table = method.analyze(plan.problem, X, Y, analysis_seed(plan.seed), plan.options)
    table.insert(0, "method", plan.method)
    table["low"] = table["value"] - table["conf"]
    table["high"] = table["value"] + table["conf"]
    table["sample"] = "half" if half else "full"
    table["n"] = plan.base_size // 2 if half else plan.base_size
    return table


def indices(plan: Plan, outputs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Tidy indices of every output, on the full design and on its first half."""
    tables = []
    for name in plan.outputs:
        for half in (False, True):
            t = analyse(plan, outputs[name], half=half)
            t.insert(0, "output", name)
            tables.append(t)
    return mark_noise_floor(pd.concat(tables, ignore_index=True))[INDEX_COLUMNS]


def mark_noise_floor(table: pd.DataFrame) -> pd.DataFrame:
    """Column ``above_dummy``: the index's interval lies wholly above the dummy's.

    Per output, index kind and sample, an index is above the noise floor when its lower bound
    exceeds the dummy parameter's upper bound; otherwise it is indistinguishable from zero.
    Without a dummy (Morris by default) the column is empty (NaN); the dummy's own rows too.
    """
    out = table.copy()
    out["above_dummy"] = pd.array([pd.NA] * len(out), dtype="boolean")
    dummy = out[out["parameter"] == DUMMY]
    if dummy.empty:
        return out
    keys = ["output", "index", "sample"]
    floor = dummy.set_index(keys)["high"]
    ceiling = pd.Series(list(zip(*(out[k] for k in keys), strict=True))).map(floor).to_numpy()
    known = (out["parameter"] != DUMMY).to_numpy() & np.isfinite(ceiling.astype(float))
    above = pd.array(out["low"].to_numpy() > ceiling.astype(float), dtype="boolean")
    above[~known] = pd.NA
    out["above_dummy"] = above
    return out


def below_floor(flag: Any) -> bool:
    """Whether an ``above_dummy`` value says the index is not above the dummy's."""
    return flag is not pd.NA and not pd.isna(flag) and not bool(flag)


def checked_indices(plan: Plan) -> list[str]:
    """Which indices the convergence check looks at."""
    return METHODS[plan.method].checked(plan.options)


def convergence(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Full versus first-half indices, with flags (see the module docstring)."""
    keys = ["output", "index", "parameter"]
    full = table[table["sample"] == "full"].set_index(keys)
    halfs = table[table["sample"] == "half"].set_index(keys)
    out = full[["value", "conf"]].merge(
        halfs[["value", "conf"]], left_index=True, right_index=True, suffixes=("", "_half")
    )
    out = out.reset_index()
    out = out[out["index"].isin(checked_indices(plan))].reset_index(drop=True)
    scale = np.ones(len(out))
    if not METHODS[plan.method].SHARES:  # effects in output units: relative to the largest
        top = out.groupby("output")["value"].transform(lambda v: max(float(np.nanmax(v)), 1e-300))
        scale = top.to_numpy()
    out["width"] = 2 * out["conf"] / scale
    out["moved"] = (out["value"] - out["value_half"]).abs() / scale
    out["too_wide"] = out["width"] > MAX_WIDTH
    out["moved_too_much"] = out["moved"] > out["conf"] / scale
    out["flagged"] = out["too_wide"] | out["moved_too_much"] | ~np.isfinite(out["width"])
    return out


def recommended_size(plan: Plan, conv: pd.DataFrame) -> int:
    """Sample size at which the widest interval should reach :data:`MAX_WIDTH`."""
    n = plan.base_size
    if not conv["flagged"].any():
        return n
    widest = float(np.nanmax(conv["width"].to_numpy())) if len(conv) else 0.0
    factor = (widest / MAX_WIDTH) ** 2 if widest > 0 else 1.0
    if conv["moved_too_much"].any():
        factor = max(factor, 2.0)
    return METHODS[plan.method].next_size(max(int(math.ceil(n * factor)), 2 * n))


# ------------------------------------------------------------------------------ writing it out
def _num(v: float) -> str:
    """Indices with three decimals; Morris effects in output units without spurious digits."""
    return f"{v:.3f}" if abs(v) < 100 else f"{v:.0f}"


def _fmt(v: float, c: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{_num(v)} [{_num(v - c)}, {_num(v + c)}]" if np.isfinite(c) else _num(v)


def _headline(plan: Plan, table: pd.DataFrame, main: str) -> list[str]:
    """One line per output: the parameters whose index is clearly largest, and the negligible."""
    full = table[(table["sample"] == "full") & (table["index"] == main)]
    lines = []
    for output in plan.outputs:
        every = full[full["output"] == output].sort_values("value", ascending=False)
        part = every[every["parameter"] != DUMMY]
        if part.empty:
            continue
        top = part.iloc[0]
        rivals = part[part["high"] >= top["low"]]["parameter"].tolist()
        lead = ", ".join(f"`{p}`" for p in rivals[:4])
        text = f"- `{output}`: {'led by' if len(rivals) == 1 else 'led jointly by'} {lead}"
        text += f" ({main} {_fmt(top['value'], top['conf'])})"
        if (every["parameter"] == DUMMY).any():
            d = every[every["parameter"] == DUMMY].iloc[0]
            real = part
            flags = zip(real["parameter"], real["above_dummy"], strict=True)
            under = [p for p, f in flags if below_floor(f)]
            text += (
                f"; {len(under)} of {len(real)} parameters not above the dummy's {main} "
                f"({_fmt(d['value'], d['conf'])}), i.e. indistinguishable from zero"
            )
        lines.append(text + ".")
    return lines


def _effect_line(plan: Plan) -> list[str]:
    effect = plan.describe.get("effect")
    if not effect:
        return []
    how = {"difference": "policy minus reference", "ratio": "policy / reference",
           "relative": "policy / reference - 1"}[effect["kind"]]  # fmt: skip
    return [
        f"- Outputs are paired policy effects ({how}) against `{effect['reference']}`: each run "
        "simulates the policy and the reference under the same seed (common random numbers), "
        "so the indices rank what drives the *effect*. A run is two simulations."
    ]


def _dummy_line(plan: Plan) -> list[str]:
    if DUMMY not in plan.names:
        return []
    return [
        f"- `{DUMMY}` is a parameter the model never reads: its index is the estimator's noise "
        "floor. An index whose interval is not wholly above the dummy's is marked as "
        "indistinguishable from zero."
    ]


def _cost_lines(plan: Plan, info: dict[str, Any]) -> list[str]:
    """Run count and the wall time the recommended sample size would take here."""
    rate = float(info.get("runs_per_second") or 0.0)
    rec = int(info.get("recommended_sample_size") or plan.base_size)
    rec_runs = int(round(plan.n_runs * rec / plan.base_size))
    per_run = float(info.get("seconds_per_run") or 0.0)
    if rate <= 0:
        return [f"- Recommended sample size N = {rec}: {rec_runs:,} runs."]
    hours = rec_runs / rate / 3600
    core_hours = rec_runs * per_run / 3600
    return [
        f"- Cost: {plan.n_runs:,} runs here, {per_run:.2f} s of one worker per run. The "
        f"recommended N = {rec} needs {rec_runs:,} runs: about {hours:.1f} h at this run's "
        f"{rate:.2f} runs/s, or {core_hours:.0f} core-hours (e.g. {core_hours / 64:.1f} h on "
        "64 cores)."
    ]


def report_markdown(
    plan: Plan, table: pd.DataFrame, conv: pd.DataFrame, info: dict[str, Any]
) -> str:
    """The sweep's ``report.md``: setup, verdict, ranked indices per output, flagged indices."""
    flagged = conv[conv["flagged"]]
    verdict = "converged" if flagged.empty else "NOT converged"
    main, second = METHODS[plan.method].MAIN, METHODS[plan.method].SECOND
    lines = [
        f"# Sensitivity sweep `{plan.name}`",
        "",
        str(plan.describe.get("description", "")).strip(),
        "",
        f"- Method: **{plan.method}**, sample size N = {plan.base_size} "
        f"({plan.n_samples} design points x {plan.replicates} replicates = {plan.n_runs} runs); "
        f"seed {plan.seed}.",
        f"- Runs: {info['wall_seconds']:.0f} s of wall time over "
        f"{len(info['sessions'])} session(s), "
        f"{info['runs_per_second']:.2f} runs/s; cluster: {info['cluster'].get('kind')} with "
        f"{info['cluster'].get('workers')} worker(s).",
        f"- Outputs are means over replicates; intervals are {plan.options.conf_level:.0%} "
        f"bootstrap intervals ({plan.options.num_resamples} resamples).",
        *_effect_line(plan),
        *_dummy_line(plan),
        *_cost_lines(plan, info),
        "",
        "## In short",
        "",
        *_headline(plan, table, main),
        "",
        f"## Convergence: {verdict}",
        "",
    ]
    if flagged.empty:
        lines.append(
            f"Every checked index ({', '.join(checked_indices(plan))}) has an interval narrower "
            f"than {MAX_WIDTH} and moved less than its interval between the first half "
            f"(N = {plan.base_size // 2}) and the full sample."
        )
    else:
        lines += [
            f"{len(flagged)} of {len(conv)} checked indices are flagged (interval wider than "
            f"{MAX_WIDTH}, or moved more than its interval from the first half of the sample). "
            f"**Recommended next sample size: N = {recommended_size(plan, conv)}** "
            f"(rerun with `--sample-size` into a new `--out`).",
            "",
            "| output | index | parameter | full | first half | width | flag |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in flagged.head(40).itertuples():
            why = "wide" if r.too_wide else ""
            why += (" and moved" if why else "moved") if r.moved_too_much else ""
            lines.append(
                f"| {r.output} | {r.index} | `{r.parameter}` | {_num(r.value)} | "
                f"{_num(r.value_half)} | {r.width:.3f} | {why or 'not finite'} |"
            )
        if len(flagged) > 40:
            lines.append(f"| ... | {len(flagged) - 40} more in convergence.csv | | | | | |")
    full = table[table["sample"] == "full"]
    for output in plan.outputs:
        part = full[full["output"] == output]
        a = part[part["index"] == main].set_index("parameter")
        b = part[part["index"] == second].set_index("parameter")
        order = a["value"].sort_values(ascending=False).index
        lines += [
            "",
            f"## `{output}`",
            "",
            f"![{output}](plots/{output}.png)",
            "",
            f"| parameter | {main} | {second} |",
            "|---|---|---|",
        ]
        for p in order:
            flag = a.at[p, "above_dummy"]
            mark = " (not above the dummy: ~0)" if below_floor(flag) else ""
            mark = " (the noise floor)" if p == DUMMY else mark
            lines.append(
                f"| `{p}`{mark} | {_fmt(a.at[p, 'value'], a.at[p, 'conf'])} | "
                f"{_fmt(b.at[p, 'value'], b.at[p, 'conf'])} |"
            )
    lines += [
        "",
        "## How to read this",
        "",
        "Sobol' S1 is the share of the output's variance due to a parameter alone; ST adds its "
        "interactions. ST near 0 means the parameter can be fixed. Morris mu* ranks influence "
        "(in output units), sigma signals non-linearity or interactions. Replicate noise of the "
        "model inflates intervals: more replicates narrow them as much as a larger N.",
        "",
        "Files: `indices.csv`/`.parquet` (tidy: output, index, parameter, value, conf, low, "
        "high, sample full|half), `convergence.csv`, `plots/`, `samples.parquet`, `runs/` "
        "(one Parquet chunk per finished batch), `manifest.json`.",
        "",
        "![convergence](plots/convergence.png)",
        "",
    ]
    return "\n".join(lines)


def write_results(
    folder: Path, plan: Plan, sessions: list[dict[str, Any]], cluster: dict[str, Any]
) -> dict[str, Any]:
    """Analyse a complete sweep folder and write indices, plots, report and manifest.

    Raises:
        IncompleteSweep: see :func:`collect_outputs`.
    """
    outputs = collect_outputs(folder, plan)
    table = indices(plan, outputs)
    conv = convergence(plan, table)
    table.to_parquet(folder / "indices.parquet", index=False)
    table.to_csv(folder / "indices.csv", index=False)
    conv.to_csv(folder / "convergence.csv", index=False)
    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    for name in plan.outputs:
        index_bars(table, name, plan.method, plots / f"{name}.png")
    convergence_plot(conv, plan.method, plots / "convergence.png")
    wall = float(sum(s["wall_seconds"] for s in sessions))
    runs_wall = read_runs(folder, ["run", "wall_seconds"])["wall_seconds"]
    done = int(sum(s["runs_done"] for s in sessions))
    info: dict[str, Any] = {
        "package": "flightsim",
        "sweep": plan.name,
        "fingerprint": plan.fingerprint,
        "git_commit": git_commit(),
        "dependencies": dependency_versions(
            ("numpy", "pandas", "pyarrow", "mesa", "SALib", "dask", "distributed", "dask-jobqueue")
        ),
        "seed": plan.seed,
        "analysis_seed": analysis_seed(plan.seed),
        "method": plan.method,
        "sample_size": plan.base_size,
        "n_runs": plan.n_runs,
        "cluster": {k: v for k, v in cluster.items() if k != "job_script"},
        "workers_that_ran": int(read_runs(folder, ["run", "worker"])["worker"].nunique()),
        "sessions": sessions,
        "wall_seconds": round(wall, 3),
        "runs_per_second": round(done / wall, 3) if wall > 0 else None,
        "seconds_per_run": round(float(runs_wall.mean()), 4) if len(runs_wall) else None,
        "converged": bool(not conv["flagged"].any()),
        "recommended_sample_size": recommended_size(plan, conv),
        "status": "complete",
    }
    if "job_script" in cluster:
        (folder / "slurm-job.sh").write_text(cluster["job_script"], encoding="utf-8")
    text = report_markdown(
        plan, table, conv, {**info, "runs_per_second": info["runs_per_second"] or 0}
    )
    (folder / "report.md").write_text(text, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    return info
