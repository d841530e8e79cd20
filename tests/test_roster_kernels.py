"""Roster kernels (:mod:`sim.core.roster_kernels`) against the numpy and scipy code, exactly."""

import numpy as np
from scipy.special import gammainc, gammaincinv, ndtri

from sim.core import roster_kernels
from sim.core.population import career_quantile


def test_retirement_calendar_finds_exactly_the_scan():
    rng = np.random.default_rng(5)
    n_steps, n = 60, 5000
    head = np.full(n_steps, -1, dtype=np.int32)
    nxt = np.full(n, -1, dtype=np.int32)
    exits = rng.integers(1, 2 * n_steps, n)  # some exit after the run and are never filed
    state = np.zeros(n, dtype=np.int8)
    for start in range(0, n, 700):  # filed in batches, as officials enter
        ids = np.arange(start, min(start + 700, n), dtype=np.int64)
        roster_kernels.push_exits(head, nxt, ids, exits[ids])
    for step in range(n_steps):
        state[rng.integers(0, n, 40)] = rng.integers(1, 9)  # some left office another way
        expected = np.flatnonzero((exits == step) & (state == 0))
        got = roster_kernels.pop_exits(head, nxt, state, 0, step)
        assert np.array_equal(got, expected)
        state[got] = 8
    assert roster_kernels.pop_exits(head, nxt, state, 0, n_steps).size == 0


def test_move_state_matches_the_numpy_bookkeeping():
    rng = np.random.default_rng(13)
    n = 2000
    state = rng.integers(0, 9, n).astype(np.int8)
    state_step = rng.integers(0, 50, n).astype(np.int32)
    how = rng.integers(-1, 5, n).astype(np.int8)
    counts = np.bincount(state, minlength=9).astype(np.int64)
    for step, how_code in ((50, -1), (51, 3), (52, 0)):
        ids = rng.choice(n, 300, replace=False).astype(np.int64)
        new = int(rng.integers(0, 9))
        expected_counts = counts - np.bincount(state[ids], minlength=9)
        expected_counts[new] += ids.size
        expected_how = how.copy()
        if how_code >= 0:
            expected_how[ids] = how_code
        roster_kernels.move_state(state, state_step, how, counts, ids, new, step, how_code)
        assert np.all(state[ids] == new) and np.all(state_step[ids] == step)
        assert np.array_equal(how, expected_how)
        assert np.array_equal(counts, expected_counts)
        assert np.array_equal(counts, np.bincount(state, minlength=9))


def test_members_matches_the_numpy_filters():
    rng = np.random.default_rng(14)
    state = rng.integers(0, 4, 3000).astype(np.int8)
    since = rng.integers(0, 20, 3000).astype(np.int32)
    for size in (0, 1, 500):
        ids = rng.permutation(3000)[:size].astype(np.int64)
        kept, ready = roster_kernels.members(ids, state, 2, since, 10)
        expected_kept = ids[state[ids] == 2]
        assert np.array_equal(kept, expected_kept)
        assert np.array_equal(ready, expected_kept[since[expected_kept] < 10])


