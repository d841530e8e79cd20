"""Numba's on-disk cache of compiled kernels: where it goes, and the njit every kernel uses.

Every kernel is compiled once with ``cache=True``: numba writes the machine code to
``NUMBA_CACHE_DIR`` when set, else next to the kernel's source file (``sim/core/__pycache__``),
else to its user cache directory (``~/.cache/numba``), so a second process and every Dask worker
start warm. When none of these is writable (an installed package and no home directory, say),
:func:`cache_dir_fallback` points numba at a directory under the system's temporary folder
instead of letting the import fail.

numba picks a function's cache directory when ``@njit(cache=True)`` decorates it, so the
fallback must be in place before the first decoration. It runs when this module is imported,
and every kernel module takes its ``njit`` from here (``from sim.core.numba_cache import njit``),
so no kernel can be decorated before it.

Kernels do integer work, comparisons, gathers and scatters, and the plain arithmetic of the rules
in the same order as the numpy code; transcendental functions (``exp``, ``log``, ``pow``) stay in
numpy, whose SIMD versions need not round like the C library that compiled code calls.
"""

from __future__ import annotations

import os
import tempfile

import numba
from numba import njit
from numba.misc.appdirs import AppDirs

__all__ = ["cache_dir_fallback", "njit"]


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
