"""The playground's core: model references (``backend:model``), the default pair to compare (the base and
the latest tuned model), and the history of tried inputs kept in the workspace."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from curator.core.backends.base import JobState
from curator.core.backends.registry import BACKENDS, DEFAULT_BACKEND, canonical_name
from curator.core.errors import CuratorError
from curator.core.storage.workspace import Workspace

HISTORY_LIMIT = 500


@dataclass(frozen=True)
class ModelRef:
    """A model on a backend, written ``backend:model`` (``local:local-echo``); a bare name means local."""

    backend: str
    model: str

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        text = text.strip()
        if not text:
            raise CuratorError("no model given: write backend:model, e.g. local:local-echo")
        backend, sep, model = text.partition(":")
        if sep and backend in (*BACKENDS, "gemini"):
            return cls(canonical_name(backend), model.strip())
        return cls(DEFAULT_BACKEND, text)

    def __str__(self) -> str:
        return f"{self.backend}:{self.model}"


def default_pair(workspace: Workspace | None) -> tuple[ModelRef, ModelRef | None]:
    """The base and the latest tuned model of the workspace's jobs (the local base alone when none)."""
    if workspace is not None:
        from curator.core.tuning import Jobs

        for record in Jobs(workspace).list():
            status = record.status
            if status.state is JobState.SUCCEEDED and status.tuned_model:
                return ModelRef(record.backend, record.base_model), ModelRef(record.backend, status.tuned_model)
    return ModelRef(DEFAULT_BACKEND, "local-echo"), None


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
