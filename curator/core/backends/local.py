"""The local backend: the default, offline, no key. It really learns from the pairs with scikit-learn.

It is an offline stand-in that exercises the whole tune-and-compare loop and gives a baseline, not a
language model (see ``local_model`` for what it trains). Its base model, ``local-echo``, answers with the
prompt itself: an untuned model that knows nothing about the task, so whatever a tuned model scores above
it was learned from the examples.

Tuning runs in a thread of this process; ``status`` shows its progress and ``cancel`` stops it between
minibatches. Tuned models are kept by the ``ModelStore`` the core gives it (``curator.core.storage.models``:
arrays and JSON, never a pickle; see ``local_model_file``) and survive restarts; a job that was running when the
process ended is gone. Model files are read only from the workspace's models folder.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from curator.core.backends.base import (
    Backend,
    Generation,
    GenerationConfig,
    Hyperparameters,
    JobState,
    JobStatus,
    LossPoint,
    ModelInfo,
    UnknownJob,
)
from curator.core.backends.local_model import (
    LABEL_MAX_DISTINCT,
    is_label_task,
    prompt_text,
    train_labels,
    train_nearest,
)
from curator.core.backends import local_model_file
from curator.core.backends.prepare import Preparation, prepare_data
from curator.core.backends.registry import BACKENDS
from curator.core.model import Severity
from curator.core.errors import BackendError, BackendErrorKind, Cancelled, UnsafeModelFile
from curator.core.progress import Progress
from curator.core.settings import Settings

if TYPE_CHECKING:
    from curator.core.storage.models import ModelStore

BASE_MODEL = BACKENDS["local"].default_base_model
BASE_DESCRIPTION = "untuned: answers with the prompt itself"
CHARS_PER_TOKEN = 3  # as the limits check estimates tokens


def estimate_tokens(text: str) -> int:
    return (len(text.encode()) + 2) // CHARS_PER_TOKEN


def _clip(text: str, max_tokens: int) -> tuple[str, str]:
    """(text cut to about ``max_tokens`` tokens, finish reason)."""
    limit = max_tokens * CHARS_PER_TOKEN
    return (text, "STOP") if len(text) <= limit else (text[:limit], "MAX_TOKENS")


class _Run:
    """A tuning job running (or finished) in this process."""

    def __init__(self, status: JobStatus, hp: Hyperparameters) -> None:
        self.status = status
        self.hp = hp
        self.progress = Progress(0.0, "features")  # the trainer's latest report
        self.epoch = 0
        self.cancel = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def report(self, progress: Progress) -> None:
        self.progress = progress


class LocalBackend(Backend):
    info = BACKENDS["local"]
    description = (
        "An offline stand-in for a tuned model, trained on this machine with scikit-learn: a TF-IDF linear "
        "classifier for label-like outputs (minibatch Adam; epochs, batch size and learning rate apply), or "
        "nearest-neighbour answers for free text. It exercises the whole tune-and-compare loop and gives a "
        "baseline; it is not a language model. Its base model, local-echo, answers with the prompt itself."
    )

    def __init__(self, models: ModelStore, *, label_max_distinct: int = LABEL_MAX_DISTINCT) -> None:
        self.models = models
        self.label_max_distinct = label_max_distinct
        self._runs: dict[str, _Run] = {}
        self._loaded: dict[str, object] = {}
        self._lock = threading.Lock()

    # -- models ------------------------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        models = [ModelInfo(BASE_MODEL, "local-echo (untuned)", can_tune=True, description=BASE_DESCRIPTION)]
        for kept in self.models.models():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(kept.created))
            what = "label classifier" if kept.kind == "labels" else "nearest neighbour"
            models.append(ModelInfo(kept.name, kept.display_name or kept.name, tuned=True,
                                    description=f"{what}, tuned {when}"))
        return models

    def prepare(self, dataset, hp, settings=None, *, skip_slow_checks=False, progress=None, cancel=None,
                dataset_path=None) -> Preparation:
        settings = replace(settings or Settings(), base_model=None)  # a local base model has no provider limits
        prepared = prepare_data(self.name, dataset, hp, settings, skip_slow_checks=skip_slow_checks,
                                progress=progress, cancel=cancel)
        prepared.dataset_path = None if dataset_path is None else str(dataset_path)
        # The provider's limits do not bind the local backend: they stay visible, as warnings, not blockers.
        limits = [f for f in prepared.findings if f.rule.startswith("limits.") and f.severity is Severity.ERROR]
        if limits:
            prepared.findings = [replace(f, severity=Severity.WARNING, message=f"{f.message} (the provider's limit; "
                                         "it does not bind the local backend)") if f in limits else f
                                 for f in prepared.findings]
        outputs = prepared.train["output"].to_list()
        if is_label_task(outputs, self.label_max_distinct):
            prepared.notes.append(
                f"outputs look like labels ({len(set(outputs)):,} distinct): a TF-IDF linear classifier will be "
                "trained by minibatch Adam"
            )
        else:
            prepared.notes.append(
                "outputs look like free text: the tuned model answers with the output of the nearest training "
                "input; epochs, batch size and learning rate do not apply"
            )
        ignored = self.ignored_hyperparameters(hp)
        if ignored:
            prepared.notes.append(f"ignored by the local backend: {', '.join(ignored)}")
        return prepared

    # -- jobs ----------------------------------------------------------------------------------------

    def start_job(self, prepared: Preparation, base_model: str, hp: Hyperparameters) -> str:
        hp.validated()
        prepared.require_launchable()
        if base_model != BASE_MODEL:
            raise BackendError(BackendErrorKind.INVALID, f"the local backend tunes {BASE_MODEL}, not {base_model!r}")
        suffix = uuid.uuid4().hex[:8]
        job_id = f"local-job-{suffix}"
        now = time.time()
        status = JobStatus(
            job_id, self.name, JobState.PENDING, total_epochs=hp.epochs, display_name=hp.display_name,
            base_model=base_model, created=now, updated=now,
            stats={"train examples": prepared.train.height, "validation examples": prepared.validation.height},
        )
        run = _Run(status, hp)
        with self._lock:
            self._runs[job_id] = run
        run.thread = threading.Thread(
            target=self._train, args=(run, prepared, f"local-model-{suffix}"), name=job_id, daemon=True
        )
        run.thread.start()
        return job_id

    def _train(self, run: _Run, prepared: Preparation, model_name: str) -> None:
        hp = run.hp
        with run.lock:
            run.status.state = JobState.RUNNING
        try:
            outputs = prepared.train["output"].to_list()
            if is_label_task(outputs, self.label_max_distinct):
                def on_loss(epoch: float, train_loss: float, val_loss: float | None) -> None:
                    with run.lock:
                        run.status.loss.append(LossPoint(epoch, train_loss, val_loss))
                        run.epoch = int(epoch)

                model, stats = train_labels(
                    prepared.train, prepared.validation, epochs=hp.epochs, batch_size=hp.batch_size,
                    learning_rate=hp.learning_rate * hp.learning_rate_multiplier, seed=hp.seed,
                    progress=run.report, on_loss=on_loss, cancel=run.cancel,
                )
            else:
                with run.lock:
                    run.status.total_epochs = None  # nearest-neighbour answers are not trained in epochs
                model, stats = train_nearest(prepared.train, prepared.validation, progress=run.report,
                                             cancel=run.cancel)
            if run.cancel.is_set():
                raise Cancelled
            self._save(model_name, model, run, stats)
        except Cancelled:
            self._publish(run, self._ending(run, JobState.CANCELLED, "cancelled before the end; no model was saved"))
        except Exception as exc:  # noqa: BLE001 - a failed job reports why instead of killing the thread
            self._publish(run, self._ending(run, JobState.FAILED, f"{type(exc).__name__}: {exc}"))

    def _save(self, model_name: str, model, run: _Run, stats: dict) -> None:
        """Write the model, index it, then show the job as succeeded (so a poller can use the model at once)."""
        final = self._ending(run, JobState.SUCCEEDED)
        final.stats.update(stats)
        final.tuned_model = model_name
        self.models.save(model_name, local_model_file.SUFFIX, lambda out: local_model_file.dump(model, out),
                         job_id=final.job_id, display_name=final.display_name, kind=model.kind,
                         summary=final.to_dict())
        with self._lock:
            self._loaded[model_name] = model
        self._publish(run, final)

    def _ending(self, run: _Run, state: JobState, error: str | None = None) -> JobStatus:
        """A copy of the run's status as it ends in ``state`` (``status`` shows it once published)."""
        with run.lock:
            final = JobStatus.from_dict(run.status.to_dict())
        p = run.progress
        final.state, final.error, final.updated = state, error, time.time()
        final.epoch, final.step, final.total_steps = run.epoch, p.done or 0, p.total or None
        if state is JobState.SUCCEEDED:
            final.progress = 1.0
        return final

    def _publish(self, run: _Run, status: JobStatus) -> None:
        with run.lock:
            run.status = status

    def status(self, job_id: str) -> JobStatus:
        run = self._runs.get(job_id)
        if run is None:
            kept = self.models.by_job(job_id)
            if kept is None:
                raise UnknownJob(job_id)
            return JobStatus.from_dict(kept.summary)
        with run.lock:
            status = JobStatus.from_dict(run.status.to_dict())
        if not status.state.terminal:
            p = run.progress
            status.progress = p.fraction
            status.epoch, status.step, status.total_steps = run.epoch, p.done or 0, p.total or None
            status.sub_state = p.stage
            if run.cancel.is_set():
                status.state = JobState.CANCELLING
        return status

    def cancel(self, job_id: str) -> None:
        run = self._runs.get(job_id)
        if run is None:
            self.status(job_id)  # raises UnknownJob for a job it never had
            return  # finished in an earlier session: nothing to stop
        run.cancel.set()

    def list_jobs(self) -> list[JobStatus]:
        live = {job_id: self.status(job_id) for job_id in list(self._runs)}
        for kept in self.models.models():
            saved = JobStatus.from_dict(kept.summary)
            live.setdefault(saved.job_id, saved)
        return sorted(live.values(), key=lambda s: s.created or 0, reverse=True)

    def wait(self, job_id: str, timeout: float | None = None) -> JobStatus:
        """Block until a job started here ends (for scripts and tests); returns its final status."""
        run = self._runs.get(job_id)
        if run is not None and run.thread is not None:
            run.thread.join(timeout)
        return self.status(job_id)

    # -- generation ----------------------------------------------------------------------------------

    def _model(self, name: str):
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
        try:
            path = self.models.file(name)
        except UnsafeModelFile as exc:
            raise BackendError(BackendErrorKind.INVALID, exc.reason) from None
        if path is None:
            known = ", ".join(m.name for m in self.list_models())
            raise BackendError(BackendErrorKind.INVALID, f"no local model {name!r}; known: {known}")
        if path.suffix != local_model_file.SUFFIX:
            raise BackendError(BackendErrorKind.INVALID, f"local model {name!r} is stored as {path.name}, a pickle "
                               "(an older curator's format, or a planted file); pickles can run code when loaded, "
                               "so curator no longer reads them: tune the model again")
        try:
            model = local_model_file.load(path)
        except local_model_file.ModelFileError as exc:
            raise BackendError(BackendErrorKind.INVALID, f"cannot load local model {name!r} from {path}: {exc}")
        with self._lock:
            self._loaded[name] = model
        return model

    def generate(self, model: str, prompt: str, config: GenerationConfig | None = None, *,
                 system: str | None = None) -> Generation:
        config = config or GenerationConfig()
        if config.problems():
            raise BackendError(BackendErrorKind.INVALID, "; ".join(config.problems().values()))
        text = prompt_text(prompt, system)
        if model == BASE_MODEL:
            answer = prompt
        else:
            rng = np.random.default_rng(config.seed)
            answer = self._model(model).answer(text, config.temperature, rng)
        answer, reason = _clip(answer, config.max_output_tokens)
        return Generation(answer, model, reason, estimate_tokens(text), estimate_tokens(answer))

    async def agenerate(self, model: str, prompt: str, config: GenerationConfig | None = None, *,
                        system: str | None = None) -> Generation:
        return await asyncio.to_thread(self.generate, model, prompt, config, system=system)

    def close(self) -> None:
        """Stop running jobs (their threads end at the next minibatch)."""
        for run in self._runs.values():
            run.cancel.set()
