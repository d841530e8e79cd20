"""Writing files and folders without ever losing one: the one atomic writer, folder ownership,
output checks and folder locks.

- :func:`write_atomic` writes a file through a temporary beside it and ``os.replace``;
  :func:`atomic_folder` builds a folder under a temporary name beside it and renames it into
  place (or, with ``merge``, moves its items into an existing folder). A reader never sees a
  half-written file, and an interrupted command leaves the previous version intact.
- Every temporary is named ``.<name>.tmp-<pid>@<host>-<random>`` (a folder moved aside while it
  is replaced: ``.<name>.old-<pid>@<host>``), so :func:`clean_stale_temporaries` can remove the
  leftovers of a killed command, and only those: its own naming, its own host, a dead owner.
- Ownership: a command replaces only a folder that flightsim wrote, recognised by the
  ``"flightsim": <kind>`` field of its ``manifest.json`` (:func:`folder_kind`);
  :func:`check_out_folder` refuses anything else, and an output folder that cannot be written,
  before any work starts.
- :class:`FolderLock`: one driver per folder (a lock file holding the owner's pid and host,
  created with ``O_CREAT | O_EXCL``; a dead owner's lock on this host is taken over).

The bottom layer beside :mod:`sim.errors`: imports nothing else from :mod:`sim`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

from sim.errors import InputError

MANIFEST = "manifest.json"
MARKER = "flightsim"
"""Key of ``manifest.json`` naming the kind of folder flightsim wrote (run, compare, ...)."""

REPLACEABLE = ("run", "compare")
"""Kinds of folder a command may replace whole; sweeps and calibrations are resumed in place."""

LOCK_NAME = ".flightsim.lock"


class FolderRefused(InputError):
    """An output folder a command may not write (not its own, not writable, locked)."""


def _host() -> str:
    return socket.gethostname().replace("/", "_") or "localhost"


def _tag() -> str:
    """``<pid>@<host>``: the owner part of every temporary's name."""
    return f"{os.getpid()}@{_host()}"


def _umask_mode(mode: int) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


