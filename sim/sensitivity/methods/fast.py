"""eFAST indices (SALib): search-curve design, S1 and ST with bootstrap intervals.

eFAST curves cannot be halved for the convergence check, so :func:`sample` follows the main
design of ``n`` points per curve with an independent check design of ``n // 2`` points per curve
(its seed derived from the sweep seed): eFAST sweeps cost 1.5 n D runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import fast as fast_analyzer
from SALib.sample import fast_sampler
from SALib.util import extract_group_names

from sim.sensitivity.methods.tidy import rows, table

SHARES = True
MAIN, SECOND = "ST", "S1"
SHOWN = ("S1", "ST")


def sample(problem: Mapping[str, Any], n: int, seed: int, options: Any) -> np.ndarray:
    """The main design (``n`` points per curve) and then the check design (``n // 2``)."""
    main = fast_sampler.sample(dict(problem), n, M=options.fast_harmonics, seed=seed)
    check_seed = int(np.random.SeedSequence([seed, 0x68616C66]).generate_state(1)[0])
    check = fast_sampler.sample(dict(problem), n // 2, M=options.fast_harmonics, seed=check_seed)
    return np.vstack([main, check])


def design_part(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, n: int, half: bool, options: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The main design, or with ``half`` the check design stored after it."""
    main = n * problem["num_vars"]
    return (X[main:], Y[main:]) if half else (X[:main], Y[:main])


def analyze(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, seed: int, options: Any
) -> pd.DataFrame:
    """S1 and ST with bootstrap half-widths."""
    names, _ = extract_group_names(dict(problem))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        si = fast_analyzer.analyze(
            dict(problem),
            Y,
            M=options.fast_harmonics,
            num_resamples=options.num_resamples,
            conf_level=options.conf_level,
            seed=seed,
        )
    return table(
        rows("S1", names, si["S1"], si["S1_conf"]) + rows("ST", names, si["ST"], si["ST_conf"])
    )


def checked(options: Any) -> list[str]:
    """Indices the convergence check looks at (eFAST has no second-order indices)."""
    return ["S1", "ST"]


def next_size(n: int) -> int:
    """Any number of points per curve will do."""
    return n
