"""The workspace: a `.curator/` folder beside the dataset with one SQLite database (WAL).

It holds the edit journal now; tuning jobs, evaluation runs, the prediction cache and the dedupe cache
add their tables by appending a migration to MIGRATIONS. When the dataset's folder cannot be written
(a read-only share), the workspace lives in the user's data folder instead, keyed by the dataset's path.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs

# Each entry upgrades the schema by one version; append, never edit an entry that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE journal (
        file TEXT NOT NULL,          -- absolute path of the dataset file
        base TEXT NOT NULL,          -- sha256 of the file's bytes the ops apply to
        seq INTEGER NOT NULL,        -- order of the ops
        op TEXT NOT NULL,            -- curator.core.ops.op_to_json
        undone INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (file, seq)
    );
    """,
]


def workspace_dir(dataset_path: str | Path) -> Path:
    """The `.curator/` folder for a dataset (beside it when writable, else in the user data folder)."""
    dataset_path = Path(dataset_path).resolve()
    beside = dataset_path.parent / ".curator"
    if beside.is_dir() and os.access(beside, os.W_OK):
        return beside
    if not beside.exists() and os.access(dataset_path.parent, os.W_OK):
        return beside
    digest = hashlib.sha256(str(dataset_path).encode()).hexdigest()[:16]
    return Path(platformdirs.user_data_dir("curator")) / "workspaces" / f"{dataset_path.name}-{digest}"


class Workspace:
    """The workspace database of one folder. Safe to share between threads (calls are serialised)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.folder / "curator.db", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    @classmethod
    def for_dataset(cls, dataset_path: str | Path) -> Workspace:
        return cls(workspace_dir(dataset_path))

    def _migrate(self) -> None:
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={number}")

    @property
    def schema_version(self) -> int:
        return self.query("PRAGMA user_version")[0][0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run statements atomically (BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def execute(self, sql: str, params: tuple | dict = ()) -> None:
        """One statement, committed at once."""
        with self._lock:
            self._db.execute(sql, params)

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._db.close()
