"""Morris elementary effects (SALib): trajectories, mu*, mu and sigma with bootstrap intervals.

SALib gives no interval for sigma; :func:`sigma_conf` bootstraps it over trajectories with
SALib's own elementary-effect helpers (private to SALib, used here only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyzer
from SALib.analyze.morris import _compute_elementary_effects
from SALib.sample import morris as morris_sampler
from SALib.util import _compute_delta, extract_group_names
from scipy.stats import norm

from sim.sensitivity.methods.tidy import rows, table

SHARES = False
MAIN, SECOND = "mu_star", "sigma"
SHOWN = ("mu_star", "sigma")


def sample(problem: Mapping[str, Any], n: int, seed: int, options: Any) -> np.ndarray:
    """``n`` trajectories on a grid of ``options.morris_levels`` levels, seeded."""
    return morris_sampler.sample(dict(problem), n, num_levels=options.morris_levels, seed=seed)


def design_part(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, n: int, half: bool, options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the first ``n`` trajectories, or of the first ``n // 2`` with ``half``."""
    _, d = extract_group_names(dict(problem))
    k = (n // 2 if half else n) * (d + 1)
    return X[:k], Y[:k]


def analyze(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, seed: int, options: Any
) -> pd.DataFrame:
    """mu* (bootstrap interval from SALib), sigma (:func:`sigma_conf`) and mu (no interval)."""
    names, _ = extract_group_names(dict(problem))
    si = morris_analyzer.analyze(
        dict(problem),
        X,
        Y,
        num_resamples=options.num_resamples,
        conf_level=options.conf_level,
        num_levels=options.morris_levels,
        seed=seed,
    )
    out = rows("mu_star", names, si["mu_star"], si["mu_star_conf"])
    out += rows("sigma", names, si["sigma"], sigma_conf(problem, X, Y, seed, options))
    out += rows("mu", names, si["mu"], np.full(len(names), np.nan))
    return table(out)


def sigma_conf(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, seed: int, options: Any
) -> np.ndarray:
    """Bootstrap half-width of sigma, resampling trajectories (ungrouped designs only)."""
    d = problem["num_vars"]
    if "groups" in problem and list(problem["groups"]) != list(problem["names"]):
        return np.full(len(set(problem["groups"])), np.nan)
    ee = _compute_elementary_effects(X, Y, d + 1, _compute_delta(options.morris_levels))
    r = ee.shape[1]
    rng = np.random.default_rng([seed, 0x5167])
    picks = rng.integers(0, r, size=(options.num_resamples, r))
    boot = np.stack([ee[:, p].std(axis=1, ddof=1) for p in picks])
    return norm.ppf(0.5 + options.conf_level / 2) * boot.std(axis=0, ddof=1)


def checked(options: Any) -> list[str]:
    """Indices the convergence check looks at."""
    return ["mu_star"]


def next_size(n: int) -> int:
    """Any number of trajectories will do."""
    return n
