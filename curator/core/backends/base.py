"""The backend interface: what curator asks of anything that tunes models or generates text.

A backend is a plain class behind ``Backend``; nothing above ``curator.core.backends`` knows which one it
talks to. Job ids and model names are opaque strings chosen by the backend (Vertex: resource names).
"""

from __future__ import annotations

import abc
import enum
import math
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, NamedTuple

from curator.core.errors import BackendError, BackendErrorKind, CuratorError
from curator.core.progress import Cancel, ProgressFn

if TYPE_CHECKING:
    from curator.core.backends.prepare import Preparation
    from curator.core.dataset import Dataset
    from curator.core.settings import Settings


class JobState(str, enum.Enum):
    """Where a tuning job is; the last three never change again."""

    PENDING = "pending"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


ADAPTER_SIZES = (1, 2, 4, 8, 16, 32)


@dataclass(frozen=True)
class Hyperparameters:
    """What a tuning run is asked to do. Each backend says which fields it honours (``Backend.honours``)."""

    epochs: int = 5
    batch_size: int = 4
    learning_rate: float = 0.001
    learning_rate_multiplier: float = 1.0
    adapter_size: int | None = None  # Vertex only: 1, 2, 4, 8, 16 or 32
    display_name: str | None = None
    validation_fraction: float = 0.1  # held out of train when the data has no validation examples
    seed: int = 0

    def problems(self) -> dict[str, str]:
        """Field name -> what is wrong with its value (empty when every value is acceptable)."""
        out: dict[str, str] = {}
        if not 1 <= self.epochs <= 100:
            out["epochs"] = "epochs must be between 1 and 100"
        if not 1 <= self.batch_size <= 4096:
            out["batch_size"] = "batch size must be between 1 and 4,096"
        if not (0 < self.learning_rate <= 1) or math.isnan(self.learning_rate):
            out["learning_rate"] = "learning rate must be above 0 and at most 1"
        if not (0 < self.learning_rate_multiplier <= 100) or math.isnan(self.learning_rate_multiplier):
            out["learning_rate_multiplier"] = "learning-rate multiplier must be above 0 and at most 100"
        if self.adapter_size is not None and self.adapter_size not in ADAPTER_SIZES:
            out["adapter_size"] = f"adapter size must be one of {', '.join(map(str, ADAPTER_SIZES))}"
        if not 0 <= self.validation_fraction <= 0.5:
            out["validation_fraction"] = "validation fraction must be between 0 and 0.5"
        if self.display_name is not None and not self.display_name.strip():
            out["display_name"] = "display name must not be blank"
        return out

    def validated(self) -> Hyperparameters:
        """Itself, or a CuratorError listing every problem."""
        problems = self.problems()
        if problems:
            raise CuratorError("; ".join(problems.values()))
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hyperparameters:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# Field -> (label, guidance) for forms and help: what each setting does and how to choose it.
HYPERPARAMETER_HELP: dict[str, tuple[str, str]] = {
    "epochs": ("Epochs", "Passes over the training data. Watch the validation loss: stop where it plateaus; "
                         "when it rises while the training loss falls, the model is overfitting."),
    "batch_size": ("Batch size", "Examples per update. Smaller batches make more, noisier updates per epoch."),
    "learning_rate": ("Learning rate", "Step size of each update. Use a smaller one for small datasets to avoid "
                                       "overfitting; raise it when the loss falls too slowly."),
    "learning_rate_multiplier": ("Learning-rate multiplier", "Scales the provider's recommended learning rate "
                                                             "(Vertex, Gemini models); below 1 for small datasets."),
    "adapter_size": ("Adapter size", "Vertex LoRA rank, per base model (2.5 Flash and Flash-Lite: 1-16, 2.5 Pro: "
                                     "1-8): larger adapters can learn more complex tasks and overfit small "
                                     "datasets sooner."),
    "display_name": ("Display name", "A name for the tuned model, shown in lists."),
    "validation_fraction": ("Validation share", "Share of train held out to measure the validation loss when no "
                                                "example is marked validation."),
    "seed": ("Seed", "Makes the held-out split and the shuffling repeatable."),
}


class LossPoint(NamedTuple):
    """Training and validation loss measured at a (possibly fractional) epoch; None when not measured."""

    epoch: float
    train_loss: float | None
    val_loss: float | None


