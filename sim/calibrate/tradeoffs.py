"""Targets that pull against each other: pairs whose statistics move together across the prior,
so that fixing one miss moves the other away from its range."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

TRADEOFF_CORRELATION = 0.25
"""Prior-sample rank correlation above which two missed targets are said to be coupled."""


def tradeoffs(
    prior_stats: pd.DataFrame, fit: pd.DataFrame, last_stats: pd.DataFrame
) -> pd.DataFrame:
    """Pairs of targets that pull against each other.

    Across the prior sample two statistics are coupled when |Spearman rho| is at least
    ``TRADEOFF_CORRELATION``. A coupled pair pulls against each other when moving the missed
    target toward its range moves the other the wrong way: both missed and needing moves that
    the coupling forbids, or one missed while the other, inside its range, already sits in the
    half of its range toward which the fix would push it. The last generation's shares of
    particles inside each range and inside both show the cost.
    """
    need = {}
    for row in fit.itertuples():
        need[row.target] = (
            1 if row.model_median < row.low else -1 if row.model_median > row.high else 0
        )
    keys = [k for k in fit["target"] if k in prior_stats.columns]
    rho = prior_stats[keys].rank().corr()
    bounds = fit.set_index("target")
    word = {1: "too low", -1: "too high", 0: "met"}
    out = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            r = float(rho.loc[a, b])
            if not np.isfinite(r) or abs(r) < TRADEOFF_CORRELATION or not (need[a] or need[b]):
                continue
            if need[a] and need[b]:
                conflict = r * need[a] * need[b] < 0
                note = f"{a} {word[need[a]]}, {b} {word[need[b]]}: fixing one worsens the other"
            else:
                missed, met = (a, b) if need[a] else (b, a)
                push = int(np.sign(r)) * need[missed]
                lo, hi, med = bounds.loc[met, ["low", "high", "model_median"]]
                mid = math.sqrt(lo * hi) if lo > 0 else hi / 2
                conflict = (push > 0 and med > mid) or (push < 0 and med < mid)
                way = "up" if push > 0 else "down"
                note = (
                    f"fixing {missed} ({word[need[missed]]}) pushes {met} {way}, out of its range"
                )
            if conflict:
                out.append(
                    {
                        "targets": f"{a} vs {b}",
                        "spearman_rho_prior": round(r, 2),
                        "hit_a": inside(last_stats, bounds, [a]).mean(),
                        "hit_b": inside(last_stats, bounds, [b]).mean(),
                        "hit_both": inside(last_stats, bounds, [a, b]).mean(),
                        "why": note,
                    }
                )
    columns = ["targets", "spearman_rho_prior", "hit_a", "hit_b", "hit_both", "why"]
    return pd.DataFrame(out, columns=columns)


def inside(stats: pd.DataFrame, bounds: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """1.0 for each particle (row of ``stats``) inside the ranges of all ``keys`` (``bounds``:
    ``low`` and ``high`` by target), else 0.0."""
    ok = pd.Series(True, index=stats.index)
    for k in keys:
        ok &= (stats[k] >= bounds.loc[k, "low"]) & (stats[k] <= bounds.loc[k, "high"])
    return ok.astype(float)
