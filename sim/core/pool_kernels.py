"""Compiled kernels (numba) of the corrupt pool's clocks: gains, family abroad and exposure.

Each month the corrupt officials' illicit gains grow with the gains index, and two integrated
hazards (family abroad, exposure) advance until they reach each official's own threshold.

Compiled once with ``cache=True``, under the conventions of :mod:`sim.core.numba_cache`;
tests/test_pool_kernels.py checks each against its rule, bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.core.numba_cache import njit


@njit(cache=True)
def pool_gains(
    ids: np.ndarray,
    state: np.ndarray,
    in_office: int,
    rate: np.ndarray,
    base: np.ndarray,
    index_now: float,
    reference: float,
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """The corrupt pool this month: who is in office, illicit gains, and gains over reference.

    Returns ``alive`` (state is ``in_office``), its count, ``gains = rate * (index_now - base)``
    (:meth:`OfficialPopulation.corrupt_gains`) and ``max(gains, 1) / reference``, the base of the
    power terms of :func:`rules.exposure_rate` and :func:`rules.family_abroad_rate`.
    """
    n = ids.size
    alive = np.empty(n, dtype=np.bool_)
    gains = np.empty(n)
    ratio = np.empty(n)
    n_alive = 0
    for j in range(n):
        alive[j] = state[ids[j]] == in_office
        n_alive += alive[j]
        g = rate[j] * (index_now - base[j])
        gains[j] = g
        ratio[j] = max(g, 1.0) / reference
    return alive, n_alive, gains, ratio


@njit(cache=True)
def family_clock(
    ids: np.ndarray,
    alive: np.ndarray,
    family_country: np.ndarray,
    size: np.ndarray,
    scale: float,
    divisor: float,
    hazard: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """One month of the family clock of the corrupt pool (:func:`transitions.family_moves`).

    Implements :func:`rules.family_abroad_rate` as ``scale * size / divisor`` with ``size`` its
    power of gains, ``scale = family_abroad_per_year`` and ``divisor = 1 + naked_rules``.
    Officials in office (``alive``) without family abroad add ``rate / 12`` (a yearly rate over
    one month) to their cumulative ``hazard``, in place. Returns the pool positions, in
    increasing order, whose hazard has reached their own ``threshold``.
    """
    hits = np.empty(ids.size, dtype=np.int64)
    m = 0
    for j in range(ids.size):
        if alive[j] and family_country[ids[j]] < 0:
            hazard[j] += scale * size[j] / divisor / 12.0
            if hazard[j] >= threshold[j]:
                hits[m] = j
                m += 1
    return hits[:m]


@njit(cache=True)
def exposure_clock(
    ids: np.ndarray,
    alive: np.ndarray,
    family_country: np.ndarray,
    size: np.ndarray,
    scale: float,
    naked_weight: float,
    hazard: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """One month of the exposure clock of the corrupt pool (:func:`transitions.exposures`).

    Implements :func:`rules.exposure_rate` as ``scale * size * (1 + naked_weight * family)``
    with ``size`` its power of gains, ``scale = base_per_year * (1 + campaign_effect *
    campaign)``, ``naked_weight = naked_official_effect * naked_rules`` and ``family`` 1 when
    the official's family lives abroad. Every entry adds ``rate / 12`` to its cumulative
    ``hazard``, in place. Returns the pool positions, in increasing order, of officials in
    office (``alive``) whose hazard has reached their own ``threshold``.
    """
    hits = np.empty(ids.size, dtype=np.int64)
    m = 0
    for j in range(ids.size):
        family = 1.0 if family_country[ids[j]] >= 0 else 0.0
        hazard[j] += scale * size[j] * (1.0 + naked_weight * family) / 12.0
        if alive[j] and hazard[j] >= threshold[j]:
            hits[m] = j
            m += 1
    return hits[:m]
