"""Model references: a model on a backend, written ``backend:model``; the default pair to compare (the base
and the latest tuned model of the workspace's jobs); and the known models a face offers to choose from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from curator.core.backends.base import JobState
from curator.core.backends.registry import BACKENDS, DEFAULT_BACKEND, canonical_name, is_backend_name
from curator.core.errors import CuratorError
from curator.core.storage.workspace import Workspace

if TYPE_CHECKING:
    from curator.core.tuning import Jobs


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
        if sep and is_backend_name(backend):
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
    return ModelRef(DEFAULT_BACKEND, BACKENDS[DEFAULT_BACKEND].default_base_model or ""), None


def known_models(jobs: Jobs) -> list[str]:
    """Every model to suggest, as ``backend:model``: what the offline backends hold (asked without a network)
    and every tuned model of the workspace's jobs."""
    known = [f"{info.name}:{m.name}" for info in BACKENDS.values() if info.offline
             for m in jobs.backend(info.name).list_models()]
    known += [f"{r.backend}:{r.status.tuned_model}" for r in jobs.list() if r.status.tuned_model]
    return sorted(set(known))
