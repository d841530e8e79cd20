"""Statistics of a paired comparison: bootstrap intervals, p_better, narrowing, verdicts.

Pure functions of arrays and tables; randomness comes in only as bootstrap indices drawn from a
named stream of the comparison seed (:func:`resample_indices`), so reruns are identical.

The interval of a mean paired difference is a **studentized (bootstrap-t) interval** (Efron and
Tibshirani 1993, ch. 12; Davison and Hinkley 1997, sec. 5.2): each resample's mean is
standardised by its own standard error, and the quantiles of that t statistic replace Student's.
It keeps its coverage on skewed differences at the replicate counts the README uses, where
Student's t and BCa fall short (measured by simulation in ``tests/test_compare_coverage.py``:
BCa covered about 91% for a nominal 95% at 10 replicates). The relative effect, policy mean over
base mean, gets the same treatment on the log scale, with a delta-method standard error that
uses the pairing (the covariance of base and policy). The payoff of pairing is measured by an
unpaired (two-sample) bootstrap of the same runs, both with the percentile method.
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
FIXED, POSTERIOR = "fixed", "posterior"
"""Names of a comparison's two views (column ``parameters`` of its tables)."""


def resample_indices(seed: int, name: str, n: int, resamples: int) -> np.ndarray:
    """``(resamples, n)`` replicate indices from the named stream ``name`` of ``seed``."""
    return Streams(seed, 0)[name].generator().integers(0, n, size=(resamples, n))


def bca_interval(d: np.ndarray, boot: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """BCa interval of the mean of ``d`` from bootstrap means ``boot`` (Efron 1987).

    No longer used for comparisons (it undercovers at small replicate counts); kept as the
    reference the coverage test measures the bootstrap-t interval against.

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


def studentized_interval(
    d: np.ndarray, idx: np.ndarray, level: float = LEVEL
) -> tuple[float, float]:
    """Bootstrap-t interval of the mean of ``d`` from resample indices ``idx`` (resamples x n).

    ``t* = (mean* - mean) / se*`` per resample (resamples whose values are all equal have no
    standard error and are left out; if every one is, the percentile interval is returned);
    the interval is ``mean - t*_{hi} se, mean - t*_{lo} se``. Zero-variance data give
    ``(d[0], d[0])`` exactly.
    """
    if np.ptp(d) == 0:
        return float(d[0]), float(d[0])
    n = len(d)
    est, se = float(d.mean()), float(d.std(ddof=1)) / np.sqrt(n)
    boot = d[idx]
    se_b = boot.std(axis=1, ddof=1) / np.sqrt(n)
    ok = se_b > 0
    if not ok.any():  # every resample repeats one value: no t statistic to take quantiles of
        return percentile_interval(boot.mean(axis=1), level)
    t = (boot.mean(axis=1)[ok] - est) / se_b[ok]
    t_low, t_high = np.quantile(t, [(1 - level) / 2, (1 + level) / 2])
    return est - float(t_high) * se, est - float(t_low) * se


def log_ratio_stats(base: np.ndarray, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(mean policy / mean base)`` and its delta-method standard error, along the last axis.

    Paired: ``var = (s_p^2 / m_p^2 + s_b^2 / m_b^2 - 2 c_bp / (m_b m_p)) / n``. NaN where a mean
    is not positive.
    """
    n = base.shape[-1]
    mb, mp = base.mean(axis=-1), policy.mean(axis=-1)
    vb, vp = base.var(axis=-1, ddof=1), policy.var(axis=-1, ddof=1)
    cov = ((base - mb[..., None]) * (policy - mp[..., None])).sum(axis=-1) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where((mb > 0) & (mp > 0), np.log(mp / mb), np.nan)
        var = (vp / mp**2 + vb / mb**2 - 2 * cov / (mb * mp)) / n
    return est, np.sqrt(np.clip(var, 0, None))


def relative_effect(
    base: np.ndarray, policy: np.ndarray, idx: np.ndarray, level: float = LEVEL
) -> tuple[float, float, float]:
    """Relative change ``mean policy / mean base - 1`` with a bootstrap-t interval (log scale).

    Returns NaNs when either mean is not positive (the ratio is undefined); a zero-width
    interval when the policy changes nothing or the log ratio does not vary.
    """
    est, se = log_ratio_stats(base, policy)
    if not np.isfinite(est):
        return float("nan"), float("nan"), float("nan")
    if se == 0 or np.array_equal(base, policy):
        value = float(np.expm1(est))
        return value, value, value
    b_est, b_se = log_ratio_stats(base[idx], policy[idx])
    ok = np.isfinite(b_est) & (b_se > 0)
    if not ok.any():  # no resample has a standard error: report the estimate alone
        return float(np.expm1(est)), float("nan"), float("nan")
    t = (b_est[ok] - est) / b_se[ok]
    t_low, t_high = np.quantile(t, [(1 - level) / 2, (1 + level) / 2])
    low, high = est - t_high * se, est - t_low * se
    with np.errstate(over="ignore"):  # a huge log ratio is an infinite relative change
        return float(np.expm1(est)), float(np.expm1(low)), float(np.expm1(high))


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
        estimate, low, high (bootstrap-t, paired), relative change and its interval
        (``relative``, ``relative_low``, ``relative_high``), p_better (share of replicate pairs
        in which the policy is better; ties count half), paired and unpaired percentile widths,
        means.
    """
    d = policy - base
    boot = d[idx].mean(axis=1)
    low, high = studentized_interval(d, idx)
    rel, rel_low, rel_high = relative_effect(base, policy, idx)
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
        "relative": rel,
        "relative_low": rel_low,
        "relative_high": rel_high,
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
