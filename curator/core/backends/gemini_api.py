"""The Gemini API backend (an API key): generation with base models and existing ``tunedModels/...``
for evaluation, and the list of those models. It does not tune: no Gemini API model has supported tuning
since May 2025, and google-genai >= 1.47 leaves the training examples out of that request anyway."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

from curator.core.backends.base import (
    BatchState,
    Generation,
    GenerationConfig,
    Hyperparameters,
    JobState,
    JobStatus,
    ModelInfo,
)
from curator.core.backends.google_common import GoogleBackend, content_config, http_options, to_generation
from curator.core.backends.registry import BACKENDS
from curator.core.backends.retry import RetryPolicy
from curator.core.errors import BackendError, BackendErrorKind

NO_TUNING = BACKENDS["gemini-api"].why_not_tune
_STATES = {"JOB_STATE_SUCCEEDED": JobState.SUCCEEDED, "JOB_STATE_FAILED": JobState.FAILED,
           "JOB_STATE_RUNNING": JobState.RUNNING, "JOB_STATE_QUEUED": JobState.PENDING,
           "JOB_STATE_PENDING": JobState.PENDING, "JOB_STATE_CANCELLED": JobState.CANCELLED}


def api_key_from_env(env: Mapping[str, str] = os.environ) -> str | None:
    """GEMINI_API_KEY, else GOOGLE_API_KEY (None when neither is set)."""
    return (env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY") or "").strip() or None


class GeminiApiBackend(GoogleBackend):
    info = BACKENDS["gemini-api"]
    description = (
        "Google's Gemini API with an API key (GEMINI_API_KEY or GOOGLE_API_KEY): generation with base models "
        "and with tunedModels/... tuned before 2025, for evaluation. It cannot tune: use Vertex AI for that."
    )

    def __init__(self, api_key: str | None = None, *, base_url: str | None = None, timeout: float | None = 60.0,
                 retry: RetryPolicy | None = None, env: Mapping[str, str] = os.environ) -> None:
        from google import genai

        key = (api_key or "").strip() or api_key_from_env(env)
        if not key:
            raise BackendError(BackendErrorKind.AUTH, "no Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY); "
                                                      "get one at https://aistudio.google.com/apikey")
        client = genai.Client(api_key=key, vertexai=False, http_options=http_options(base_url, timeout))
        super().__init__(client, retry=retry, secrets=(key,), timeout=timeout)

    def list_models(self) -> list[ModelInfo]:
        def fetch() -> list[ModelInfo]:
            models = []
            for m in self.client.models.list():
                if "generateContent" not in (m.supported_actions or ["generateContent"]):
                    continue
                models.append(ModelInfo(m.name, m.display_name or m.name, description=m.description or ""))
            for m in self.client.models.list(config={"query_base": False}):
                models.append(ModelInfo(m.name, m.display_name or m.name, tuned=True,
                                        description="tuned on the Gemini API (legacy)"))
            return models

        return self._call("list Gemini API models", fetch)

    def prepare(self, dataset, hp, settings=None, *, skip_slow_checks=False, progress=None, cancel=None,
                dataset_path=None):
        raise BackendError(BackendErrorKind.UNSUPPORTED, NO_TUNING)

    def start_job(self, prepared, base_model: str, hp: Hyperparameters) -> str:
        raise BackendError(BackendErrorKind.UNSUPPORTED, NO_TUNING)

    def cancel(self, job_id: str) -> None:
        raise BackendError(BackendErrorKind.UNSUPPORTED, NO_TUNING)

    def list_jobs(self) -> list[JobStatus]:
        raise BackendError(BackendErrorKind.UNSUPPORTED,
                           "the Gemini API has no tuning jobs; its tuned models are listed with the models")

    def status(self, job_id: str) -> JobStatus:
        """The state of a legacy tuned model (``tunedModels/...``), as a finished job."""
        if not job_id.startswith("tunedModels/"):
            raise BackendError(BackendErrorKind.INVALID, f"{job_id!r} is not a Gemini API tuned model (tunedModels/...)")
        job = self._call(f"read {job_id}", lambda: self.client.tunings.get(name=job_id))
        state_name = getattr(job.state, "value", str(job.state))
        state = _STATES.get(state_name, JobState.RUNNING)
        return JobStatus(
            job_id=job_id,
            backend=self.name,
            state=state,
            progress=1.0 if state is JobState.SUCCEEDED else 0.0,
            tuned_model=job_id if state is JobState.SUCCEEDED else None,
            error=job.error.message if job.error else None,
            base_model=job.base_model,
            created=job.create_time.timestamp() if job.create_time else None,
            updated=job.update_time.timestamp() if job.update_time else None,
        )

    # -- Batch API (inline requests): half the price of one call per prompt, answers within 24 hours ------------

    supports_batch = True

    def submit_batch(self, model: str, requests: list[tuple[str, str | None, str]], config: GenerationConfig) -> str:
        """One batch job with (prompt, system, key) inline requests (under 20 MB in all); returns its name."""
        from google.genai import types

        config = replace(self._checked(config), timeout=None)  # a per-request timeout means nothing in a batch
        src = [types.InlinedRequest(contents=prompt, metadata={"key": key},
                                    config=content_config(config, system, thinking_model=model))
               for prompt, system, key in requests]
        job = self._call(f"submit a batch of {len(src):,} requests to {model}",
                         lambda: self.client.batches.create(model=model, src=src,
                                                            config={"display_name": "curator evaluation"}),
                         idempotent=False)
        return job.name

    def batch_state(self, name: str) -> BatchState:
        job = self._call(f"read {name}", lambda: self.client.batches.get(name=name))
        state = BATCH_STATES.get(getattr(job.state, "value", str(job.state)), "pending")
        results: dict[str, Generation | str] = {}
        if state == "succeeded" and job.dest is not None:
            for item in job.dest.inlined_responses or []:
                key = (item.metadata or {}).get("key")
                if key is None:
                    continue
                if item.error is not None:
                    results[key] = f"error {item.error.code}: {item.error.message}"
                elif item.response is not None:
                    results[key] = to_generation(item.response, (job.model or "").removeprefix("models/"))
        return BatchState(name, state, results)

    def cancel_batch(self, name: str) -> None:
        self._call(f"cancel {name}", lambda: self.client.batches.cancel(name=name))


BATCH_STATES = {"JOB_STATE_PENDING": "pending", "JOB_STATE_QUEUED": "pending", "JOB_STATE_RUNNING": "running",
                "JOB_STATE_SUCCEEDED": "succeeded", "JOB_STATE_FAILED": "failed", "JOB_STATE_CANCELLING": "running",
                "JOB_STATE_CANCELLED": "cancelled", "JOB_STATE_EXPIRED": "expired"}
