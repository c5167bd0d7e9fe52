"""Model references: a model on a backend, written ``backend:model``, and the default pair to compare (the
base and the latest tuned model of the workspace's jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from curator.core.backends.base import JobState
from curator.core.backends.registry import BACKENDS, DEFAULT_BACKEND, canonical_name
from curator.core.errors import CuratorError
from curator.core.storage.workspace import Workspace


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
