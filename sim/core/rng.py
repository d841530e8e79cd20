"""Randomness: one root seed, named streams derived from keys, counter-based draws per agent.

Every draw in a run descends from the integers ``(seed, replicate, stream name)``. A stream's
key is ``SeedSequence([seed, replicate, crc32(name)])`` (never ``hash()``, which is salted per
process), so any worker rebuilds any run from integers and results do not depend on scheduling
or worker count.

Draws that concern one official are *counter-based*: the uniform used by official ``i`` in month
``t`` for stream ``s`` is a hash of ``(key_s, i, t, k)`` (SplitMix64 finaliser, Steele et al.
2014). It does not depend on which other officials happen to be active, so two scenarios run with
the same seed share every draw that their policies do not touch: common random numbers in the
strong sense used by Starsim (Kerr et al. 2024, "slot-based" CRN), without drawing for every
slot every month.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.core import draw_kernels


def stream_id(name: str) -> int:
    """Stable 32-bit id of a stream name (CRC-32, identical on every platform and process)."""
    return zlib.crc32(name.encode("utf-8"))


def to_normal(u: np.ndarray) -> np.ndarray:
    """Standard normals from uniforms by inversion, kept away from 0 and 1 (see ``normal``)."""
    return ndtri(np.clip(u, 1e-16, 1.0 - 1e-16))


@dataclass(frozen=True)
class Stream:
    """One named stream: a 64-bit key plus counter-based draws indexed by (id, month, k)."""

    name: str
    key: int

    def uniform(self, ids: np.ndarray | int, month: int, k: int = 0) -> np.ndarray:
        """Uniform draws in [0, 1) for each id at ``month``; ``k`` separates several draws.

        Args:
            ids: agent ids (non-negative integers), any shape.
            month: the step (months since the run's start, or any integer clock).
            k: index of the draw when one decision needs several numbers.

        Returns:
            float64 array of the shape of ``ids``.
        """
        salt = draw_kernels.salt(self.key, month, k)
        if type(ids) is np.ndarray and ids.ndim == 1 and ids.dtype == np.int64:
            return draw_kernels.uniform_ids(
                ids, salt
            )  # the common case, without copies or reshapes
        ids = np.asarray(ids, dtype=np.int64)
        return draw_kernels.uniform_ids(ids.ravel(), salt).reshape(ids.shape)

    def salt(self, month: int, k: int = 0) -> np.uint64:
        """This stream's hash input common to all ids at ``(month, k)``, for compiled kernels."""
        return draw_kernels.salt(self.key, month, k)

    def normal(self, ids: np.ndarray | int, month: int, k: int = 0) -> np.ndarray:
        """Standard normal draws by inversion of :meth:`uniform` (kept away from 0 and 1)."""
        return to_normal(self.uniform(ids, month, k))

    def generator(self, *extra: int) -> np.random.Generator:
        """A numpy Generator keyed by this stream and optional extra integers (e.g. a month)."""
        return np.random.default_rng([self.key & 0xFFFFFFFF, self.key >> 32, *extra])


class Streams:
    """The named streams of one run, derived from ``(seed, replicate)``.

    Example:
        >>> s = Streams(seed=7, replicate=0)
        >>> u = s["flight"].uniform(np.arange(3), month=10)
    """

    def __init__(self, seed: int, replicate: int) -> None:
        if seed < 0 or replicate < 0:
            raise ValueError("seed and replicate must be non-negative integers")
        self.seed = int(seed)
        self.replicate = int(replicate)
        self._cache: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        stream = self._cache.get(name)
        if stream is None:
            seq = np.random.SeedSequence([self.seed, self.replicate, stream_id(name)])
            key = int(seq.generate_state(1, dtype=np.uint64)[0])
            stream = Stream(name=name, key=key)
            self._cache[name] = stream
        return stream
