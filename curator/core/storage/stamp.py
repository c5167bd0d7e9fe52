"""What a dataset file was when it was read, to tell before a save whether something else changed it since."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from curator.core.errors import CuratorError


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes (read 16 MB at a time: each block hashes without the interpreter lock, and
    fewer blocks wait less for it when the app's other threads are busy)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def _detail(st: os.stat_result, size_before: int) -> str:
    """When a file was modified and its size (before → now when it changed), for people."""
    when = dt.datetime.fromtimestamp(st.st_mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")
    size = f"{size_before:,} → {st.st_size:,} bytes" if st.st_size != size_before else f"{st.st_size:,} bytes"
    return f"modified {when}, {size}"


class ChangedOnDisk(CuratorError):
    """The file changed on disk since it was read; saving would overwrite that change."""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.detail = detail  # when, and how big it is now
        super().__init__(f"changed on disk since it was read ({detail}); saving would overwrite that change", path)


@dataclass(frozen=True)
class FileStamp:
    """A file's identity, size and modification time (cheap to compare) and the digest of its bytes."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    digest: str | None  # None: known by its stat only (a read-only session, which never saves)

    @classmethod
    def of(cls, path: str | Path, *, digest: bool = True) -> FileStamp:
        st = os.stat(path)
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, file_digest(path) if digest else None)

    def same_stat(self, st: os.stat_result) -> bool:
        return (self.device, self.inode, self.size, self.mtime_ns) == (st.st_dev, st.st_ino, st.st_size,
                                                                       st.st_mtime_ns)

    def check_unchanged(self, path: str | Path) -> None:
        """Raise ChangedOnDisk when the file at ``path`` no longer holds the bytes this stamp saw.

        Same identity, size and time: unchanged (as vim judges); otherwise the digest decides, so that a
        file only touched, or rewritten with the same bytes, is not a change. A file gone is no conflict.
        """
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        if self.same_stat(st) or (st.st_size == self.size and file_digest(path) == self.digest):
            return
        raise ChangedOnDisk(path, _detail(st, self.size))


DELETED = "deleted or moved away"  # what DiskWatch.poll says of a file that is no longer there


class DiskWatch:
    """Polled on a timer: whether the file changed on disk since ``stamp``, said once per change. A poll is one
    ``stat``; the bytes are hashed only when the stat moved but not the size (a touch is no change)."""

    def __init__(self, stamp: FileStamp) -> None:
        self.stamp = stamp
        self._seen: tuple = (stamp.device, stamp.inode, stamp.size, stamp.mtime_ns)

    def poll(self, path: str | Path) -> str | None:
        """What changed since the last poll (``modified …, sizes`` or ``deleted or moved away``), else None."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            seen, self._seen = self._seen, ("gone",)
            return None if seen == ("gone",) else DELETED
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key == self._seen:
            return None
        self._seen = key
        if self.stamp.digest is None:  # known by its stat only: any move is a change
            return None if self.stamp.same_stat(st) else _detail(st, self.stamp.size)
        try:
            self.stamp.check_unchanged(path)
        except ChangedOnDisk as e:
            return e.detail
        return None
