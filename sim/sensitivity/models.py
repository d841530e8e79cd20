"""The models a sweep file may name: ``flightsim`` (the scenario model) and registered per-run
functions such as ``ishigami``.

A sweep file's ``model`` is looked up in :data:`FUNCTIONS` by name; nothing is imported from
the file (``model: os:system`` was once accepted). Add a function here to make it available.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

import numpy as np

RunFunction = Callable[..., Mapping[str, float]]
"""``f(values: {name: float}, seed: int, replicate: int, **options) -> {output: float}``."""

SCENARIO_MODEL = "flightsim"
"""The scenario model: a sweep's parameters are paths into its base scenario."""


def ishigami(
    values: Mapping[str, float],
    seed: int,
    replicate: int,
    a: float = 7.0,
    b: float = 0.1,
    noise: float = 0.0,
    sleep: float = 0.0,
    fail_above: float | None = None,
) -> dict[str, float]:
    """Ishigami-Homma test function (known Sobol' indices) as a per-run function.

    ``y = sin x1 + a sin^2 x2 + b x3^4 sin x1`` with ``x_i ~ U(-pi, pi)``; for a=7, b=0.1:
    S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437) (Ishigami and Homma 1990; Saltelli
    et al. 2008, p. 179). ``noise`` adds a normal term keyed by (seed, replicate); ``sleep``
    makes a run take time (fault tests); ``fail_above`` raises when x1 exceeds it.
    """
    x1, x2, x3 = (float(values[k]) for k in ("x1", "x2", "x3"))
    if sleep:
        time.sleep(sleep)
    if fail_above is not None and x1 > fail_above:
        raise ValueError(f"x1 = {x1:.3f} is above {fail_above} (deliberate failure)")
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    if noise:
        y += noise * float(np.random.default_rng([seed, replicate]).standard_normal())
    return {"y": y}


FUNCTIONS: dict[str, RunFunction] = {"ishigami": ishigami}
"""Registered per-run functions by the name a sweep file gives as ``model``."""

MODEL_NAMES = (SCENARIO_MODEL, *FUNCTIONS)
"""Every name a sweep file's ``model`` may take."""
