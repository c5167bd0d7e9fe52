"""The workspace: a `.curator/` folder beside the dataset with one SQLite database (WAL).

Created readable by the owner only (folder 0700, database 0600): it holds prompts, outputs and edits.
It holds the edit journal now; tuning jobs, evaluation runs, the prediction cache and the dedupe cache
add their tables by appending a migration to MIGRATIONS. When the dataset's folder cannot be written
(a read-only share), the workspace lives in the user's data folder instead, keyed by the dataset's path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs

from curator.core.storage.atomic import make_private_folder

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
    # tuning jobs (curator.core.tuning) and the models the local backend tuned (curator.core.backends.local)
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY,         -- the backend's job id (Vertex: the tuningJobs resource name)
        backend TEXT NOT NULL,       -- registry name: local, vertex, gemini-api
        display_name TEXT,
        base_model TEXT NOT NULL,
        dataset TEXT,                -- absolute path of the dataset file
        dataset_version TEXT,        -- Dataset.version_hash() at launch
        hyperparameters TEXT NOT NULL, -- JSON of Hyperparameters
        created REAL NOT NULL,       -- unix seconds
        updated REAL NOT NULL,
        state TEXT NOT NULL,         -- JobState value
        status TEXT NOT NULL,        -- JSON of the last JobStatus
        runner TEXT                  -- "host pid" of the process running an in-process (local) job
    );
    CREATE INDEX jobs_created ON jobs (created);
    CREATE TABLE local_models (
        name TEXT PRIMARY KEY,       -- what generate takes, e.g. local-model-1a2b3c4d
        job_id TEXT NOT NULL,
        display_name TEXT,
        kind TEXT NOT NULL,          -- labels or nearest
        file TEXT NOT NULL,          -- joblib file, relative to the workspace folder
        created REAL NOT NULL,
        summary TEXT NOT NULL        -- JSON of the job's final JobStatus
    );
    """,
    # near-duplicate / leakage scans cached per dataset version, and pairs users marked "not a duplicate"
    """
    CREATE TABLE scan_cache (
        key TEXT PRIMARY KEY,        -- curator.core.dedupe.cache_key: kind, dataset version, parameters
        kind TEXT NOT NULL,          -- dedupe or leakage
        data TEXT NOT NULL,          -- JSON of the scan
        created REAL NOT NULL
    );
    CREATE TABLE not_duplicates (
        pair TEXT PRIMARY KEY,       -- curator.core.dedupe.store.pair_key of the two compared texts
        created REAL NOT NULL
    );
    """,
    # settings chosen in the app for one dataset (moved to the dataset's settings file by a later migration)
    """
    CREATE TABLE dataset_settings (
        file TEXT NOT NULL,          -- absolute path of the dataset file
        key TEXT NOT NULL,           -- a curator.core.settings.Settings field
        value TEXT NOT NULL,         -- JSON
        PRIMARY KEY (file, key)
    );
    """,
    # inputs tried in the playground, recalled with up / down
    """
    CREATE TABLE playground_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        file TEXT NOT NULL,          -- absolute path of the dataset file
        input TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX playground_history_file ON playground_history (file, seq);
    """,
    # the prediction cache (curator.core.evaluation.cache) and evaluation runs (curator.core.evaluation.runs)
    """
    CREATE TABLE predictions (
        key TEXT PRIMARY KEY,        -- curator.core.evaluation.cache.prediction_key: backend, model, prompt, config
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        text TEXT NOT NULL,
        finish_reason TEXT NOT NULL,
        prompt_tokens INTEGER,
        output_tokens INTEGER,
        seconds REAL NOT NULL,       -- how long the request took when it was made
        created REAL NOT NULL
    );
    CREATE TABLE eval_runs (
        id TEXT PRIMARY KEY,
        created REAL NOT NULL,
        finished REAL,
        state TEXT NOT NULL,         -- running, done, cancelled, failed
        dataset TEXT,                -- absolute path of the dataset file
        dataset_version TEXT,        -- Dataset.version_hash() when the run started
        spec TEXT NOT NULL,          -- JSON: models, generation config, template, selection, task
        metrics TEXT                 -- JSON of the scored run (curator.core.evaluation.scoring)
    );
    CREATE INDEX eval_runs_created ON eval_runs (created);
    CREATE TABLE eval_rows (
        run_id TEXT NOT NULL,
        position INTEGER NOT NULL,   -- order of the examples in the run
        example_id INTEGER,
        split TEXT,
        text_input TEXT NOT NULL,
        prompt TEXT NOT NULL,        -- what both models were sent (the template applied)
        system TEXT,
        expected TEXT NOT NULL,
        output_a TEXT,
        output_b TEXT,
        error_a TEXT,
        error_b TEXT,
        leaked INTEGER NOT NULL DEFAULT 0,
        human_a INTEGER,             -- a person's verdict on A (1 right, 0 wrong), over the automatic one
        human_b INTEGER,
        PRIMARY KEY (run_id, position)
    );
    """,
    # Batch API jobs of evaluations, so that a run killed while its batch was pending polls it again
    """
    CREATE TABLE eval_batches (
        name TEXT PRIMARY KEY,       -- the provider's batch name, e.g. batches/123
        backend TEXT NOT NULL,
        model TEXT NOT NULL,
        keys TEXT NOT NULL,          -- JSON list of the prediction cache keys it answers, in request order
        created REAL NOT NULL,
        state TEXT NOT NULL          -- pending until its answers are cached, then done, failed or cancelled
    );
    """,
    # Evaluation: a judge model's verdict on each answer, and every answer of a run that samples N times
    """
    ALTER TABLE eval_rows ADD COLUMN judge_a TEXT;   -- JSON [1 pass / 0 fail / null unreadable, reason]
    ALTER TABLE eval_rows ADD COLUMN judge_b TEXT;
    ALTER TABLE eval_rows ADD COLUMN samples_a TEXT; -- JSON list of the N answers (null: that request failed)
    ALTER TABLE eval_rows ADD COLUMN samples_b TEXT;
    """,
    # thinking tokens of each answer, and whether each side's answer of a run was cut at the max output tokens
    """
    ALTER TABLE predictions ADD COLUMN thinking_tokens INTEGER;
    ALTER TABLE eval_rows ADD COLUMN finish_a TEXT;
    ALTER TABLE eval_rows ADD COLUMN finish_b TEXT
    """,
    # settings live in the dataset's settings file (curator.core.settings), not in the workspace: the old
    # table's rows are moved there by Workspace._move_old_settings, which then drops it (this step once dropped it
    # at once, losing them)
    "",
    # where each job runs (Vertex is regional: a job is followed where it was started); Vertex job ids are
    # projects/{project}/locations/{location}/tuningJobs/{id}, so jobs recorded before are filled from their id
    """
    ALTER TABLE jobs ADD COLUMN project TEXT;   -- Google Cloud project (NULL: a backend with no such notion)
    ALTER TABLE jobs ADD COLUMN location TEXT;  -- region, e.g. us-central1
    UPDATE jobs SET
        project = substr(id, 10, instr(id, '/locations/') - 10),
        location = substr(id, instr(id, '/locations/') + 11,
                          instr(id, '/tuningJobs/') - instr(id, '/locations/') - 11)
    WHERE id LIKE 'projects/%/locations/%/tuningJobs/%'
    """,
    # what a tuning job was trained on, to find its dropped examples again, and what it was estimated to cost
    """
    CREATE TABLE job_data (
        job_id TEXT PRIMARY KEY,     -- jobs.id
        train_rows BLOB,             -- curator.core.fingerprints of the training file's lines, in order
        estimate TEXT                -- JSON of the cost estimate shown before the launch (curator.core.costs)
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
        make_private_folder(self.folder)
        database = self.folder / "curator.db"
        # created for the owner only; SQLite gives its -wal and -shm files the database's mode
        os.close(os.open(database, os.O_RDWR | os.O_CREAT, 0o600))
        self._lock = threading.RLock()
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()
        self.moved_settings = self._move_old_settings()

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

    def _move_old_settings(self) -> list[str]:
        """Move the settings an earlier curator kept here (``dataset_settings``) into each dataset's settings file,
        once; rows that cannot be moved yet (a folder that cannot be written) stay for the next open. Returns
        what was done, for people (also logged as warnings, which the command line prints on stderr)."""
        with self._lock:
            if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dataset_settings'"
                                    ).fetchone():
                return []
            rows = self._db.execute("SELECT file, key, value FROM dataset_settings ORDER BY file, key").fetchall()
        from curator.core.settings import move_old_settings

        notes, done = move_old_settings(rows)
        with self.transaction() as db:
            db.executemany("DELETE FROM dataset_settings WHERE file = ? AND key = ?", done)
            if not db.execute("SELECT 1 FROM dataset_settings LIMIT 1").fetchone():
                db.execute("DROP TABLE dataset_settings")
        for note in notes:
            logging.getLogger("curator").warning(note)
        return notes

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