@dataclass(frozen=True)
class Checkpoint:
    """A saved state of a tuned model (Vertex keeps one per epoch unless told otherwise)."""

    checkpoint_id: str
    epoch: int | None
    step: int | None
    endpoint: str | None


@dataclass
class JobStatus:
    """Everything known about a tuning job at one moment."""

    job_id: str
    backend: str
    state: JobState
    progress: float = 0.0  # 0..1
    epoch: int | None = None  # completed epochs
    total_epochs: int | None = None
    step: int | None = None  # completed steps
    total_steps: int | None = None
    loss: list[LossPoint] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)  # data statistics, in words a table can show
    tuned_model: str | None = None  # the name ``generate`` takes, once the job succeeded
    error: str | None = None
    sub_state: str | None = None  # a finer stage, e.g. "processing dataset"
    display_name: str | None = None
    base_model: str | None = None
    created: float | None = None  # unix seconds
    updated: float | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # 1-based lines of the training file the service left out
    dropped_reasons: list[str] = field(default_factory=list)  # why, line by line (when the service says)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the workspace keeps it)."""
        data = asdict(self)
        data["state"] = self.state.value
        data["loss"] = [list(p) for p in self.loss]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobStatus:
        data = dict(data)
        data["state"] = JobState(data["state"])
        data["loss"] = [LossPoint(*p) for p in data.get("loss", [])]
        data["checkpoints"] = [Checkpoint(**c) for c in data.get("checkpoints", [])]
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class ModelInfo:
    """A model a backend can generate with: a base model, or one tuned earlier."""

    name: str  # what ``generate`` and ``start_job`` take
    display_name: str
    tuned: bool = False
    can_tune: bool = False  # usable as the base of a tuning job
    description: str = ""


