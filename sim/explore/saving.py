"""Saving the page's scenario to a file, without ever overwriting one."""

from __future__ import annotations

from pathlib import Path

from sim.errors import InputError
from sim.files import write_atomic


def save_yaml(path: Path, text: str) -> str:
    """Write ``text`` to a new ``.yaml`` file and say where; an existing file is left alone.

    Raises:
        InputError: no path, not ``.yaml``/``.yml``, the file exists, or its folder does not.
    """
    if not str(path).strip() or path.name == "":
        raise InputError("save YAML to path: give a file name ending in .yaml")
    if path.suffix not in (".yaml", ".yml"):
        raise InputError(f"{path}: save YAML to path: expected a name ending in .yaml")
    if path.exists():
        raise InputError(f"{path}: save YAML to path: the file exists; choose another name")
    if not path.parent.is_dir():
        raise InputError(f"{path}: save YAML to path: folder {path.parent} does not exist")
    write_atomic(path, text)
    return f"saved {path}"
