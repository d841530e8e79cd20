"""Fugitives-abroad kernels (:mod:`sim.core.abroad_kernels`) against the numpy code, exactly."""

import numpy as np

from sim.core import abroad_kernels, roster_kernels


def test_stock_abroad_matches_the_numpy_count():
    rng = np.random.default_rng(26)
    for n in (0, 1, 500):
        state = rng.integers(0, 9, 3 * n + 1).astype(np.int8)
        destination = rng.integers(0, 74, 3 * n + 1).astype(np.int16)
        ids = rng.choice(3 * n + 1, n, replace=False).astype(np.int64)
        treaty = (rng.random(74) < 0.4).astype(float)
        stock, treaty_free = abroad_kernels.stock_abroad(ids, state, 2, destination, treaty)
        expected = np.bincount(destination[ids[state[ids] == 2]], minlength=74)
        assert np.array_equal(stock, expected)
        assert treaty_free == np.sum(expected * (treaty == 0))


def test_arrive_abroad_matches_the_numpy_bookkeeping():
    rng = np.random.default_rng(31)
    size, n_c = 5000, 74
    state = rng.integers(0, 9, size).astype(np.int8)
    columns = (
        state,
        np.zeros(size, dtype=np.int32),
        np.full(size, -1, dtype=np.int16),
        np.full(size, -1, dtype=np.int32),
        rng.lognormal(10.0, 2.0, size),
        np.zeros(size),
    )
    counts = np.bincount(state, minlength=9).astype(np.int64)
    expected = [c.copy() for c in columns]
    want_counts = counts.copy()
    fled_to = rng.integers(0, 5, n_c)
    want_fled_to = fled_to.copy()
    ids = rng.choice(size, 700, replace=False).astype(np.int64)
    where = rng.integers(0, n_c, ids.size)
    taken = abroad_kernels.arrive_abroad(ids, where, 9, 0.4, columns, counts, 2, fled_to)
    how = np.zeros(size, np.int8)
    roster_kernels.move_state(expected[0], expected[1], how, want_counts, ids, 2, 9, -1)
    expected[2][ids], expected[3][ids] = where, 9
    want_taken = 0.4 * expected[4][ids]
    expected[5][ids] = want_taken
    want_fled_to += np.bincount(where, minlength=n_c)
    assert np.array_equal(taken, want_taken)
    assert np.array_equal(counts, want_counts) and np.array_equal(fled_to, want_fled_to)
    for got, want in zip(columns, expected, strict=True):
        assert np.array_equal(got, want)
