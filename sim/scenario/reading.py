"""Reading one input file safely: regular files only, size capped, strict YAML, never quoted."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError
from sim.scenario.strict_yaml import MAX_FILE_BYTES, Refused, parse, printable


def read_yaml(path: Path, label: str | Path | None = None) -> Any:
    """Parse one YAML file strictly (:mod:`sim.scenario.strict_yaml`); failures are
    :class:`ScenarioError` naming ``label`` (default: the path) and never quoting the file.

    Only a regular file is opened (a FIFO would block, a device never end); its size is capped.
    """
    label = path if label is None else label
    problem = file_problem(path)
    if problem:
        raise ScenarioError(label, "", problem)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(label, "", "not UTF-8 text") from None
    except OSError as exc:
        raise ScenarioError(label, "", f"cannot be read: {_os_problem(exc)}") from None
    try:
        return parse(text)
    except Refused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise ScenarioError(label, exc.path, where + exc.message) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else "somewhere"
        tag = (exc.problem or "").split()[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
        raise ScenarioError(
            label,
            "",
            f"{where}: YAML tags such as {printable(tag)[:40]} are not allowed (plain data only)",
        ) from None
    except yaml.reader.ReaderError as exc:
        raise ScenarioError(
            label, "", f"character {exc.position + 1}: not valid YAML (a control character)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = _without_content(getattr(exc, "problem", None) or "")
        why = f" ({printable(problem)})" if problem else ""
        raise ScenarioError(label, "", f"{where}: not valid YAML{why}") from None


def _without_content(problem: str) -> str:
    """A YAML problem with quoted text from the file left out (``'...'``): PyYAML quotes short
    tokens (``','``, ``'<stream end>'``, ``'\\t'``), which are kept, but also alias names and
    other text of the file. Unpaired quotes: nothing is kept."""
    parts = problem.split("'")
    if len(parts) % 2 == 0 or '"' in problem:
        return ""
    for i in range(1, len(parts), 2):
        if len(parts[i]) > 4 and not (parts[i].startswith("<") and parts[i].endswith(">")):
            parts[i] = "..."
    return "'".join(parts)


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None: only regular files are opened
    (a FIFO would block, a device never end); the size is capped."""
    try:
        info = path.stat()
    except ValueError:
        return "the file name contains a NUL byte"
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot be read: {_os_problem(exc)}"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, expected a YAML file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, socket or device)"
    if info.st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES:,} bytes; not an input file"
    return None


def absolute(path: Path) -> Path:
    """``path`` resolved (symbolic links followed) when possible, else made absolute."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long, a NUL byte
        return path.absolute()


def _os_problem(exc: OSError) -> str:
    """An OS error without the file name (which the message names already)."""
    return printable(exc.strerror or type(exc).__name__).lower()
