"""The Vertex AI backend: supervised tuning of Gemini through google-genai (``tunings.tune``), polling of the
job, and generation with base models and tuned endpoints.

Vertex reads training data from Cloud Storage. ``prepare`` exports Vertex supervised-tuning JSONL files;
``start_job`` uploads them to ``staging_uri`` (needs the optional google-cloud-storage package; same credentials
and project as google-genai, see ``gcs``) unless the preparation already names ``gs://`` URIs (data uploaded by
the user).

Hyperparameters: Vertex takes epochs, the learning-rate multiplier and the adapter size for Gemini models.
Batch size and learning rate apply to open models only there, so they are not sent (``prepare`` says so).
The SDK exposes no loss curve for Vertex jobs: ``status`` reads it from the job's Vertex AI Experiment over REST
(``vertex_metrics``), beside progress from completed epochs/steps, the sub-state, data statistics and checkpoints.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Mapping
from pathlib import Path

from curator.core.backends import vertex_metrics
from curator.core.backends.base import (Checkpoint, Generation, GenerationConfig, Hyperparameters, JobState, JobStatus,
                                        ModelInfo, UnknownJob)
from curator.core.backends.google_common import GoogleBackend, http_options
from curator.core.backends.prepare import Preparation, prepare_data
from curator.core.backends.registry import BACKENDS
from curator.core.backends.retry import RetryPolicy
from curator.core.checks.limits import DISPLAY_NAME_CHARS, VERTEX_SOURCE, vertex_model
from curator.core.errors import BackendError, BackendErrorKind
from curator.core.formats.registry import write_file
from curator.core.model import records_frame
from curator.core.settings import Settings

# Tunable Gemini models on Vertex AI (its "About supervised fine-tuning" page, late 2026); pass base_models
# (or CURATOR_VERTEX_BASE_MODELS, comma-separated) to use another list.
DEFAULT_BASE_MODELS = ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro")
MAX_VALIDATION = 5_000
# The label curator puts on the jobs it creates; list_jobs shows only those, not every job of the project.
LABEL_KEY, LABEL_VALUE = "created-by", "curator"
JOBS_FILTER = f'labels.{LABEL_KEY}="{LABEL_VALUE}"'  # Vertex's list filter: labels.key=value
ADAPTERS = {1: "ADAPTER_SIZE_ONE", 2: "ADAPTER_SIZE_TWO", 4: "ADAPTER_SIZE_FOUR", 8: "ADAPTER_SIZE_EIGHT",
            16: "ADAPTER_SIZE_SIXTEEN", 32: "ADAPTER_SIZE_THIRTY_TWO"}
_STATES = {
    "JOB_STATE_UNSPECIFIED": JobState.PENDING, "JOB_STATE_QUEUED": JobState.PENDING,
    "JOB_STATE_PENDING": JobState.PENDING, "JOB_STATE_RUNNING": JobState.RUNNING,
    "JOB_STATE_UPDATING": JobState.RUNNING, "JOB_STATE_PAUSED": JobState.RUNNING,
    "JOB_STATE_SUCCEEDED": JobState.SUCCEEDED, "JOB_STATE_PARTIALLY_SUCCEEDED": JobState.SUCCEEDED,
    "JOB_STATE_FAILED": JobState.FAILED, "JOB_STATE_EXPIRED": JobState.FAILED,
    "JOB_STATE_CANCELLING": JobState.CANCELLING, "JOB_STATE_CANCELLED": JobState.CANCELLED,
}
_PLACE = re.compile(r"^projects/([^/]+)/locations/([^/]+)/")  # where a resource (job, endpoint) lives
_STATS = {  # SupervisedTuningDataStats field -> label
    "tuning_dataset_example_count": "examples",
    "total_billable_token_count": "billable tokens",
    "tuning_step_count": "steps",
    "total_truncated_example_count": "dropped examples",  # the API's name; it counts examples left out
    "total_billable_character_count": "billable characters",
}


def _name(value) -> str | None:
    return None if value is None else getattr(value, "value", str(value))


def check_hyperparameters(base_model: str, hp: Hyperparameters) -> None:
    """A BackendError (invalid) naming what ``base_model`` does not accept: adapter size, display name length."""
    name, limits = vertex_model(base_model)
    problems = []
    if hp.adapter_size is not None and hp.adapter_size not in limits.adapter_sizes:
        problems.append(f"{name} takes an adapter size of {', '.join(map(str, limits.adapter_sizes))}, "
                        f"not {hp.adapter_size}")
    if hp.display_name and len(hp.display_name) > DISPLAY_NAME_CHARS:
        problems.append(f"the display name is {len(hp.display_name):,} characters; Vertex AI takes at most "
                        f"{DISPLAY_NAME_CHARS}")
    if problems:
        raise BackendError(BackendErrorKind.INVALID, "; ".join(problems) + f" ({VERTEX_SOURCE})")


class VertexBackend(GoogleBackend):
    info = BACKENDS["vertex"]
    description = (
        "Supervised tuning of Gemini on Vertex AI in a Google Cloud project (credentials from "
        "`gcloud auth application-default login`). Training data goes to Cloud Storage as JSONL. Jobs take "
        "from minutes to hours and cost money; the tuned model is served from an endpoint."
    )

    def __init__(self, project: str | None = None, location: str | None = None, *, base_url: str | None = None,
                 credentials=None, access_token: str | None = None, staging_uri: str | None = None,
                 base_models: tuple[str, ...] | None = None, export_dir: Path | None = None,
                 timeout: float | None = 60.0, retry: RetryPolicy | None = None, uploader=None,
                 storage_url: str | None = None, env: Mapping[str, str] = os.environ) -> None:
        from google import genai

        project = project or env.get("GOOGLE_CLOUD_PROJECT")
        location = location or env.get("GOOGLE_CLOUD_LOCATION") or "us-central1"
        if not project:
            raise BackendError(BackendErrorKind.AUTH, "no Google Cloud project: set GOOGLE_CLOUD_PROJECT or pass "
                                                      "--project")
        token = access_token or env.get("CURATOR_VERTEX_ACCESS_TOKEN")
        if credentials is None and token:
            from google.oauth2.credentials import Credentials

            credentials = Credentials(token=token)
        base_url = base_url or env.get("GOOGLE_VERTEX_BASE_URL") or None
        self._base_url = base_url  # may name "{location}": a regional endpoint (the fake server's, in tests)
        regional = base_url.format(location=location) if base_url else None
        client = genai.Client(vertexai=True, project=project, location=location, credentials=credentials,
                              http_options=http_options(regional, timeout))
        super().__init__(client, retry=retry, secrets=(token,), timeout=timeout)
        self._token = token
        self._twins: dict[tuple[str, str], VertexBackend] = {}  # (project, location) -> backend there
        self.project, self.location = project, location
        self.credentials = credentials  # None: application default credentials, for google-genai and storage alike
        self.storage_url = storage_url or env.get("CURATOR_GCS_ENDPOINT") or None
        self._storage = None  # google-cloud-storage Client, built on the first upload
        self.staging_uri = staging_uri
        listed = env.get("CURATOR_VERTEX_BASE_MODELS", "")
        self.base_models = base_models or tuple(m.strip() for m in listed.split(",") if m.strip()) or DEFAULT_BASE_MODELS
        self.export_dir = Path(export_dir) if export_dir else None
        self._upload = uploader or self._upload_to_gcs
        self._bases: dict[str, str] | None = None  # tuned endpoint -> its base model, read once from the jobs
        self._bases_lock = threading.Lock()
        self._session = None  # google-auth AuthorizedSession for the REST calls google-genai does not make
        self._series: dict[str, vertex_metrics.Series] = {}  # job -> where its loss curves are

    @property
    def place(self) -> tuple[str, str]:
        return self.project, self.location

    def at(self, project: str | None, location: str | None) -> VertexBackend:
        """A backend in ``project``/``location`` with these credentials: Vertex is regional, so a job is followed
        and cancelled where it was started, whatever GOOGLE_CLOUD_LOCATION says now."""
        project, location = project or self.project, location or self.location
        if (project, location) == (self.project, self.location):
            return self
        if (project, location) not in self._twins:
            self._twins[project, location] = VertexBackend(
                project, location, base_url=self._base_url, credentials=self.credentials, access_token=self._token,
                timeout=self.timeout, retry=self.retry, staging_uri=self.staging_uri, base_models=self.base_models,
                export_dir=self.export_dir, uploader=self._upload, storage_url=self.storage_url, env={})
        return self._twins[project, location]

    def close(self) -> None:
        for twin in self._twins.values():
            twin.close()
        if self._session is not None:
            self._session.close()
        super().close()

    async def aclose(self) -> None:
        for twin in self._twins.values():
            await twin.client.aio.aclose()
        await self.client.aio.aclose()
        self.close()

    def _home(self, name: str) -> VertexBackend:
        """The backend in the region of ``name`` (a tuned endpoint of another region is served there)."""
        place = _PLACE.match(name)
        return self.at(place.group(1), place.group(2)) if place else self

    def generate(self, model: str, prompt: str, config: GenerationConfig | None = None, *,
                 system: str | None = None) -> Generation:
        home = self._home(model)
        if home is not self:
            return home.generate(model, prompt, config, system=system)
        return super().generate(model, prompt, config, system=system)

    async def agenerate(self, model: str, prompt: str, config: GenerationConfig | None = None, *,
                        system: str | None = None) -> Generation:
        home = self._home(model)
        if home is not self:
            return await home.agenerate(model, prompt, config, system=system)
        return await super().agenerate(model, prompt, config, system=system)

    def _upload_to_gcs(self, local: Path, uri: str) -> None:
        """Copy ``local`` to ``uri`` with the credentials and project google-genai uses."""
        from curator.core.backends import gcs

        if self._storage is None:
            self._storage = gcs.storage_client(self.project, self.credentials, self.storage_url)
        gcs.upload(self._storage, local, uri, location=self.location, secrets=self._secrets)

    def _read_bases(self) -> dict[str, str]:
        try:
            jobs = self.list_jobs()
        except BackendError:
            jobs = []
        return {j.tuned_model: j.base_model for j in jobs if j.tuned_model and j.base_model}

    def thinking_model(self, model: str) -> str:
        """A tuned endpoint thinks as its base model does: its base, from the tuning jobs (read once)."""
        if "/endpoints/" not in model:
            return model
        with self._bases_lock:
            if self._bases is None:
                self._bases = self._read_bases()
        return self._bases.get(model, model)

    async def athinking_model(self, model: str) -> str:
        """``thinking_model`` off the event loop: the jobs are listed once, in a worker thread, however many
        generations ask at the same time."""
        if "/endpoints/" not in model or self._bases is not None:
            return self.thinking_model(model)
        return await asyncio.to_thread(self.thinking_model, model)

    # -- models and data -----------------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        models = [ModelInfo(m, m, can_tune=True, description="Gemini base model on Vertex AI")
                  for m in self.base_models]
        for job in self.list_jobs():
            if job.state is JobState.SUCCEEDED and job.tuned_model:
                label = job.display_name or job.job_id.rsplit("/", 1)[-1]
                models.append(ModelInfo(job.tuned_model, label, tuned=True,
                                        description=f"tuned from {job.base_model}"))
        return models

    def prepare(self, dataset, hp, settings=None, *, skip_slow_checks=False, progress=None, cancel=None,
                dataset_path=None) -> Preparation:
        settings = (settings or Settings()).with_overrides(target="vertex")
        if settings.base_model:
            check_hyperparameters(settings.base_model, hp)
        prepared = prepare_data(self.name, dataset, hp, settings, skip_slow_checks=skip_slow_checks,
                                max_validation=MAX_VALIDATION, progress=progress, cancel=cancel)
        prepared.dataset_path = None if dataset_path is None else str(dataset_path)
        if self.export_dir is None:  # a fresh folder of the owner's only, never a shared, guessable one in /tmp
            folder = Path(tempfile.mkdtemp(prefix=f"curator-vertex-{time.strftime('%Y%m%d-%H%M%S')}-"))
        else:
            folder = self.export_dir / time.strftime("%Y%m%d-%H%M%S")  # inside the owner-only workspace
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for part, frame in (("train", prepared.train), ("validation", prepared.validation)):
            if frame.height:
                path = folder / f"{part}.jsonl"
                records = records_frame({c: frame[c].to_list() for c in ("text_input", "output", "system")})
                with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
                    write_file(records, out, "vertex-jsonl")  # a new file of a new folder: nothing to replace
                prepared.files[part] = path
        ignored = [f for f in ("batch_size", "learning_rate") if f in self.ignored_hyperparameters(hp)]
        if ignored:
            prepared.notes.append(
                f"not sent to Vertex: {', '.join(ignored)} (open models only; for Gemini set the learning-rate "
                "multiplier)"
            )
        where = self.staging_uri or "a gs:// URI you give"
        prepared.notes.append(f"exported Vertex JSONL to {folder}; training data will be read from {where}")
        if self.location == "global":
            prepared.notes.append("tuning is regional: choose a region such as us-central1, not global")
        return prepared

    def _data_uris(self, prepared: Preparation) -> tuple[str, str | None]:
        if prepared.training_uri:
            return prepared.training_uri, prepared.validation_uri
        if not self.staging_uri:
            raise BackendError(
                BackendErrorKind.INVALID,
                "Vertex reads training data from Cloud Storage: give a gs:// staging folder to upload it to, or "
                f"upload {prepared.files.get('train', 'the exported train.jsonl')} yourself and give its gs:// "
                "training URI",
            )
        if not self.staging_uri.startswith("gs://"):
            raise BackendError(BackendErrorKind.INVALID, f"staging URI must start with gs://, not {self.staging_uri!r}")
        stamp = time.strftime("%Y%m%d-%H%M%S")
        uris: dict[str, str] = {}
        for part, path in prepared.files.items():
            uri = f"{self.staging_uri.rstrip('/')}/curator-{stamp}/{part}.jsonl"
            self._call(f"upload {path.name} to {uri}", lambda p=path, u=uri: self._upload(p, u))
            uris[part] = uri
        prepared.training_uri, prepared.validation_uri = uris["train"], uris.get("validation")
        return prepared.training_uri, prepared.validation_uri

    # -- jobs ----------------------------------------------------------------------------------------

    def start_job(self, prepared: Preparation, base_model: str, hp: Hyperparameters) -> str:
        from google.genai import types

        hp.validated()
        check_hyperparameters(base_model, hp)  # before anything is uploaded
        prepared.require_launchable()
        for uri in (prepared.training_uri, prepared.validation_uri):
            if uri is not None and not uri.startswith("gs://"):
                raise BackendError(BackendErrorKind.INVALID, f"Vertex reads data from Cloud Storage: {uri!r} is "
                                                             "not a gs:// URI")
        training, validation = self._data_uris(prepared)
        config = types.CreateTuningJobConfig(
            tuned_model_display_name=hp.display_name,
            epoch_count=hp.epochs,
            learning_rate_multiplier=hp.learning_rate_multiplier,
            adapter_size=ADAPTERS[hp.adapter_size] if hp.adapter_size else None,
            validation_dataset=types.TuningValidationDataset(gcs_uri=validation) if validation else None,
            labels={LABEL_KEY: LABEL_VALUE},
        )

        def tune():
            with warnings.catch_warnings():  # the SDK marks tune() experimental on every call
                warnings.simplefilter("ignore")
                return self.client.tunings.tune(
                    base_model=base_model, training_dataset=types.TuningDataset(gcs_uri=training), config=config
                )

        job = self._call(f"start tuning {base_model}", tune, idempotent=False)
        return job.name

    def status(self, job_id: str) -> JobStatus:
        from google.genai import errors

        def get():
            try:
                return self.client.tunings.get(name=job_id)
            except errors.ClientError as e:
                if e.code == 404:
                    raise UnknownJob(job_id) from None
                raise

        job = self._call(f"read {job_id}", get)
        status = self._to_status(job)
        if job.experiment and status.state is not JobState.PENDING:
            self._add_loss(job.name, job.experiment, status)
        return status

    def _get_json(self, path: str, params: dict) -> dict:
        """GET {endpoint}/v1/{path} with the backend's credentials (Vertex REST calls google-genai lacks)."""
        import requests
        from google.auth.transport.requests import AuthorizedSession
        from google.genai import errors

        if self._session is None:
            credentials = self.credentials
            if credentials is None:
                import google.auth

                credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
            self._session = AuthorizedSession(credentials)
        base = (self._base_url.format(location=self.location) if self._base_url
                else f"https://{self.location}-aiplatform.googleapis.com")
        try:
            reply = self._session.get(f"{base.rstrip('/')}/v1/{path}", params=params, timeout=self.timeout)
        except requests.RequestException as e:
            raise BackendError(BackendErrorKind.TRANSIENT,
                               f"GET {path}: the request failed ({type(e).__name__})") from None
        try:
            body = reply.json()
        except ValueError:
            body = {"error": {"code": reply.status_code, "message": reply.text[:200]}}
        if reply.status_code != 200:
            raise errors.APIError(reply.status_code, body)
        return body

    def _add_loss(self, job_name: str, experiment: str, status: JobStatus) -> None:
        """Fill ``status.loss`` from the job's experiment; say why in ``status.stats`` when it cannot be read."""
        try:
            series = self._series.get(job_name)
            if series is None:
                series = self._call("find the loss curves",
                                    lambda: vertex_metrics.find_series(self._get_json, experiment))
                if series is None:
                    status.stats["loss curve"] = "not published yet"
                    return
                self._series[job_name] = series
            steps, epochs = status.total_steps, status.total_epochs
            per_epoch = steps / epochs if steps and epochs else None
            status.loss = self._call("read the loss curves",
                                     lambda: vertex_metrics.read_loss(self._get_json, series, per_epoch))
        except BackendError as e:
            status.stats["loss curve"] = f"unavailable: {e.reason}"[:300]

    def _to_status(self, job) -> JobStatus:
        state = _STATES.get(_name(job.state) or "", JobState.RUNNING)
        meta = job.tuning_job_metadata
        spec = job.supervised_tuning_spec
        hyper = spec.hyper_parameters if spec else None
        total_epochs = hyper.epoch_count if hyper else None
        data = job.tuning_data_stats.supervised_tuning_data_stats if job.tuning_data_stats else None
        stats = {label: getattr(data, field) for field, label in _STATS.items()
                 if data is not None and getattr(data, field) is not None}
        dropped, reasons = _dropped(data)
        if reasons:
            stats["dropped example reasons"] = "; ".join(dict.fromkeys(reasons[:20]))
        if job.experiment:
            stats["experiment"] = job.experiment
        epoch = meta.completed_epoch_count if meta else None
        step = meta.completed_step_count if meta else None
        total_steps = data.tuning_step_count if data else None
        if state is JobState.SUCCEEDED:
            progress = 1.0
        elif step is not None and total_steps:
            progress = min(1.0, step / total_steps)
        elif epoch is not None and total_epochs:
            progress = min(1.0, epoch / total_epochs)
        else:
            progress = 0.0
        tuned = job.tuned_model
        sub = _name(job.tuning_job_state)
        return JobStatus(
            job_id=job.name, backend=self.name, state=state, progress=progress, epoch=epoch,
            total_epochs=total_epochs, step=step, total_steps=total_steps, stats=stats,
            tuned_model=tuned.endpoint if tuned and state is JobState.SUCCEEDED else None,
            error=job.error.message if job.error and state is not JobState.SUCCEEDED else None,
            sub_state=sub.removeprefix("TUNING_JOB_STATE_").replace("_", " ").lower() if sub else None,
            display_name=job.tuned_model_display_name, base_model=job.base_model,
            created=job.create_time.timestamp() if job.create_time else None,
            updated=job.update_time.timestamp() if job.update_time else None,
            checkpoints=[Checkpoint(c.checkpoint_id or "", c.epoch, c.step, c.endpoint)
                         for c in (tuned.checkpoints or [])] if tuned else [],
            dropped=dropped, dropped_reasons=reasons,
        )

    def cancel(self, job_id: str) -> None:
        self._call(f"cancel {job_id}", lambda: self.client.tunings.cancel(name=job_id))

    def list_jobs(self, limit: int = 200) -> list[JobStatus]:
        """curator's tuning jobs of the project (its label), newest first; other jobs are not curator's to show."""
        jobs = self._call("list tuning jobs", lambda: self._curator_jobs(limit))
        return sorted((self._to_status(j) for j in jobs), key=lambda s: s.created or 0, reverse=True)

    def _curator_jobs(self, limit: int) -> list:
        """The jobs carrying curator's label: filtered by the service, and again here (a service that refuses
        the filter with a 400 is asked for every job instead)."""
        from google.genai import errors

        def fetch(config: dict) -> list:
            jobs = []
            for job in self.client.tunings.list(config=config):
                if (job.labels or {}).get(LABEL_KEY) == LABEL_VALUE:
                    jobs.append(job)
                    if len(jobs) >= limit:
                        break
            return jobs

        try:
            return fetch({"page_size": 50, "filter": JOBS_FILTER})
        except errors.ClientError as e:
            if e.code != 400:
                raise
            return fetch({"page_size": 50})


def _dropped(data) -> tuple[list[int], list[str]]:
    """(1-based lines of the training file, reasons) of the examples Vertex left out: a sample of them
    (``truncated_example_indices`` and ``dropped_example_reasons``, despite the SDK's names)."""
    if data is None:
        return [], []
    lines = [int(i) for i in (data.truncated_example_indices or [])]
    return lines, [str(r) for r in (data.dropped_example_reasons or [])]
