"""The playground's core: the history of tried inputs kept in the workspace (model references are in
``curator.core.models``)."""

from __future__ import annotations

import time
from pathlib import Path

from curator.core.storage.workspace import Workspace

HISTORY_LIMIT = 500


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def remember_input(workspace: Workspace, dataset_path: str | Path, text: str) -> None:
    """Add a tried input to the history (not twice in a row), keeping the newest ``HISTORY_LIMIT``."""
    if not text.strip():
        return
    key = _key(dataset_path)
    last = workspace.query("SELECT input FROM playground_history WHERE file = ? ORDER BY seq DESC LIMIT 1", (key,))
    if last and last[0][0] == text:
        return
    with workspace.transaction() as db:
        db.execute("INSERT INTO playground_history (file, input, created) VALUES (?, ?, ?)", (key, text, time.time()))
        db.execute("DELETE FROM playground_history WHERE file = ? AND seq NOT IN (SELECT seq FROM playground_history "
                   "WHERE file = ? ORDER BY seq DESC LIMIT ?)", (key, key, HISTORY_LIMIT))


def input_history(workspace: Workspace, dataset_path: str | Path) -> list[str]:
    """Tried inputs, oldest first."""
    rows = workspace.query("SELECT input FROM playground_history WHERE file = ? ORDER BY seq", (_key(dataset_path),))
    return [r[0] for r in rows]
