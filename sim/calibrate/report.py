"""Calibration outputs: posterior, fitted medians, posterior-predictive fit table, trade-offs.

After the ABC-SMC generations (:mod:`sim.calibrate.smc`), the last generation's particles are
the posterior (equally weighted; duplicates merged with their multiplicity as weight). The fit
table comes from ``settings.predictive_draws`` simulations, each with its own parameter set
drawn from the posterior (the same draws ``flightsim run --posterior`` makes,
:mod:`sim.runs.posterior`); the fitted baseline (posterior medians) is simulated as well, at the
calibration scale and, as a check on that scale, at scale 1. Every file is written to a
temporary folder first (:func:`sim.files.atomic_folder`) and moved into place only once all are
complete; a copy of the targets file (``targets_used.yaml``) goes with them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibrate import plots
from sim.calibrate.abc import (
    calibration_scenario,
    target_statistics,
    total_distance,
    weighted_quantile,
)
from sim.calibrate.forecast import forecast_markdown, forecast_scenario, forecast_table
from sim.calibrate.markdown import met_flags, report_text
from sim.calibrate.misses import misses_table
from sim.calibrate.narrowing import narrowing_markdown, narrowing_table, rejection_stages
from sim.calibrate.plots import write_plots
from sim.calibrate.smc import Populations, posterior_table
from sim.calibrate.statistics import ranges
from sim.calibrate.targets import TargetsSpec
from sim.calibrate.tradeoffs import tradeoffs
from sim.files import atomic_folder
from sim.runs.folders import git_commit
from sim.runs.posterior import (
    WEIGHT,
    effective_sample_size,
    posterior_draws,
    posterior_tasks,
    split_parameters,
)
from sim.runs.replicates import RunResult, replicate_tasks
from sim.runs.runner import execute
from sim.scenario.load import with_overrides

FIT_COLUMNS = ("target", "low", "high", "model_median", "model_p05", "model_p95", "inside")
FITTED_REPLICATES = 20
TARGETS_USED = "targets_used.yaml"
"""A calibration folder's copy of the targets file it was fitted to."""


