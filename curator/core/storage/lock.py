"""One curator process edits a dataset at a time: an OS file lock, released even when a process dies."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from curator.core.errors import CuratorError


class DatasetLock:
    """An exclusive lock on a dataset, held in the workspace folder (``locks/NAME.lock``)."""

    def __init__(self, workspace_folder: Path, dataset_path: str | Path) -> None:
        self.dataset_path = Path(dataset_path)
        folder = Path(workspace_folder) / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{self.dataset_path.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise a CuratorError saying which process holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._describe_holder(fd)
            os.close(fd)
            raise CuratorError(
                f"in use by another curator ({holder}); close it there first, or open read-only", self.dataset_path
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    @staticmethod
    def _describe_holder(fd: int) -> str:
        try:
            info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            return f"pid {info['pid']} on {info['host']} since {info['since']}"
        except (ValueError, KeyError, OSError):
            return "another process"

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
