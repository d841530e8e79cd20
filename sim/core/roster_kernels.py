"""Compiled kernels (numba) of the population's bookkeeping: entry, retirement, states, members.

Careers of entering officials and the rows they fill, the retirement calendar (one linked list
of officials per exit month), moves between states with their counts, and the filters of a list
of members by state.

Compiled once with ``cache=True``, under the conventions of :mod:`sim.core.numba_cache`;
tests/test_roster_kernels.py checks each against the numpy code it replaces, bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.core.numba_cache import njit


# ------------------------------------------------------------------------ careers
@njit(cache=True)
def gamma4_quantile(u: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Quantiles of the Gamma(4, 1) distribution at ``u`` in (0, 1), to about 1e-14 relative.

    Newton's method on the closed forms of the regularized incomplete gamma function for shape
    4: ``Q(4, x) = exp(-x) (1 + x + x^2 / 2 + x^3 / 6)``, and for ``u < 0.05`` the series
    ``P(4, x) = exp(-x) sum_{n >= 4} x^n / n!`` (no cancellation), from the Wilson-Hilferty
    start ``4 (1 - 1/36 + z / 6)^3`` with ``z`` the normal quantile of ``u``, kept inside a
    bracket. Not bit-identical to ``scipy.special.gammaincinv``: callers that need its exact
    whole months check for values near a whole number (see ``population.career_quantile``).
    """
    out = np.empty(u.size)
    for j in range(u.size):
        uj = u[j]
        series = uj < 0.05
        target = uj if series else 1.0 - uj
        c = 1.0 - 1.0 / 36.0 + z[j] / 6.0
        x = 4.0 * c * c * c if c > 0.3 else (24.0 * uj) ** 0.25
        lo, hi = 0.0, 1e3
        for _ in range(200):
            e = np.exp(-x)
            if series:  # P(4, x) - u, increasing in x
                term = x * x * x * x / 24.0
                total = 0.0
                n = 4.0
                while term > 1e-17 * total:
                    total += term
                    n += 1.0
                    term *= x / n
                h = e * total - target
            else:  # (1 - u) - Q(4, x), increasing in x
                h = target - e * (1.0 + x + x * x / 2.0 + x * x * x / 6.0)
            if h > 0.0:
                hi = x
            else:
                lo = x
            step = h / (x * x * x * e / 6.0)  # the derivative is the Gamma(4) density
            if abs(step) <= 1e-9 * x:  # quadratic convergence: the next error is ~1e-18
                x -= step
                break
            x -= step
            if not (lo <= x <= hi):
                x = 0.5 * (lo + hi)
        out[j] = x
    return out


@njit(cache=True)
def near_whole_months(
    career: np.ndarray, career_years: float, shape: float, served_u: np.ndarray, margin: float
) -> np.ndarray:
    """Careers whose whole months the fast quantile might get wrong (``career_quantile``).

    ``months = career * career_years * 12 / shape``; a career is near when ``months``, or (if
    ``served_u`` is not empty) ``served_u * max(months, 1)``, lies within ``margin`` (relative,
    at least absolute) of a whole number.
    """
    near = np.empty(career.size, dtype=np.bool_)
    for j in range(career.size):
        months = career[j] * career_years * 12.0 / shape
        near[j] = abs(months - np.rint(months)) <= margin * max(months, 1.0)
        if served_u.size > 0:
            served = served_u[j] * max(months, 1.0)
            near[j] |= abs(served - np.rint(served)) <= margin * max(served, 1.0)
    return near


