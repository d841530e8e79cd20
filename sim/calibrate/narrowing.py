"""How much each calibration stage narrowed each parameter: prior, earlier posterior, this one.

Widths are of central 90% intervals: of the prior itself, and of each posterior (weighted
particles). A loguniform prior's parameter is measured in log10 units, where that prior is flat,
so that a width is comparable across parameters of very different sizes. The share column is the
posterior's width over the prior's: 1 means the targets taught nothing about that parameter,
0.2 that they cut its plausible range to a fifth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.calibrate.abc import total_distance, weighted_quantile
from sim.calibrate.targets import Prior, TargetsSpec, only
from sim.runs.posterior import WEIGHT


def _scale(prior: Prior, values: np.ndarray) -> np.ndarray:
    return np.log10(values) if prior.distribution == "loguniform" else values


def prior_width(prior: Prior) -> float:
    """Width of the prior's central 90% interval (log10 units for a loguniform prior)."""
    low, high = _scale(prior, np.array([prior.low, prior.high]))
    return 0.9 * float(high - low)


def posterior_width(prior: Prior, posterior: pd.DataFrame) -> float:
    """Width of a posterior's weighted central 90% interval of ``prior.parameter``.

    NaN when the posterior does not hold the parameter (that stage did not fit it).
    """
    if prior.parameter not in posterior.columns:
        return float("nan")
    values = _scale(prior, posterior[prior.parameter].to_numpy(dtype=float))
    weights = posterior[WEIGHT].to_numpy(dtype=float)
    return weighted_quantile(values, weights, 0.95) - weighted_quantile(values, weights, 0.05)


def narrowing_table(spec: TargetsSpec, stages: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per parameter of ``spec`` (observation shares included): the prior's 90% width, then
    each stage's width and share of it.

    Args:
        spec: the targets file whose priors are measured.
        stages: posterior tables by stage label, in order (e.g. ``{"window I": ...,
            "windows I+II": ...}``).
    """
    rows = []
    for prior in spec.all_priors:
        width = prior_width(prior)
        row: dict[str, object] = {
            "parameter": prior.parameter,
            "units": "log10" if prior.distribution == "loguniform" else "value",
            "prior_width": width,
        }
        for label, posterior in stages.items():
            w = posterior_width(prior, posterior)
            row[f"{label} width"] = w
            row[f"{label} share"] = w / width
        rows.append(row)
    return pd.DataFrame(rows)


def narrowing_markdown(table: pd.DataFrame, stages: list[str]) -> str:
    """The report's section: widths and shares of the prior, a dash where a stage did not fit."""

    def fmt(x: object) -> str:
        return "-" if pd.isna(x) else f"{float(x):.3g}"

    head = "| parameter | units | prior 90% width | " + " | ".join(
        f"{s} width | {s} share" for s in stages
    )
    rule = "| --- | --- | --- |" + " --- | --- |" * len(stages)
    lines = [
        "## How much each window narrowed each parameter",
        "",
        "Central 90% intervals: the prior's and each posterior's (log10 units for loguniform "
        "priors). `share` is the posterior width over the prior width: near 1, the targets say "
        "little about the parameter; a dash, that stage did not fit it.",
        "",
        head + " |",
        rule,
    ]
    for _, r in table.iterrows():
        cells = [r["parameter"], r["units"], fmt(r["prior_width"])]
        for s in stages:
            cells += [fmt(r[f"{s} width"]), fmt(r[f"{s} share"])]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join([*lines, ""])


def rejection_stages(
    spec: TargetsSpec, prior_sample: pd.DataFrame, stats: pd.DataFrame, keep: float = 0.25
) -> dict[str, pd.DataFrame]:
    """Rejection-ABC posteriors of window I and of windows I+II from one sample of the prior.

    The share ``keep`` of the prior particles closest to the targets, by the window-I distance
    (the ``T`` targets) and by the distance to every target, each particle weighted equally. The
    two stages are then measured on the same prior sample and the same acceptance rate, so the
    difference between them is what section 4's targets add. A targets file without both
    windows gets one stage, on all its targets.

    Args:
        spec: the targets file (all windows).
        prior_sample: generation 0 of an ABC-SMC run (its prior sample): one column per
            parameter.
        stats: the same particles' summary statistics, row for row.
        keep: share of the particles accepted.
    """
    records = stats.to_dict("records")
    n = max(1, round(keep * len(records)))
    ids = [t.id for t in spec.targets]
    if any(i.startswith("T") for i in ids) and not all(i.startswith("T") for i in ids):
        windows = [("window I", only(spec, ("T",))), ("windows I+II", spec)]
    else:  # a targets file without the two windows: one stage on all its targets
        windows = [("all targets", spec)]
    out = {}
    for label, targets in windows:
        distance = np.array([total_distance(targets, r) for r in records])
        chosen = np.argsort(distance, kind="stable")[:n]
        stage = prior_sample.iloc[chosen].reset_index(drop=True).copy()
        stage[WEIGHT] = 1.0 / n
        out[f"{label} (rejection, {keep:.0%})"] = stage
    return out
