"""Counter-based draw kernels (:mod:`sim.core.draw_kernels`) against the streams' draws, exactly."""

import numpy as np

from sim.core import draw_kernels
from sim.core.rng import Streams


def test_uniform_rows_are_the_streams_draws():
    streams = Streams(seed=9, replicate=2)
    ids = np.array([0, 5, 7, 1_000_003], dtype=np.int64)
    keys = [("population", 0, 3), ("exposure", 0, 0), ("return", 17, 1)]
    salts = np.array([streams[name].salt(t, k) for name, t, k in keys], dtype=np.uint64)
    rows = draw_kernels.uniform_rows(ids, salts)
    for r, (name, t, k) in enumerate(keys):
        assert np.array_equal(rows[r], streams[name].uniform(ids, t, k))


def test_uniform_bands_split_as_the_masks():
    streams = Streams(seed=4, replicate=0)
    rng = np.random.default_rng(30)
    for n, low, high in ((0, 0.2, 0.5), (1, 0.5, 0.5), (3000, 0.1, 0.35), (3000, 0.3, 0.3)):
        ids = rng.choice(50_000, n, replace=False).astype(np.int64)
        u = streams["investigation"].uniform(ids, 12)
        below, between = draw_kernels.uniform_bands(
            ids, streams["investigation"].salt(12), low, high
        )
        assert np.array_equal(below, ids[u < low])
        assert np.array_equal(between, ids[(u >= low) & (u < high)])
