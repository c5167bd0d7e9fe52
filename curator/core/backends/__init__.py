"""Model backends: one interface (``base.Backend``), a local scikit-learn backend (the default, offline),
Vertex AI and the Gemini API through google-genai, and a registry that builds one by name.

Importing this package loads no backend (nor polars, scikit-learn or google-genai): the registry builds one
when asked.
"""

from curator.core.backends.base import (
    HYPERPARAMETER_HELP,
    Backend,
    BackendInfo,
    Checkpoint,
    Generation,
    GenerationConfig,
    Hyperparameters,
    JobState,
    JobStatus,
    LossPoint,
    ModelInfo,
    UnknownJob,
)
from curator.core.backends.registry import BACKENDS, DEFAULT_BACKEND, backend_names, canonical_name, create_backend

__all__ = [
    "BACKENDS",
    "HYPERPARAMETER_HELP",
    "DEFAULT_BACKEND",
    "Backend",
    "BackendInfo",
    "Checkpoint",
    "Generation",
    "GenerationConfig",
    "Hyperparameters",
    "JobState",
    "JobStatus",
    "LossPoint",
    "ModelInfo",
    "UnknownJob",
    "backend_names",
    "canonical_name",
    "create_backend",
]
