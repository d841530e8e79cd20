"""Compiled kernels against the numpy code they replace, on random inputs, exactly."""

import numpy as np

from sim.core import kernels


def test_retirement_calendar_finds_exactly_the_scan():
    rng = np.random.default_rng(5)
    n_steps, n = 60, 5000
    head = np.full(n_steps, -1, dtype=np.int32)
    nxt = np.full(n, -1, dtype=np.int32)
    exits = rng.integers(1, 2 * n_steps, n)  # some exit after the run and are never filed
    state = np.zeros(n, dtype=np.int8)
    for start in range(0, n, 700):  # filed in batches, as officials enter
        ids = np.arange(start, min(start + 700, n), dtype=np.int64)
        kernels.push_exits(head, nxt, ids, exits[ids])
    for step in range(n_steps):
        state[rng.integers(0, n, 40)] = rng.integers(1, 9)  # some left office another way
        expected = np.flatnonzero((exits == step) & (state == 0))
        got = kernels.pop_exits(head, nxt, state, 0, step)
        assert np.array_equal(got, expected)
        state[got] = 8
    assert kernels.pop_exits(head, nxt, state, 0, n_steps).size == 0
