"""The Gemini API backend (an API key): generation with base models and existing ``tunedModels/...``
for evaluation, and the list of those models. It does not tune: no Gemini API model has supported tuning
since May 2025, and google-genai >= 1.47 leaves the training examples out of that request anyway."""

from __future__ import annotations

import os
from collections.abc import Mapping

from curator.core.backends.base import Hyperparameters, JobState, JobStatus, ModelInfo
from curator.core.backends.google_common import GoogleBackend, http_options
from curator.core.backends.retry import RetryPolicy
from curator.core.errors import BackendError, BackendErrorKind

NO_TUNING = (
    "the Gemini API cannot tune models: it has had no tunable base model since Gemini 1.5 Flash-001 was "
    "retired in May 2025, and google-genai (1.47 and later) leaves the training examples out of that request. "
    "Tune on Vertex AI instead (backend \"vertex\": a Google Cloud project, training data in Cloud Storage), "
    "or offline with the local backend. This backend still generates with base models and with tunedModels/... "
    "you tuned earlier, for evaluation."
)
_STATES = {"JOB_STATE_SUCCEEDED": JobState.SUCCEEDED, "JOB_STATE_FAILED": JobState.FAILED,
           "JOB_STATE_RUNNING": JobState.RUNNING, "JOB_STATE_QUEUED": JobState.PENDING,
           "JOB_STATE_PENDING": JobState.PENDING, "JOB_STATE_CANCELLED": JobState.CANCELLED}


def api_key_from_env(env: Mapping[str, str] = os.environ) -> str | None:
    """GEMINI_API_KEY, else GOOGLE_API_KEY (None when neither is set)."""
    return (env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY") or "").strip() or None


class GeminiApiBackend(GoogleBackend):
    name = "gemini-api"
    title = "Gemini API (API key)"
    description = (
        "Google's Gemini API with an API key (GEMINI_API_KEY or GOOGLE_API_KEY): generation with base models "
        "and with tunedModels/... tuned before 2025, for evaluation. It cannot tune: use Vertex AI for that."
    )
    can_tune = False

    def __init__(self, api_key: str | None = None, *, base_url: str | None = None, timeout: float | None = 60.0,
                 retry: RetryPolicy | None = None, env: Mapping[str, str] = os.environ) -> None:
        from google import genai

        key = (api_key or "").strip() or api_key_from_env(env)
        if not key:
            raise BackendError(BackendErrorKind.AUTH, "no Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY); "
                                                      "get one at https://aistudio.google.com/apikey")
        client = genai.Client(api_key=key, vertexai=False, http_options=http_options(base_url, timeout))
        super().__init__(client, retry=retry, secrets=(key,))

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