@dataclass(frozen=True)
class GenerationConfig:
    """How to generate for evaluation: deterministic by default (temperature 0, fixed seed)."""

    temperature: float = 0.0
    seed: int | None = 42
    max_output_tokens: int = 256
    thinking_budget: int | None = None  # None: the least the model allows (off where it can be); -1: dynamic
    timeout: float | None = 60.0  # seconds per request

    def problems(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if not 0 <= self.temperature <= 2:
            out["temperature"] = "temperature must be between 0 and 2"
        if self.max_output_tokens < 1:
            out["max_output_tokens"] = "max output tokens must be at least 1"
        if self.timeout is not None and self.timeout <= 0:
            out["timeout"] = "timeout must be positive"
        if self.thinking_budget is not None and self.thinking_budget < -1:
            out["thinking_budget"] = "thinking budget must be -1 (dynamic), 0 (off) or a number of tokens"
        return out


@dataclass(frozen=True)
class Generation:
    """One answer: the text and what the backend reports about it."""

    text: str
    model: str
    finish_reason: str = "STOP"  # STOP, MAX_TOKENS, SAFETY, ...
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    thinking_tokens: int | None = None  # spent thinking, out of the same max output tokens

    @property
    def truncated(self) -> bool:
        """The answer was cut at the max output tokens (thinking included): it may be wrong only for that."""
        return self.finish_reason == "MAX_TOKENS"


@dataclass(frozen=True)
class BatchState:
    """A Batch API job: its state (pending, running, succeeded, failed, cancelled, expired) and, once it
    succeeded, each request's answer or error by the key it was submitted with."""

    name: str
    state: str
    results: dict[str, Generation | str] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled", "expired")


class UnknownJob(BackendError):
    """The backend has no job by this id (for the local backend: it ran in a process that has ended)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(BackendErrorKind.INVALID, f"no tuning job {job_id!r} on this backend")


@dataclass(frozen=True)
class BackendInfo:
    """What a backend declares about itself, asked before one is built (menus, defaults, which options apply).
    Faces read these instead of naming providers; each backend's entry is in ``registry.BACKENDS``."""

    name: str  # registry name: "local", "vertex", "gemini-api"
    title: str  # for people: "Local (scikit-learn)"
    needs: str  # what it takes to use it, in words
    can_tune: bool = True
    why_not_tune: str = ""  # when it cannot tune: why, and where to tune instead
    default_base_model: str | None = None  # the model tuned (and compared against) when none is named
    honours: frozenset[str] = frozenset()  # Hyperparameters fields it uses; others are ignored
    offline: bool = False  # runs here, needs no key, keeps its models in the dataset's workspace
    staging: bool = False  # takes a cloud folder (or file) for the training data
    jobs_live_in_process: bool = False  # jobs end when this process ends
    batch_api: bool = False  # evaluations can go as Batch API jobs, at half the price (``supports_batch``)


class Backend(abc.ABC):
    """A place that tunes models and generates text. Subclasses set ``info`` (and a ``description``)."""

    info: BackendInfo
    description: str  # one honest paragraph: what it is and what it is not
    supports_batch: bool = False  # submit_batch / batch_state / cancel_batch (the Gemini API's Batch API)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def title(self) -> str:
        return self.info.title

    @property
    def can_tune(self) -> bool:
        return self.info.can_tune

    @property
    def honours(self) -> frozenset[str]:
        return self.info.honours

    @property
    def jobs_live_in_process(self) -> bool:
        return self.info.jobs_live_in_process

    @property
    def place(self) -> tuple[str | None, str | None]:
        """(project, location) where this backend's jobs run; kept with each job (None, None: not a cloud)."""
        return None, None

    def at(self, project: str | None, location: str | None) -> Backend:
        """This backend's twin for jobs that run in ``project``/``location`` (itself when they are its own)."""
        return self

    def ignored_hyperparameters(self, hp: Hyperparameters) -> list[str]:
        """Fields of ``hp`` set away from their default that this backend does not use."""
        default = Hyperparameters()
        return [
            f.name for f in fields(Hyperparameters)
            if f.name not in self.honours and getattr(hp, f.name) != getattr(default, f.name)
        ]

    @abc.abstractmethod
    def list_models(self) -> list[ModelInfo]:
        """Base models to tune or evaluate, then the models tuned earlier."""

    @abc.abstractmethod
    def prepare(
        self,
        dataset: Dataset,
        hp: Hyperparameters,
        settings: Settings | None = None,
        *,
        skip_slow_checks: bool = False,
        progress: ProgressFn | None = None,
        cancel: Cancel | None = None,
        dataset_path: str | None = None,
    ) -> Preparation:
        """Pre-flight: run the checks, split train/validation, export in the backend's format, note limits.

        ``progress`` (a ``ProgressFn``) and ``cancel`` (the cancel token) are passed to the checks.
        """

    @abc.abstractmethod
    def start_job(self, prepared: Preparation, base_model: str, hp: Hyperparameters) -> str:
        """Launch tuning of ``base_model`` on the prepared data; returns the job id at once."""

    @abc.abstractmethod
    def status(self, job_id: str) -> JobStatus:
        """The job's current status (raises UnknownJob when the backend has no such job)."""

    @abc.abstractmethod
    def cancel(self, job_id: str) -> None:
        """Ask the job to stop; ``status`` shows CANCELLING, then CANCELLED."""

    @abc.abstractmethod
    def list_jobs(self) -> list[JobStatus]:
        """The backend's tuning jobs, newest first."""

    @abc.abstractmethod
    def generate(
        self, model: str, prompt: str, config: GenerationConfig | None = None, *, system: str | None = None
    ) -> Generation:
        """One answer for ``prompt`` from ``model`` (a base model or a tuned one)."""

    @abc.abstractmethod
    async def agenerate(
        self, model: str, prompt: str, config: GenerationConfig | None = None, *, system: str | None = None
    ) -> Generation:
        """``generate`` for asyncio callers (evaluation runs many at once)."""

    def submit_batch(self, model: str, requests: list[tuple[str, str | None, str]], config: GenerationConfig) -> str:
        """Submit (prompt, system, key) requests as one batch job; returns its name (``supports_batch`` only)."""
        raise BackendError(BackendErrorKind.UNSUPPORTED, f"the {self.name} backend has no batch API")

    def batch_state(self, name: str) -> BatchState:
        raise BackendError(BackendErrorKind.UNSUPPORTED, f"the {self.name} backend has no batch API")

    def cancel_batch(self, name: str) -> None:
        raise BackendError(BackendErrorKind.UNSUPPORTED, f"the {self.name} backend has no batch API")

    def close(self) -> None:
        """Release connections and threads (the default holds none)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