def stats_of(
    spec: TargetsSpec,
    results: Sequence[RunResult],
    observation: Sequence[dict[str, float]] | dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per run: every target statistic (columns are the fit table's keys).

    Args:
        observation: the observation shares, one set for all runs or one per run.
    """
    each = observation if isinstance(observation, Sequence) else [observation or {}] * len(results)
    return pd.DataFrame(
        [target_statistics(spec, r, shares) for r, shares in zip(results, each, strict=True)]
    )


def fit_table(spec: TargetsSpec, stats: pd.DataFrame) -> pd.DataFrame:
    """Target, range, model median and 90% interval, and whether the median is inside."""
    rows = []
    for target in spec.targets:
        for key, lo, hi in ranges(target):
            x = stats[key].to_numpy(dtype=float)
            med = float(np.median(x))
            rows.append(
                {
                    "target": key,
                    "low": lo,
                    "high": hi,
                    "model_median": med,
                    "model_p05": float(np.quantile(x, 0.05)),
                    "model_p95": float(np.quantile(x, 0.95)),
                    "inside": bool(lo <= med <= hi),
                }
            )
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS))


def posterior_summary(spec: TargetsSpec, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: prior bounds, posterior weighted median and 90% interval."""
    w = posterior[WEIGHT].to_numpy()
    rows = []
    for p in spec.all_priors:
        v = posterior[p.parameter].to_numpy()
        rows.append(
            {
                "parameter": p.parameter,
                "prior": f"{p.distribution}({p.low:g}, {p.high:g})",
                "median": weighted_quantile(v, w, 0.5),
                "p05": weighted_quantile(v, w, 0.05),
                "p95": weighted_quantile(v, w, 0.95),
            }
        )
    return pd.DataFrame(rows)


def fitted_yaml(medians: dict[str, float], header: Sequence[str]) -> str:
    """A partial scenario with only the ``world`` values of the posterior medians.

    Lever strengths (``policy.…``) cannot live there: a scenario's dated schedules replace
    those of the file it extends. Their medians are listed in the header, and the scenario that
    extends this file sets them (``scenarios/baseline.yaml``; tests/test_baseline.py checks it).
    """
    world: dict[str, Any] = {}
    levers = {k: v for k, v in medians.items() if k.startswith("policy.")}
    if levers:
        header = [
            *header,
            "lever strengths (posterior medians; scenarios/baseline.yaml sets them):",
            *(f"  {k}: {float(f'{v:.4g}')}" for k, v in sorted(levers.items())),
        ]
    for dotted, value in sorted(medians.items()):
        if not dotted.startswith("world."):
            continue
        node = world
        parts = dotted.split(".")[1:]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = float(f"{value:.4g}")
    lines = [f"# {h}" for h in header]
    return "\n".join(lines) + "\n" + yaml.safe_dump({"world": world}, sort_keys=True)


def write_outputs(
    spec: TargetsSpec,
    out: Path,
    history: Populations,
    state: dict[str, Any],
    jobs: int,
    executor: Executor | None = None,
    show_progress: bool = True,
    scale_check_replicates: int = 4,
    earlier: dict[str, pd.DataFrame] | None = None,
    label: str = "this calibration",
) -> list[Path]:
    """Simulate the posterior and the fitted baseline, then write every output into ``out``.

    ``earlier``: posteriors of earlier stages by label (e.g. the calibration on fewer targets):
    the report then compares how much each stage, and this one (``label``), narrowed each
    parameter (``narrowing.csv``).

    Returns:
        The paths written.
    """
    scale = state["scale"]
    seed = spec.settings.seed
    scenario = calibration_scenario(spec, scale)
    posterior = posterior_table(history, spec)
    summary = posterior_summary(spec, posterior)
    medians, observed_medians = split_parameters(
        dict(zip(summary["parameter"], summary["median"], strict=True))
    )
    with atomic_folder(out, merge=True) as tmp:
        posterior.to_parquet(tmp / "posterior.parquet", index=False)
        # the posterior draws run to the scenario's end: the fit table reads their months up to
        # the last target (the same as runs stopped there), the forecast the years after it
        draws = spec.settings.predictive_draws
        tasks = posterior_tasks(
            forecast_scenario(spec, scale), tmp / "posterior.parquet", draws, seed, levers=True
        )
        drawn = posterior_draws(tmp / "posterior.parquet", draws, seed)
        shares = [split_parameters(values)[1] for _, values in drawn]
        predictive = execute(tasks, jobs, executor, "posterior draws", show_progress)
        pred_stats = stats_of(spec, predictive, shares)
        first_year = int(spec.end[:4]) + 1
        last_year = int(str(predictive[0].monthly["date"].iloc[-1])[:4])
        future = None
        if last_year >= first_year:
            future = forecast_table(predictive, first_year, last_year)
            future.to_csv(tmp / "forecast.csv", index=False)
        fitted_header = _header(state, len(tasks))
        (tmp / "fitted.yaml").write_text(fitted_yaml(medians, fitted_header), encoding="utf-8")
        fitted_scenario = with_overrides(scenario, _rounded(medians), file="fitted.yaml")
        fitted_runs = execute(
            replicate_tasks(fitted_scenario, FITTED_REPLICATES, seed),
            jobs,
            executor,
            "fitted",
            show_progress,
        )
        fitted_stats = stats_of(spec, fitted_runs, observed_medians)
        scale_check = None
        if scale_check_replicates > 0:
            one = with_overrides(fitted_scenario, {"run.scale": 1})
            runs = execute(
                replicate_tasks(one, scale_check_replicates, seed),
                jobs,
                executor,
                "scale 1",
                show_progress,
            )
            scale_check = stats_of(spec, runs, observed_medians)
        fit = fit_table(spec, pred_stats)
        fit.to_csv(tmp / "fit.csv", index=False)
        # the targets as fitted: the folder's outputs stay checkable after targets.yaml moves on
        (tmp / TARGETS_USED).write_bytes(Path(spec.file).read_bytes())
        fitted_fit = fit_table(spec, fitted_stats)
        # generation 0, the prior sample: parameters and statistics row for row (narrowing)
        prior_sample = history.values(spec, 0)
        prior_stats = history.stats(0)
        later = [history.stats(t) for t in range(1, history.max_t + 1)]
        generations = [prior_stats, *later]
        last_stats = generations[-1]
        trade = tradeoffs(prior_stats, fit, last_stats)
        missed = misses_table(spec, fit, generations, trade, scale, observed_medians)
        missed.to_csv(tmp / "misses.csv", index=False)
        (tmp / "plots").mkdir()
        write_plots(
            spec,
            tmp / "plots",
            posterior,
            pred_stats,
            fit,
            met_flags(fit, fitted_fit),
            fitted_runs,
            prior_stats,
            last_stats,
            trade,
            observed_medians,
        )
        text = report_text(
            spec,
            state,
            summary,
            fit,
            fitted_fit,
            trade,
            missed,
            scale_check,
            fitted_stats,
            len(tasks),
            FITTED_REPLICATES,
            scale_check_replicates,
            last_distances=[total_distance(spec, row) for row in last_stats.to_dict("records")],
            ess=[
                effective_sample_size(posterior_table(history, spec, t)[WEIGHT])
                for t in range(history.max_t + 1)
            ],
        )
        stages = {
            **(earlier or {}),
            **rejection_stages(spec, prior_sample, prior_stats),
            label: posterior,
        }
        if len(stages) > 1:
            narrowed = narrowing_table(spec, stages)
            narrowed.to_csv(tmp / "narrowing.csv", index=False)
            text += "\n" + narrowing_markdown(narrowed, list(stages))
        if future is not None:
            plots.forecast(future, tmp / "plots" / "forecast.png")
            shown = sorted({first_year, first_year + 1, first_year + 3, 2025, last_year})
            text += "\n" + forecast_markdown(future, [y for y in shown if y <= last_year])
        (tmp / "report.md").write_text(text, encoding="utf-8")
        written = [out / item.name for item in sorted(tmp.iterdir())]
    return written


def _rounded(medians: dict[str, float]) -> dict[str, float]:
    """The medians as written to fitted.yaml (4 significant digits)."""
    return {k: float(f"{v:.4g}") for k, v in medians.items()}


def _header(state: dict[str, Any], draws: int) -> list[str]:
    sims = sum(g["simulations"] for g in state["generations"])
    return [
        "Posterior medians of the calibrated world parameters (written by `flightsim calibrate`).",
        "scenarios/baseline.yaml extends this file; see calibration/report.md for the fit.",
        f"run: began {state['started']}, written {datetime.datetime.now():%Y-%m-%d %H:%M}, "
        f"commit {git_commit()} (began at {state.get('commit', 'not recorded')})",
        f"budget: ABC-SMC with MCMC moves, population {state['population']}, "
        f"{len(state['generations'])} generations, {sims} simulations at scale {state['scale']}; "
        f"{draws} posterior draws; ABC wall time {state['wall_seconds'] / 60:.1f} min",
    ]
