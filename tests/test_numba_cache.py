"""Numba's cache directory: the fallback, and every kernel module decorated after it."""

import ast
from pathlib import Path

import sim.core
from sim.core import numba_cache


def test_cache_dir_falls_back_only_when_numba_has_nowhere_to_write(tmp_path):
    fallback = str(tmp_path / "fallback")
    blocked = "/dev/null/cache"  # under a file: never creatable, not even by root
    assert numba_cache.cache_dir_fallback(blocked, blocked, fallback) == fallback
    assert numba_cache.cache_dir_fallback(str(tmp_path / "tree"), blocked, fallback) is None
    assert numba_cache.cache_dir_fallback(blocked, str(tmp_path / "user"), fallback) is None


def test_every_kernel_module_takes_its_njit_from_numba_cache():
    """The fallback must be set before the first ``@njit(cache=True)``: numba picks a function's
    cache directory when it decorates it, so every module that decorates takes njit from
    :mod:`sim.core.numba_cache`, whose import sets the fallback first."""
    decorating = []
    for path in sorted(Path(sim.core.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text())
        calls = [
            d
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for d in node.decorator_list
            if isinstance(d, ast.Call) and getattr(d.func, "id", None) == "njit"
        ]
        if not calls:
            continue
        decorating.append(path.name)
        sources = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and any(a.name == "njit" for a in node.names)
        }
        assert sources == {"sim.core.numba_cache"}, path
        assert "import numba\n" not in path.read_text(), path
    assert len(decorating) >= 5
