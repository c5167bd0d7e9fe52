"""Recently opened files, kept in the user's data folder (paths only; never any content or secret)."""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs

from curator.core.storage.atomic import atomic_write

LIMIT = 12


def recent_path() -> Path:
    return Path(platformdirs.user_data_dir("curator")) / "recent.json"


def recent_files() -> list[Path]:
    """Files opened before, newest first, that still exist."""
    try:
        entries = json.loads(recent_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in entries if isinstance(p, str) and Path(p).is_file()]


def remember(path: str | Path) -> None:
    """Put ``path`` first in the recent list (best effort: an unwritable data folder is ignored)."""
    path = str(Path(path).resolve())
    entries = [str(p) for p in recent_files() if str(p) != path]
    target = recent_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as out:
            out.write(json.dumps([path, *entries][:LIMIT], indent=1).encode())
    except OSError:
        pass