# --------------------------------------------------------------------------------- the writer
def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` through a temporary file and ``os.replace``.

    The temporary sits in the same folder (same file system, so the rename is atomic) and is
    flushed to disk first; the file gets the usual permissions (not ``mkstemp``'s 0600). On any
    error the temporary is removed and ``path`` is left as it was.

    Returns:
        ``path``.
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-{_tag()}-", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode(0o666))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextmanager
def atomic_folder(destination: str | Path, merge: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder; on success put its contents at ``destination``.

    Without ``merge`` the temporary replaces ``destination`` whole (renamed aside, swapped in,
    the old copy removed). An existing ``destination`` is replaced only when it is a folder that
    flightsim wrote (:data:`REPLACEABLE` kinds), checked again at the moment of the swap.
    With ``merge`` each top-level item of the temporary replaces the item of that name in the
    existing ``destination`` and everything else there is kept (a calibration's outputs beside
    its history database); the caller decides whether it may write there.
    On any error (or Ctrl-C) the temporary is removed and ``destination`` is untouched.

    Raises:
        FolderRefused: ``destination`` exists and is not a folder flightsim may replace.
    """
    destination = Path(os.path.abspath(destination))
    parent = destination.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{destination.name}.tmp-{_tag()}-", dir=parent))
    os.chmod(tmp, _umask_mode(0o777))
    try:
        yield tmp
        if merge:
            destination.mkdir(parents=True, exist_ok=True)
            for item in sorted(tmp.iterdir()):
                _swap_in(item, destination / item.name)
        else:
            if _occupied(destination) and folder_kind(destination) not in REPLACEABLE:
                raise FolderRefused(f"{destination}: {_not_ours(destination)}")
            _swap_in(tmp, destination)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _occupied(folder: Path) -> bool:
    """Whether ``folder`` exists as anything but an empty folder."""
    if not folder.exists() and not folder.is_symlink():
        return False
    return not folder.is_dir() or any(folder.iterdir())


def _swap_in(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``; a folder already there is moved aside, then removed."""
    if not target.is_dir() or target.is_symlink():
        os.replace(source, target)
        return
    old = target.parent / f".{target.name}.old-{_tag()}"
    os.replace(target, old)
    try:
        os.replace(source, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------- leftovers of a kill
_TEMPORARY = re.compile(r"^\.(?P<name>.*)\.(?P<what>tmp|old)-(?P<pid>\d+)@(?P<rest>.+)$")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


def clean_stale_temporaries(folder: str | Path) -> list[str]:
    """Remove the temporaries a killed flightsim command left in ``folder``; return notes.

    Only names of :func:`write_atomic` / :func:`atomic_folder`'s own pattern are looked at, and
    only those made on this host by a process that no longer exists. A folder moved aside
    (``.<name>.old-...``) whose destination is missing was the previous version of a folder
    being replaced when the command died: it is renamed back, not deleted.
    """
    folder = Path(folder)
    notes: list[str] = []
    if not folder.is_dir():
        return notes
    host = _host()
    for entry in sorted(folder.iterdir()):
        match = _TEMPORARY.match(entry.name)
        if match is None:
            continue
        rest = match["rest"]
        owner_host = rest if match["what"] == "old" else rest.rsplit("-", 1)[0]
        if owner_host != host or pid_alive(int(match["pid"])):
            continue
        target = folder / match["name"]
        if match["what"] == "old" and not target.exists():
            os.replace(entry, target)
            notes.append(f"restored {target} (its replacement was interrupted)")
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            notes.append(f"removed {entry} (left by a killed flightsim)")
        else:
            entry.unlink(missing_ok=True)
            notes.append(f"removed {entry} (left by a killed flightsim)")
    return notes


# ----------------------------------------------------------------------------- ownership
def folder_kind(folder: str | Path) -> str | None:
    """The kind flightsim marked ``folder`` with (its manifest's ``flightsim`` field), or None."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = data.get(MARKER) if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None


def marker(kind: str) -> dict[str, str]:
    """The manifest field that marks a folder as written by flightsim (``{"flightsim": kind}``)."""
    return {MARKER: kind}


def _not_ours(folder: Path) -> str:
    kind = folder_kind(folder)
    if kind is not None:
        return f"holds a flightsim {kind} folder, which this command does not replace"
    return "holds files flightsim did not write (no flightsim manifest.json); left untouched"


def check_writable(path: str | Path, shown: str | None = None) -> None:
    """Refuse a path that cannot be created or written, before any work starts.

    Finds the nearest existing folder on the way to ``path`` and creates and removes a probe
    file there (a read-only folder, a missing permission, a path under a regular file).

    Raises:
        FolderRefused: with the path as the user wrote it (``shown``).
    """
    shown = shown or str(path)
    probe_dir = Path(os.path.abspath(path))
    while not probe_dir.exists():
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        raise FolderRefused(f"{shown}: cannot be a folder: {probe_dir} is a file")
    try:
        fd, name = tempfile.mkstemp(prefix=".flightsim-probe-", dir=probe_dir)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise FolderRefused(f"{shown}: cannot write in {probe_dir} ({exc.strerror})") from None


def _check_location(path: Path) -> Path:
    """Refuse an existing file, the current folder or one containing it; the absolute path."""
    if path.exists() and not path.is_dir():
        raise FolderRefused(f"{path}: --out: exists and is not a folder")
    absolute = Path(os.path.abspath(path))
    cwd = Path(os.path.abspath(os.getcwd()))
    if absolute == cwd or absolute in cwd.parents:
        raise FolderRefused(
            f"{path}: --out: is the current folder or contains it; name a new folder"
        )
    return absolute


def check_place(out: str | Path) -> Path:
    """Check where a command will write a folder, before any work starts.

    Refused: an existing file, the current folder or a folder containing it, a place that
    cannot be written (:func:`check_writable`). Leftovers of a killed flightsim beside the
    folder are cleaned (:func:`clean_stale_temporaries`, notes on standard error).

    Returns:
        ``out`` as a path, as written.

    Raises:
        FolderRefused: one line, naming the folder as written.
    """
    shown = str(out)
    path = Path(out)
    absolute = _check_location(path)
    check_writable(path, shown)
    for note in clean_stale_temporaries(absolute.parent):
        print(f"flightsim: note: {note}", file=sys.stderr)
    return path


def check_out_folder(out: str | Path, kind: str, force: bool = False) -> Path:
    """Check an output folder a command will replace whole: before any work, touching nothing.

    Allowed: a folder that does not exist yet, an empty folder, or (with ``force``) a folder
    flightsim wrote as ``kind``. Refused: a folder of someone else's files, a flightsim folder
    of another kind, one of this kind without ``force``, and whatever :func:`check_place`
    refuses; returns and raises as :func:`check_place` does.
    """
    shown = str(out)
    path = Path(out)
    _check_location(path)
    if path.is_dir() and any(path.iterdir()):
        held = folder_kind(path)
        if held is None:
            raise FolderRefused(f"{shown}: --out: {_not_ours(path)}; choose another --out")
        if held != kind:
            raise FolderRefused(
                f"{shown}: --out: holds a flightsim {held} folder, not a {kind} folder; "
                "choose another --out"
            )
        if not force:
            raise FolderRefused(
                f"{shown}: --out: holds an earlier flightsim {kind}; pass --force to replace "
                "it, or choose another --out"
            )
    return check_place(path)


# ---------------------------------------------------------------------------------- locks
class FolderLock:
    """An exclusive lock on a folder: ``<folder>/.flightsim.lock`` holding owner pid and host.

    Acquired with ``O_CREAT | O_EXCL`` (one creator wins); released by deleting the file. A
    lock whose owner is a dead process on this host is taken over, with a note on standard
    error; a lock held by a live process, or by another host (whose processes cannot be
    checked from here), is refused. The folder is created if needed and, if it is still empty
    when the lock is released, removed again.
    """

    def __init__(self, folder: str | Path, shown: str | None = None) -> None:
        self.folder = Path(folder)
        self.shown = shown or str(folder)
        self.path = self.folder / LOCK_NAME
        self.created_folder = False
        self.held = False

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`FolderRefused`."""
        if not self.folder.exists():
            self.folder.mkdir(parents=True)
            self.created_folder = True
        mine = json.dumps({"pid": os.getpid(), "host": _host()}).encode("utf-8")
        for _attempt in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_if_stale()
                continue
            with os.fdopen(fd, "wb") as fh:
                fh.write(mine)
            self.held = True
            return
        raise FolderRefused(f"{self.shown}: cannot lock the folder ({self.path} keeps changing)")

    def _take_over_if_stale(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return  # released meanwhile: try again
        try:
            owner = json.loads(text)
            pid, host = int(owner["pid"]), str(owner["host"])
        except (ValueError, KeyError, TypeError):
            raise FolderRefused(
                f"{self.shown}: in use ({self.path} is not a flightsim lock); if no flightsim "
                "is writing there, delete that file"
            ) from None
        if host != _host():
            raise FolderRefused(
                f"{self.shown}: in use by process {pid} on {host}; if it is gone, delete "
                f"{self.path}"
            )
        if pid_alive(pid):
            raise FolderRefused(
                f"{self.shown}: in use by another flightsim (process {pid}); wait for it to "
                "finish or choose another --out"
            )
        try:
            if self.path.read_text(encoding="utf-8") == text:
                self.path.unlink()
        except FileNotFoundError:
            return
        print(
            f"flightsim: note: {self.shown}: took over the lock of process {pid}, which is gone",
            file=sys.stderr,
        )

    def release(self) -> None:
        """Delete the lock file (and the folder, if this lock created it and it is empty)."""
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False
        if self.created_folder:
            with suppress(OSError):  # not empty: the command wrote into it
                self.folder.rmdir()
