"""Atomic file replacement: a save either fully happens or leaves the previous file untouched; private folders."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and its missing parents readable by the owner only (0700); existing ones keep their mode."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for level in reversed(missing):
        level.mkdir(mode=0o700, exist_ok=True)


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept while a save is under way."""
    return path.with_name(f".{path.name}.curator-backup")


@contextmanager
def atomic_write(path: str | Path, *, mode: int | None = None, follow_symlinks: bool = True, lock=None,
                 before_replace: Callable[[], None] | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only once everything was written and synced.

    The data goes to a temp file in the same folder, is flushed and fsynced, the previous version is kept
    as a hard-linked backup until the rename succeeded, then ``os.replace`` swaps it in and the folder is
    fsynced. On any error (or a kill) the original file is untouched; a stray temp file is all that remains
    (``remove_interrupted_saves`` clears it). The file keeps the original's permissions; a new one gets
    ``mode`` (default: 0666 less the umask). A symlink is followed (its target is replaced, the link stays)
    unless ``follow_symlinks`` is false. ``before_replace`` runs once the data is synced, just before the
    swap, and may raise to call it off; a held ``lock`` (storage.lock.DatasetLock) moves to the new file.
    """
    path = Path(os.path.realpath(path)) if follow_symlinks else Path(os.path.abspath(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    backup = backup_path(path)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
            if before_replace is not None:
                before_replace()
            if lock is not None:
                lock.prepare_handover(out.fileno())
        if path.is_file() and not path.is_symlink():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
            backup.unlink(missing_ok=True)
            os.link(path, backup)
        else:
            os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        os.replace(tmp, path)
        if lock is not None:
            lock.complete_handover()
        _fsync_dir(path.parent)
        backup.unlink(missing_ok=True)
    except BaseException:
        if lock is not None:
            lock.cancel_handover()
        tmp.unlink(missing_ok=True)
        raise


def remove_interrupted_saves(path: Path) -> int:
    """Remove the temp files and backup link that saves of ``path`` killed half-way left beside it; returns the
    bytes freed. Call it only while holding the file's lock: no save of it can be under way then."""
    temp = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp\Z")
    freed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    for entry in entries:
        if (temp.match(entry.name) or entry.name == backup_path(path).name) and entry.is_file(follow_symlinks=False):
            try:
                size = entry.stat(follow_symlinks=False).st_size
                os.unlink(entry.path)
            except OSError:  # a read-only folder: left for a later open
                continue
            freed += size
    return freed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
