"""Compiled kernels (numba) for the per-official work of each month: draws and bookkeeping.

Counter-based draws, entering officials and the retirement calendar, the corrupt pool's clocks
and state changes; the kernels of the choice and world rules are in :mod:`sim.core.rule_kernels`.

Every kernel is compiled once with ``cache=True``: numba writes the machine code to
``NUMBA_CACHE_DIR`` when set, else next to this file (``sim/core/__pycache__``), else to its
user cache directory (``~/.cache/numba``), so a second process and every Dask worker start warm.
When none of these is writable (an installed package and no home directory, say),
:func:`cache_dir_fallback` points numba at a directory under the system's temporary folder
instead of letting the import fail.

Kernels do integer work, comparisons, gathers and scatters, and the plain arithmetic of the rules
in the same order as the numpy code; transcendental functions (``exp``, ``log``, ``pow``) stay in
numpy, whose SIMD versions need not round like the C library that compiled code calls. Each
kernel that re-implements part of a rule names that rule, and tests/test_kernels.py checks the
two agree bit for bit on random inputs.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache

import numba
import numpy as np
from numba import njit
from numba.misc.appdirs import AppDirs


def _writable(path: str) -> bool:
    """Whether ``path`` exists or can be made, and a file can be written in it (numba's test)."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def cache_dir_fallback(in_tree: str, user_wide: str, fallback: str) -> str | None:
    """The cache directory numba must be given, or None when its own choice is writable.

    Args:
        in_tree: the package's ``__pycache__`` (numba's first choice without NUMBA_CACHE_DIR).
        user_wide: numba's user cache directory (its second choice).
        fallback: the directory to use when neither is writable.
    """
    if _writable(in_tree) or _writable(user_wide):
        return None
    return fallback


if not numba.config.CACHE_DIR:
    _user = getattr(os, "getuid", lambda: 0)()
    _fallback = cache_dir_fallback(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__"),
        AppDirs(appname="numba", appauthor=False).user_cache_dir,
        os.path.join(tempfile.gettempdir(), f"flightsim-numba-{_user}"),
    )
    if _fallback is not None:
        numba.config.CACHE_DIR = _fallback

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


# ------------------------------------------------------------- integrated-hazard clocks
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


# ------------------------------------------------------------------------ state bookkeeping
@njit(cache=True, inline="always")
def _enter_state(
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
        _enter_state(state, state_step, counts, i, new, step)
        if how_code >= 0:
            how[i] = how_code


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

    As :func:`move_state` into state ``abroad`` (no ``how``), then each one's destination, month
    of flight and assets taken (``share_taken`` times its gains); ``fled_to`` counts arrivals
    by country. ``columns`` is the population's ``(state, state_step, destination, fled_step,
    gains_usd, assets_taken_usd)``. Returns the assets taken, aligned with ``ids``.
    """
    state, state_step, destination, fled_step, gains, assets_taken = columns
    taken = np.empty(ids.size)
    for j in range(ids.size):
        i = ids[j]
        _enter_state(state, state_step, counts, i, abroad, step)
        destination[i] = where[j]
        fled_step[i] = step
        taken[j] = share_taken * gains[i]
        assets_taken[i] = taken[j]
        fled_to[where[j]] += 1
    return taken


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
