"""The models tuned on this machine, as the workspace keeps them: one file each in ``.curator/models`` (owner
only, written atomically) and a row in the ``local_models`` table. The core hands a ``ModelStore`` to the
local backend, which never touches the workspace itself."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from curator.core.errors import UnsafeModelFile
from curator.core.storage.atomic import atomic_write, make_private_folder
from curator.core.storage.workspace import Workspace


@dataclass(frozen=True)
class StoredModel:
    """One kept model: its name, the job that made it, what kind it is, when, and the job's final status."""

    name: str
    job_id: str
    display_name: str | None
    kind: str
    created: float
    summary: dict


class ModelStore:
    """Kept models of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.folder = Path(workspace.folder) / "models"

    def models(self) -> list[StoredModel]:
        """Every kept model, newest first."""
        return [self._model(row) for row in self.workspace.query(
            "SELECT name, job_id, display_name, kind, created, summary FROM local_models ORDER BY created DESC")]

    def by_job(self, job_id: str) -> StoredModel | None:
        rows = self.workspace.query("SELECT name, job_id, display_name, kind, created, summary FROM local_models "
                                    "WHERE job_id = ?", (job_id,))
        return self._model(rows[0]) if rows else None

    def save(self, name: str, suffix: str, write: Callable[[BinaryIO], None], *, job_id: str,
             display_name: str | None, kind: str, summary: dict) -> Path:
        """Write the model's file (``write(out)``) atomically, then index it; returns the file."""
        make_private_folder(self.folder)
        path = self.folder / f"{name}{suffix}"
        with atomic_write(path, mode=0o600) as out:
            write(out)
        self.workspace.execute(
            "INSERT OR REPLACE INTO local_models (name, job_id, display_name, kind, file, created, summary) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, job_id, display_name, kind, str(path.relative_to(self.workspace.folder)), time.time(),
             json.dumps(summary)),
        )
        return path

    def file(self, name: str) -> Path | None:
        """The file of model ``name`` (None when no such model is kept), refused unless it lies inside the
        models folder: an absolute path, ``..`` or a symlink must not lead elsewhere."""
        rows = self.workspace.query("SELECT file FROM local_models WHERE name = ?", (name,))
        if not rows:
            return None
        stored = rows[0][0]
        folder = self.folder.resolve()
        path = (Path(self.workspace.folder) / stored).resolve()
        if not path.is_relative_to(folder):
            raise UnsafeModelFile(f"local model {name!r}: the workspace names the file {stored!r}, outside its "
                                  f"models folder {folder}; curator reads models only from there")
        return path

    @staticmethod
    def _model(row: tuple) -> StoredModel:
        name, job_id, display_name, kind, created, summary = row
        return StoredModel(name, job_id, display_name, kind, created, json.loads(summary))


def backend_storage(workspace: Workspace | None) -> dict:
    """What a backend may keep in ``workspace``, as ``create_backend`` takes it: the model store and the folder
    for training-file exports (nothing without a workspace)."""
    if workspace is None:
        return {}
    return {"models": ModelStore(workspace), "export_dir": Path(workspace.folder) / "exports"}
