"""One curator process edits a dataset at a time: an OS lock (flock) on the dataset file itself.

The lock belongs to the file (its device and inode), not to a name: opened through a hard link or a symlink,
the same file is the same lock. It is released even when the process dies. An atomic save puts a new file in
place, so the lock is handed over to the new file before it takes the old one's place (``atomic_write(lock=)``).
"""

from __future__ import annotations

import fcntl
import os
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from curator.core.errors import CuratorError
from curator.core.storage.atomic import atomic_write, remove_interrupted_saves


class InUse(CuratorError):
    """Another process holds the dataset's lock."""


class DatasetLock:
    """An exclusive lock on the dataset file at ``path`` (a file that does not exist yet has nothing to lock)."""

    def __init__(self, dataset_path: str | Path) -> None:
        self.dataset_path = Path(dataset_path)
        self._fd: int | None = None
        self._next: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise InUse saying which process holds it."""
        fd = _open_regular(self.dataset_path)
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(os.fstat(fd))
            os.close(fd)
            raise InUse(f"in use by another curator ({holder}); close it there first",
                        self.dataset_path) from None
        self._fd = fd

    def prepare_handover(self, fd: int) -> None:
        """Lock the new file being written (open as ``fd``) before it replaces the locked one."""
        self._next = os.dup(fd)
        fcntl.flock(self._next, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a fresh temp file: nobody else can hold it

    def complete_handover(self) -> None:
        """The new file took the old one's place: its lock is now the lock."""
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._next = self._next, None

    def cancel_handover(self) -> None:
        if self._next is not None:
            os.close(self._next)
            self._next = None

    def release(self) -> None:
        self.cancel_handover()
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor of the open file releases its flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


@contextmanager
def write_dataset(path: str | Path, **options) -> Iterator[BinaryIO]:
    """``atomic_write`` for a dataset file that a curator may have open: refused (InUse) while one does.

    The lock is held while writing and handed to the new file; temp files that an interrupted save left
    beside the file are removed first. ``options`` go to ``atomic_write``.
    """
    lock = DatasetLock(os.path.realpath(path))
    lock.acquire()
    try:
        if lock.held:
            remove_interrupted_saves(lock.dataset_path)
        with atomic_write(path, lock=lock, **options) as out:
            yield out
    finally:
        lock.release()


def _open_regular(path: Path) -> int | None:
    """A descriptor of the regular file at ``path`` (never blocking, e.g. on a FIFO), or None if there is none."""
    flags = os.O_NONBLOCK | os.O_CLOEXEC
    try:
        # Read-write where allowed: NFS only grants exclusive locks to files open for writing.
        fd = os.open(path, flags | (os.O_RDWR if os.access(path, os.W_OK) else os.O_RDONLY))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as exc:
        raise CuratorError(f"cannot open: {exc.strerror}", path) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def _holder(st: os.stat_result) -> str:
    """Who holds the flock of the file ``st`` describes, from /proc/locks where there is one (Linux)."""
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks") as f:
            held = [line.split() for line in f if " FLOCK " in line and " -> " not in line]
    except OSError:
        held = []
    for same in (lambda where: where == inode, lambda where: where.endswith(f":{st.st_ino}")):
        pids = [fields[4] for fields in held if len(fields) > 5 and same(fields[5])]
        if pids:
            return f"pid {pids[0]} on {socket.gethostname()}"
    return "another process"
