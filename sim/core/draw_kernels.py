"""Compiled kernels (numba) of the counter-based draws: one uniform per official, stream, month, k.

SplitMix64 of the official's id and a salt (:func:`salt`) that folds in the stream's key, the
month and k (see :mod:`sim.core.rng`); the batch forms draw for many ids, several salts, or
split ids into bands of their uniform. Compiled once with ``cache=True`` (see
:mod:`sim.core.numba_cache`); tests/test_draw_kernels.py checks them against the streams.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.core.numba_cache import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)
ID_MULT = np.uint64(0xD6E8FEB86659FD93)
T_MULT = 0xA0761D6478BD642F
K_MULT = 0xE7037ED1A0B428DB
_MASK64 = 0xFFFFFFFFFFFFFFFF
_TWO_M53 = 1.0 / float(1 << 53)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)


@lru_cache(maxsize=65536)
def salt(key: int, month: int, k: int) -> np.uint64:
    """The part of a draw's hash input that is common to all ids: ``key ^ month term ^ k term``.

    ``month`` keeps its low 32 bits and ``k`` its low 16 bits (see :mod:`sim.core.rng`).
    """
    t = (int(month) & 0xFFFFFFFF) * T_MULT & _MASK64
    kk = (int(k) & 0xFFFF) * K_MULT & _MASK64
    return np.uint64(int(key) ^ t ^ kk)


@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser (Steele et al. 2014) on one uint64, wrapping arithmetic."""
    z = z + GOLDEN
    z = (z ^ (z >> _S30)) * M1
    z = (z ^ (z >> _S27)) * M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def uniform_one(i: int, salt_: np.uint64) -> float:
    """The counter-based uniform of official ``i`` for a stream, month and k folded in ``salt_``."""
    z = _mix(_mix((np.uint64(i) * ID_MULT) ^ salt_))
    return np.float64(z >> _S11) * _TWO_M53


@njit(cache=True)
def uniform_ids(ids: np.ndarray, salt_: np.uint64) -> np.ndarray:
    """Counter-based uniforms for a 1-d array of ids (see :meth:`sim.core.rng.Stream.uniform`)."""
    out = np.empty(ids.size)
    for j in range(ids.size):
        out[j] = uniform_one(ids[j], salt_)
    return out


@njit(cache=True)
def uniform_rows(ids: np.ndarray, salts: np.ndarray) -> np.ndarray:
    """Counter-based uniforms of ``ids`` for several salts (:func:`salt`), one row per salt.

    Row ``r`` is :func:`uniform_ids` of ``ids`` and ``salts[r]``.
    """
    out = np.empty((salts.size, ids.size))
    for r in range(salts.size):
        for j in range(ids.size):
            out[r, j] = uniform_one(ids[j], salts[r])
    return out


@njit(cache=True)
def uniform_bands(
    ids: np.ndarray, salt_: np.uint64, low: float, high: float
) -> tuple[np.ndarray, np.ndarray]:
    """Officials ``ids`` whose uniform (:func:`uniform_ids`) is below ``low``, and those with
    ``low <= u < high``, each in the order of ``ids``."""
    below = np.empty(ids.size, dtype=np.int64)
    between = np.empty(ids.size, dtype=np.int64)
    n_below = 0
    n_between = 0
    for j in range(ids.size):
        u = uniform_one(ids[j], salt_)
        if u < low:
            below[n_below] = ids[j]
            n_below += 1
        elif u < high:
            between[n_between] = ids[j]
            n_between += 1
    return below[:n_below].copy(), between[:n_between].copy()
