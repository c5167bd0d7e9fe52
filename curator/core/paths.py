"""Paths as the file system sees them, with a clear error where Python's own would be a traceback."""

from __future__ import annotations

from pathlib import Path

from curator.core.errors import CuratorError


def real_path(path: str | Path) -> Path:
    """The absolute path with every symbolic link followed; a CuratorError for a link loop (Python 3.11 raises
    RuntimeError there, 3.13 OSError)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        raise CuratorError("symbolic link loop: the link leads back to itself", path) from None
