"""Sobol' indices (SALib): Saltelli design, S1, ST and optionally S2 with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyzer
from SALib.sample import sobol as sobol_sampler
from SALib.util import extract_group_names

from sim.sensitivity.methods.tidy import rows, table

SHARES = True
MAIN, SECOND = "ST", "S1"
SHOWN = ("S1", "ST")


def sample(problem: Mapping[str, Any], n: int, seed: int, options: Any) -> np.ndarray:
    """Scrambled Saltelli design of ``n`` base points, seeded."""
    return sobol_sampler.sample(
        dict(problem), n, calc_second_order=options.second_order, scramble=True, seed=seed
    )


def rows_per_point(problem: Mapping[str, Any], options: Any) -> int:
    """Design rows per base point (``2D + 2`` with second order, else ``D + 2``)."""
    _, d = extract_group_names(dict(problem))
    return 2 * d + 2 if options.second_order else d + 2


def design_part(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, n: int, half: bool, options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the first ``n`` base points, or of the first ``n // 2`` with ``half``."""
    k = (n // 2 if half else n) * rows_per_point(problem, options)
    return X[:k], Y[:k]


def analyze(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, seed: int, options: Any
) -> pd.DataFrame:
    """S1, ST (and S2 with ``options.second_order``) with bootstrap half-widths."""
    names, _ = extract_group_names(dict(problem))
    si = sobol_analyzer.analyze(
        dict(problem),
        Y,
        calc_second_order=options.second_order,
        num_resamples=options.num_resamples,
        conf_level=options.conf_level,
        seed=seed,
    )
    out = rows("S1", names, si["S1"], si["S1_conf"]) + rows("ST", names, si["ST"], si["ST_conf"])
    if options.second_order:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                out += rows(
                    "S2", [f"{names[i]} x {names[j]}"], [si["S2"][i, j]], [si["S2_conf"][i, j]]
                )
    return table(out)


def checked(options: Any) -> list[str]:
    """Indices the convergence check looks at."""
    return ["S1", "ST", "S2"] if options.second_order else ["S1", "ST"]


def next_size(n: int) -> int:
    """The smallest power of two at least ``n`` (Sobol' sequences balance at powers of two)."""
    return 1 << (n - 1).bit_length()
