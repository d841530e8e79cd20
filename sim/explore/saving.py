"""Saving the page's scenario: to a file, never overwriting one, or as a browser download."""

from __future__ import annotations

import base64
import html
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


def download_link(text: str, filename: str) -> str:
    """An HTML link (``id="download-yaml"``) that makes the browser save ``text`` as ``filename``.

    The YAML travels in the link's ``data:`` address (base64), so the download needs no server
    round trip and holds exactly what :func:`save_yaml` would write.
    """
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    name = html.escape(filename, quote=True)
    return (
        f'<a id="download-yaml" download="{name}" '
        f'href="data:application/x-yaml;charset=utf-8;base64,{data}">Download YAML</a>'
    )
