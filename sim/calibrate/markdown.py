"""The calibration report's text (Markdown): budget and sampler health, fit tables, trade-offs,
reasons for misses, the posterior summary and the scale check.

:func:`sim.calibrate.report.write_outputs` computes every table and passes them here; nothing
in this module simulates or reads files.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibrate.targets import TargetsSpec
from sim.calibrate.tradeoffs import TRADEOFF_CORRELATION
from sim.runs.folders import git_commit
from sim.runs.posterior import ESS_WARNING_SHARE


def _sampler_text(state: dict[str, Any]) -> str:
    """What the generations table's columns mean, and why the sampler stopped."""
    settings = state["settings"]
    stopped = state["stopped"]
    return (
        "Each generation drops the "
        f"{settings['discard']:.0%} of particles farthest from the targets; `epsilon` "
        "is the largest distance kept. Copies of kept particles replace them and take MCMC "
        "steps within that tolerance (`sim/calibrate/smc.py`): `rounds` of steps (at most "
        f"{settings['max_rounds']} at the end, enough for each copy to move with chance "
        f"{1 - settings['move_failure']:.0%} at the first round's acceptance "
        "`trial_acceptance`), `acceptance` over all rounds, `moved` the share of copies that "
        "moved at least once, `distinct` the distinct particles, `at_zero` the particles "
        "meeting every target. "
        + "".join(
            f"From generation {c['from_generation']} on, at most {c['max_rounds']} rounds "
            "(changed on resuming). "
            for c in state.get("changes", [])
        )
        + (f"Stopped: {stopped}." if stopped else "Stopped after the generations asked for.")
    )


def _fmt(x: float) -> str:
    if abs(x) >= 1e9:
        return f"{x / 1e9:,.1f} bn"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.2g}"


def _table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |"
    rule = "| " + " | ".join("---" for _ in df.columns) + " |"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _fit_markdown(fit: pd.DataFrame, fitted: pd.DataFrame | None = None) -> str:
    """The fit table; with ``fitted``, also the fitted baseline's median and the verdict."""
    view = pd.DataFrame(
        {
            "target": fit["target"],
            "range": [
                f"{_fmt(a)} - {_fmt(b)}" for a, b in zip(fit["low"], fit["high"], strict=True)
            ],
            "model median": fit["model_median"].map(_fmt),
            "90% interval": [
                f"{_fmt(a)} - {_fmt(b)}"
                for a, b in zip(fit["model_p05"], fit["model_p95"], strict=True)
            ],
            "inside": fit["inside"].map({True: "yes", False: "**no**"}),
        }
    )
    if fitted is not None:
        view["fitted baseline median"] = fitted["model_median"].map(_fmt).to_numpy()
        view["met"] = met_flags(fit, fitted).map({True: "yes", False: "**no**"}).to_numpy()
    return _table(view)


def met_flags(fit: pd.DataFrame, fitted: pd.DataFrame) -> pd.Series:
    """A target is met when the model median under the posterior and the fitted baseline's
    median both lie in its range."""
    return fit["inside"].astype(bool) & fitted["inside"].astype(bool).to_numpy()


