"""Statistics of a paired comparison: bootstrap intervals, p_better, narrowing, verdicts.

Pure functions of arrays and tables; randomness comes in only as bootstrap indices drawn from a
named stream of the comparison seed (:func:`resample_indices`), so reruns are identical. The
interval of a mean paired difference is BCa (Efron 1987); the payoff of pairing is measured by
an unpaired (two-sample) bootstrap of the same runs, both with the percentile method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from sim.core.rng import Streams

LEVEL = 0.95
RESAMPLES = 4000


def resample_indices(seed: int, name: str, n: int, resamples: int) -> np.ndarray:
    """``(resamples, n)`` replicate indices from the named stream ``name`` of ``seed``."""
    return Streams(seed, 0)[name].generator().integers(0, n, size=(resamples, n))


def bca_interval(d: np.ndarray, boot: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """BCa interval of the mean of ``d`` from bootstrap means ``boot`` (Efron 1987).

    Bias correction from the share of bootstrap means below the estimate (ties count half),
    acceleration from the jackknife. Zero-variance data give ``(d[0], d[0])`` exactly.
    """
    if np.ptp(d) == 0:
        return float(d[0]), float(d[0])
    est, n, b = float(d.mean()), len(d), len(boot)
    prop = (np.sum(boot < est) + 0.5 * np.sum(boot == est)) / b
    z0 = float(ndtri(np.clip(prop, 0.5 / b, 1 - 0.5 / b)))
    jack = (d.sum() - d) / (n - 1)
    u = jack.mean() - jack
    denom = 6.0 * float(np.sum(u**2)) ** 1.5
    a = float(np.sum(u**3)) / denom if denom > 0 else 0.0
    z = ndtri(np.array([(1 - level) / 2, (1 + level) / 2]))
    q = ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    low, high = np.quantile(boot, q)
    return float(low), float(high)


def percentile_interval(boot: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of bootstrap statistics ``boot``."""
    low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def paired_effect(
    base: np.ndarray, policy: np.ndarray, direction: int, idx: np.ndarray, idx_b: np.ndarray
) -> dict[str, float]:
    """Paired effect of one policy on one outcome, and the unpaired interval for contrast.

    Args:
        base, policy: outcome per replicate, aligned by replicate.
        direction: +1 when more is better, -1 when less is better.
        idx, idx_b: ``(resamples, n)`` bootstrap indices; the paired bootstrap and the base arm of
            the unpaired bootstrap use ``idx``, the policy arm of the unpaired one uses ``idx_b``.

    Returns:
        estimate, low, high (BCa, paired), p_better (share of replicate pairs in which the policy
        is better; ties count half), paired and unpaired percentile widths, means.
    """
    d = policy - base
    boot = d[idx].mean(axis=1)
    low, high = bca_interval(d, boot)
    estimate = float(d[0]) if np.ptp(d) == 0 else float(d.mean())
    signed = direction * d
    p_better = (np.sum(signed > 0) + 0.5 * np.sum(signed == 0)) / len(d)
    p_low, p_high = (estimate, estimate) if np.ptp(d) == 0 else percentile_interval(boot)
    unpaired = policy[idx_b].mean(axis=1) - base[idx].mean(axis=1)
    u_low, u_high = percentile_interval(unpaired)
    return {
        "estimate": estimate,
        "low": low,
        "high": high,
        "p_better": float(p_better),
        "base_mean": float(base.mean()),
        "policy_mean": float(policy.mean()),
        "paired_width": p_high - p_low,
        "unpaired_low": u_low,
        "unpaired_high": u_high,
        "unpaired_width": u_high - u_low,
    }


def narrowing(effects: pd.DataFrame) -> dict[str, Any]:
    """How much narrower paired intervals are than unpaired ones, over outcomes a policy moved.

    Rows whose paired differences vary (the policy changed the outcome in some replicate) and
    whose unpaired width is positive count; ``narrower_by`` is ``1 - paired / unpaired`` width.
    """
    moved = effects[(effects["paired_width"] > 0) & (effects["unpaired_width"] > 0)]
    ratio = 1.0 - moved["paired_width"] / moved["unpaired_width"]
    untouched = effects[(effects["paired_width"] == 0) & (effects["unpaired_width"] > 0)]

    def summary(r: pd.Series) -> dict[str, float] | None:
        if r.empty:
            return None
        return {"median": float(r.median()), "min": float(r.min()), "max": float(r.max()),
                "outcomes": int(len(r))}  # fmt: skip

    return {
        "method": "percentile bootstrap, paired vs two-sample, same runs and resample count",
        "all_policies": summary(ratio),
        "by_policy": {p: summary(ratio[moved["policy"] == p]) for p in effects["policy"].unique()},
        "untouched_outcomes_zero_width": int(len(untouched)),
    }


def verdict(row: Mapping[str, Any]) -> str:
    """Plain words for an effect: better, worse, no clear difference, or no difference."""
    if row["low"] == row["high"] == row["estimate"] == 0:
        return "no difference"
    good = row["direction"] * row["low"], row["direction"] * row["high"]
    if min(good) > 0:
        return "better"
    if max(good) < 0:
        return "worse"
    return "no clear difference"