@njit(cache=True)
def enter_officials(
    first: int,
    draws: np.ndarray,
    luck: np.ndarray,
    career: np.ndarray,
    step: int,
    initial: bool,
    constants: np.ndarray,
    rank_bounds: np.ndarray,
    rank_multiplier: np.ndarray,
    columns: tuple,
    exit_head: np.ndarray,
    exit_next: np.ndarray,
    pool: tuple,
    pool_n: int,
    gains_index: np.ndarray,
    offset: int,
) -> np.ndarray:
    """Fill the rows of officials ``first, first + 1, ...`` as they enter (``population._add``).

    ``draws`` holds their population-stream uniforms k = 0, 1 (rank, corrupt) and, for initial
    officials, k = 4 (share of the career already served) in rows 0, 1, 2; ``luck`` is
    ``exp(gains_sigma * normal)`` and ``career`` the Gamma quantile, both from numpy/scipy.
    ``constants`` are ``(share_corrupt, gains_usd_per_month, career_years, career_shape,
    max_tenure_months)``; ``columns`` the population's ``(rank, corrupt, gains_rate,
    entry_step, exit_step, state_step)``. Files each under its exit step (:func:`push_exits`)
    and returns the ids of the corrupt ones, in increasing order. These join the corrupt pool
    after its ``pool_n`` entries: ``pool`` is its ``(ids, rate, base, exposure_hazard,
    family_hazard)``, with ``base`` the ``gains_index`` at the entry month (position ``offset +
    entry``) and hazards at zero; the caller adds their thresholds and counts them.
    """
    share_corrupt, per_month, career_years, shape, max_tenure = constants
    rank, corrupt, gains_rate, entry_step, exit_step, state_step = columns
    pool_ids, pool_rate, pool_base, exposure_hazard, family_hazard = pool
    n = career.size
    new = np.empty(n, dtype=np.int64)
    n_new = 0
    for j in range(n):
        i = first + j
        r = 0
        for b in rank_bounds:  # np.searchsorted(rank_bounds, u, "right"), capped at 3
            if b <= draws[0, j]:
                r += 1
        r = min(r, 3)
        rank[i] = r
        corrupt[i] = draws[1, j] < share_corrupt
        gains_rate[i] = per_month * rank_multiplier[r] * luck[j]
        months = max(career[j] * career_years * 12.0 / shape, 1.0)
        served = min(draws[2, j] * months, max_tenure) if initial else 0.0
        entry = -np.int64(served) if initial else np.int64(step)
        exit_ = max(entry + np.int64(months), step + 1)
        entry_step[i] = entry
        exit_step[i] = exit_
        state_step[i] = step
        if 0 <= exit_ < exit_head.size:
            exit_next[i] = exit_head[exit_]
            exit_head[exit_] = i
        if corrupt[i]:
            q = pool_n + n_new
            pool_ids[q] = i
            pool_rate[q] = gains_rate[i]
            pool_base[q] = gains_index[offset + entry_step[i]]
            exposure_hazard[q] = 0.0
            family_hazard[q] = 0.0
            new[n_new] = i
            n_new += 1
    return new[:n_new].copy()


# ------------------------------------------------------------------------ retirement calendar
@njit(cache=True)
def push_exits(head: np.ndarray, nxt: np.ndarray, ids: np.ndarray, exits: np.ndarray) -> None:
    """File officials ``ids`` under their exit step: one linked list per step (``head``/``nxt``).

    Exit steps at or beyond ``head.size`` (after the run) are not filed.
    """
    for j in range(ids.size):
        e = exits[j]
        if 0 <= e < head.size:
            i = ids[j]
            nxt[i] = head[e]
            head[e] = i


@njit(cache=True)
def pop_exits(
    head: np.ndarray, nxt: np.ndarray, state: np.ndarray, in_office: int, step: int
) -> np.ndarray:
    """Ids filed under ``step`` whose state is still ``in_office``, in increasing order."""
    if step < 0 or step >= head.size:
        return np.empty(0, dtype=np.int64)
    n = 0
    i = head[step]
    while i >= 0:
        if state[i] == in_office:
            n += 1
        i = nxt[i]
    out = np.empty(n, dtype=np.int64)
    n = 0
    i = head[step]
    while i >= 0:
        if state[i] == in_office:
            out[n] = i
            n += 1
        i = nxt[i]
    head[step] = -1
    return np.sort(out)


# ------------------------------------------------------------------------ states and members
@njit(cache=True, inline="always")
def enter_state(
    state: np.ndarray, state_step: np.ndarray, counts: np.ndarray, i: int, new: int, step: int
) -> None:
    """Official ``i`` enters state ``new`` at ``step``; ``counts`` per state follow."""
    counts[state[i]] -= 1
    counts[new] += 1
    state[i] = new
    state_step[i] = step


@njit(cache=True)
def move_state(
    state: np.ndarray,
    state_step: np.ndarray,
    how: np.ndarray,
    counts: np.ndarray,
    ids: np.ndarray,
    new: int,
    step: int,
    how_code: int,
) -> None:
    """Officials ``ids`` (distinct) enter state ``new`` at ``step``; ``counts`` per state follow.

    ``how_code`` (channel or manner) is written only when non-negative.
    """
    for j in range(ids.size):
        i = ids[j]
        enter_state(state, state_step, counts, i, new, step)
        if how_code >= 0:
            how[i] = how_code


@njit(cache=True)
def members(
    ids: np.ndarray, state: np.ndarray, code: int, since: np.ndarray, step: int
) -> tuple[np.ndarray, np.ndarray]:
    """Of a list of ``ids``: those still in state ``code``, and of them those with ``since < step``.

    Both in the list's order (the first result is the list with the leavers dropped).
    """
    kept = np.empty(ids.size, dtype=np.int64)
    ready = np.empty(ids.size, dtype=np.int64)
    n_kept = 0
    n_ready = 0
    for j in range(ids.size):
        i = ids[j]
        if state[i] == code:
            kept[n_kept] = i
            n_kept += 1
            if since[i] < step:
                ready[n_ready] = i
                n_ready += 1
    return kept[:n_kept].copy(), ready[:n_ready].copy()