def _career_uniforms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Uniforms over (0, 1) with both tails down to the model's clip at 1e-12."""
    u = np.concatenate(
        [rng.random(n), 10 ** rng.uniform(-12, -1, n // 4), 1 - 10 ** rng.uniform(-12, -1, n // 4)]
    )
    return np.clip(u, 1e-12, 1 - 1e-12)


def test_gamma4_quantile_is_within_1e_14_of_scipy():
    u = _career_uniforms(np.random.default_rng(16), 400_000)
    fast = roster_kernels.gamma4_quantile(u, ndtri(u))
    exact = gammaincinv(4.0, u)
    assert np.max(np.abs(fast - exact) / exact) < 1e-14


def test_career_whole_months_are_those_of_scipy():
    rng = np.random.default_rng(17)
    for career_years in (0.5, 7.0, 18.0, 33.3):
        u = _career_uniforms(rng, 200_000)
        served_u = rng.random(u.size)
        # a few uniforms whose scipy career falls exactly on a whole month, and next to one
        whole = np.arange(1, 400, dtype=float)
        on = gammainc(4.0, whole * 4.0 / (career_years * 12.0))
        on = on[(on > 1e-12) & (on < 1 - 1e-12)]
        u = np.concatenate([u, on, np.nextafter(on, 0.0), np.nextafter(on, 1.0)])
        served_u = np.concatenate([served_u, rng.random(u.size - served_u.size)])
        exact = gammaincinv(4.0, u)
        for served in (None, served_u):
            got = career_quantile(u, career_years, served)
            a = _whole_months(got, career_years, served)
            assert a == _whole_months(exact, career_years, served)


def _whole_months(career: np.ndarray, career_years: float, served) -> tuple:
    """The only uses of a career in the model: whole months of career and of time served."""
    months = np.maximum(career * career_years * 12.0 / 4.0, 1.0)
    out = (months.astype(np.int64).tobytes(),)
    if served is not None:
        out += (np.minimum(served * months, 540).astype(np.int64).tobytes(),)
    return out


def _near_whole(values: np.ndarray) -> np.ndarray:
    return np.abs(values - np.rint(values)) <= 1e-9 * np.maximum(values, 1.0)


def test_near_whole_months_matches_the_numpy_test():
    rng = np.random.default_rng(24)
    career = rng.gamma(4.0, 1.0, 20000)
    served_u = rng.random(career.size)
    career_years = 17.5
    months = career * career_years * 12.0 / 4.0
    career[:500] = np.rint(months[:500]) * 4.0 / (career_years * 12.0)  # on a whole month
    served_u[500:1000] = np.rint(served_u[500:1000] * 40.0) / 40.0
    months = career * career_years * 12.0 / 4.0
    expected = _near_whole(months)
    assert expected.sum() > 100
    got = roster_kernels.near_whole_months(career, career_years, 4.0, np.zeros(0), 1e-9)
    assert np.array_equal(got, expected)
    expected |= _near_whole(served_u * np.maximum(months, 1.0))
    got = roster_kernels.near_whole_months(career, career_years, 4.0, served_u, 1e-9)
    assert np.array_equal(got, expected)


def test_enter_officials_fills_rows_as_the_numpy_code():
    rng = np.random.default_rng(25)
    for initial, step, n in ((True, 0, 3000), (False, 7, 50), (False, 3, 0)):
        size, n_steps, first = n + 10, 40, 10
        ids = np.arange(first, first + n, dtype=np.int64)
        draws = rng.random((3 if initial else 2, n))
        luck, career = rng.lognormal(0.0, 1.0, n), rng.gamma(4.0, 1.0, n)
        constants = np.array([0.3, 5000.0, 4.0, 4.0, 540.0])
        bounds = np.cumsum([0.5, 0.3, 0.15, 0.05])
        multiplier = np.array([1.0, 2.5, 6.0, 15.0])
        columns = (
            np.zeros(size, dtype=np.int8),
            np.zeros(size, dtype=bool),
            np.zeros(size),
            np.zeros(size, dtype=np.int32),
            np.zeros(size, dtype=np.int32),
            np.zeros(size, dtype=np.int32),
        )
        head = np.full(n_steps, -1, dtype=np.int32)
        nxt = np.full(size, -1, dtype=np.int32)
        pool = tuple(np.full(size, 7.0) for _ in range(5))
        pool = (np.full(size, -1, dtype=np.int64), *pool[1:])
        gains_index = np.cumsum(rng.random(600))
        new = roster_kernels.enter_officials(
            first, draws, luck, career, step, initial, constants, bounds, multiplier,
            columns, head, nxt, pool, 3, gains_index, 550,
        )  # fmt: skip
        rank, corrupt, gains_rate, entry_step, exit_step, state_step = (c[first:] for c in columns)
        want_rank = np.minimum(np.searchsorted(bounds, draws[0], "right"), 3)
        assert np.array_equal(rank, want_rank)
        assert np.array_equal(corrupt, draws[1] < 0.3)
        assert np.array_equal(gains_rate, 5000.0 * multiplier[want_rank] * luck)
        months = np.maximum(career * 4.0 * 12.0 / 4.0, 1.0)
        if initial:
            entry = -np.minimum(draws[2] * months, 540).astype(np.int64)
        else:
            entry = np.full(n, step, dtype=np.int64)
        exit_ = np.maximum(entry + months.astype(np.int64), step + 1)
        assert np.array_equal(entry_step, entry) and np.array_equal(exit_step, exit_)
        assert np.all(state_step == step)
        assert np.array_equal(new, ids[draws[1] < 0.3])
        want_head = np.full(n_steps, -1, dtype=np.int32)
        want_next = np.full(size, -1, dtype=np.int32)
        roster_kernels.push_exits(want_head, want_next, ids, exit_)
        assert np.array_equal(head, want_head) and np.array_equal(nxt, want_next)
        k = new.size
        assert np.array_equal(pool[0][3 : 3 + k], new) and np.all(pool[0][3 + k :] == -1)
        assert np.array_equal(pool[1][3 : 3 + k], columns[2][new])
        assert np.array_equal(pool[2][3 : 3 + k], gains_index[550 + columns[3][new]])
        assert np.all(pool[3][3 : 3 + k] == 0.0) and np.all(pool[4][3 : 3 + k] == 0.0)
        assert np.all(pool[1][:3] == 7.0) and np.all(pool[3][3 + k :] == 7.0)
