"""Compiled kernels (numba) of the fugitives abroad: their arrival and the stock by host country.

The fates of fugitives abroad implement rules and are in :mod:`sim.core.rule_kernels`.

Compiled once with ``cache=True``, under the conventions of :mod:`sim.core.numba_cache`;
tests/test_abroad_kernels.py checks each against the numpy code it replaces, bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.core.numba_cache import njit
from sim.core.roster_kernels import enter_state


@njit(cache=True)
def arrive_abroad(
    ids: np.ndarray,
    where: np.ndarray,
    step: int,
    share_taken: float,
    columns: tuple,
    counts: np.ndarray,
    abroad: int,
    fled_to: np.ndarray,
) -> np.ndarray:
    """Officials ``ids`` (distinct) reach destinations ``where`` at ``step`` (``transitions.flee``).

    As :func:`roster_kernels.move_state` into state ``abroad`` (no ``how``), then each one's
    destination, month of flight and assets taken (``share_taken`` times its gains); ``fled_to``
    counts arrivals by country. ``columns`` is the population's ``(state, state_step,
    destination, fled_step, gains_usd, assets_taken_usd)``. Returns the assets taken, aligned
    with ``ids``.
    """
    state, state_step, destination, fled_step, gains, assets_taken = columns
    taken = np.empty(ids.size)
    for j in range(ids.size):
        i = ids[j]
        enter_state(state, state_step, counts, i, abroad, step)
        destination[i] = where[j]
        fled_step[i] = step
        taken[j] = share_taken * gains[i]
        assets_taken[i] = taken[j]
        fled_to[where[j]] += 1
    return taken


@njit(cache=True)
def stock_abroad(
    ids: np.ndarray,
    state: np.ndarray,
    abroad: int,
    destination: np.ndarray,
    treaty_in_force: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Fugitives abroad by host country, and how many live where no treaty is in force.

    Counts the ``ids`` (distinct) whose ``state`` is ``abroad`` by their ``destination``
    (``np.bincount`` over ``treaty_in_force.size`` countries), and the sum of those counts over
    countries whose ``treaty_in_force`` is 0.
    """
    stock = np.zeros(treaty_in_force.size, dtype=np.int64)
    for j in range(ids.size):
        i = ids[j]
        if state[i] == abroad:
            stock[destination[i]] += 1
    treaty_free = 0
    for c in range(stock.size):
        if treaty_in_force[c] == 0:
            treaty_free += stock[c]
    return stock, treaty_free
