"""The edit journal: every op is written to the workspace as it happens, so a crash loses nothing.

Entries are keyed by the dataset file and the digest of the bytes they apply to. A save starts a new
base. Entries whose base no longer matches the file (it changed outside curator) are never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curator.core.ops import Op, op_from_json, op_to_json
from curator.core.storage.workspace import Workspace


@dataclass(frozen=True)
class Pending:
    """Journalled ops found at open: ``ops`` to replay, or ``stale`` when the file changed since."""

    ops: list[Op]
    stale: bool

    @property
    def labels(self) -> list[str]:
        return [op.label for op in self.ops]


class Journal:
    """History listener that persists each step for one dataset file."""

    def __init__(self, workspace: Workspace, file: str | Path, base: str) -> None:
        self.workspace = workspace
        self.file = str(Path(file).resolve())
        self.base = base

    def pending(self) -> Pending | None:
        """What a previous session left unsaved for this file, if anything."""
        rows = self.workspace.query(
            "SELECT base, op FROM journal WHERE file = ? AND undone = 0 ORDER BY seq", (self.file,)
        )
        if not rows:
            return None
        stale = any(base != self.base for base, _ in rows)
        return Pending([op_from_json(op) for _, op in rows], stale)

    def reset(self, base: str | None = None) -> None:
        """Forget every entry for the file (after a save or a discarded recovery); ``base`` starts anew."""
        self.workspace.execute("DELETE FROM journal WHERE file = ?", (self.file,))
        if base is not None:
            self.base = base

    # -- HistoryListener -------------------------------------------------------------------------

    def applied(self, op: Op) -> None:
        with self.workspace.transaction() as db:
            db.execute("DELETE FROM journal WHERE file = ? AND undone = 1", (self.file,))
            db.execute(
                "INSERT INTO journal (file, base, seq, op) VALUES "
                "(?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM journal WHERE file = ?), ?)",
                (self.file, self.base, self.file, op_to_json(op)),
            )

    def undone(self) -> None:
        self.workspace.execute(
            "UPDATE journal SET undone = 1 WHERE file = ? AND seq = "
            "(SELECT MAX(seq) FROM journal WHERE file = ? AND undone = 0)",
            (self.file, self.file),
        )

    def redone(self) -> None:
        self.workspace.execute(
            "UPDATE journal SET undone = 0 WHERE file = ? AND seq = "
            "(SELECT MIN(seq) FROM journal WHERE file = ? AND undone = 1)",
            (self.file, self.file),
        )