def report_text(
    spec: TargetsSpec,
    state: dict[str, Any],
    summary: pd.DataFrame,
    fit: pd.DataFrame,
    fitted_fit: pd.DataFrame,
    trade: pd.DataFrame,
    missed: pd.DataFrame,
    scale_check: pd.DataFrame | None,
    fitted_stats: pd.DataFrame,
    draws: int,
    fitted_replicates: int,
    scale_replicates: int,
    last_distances: Sequence[float],
    ess: Sequence[float],
) -> str:
    """The calibration report (Markdown)."""
    gens = state["generations"]
    sims = sum(g["simulations"] for g in gens)
    inside = int(fit["inside"].sum())
    met = int(met_flags(fit, fitted_fit).sum())
    lines = [
        "# Calibration report",
        "",
        f"Written by `flightsim calibrate` on {datetime.datetime.now():%Y-%m-%d %H:%M} "
        f"(commit {git_commit()}; the calibration began at commit "
        f"{state.get('commit', 'not recorded')}). Targets and priors: "
        f"`{Path(spec.file).name}`; scenario "
        f"`{spec.settings.scenario}`.",
        "",
        "## Budget",
        "",
        f"{state['sampler']}: population {state['population']}, {len(gens)} "
        f"generations (generation 0 samples the prior), {sims} simulations at scale "
        f"{state['scale']} (real officials per agent), runs stopped at {spec.end}; ABC wall time "
        f"{state['wall_seconds'] / 60:.1f} min. Then {draws} posterior-predictive runs, "
        f"{fitted_replicates} replicates of the fitted baseline"
        + (f" and {scale_replicates} at scale 1" if scale_check is not None else "")
        + ".",
        "",
        _sampler_text(state),
        "",
        _table(pd.DataFrame(gens).round(3)),
        "",
        f"Effective sample size (Kish, (sum w)^2 / sum w^2, with each distinct particle weighted "
        f"by its multiplicity) of the last generation: {ess[-1]:.1f} of {state['population']} "
        f"particles (by generation: {', '.join(f'{e:.1f}' for e in ess)})."
        + (
            " **Below a tenth of the population: a few distinct particles make up most of it, "
            "so draws from this posterior (the fit table, the forecast, `flightsim compare`) "
            "understate the parameters' uncertainty.**"
            if ess[-1] < ESS_WARNING_SHARE * state["population"]
            else ""
        ),
        "",
        f"Last generation: {np.mean(np.asarray(last_distances) == 0):.0%} of particles meet every "
        "target (distance 0).",
        "",
        "## Fit",
        "",
        f"Model under the posterior: {draws} runs, each with its own parameter set drawn from the "
        "posterior (parameter uncertainty and chance). `inside` means the model median lies in "
        f"the target range: {inside} of {len(fit)} rows (also in `fit.csv`). A target is marked "
        "`met` when, in addition, the fitted baseline (posterior medians, `fitted.yaml`, the "
        f"values `scenarios/baseline.yaml` uses) has its median inside: {met} of {len(fit)}.",
        "",
        _fit_markdown(fit, fitted_fit),
        "",
        f"Fitted baseline (posterior medians, `fitted.yaml`), {fitted_replicates} replicates "
        "(chance only):",
        "",
        _fit_markdown(fitted_fit),
        "",
        "## Targets that pull against each other",
        "",
        "A pair is listed when, across the prior sample, the two statistics move together "
        f"(|Spearman rho| >= {TRADEOFF_CORRELATION}) so that moving the parameters to fix a "
        "missed target moves the other away from (or out of) its range. `hit_*` are shares of "
        "the last generation's particles inside each range and inside both.",
        "",
        _table(trade.round(2)) if len(trade) else "No pair of targets pulls against another.",
        "",
        "See `plots/tradeoffs.png`.",
        "",
        "## Why each miss",
        "",
        "Every row whose model median lies outside its range, with the reason drawn from the "
        "calibration's own particles (`misses.csv`; `sim/calibrate/misses.py`): `coarse` (at the "
        "calibration scale the statistic moves in steps wider than the range), `beyond the "
        "model` (no particle of any generation came inside), `traded against` (particles reach "
        "it, but the trade-off table pairs it with targets it would push out), `not converged` "
        "(reachable, no trade-off found). `hit_*`: shares of particles inside the range in the "
        "prior sample, the best generation and the last; `grain`: the statistic's step.",
        "",
        _table(missed.round(3)) if len(missed) else "Every row is inside its range.",
        "",
        "## Posterior",
        "",
        _table(
            summary.assign(
                **{c: summary[c].map(lambda v: f"{v:.4g}") for c in ("median", "p05", "p95")}
            )
        ),
        "",
        "`fitted.yaml` holds the medians (4 significant digits); `posterior.parquet` the "
        "weighted particles that `--posterior` draws from.",
        "",
    ]
    if scale_check is not None:
        rows = []
        for key in fit["target"]:
            a = float(np.median(fitted_stats[key]))
            b = float(np.median(scale_check[key]))
            rows.append(
                {
                    "target": key,
                    f"scale {state['scale']}": _fmt(a),
                    "scale 1": _fmt(b),
                    "ratio": f"{a / b:.2f}" if b else "-",
                }
            )
        lines += [
            "## Does the calibration scale bias the fit?",
            "",
            f"Fitted baseline medians at the calibration scale ({fitted_replicates} replicates) "
            f"and at scale 1 ({scale_replicates} replicates, same seeds):",
            "",
            _table(pd.DataFrame(rows)),
            "",
        ]
    lines += [
        "## Targets",
        "",
        "\n".join(
            f"- **{t.id}** ({t.kind}): {t.description}. Reported: {t.reported or '-'}. "
            f"{t.range_note} Source: {t.source}. Caveat: {t.caveat}"
            for t in spec.targets
        ),
        "",
        "## Plots",
        "",
        "- `plots/posterior_marginals.png`, `plots/posterior_pairs.png`: the posterior",
        "- `plots/targets.png`: each target range against the model's distribution",
        "- `plots/baseline_windows.png`: the fitted baseline's cumulative series over each "
        "target window, with the target range",
        "- `plots/tradeoffs.png`",
        "",
    ]
    return "\n".join(lines)
