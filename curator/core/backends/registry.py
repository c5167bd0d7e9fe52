"""Pick a backend by name. Backend modules load only when asked for (google-genai takes a second to import).

| name | class | needs |
|---|---|---|
| local | LocalBackend | a model store (``storage.models``, from the core; nothing else: offline, no key) |
| vertex | VertexBackend | GOOGLE_CLOUD_PROJECT (or project=), credentials (ADC or CURATOR_VERTEX_ACCESS_TOKEN) |
| gemini-api | GeminiApiBackend | GEMINI_API_KEY or GOOGLE_API_KEY (or api_key=) |

``base_url`` points a Google backend somewhere else (the fake server); unset, google-genai reads
GOOGLE_VERTEX_BASE_URL / GOOGLE_GEMINI_BASE_URL itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from curator.core.backends.base import Backend, BackendInfo
from curator.core.errors import BackendError, BackendErrorKind

if TYPE_CHECKING:
    from curator.core.storage.models import ModelStore

DEFAULT_BACKEND = "local"
ALIASES = {"gemini": "gemini-api"}


# Each backend's declaration, the default first. The classes take theirs from here (``info``), so a name,
# title or option is written once; everything above backends/ asks these instead of naming a provider.
BACKENDS: dict[str, BackendInfo] = {
    "local": BackendInfo(
        "local", "Local (scikit-learn, offline)", "nothing: offline, no key", default_base_model="local-echo",
        honours=frozenset({"epochs", "batch_size", "learning_rate", "learning_rate_multiplier", "display_name",
                           "validation_fraction", "seed"}),
        offline=True, jobs_live_in_process=True),
    "vertex": BackendInfo(
        "vertex", "Vertex AI (Google Cloud)", "a Google Cloud project (GOOGLE_CLOUD_PROJECT) and credentials "
        "(gcloud auth application-default login)", default_base_model="gemini-2.5-flash",
        honours=frozenset({"epochs", "learning_rate_multiplier", "adapter_size", "display_name",
                           "validation_fraction", "seed"}),
        staging=True),
    "gemini-api": BackendInfo(
        "gemini-api", "Gemini API (API key)", "GEMINI_API_KEY or GOOGLE_API_KEY; generation only", can_tune=False,
        why_not_tune=(
            "the Gemini API cannot tune models: it has had no tunable base model since Gemini 1.5 Flash-001 was "
            "retired in May 2025, and google-genai (1.47 and later) leaves the training examples out of that "
            "request. Tune on Vertex AI instead (backend \"vertex\": a Google Cloud project, training data in "
            "Cloud Storage), or offline with the local backend. This backend still generates with base models and "
            "with tunedModels/... you tuned earlier, for evaluation."),
        batch_api=True),
}


def backend_names() -> list[str]:
    """Every backend name, the default first."""
    return list(BACKENDS)


def is_backend_name(name: str) -> bool:
    """Whether ``name`` names a backend (or an alias of one, "gemini")."""
    return ALIASES.get(name, name) in BACKENDS


def canonical_name(name: str) -> str:
    """The registry name for ``name`` (accepts "gemini" for "gemini-api"); a CuratorError if unknown."""
    name = ALIASES.get(name, name)
    if name not in BACKENDS:
        raise BackendError(BackendErrorKind.INVALID, f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
    return name


def create_backend(
    name: str,
    *,
    models: ModelStore | None = None,
    export_dir: Path | None = None,
    project: str | None = None,
    location: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    staging_uri: str | None = None,
    timeout: float | None = 60.0,
    env: Mapping[str, str] = os.environ,
    **options,
) -> Backend:
    """Build the backend called ``name``. Missing settings come from ``env``; a BackendError (AUTH) says
    what is missing. ``models`` (where tuned models are kept) and ``export_dir`` (where training files are
    written) come from the core (``curator.core.storage.models.backend_storage``); ``options`` go to the
    backend's constructor (e.g. ``retry=RetryPolicy(...)``)."""
    name = canonical_name(name)
    if name == "local":
        from curator.core.backends.local import LocalBackend

        if models is None:
            raise BackendError(BackendErrorKind.INVALID, "the local backend keeps its models in a workspace; open a "
                                                         "dataset first")
        return LocalBackend(models, **options)
    if name == "vertex":
        from curator.core.backends.vertex import VertexBackend

        return VertexBackend(project, location, base_url=base_url, staging_uri=staging_uri, export_dir=export_dir,
                             timeout=timeout, env=env, **options)
    from curator.core.backends.gemini_api import GeminiApiBackend

    return GeminiApiBackend(api_key, base_url=base_url, timeout=timeout, env=env, **options)
