"""The Vertex AI backend through the real google-genai client against the fake server."""

from __future__ import annotations

import sys

import pytest

from curator.core.backends.base import GenerationConfig, Hyperparameters, JobState, UnknownJob
from curator.core.backends.vertex import VertexBackend
from curator.core.dataset import Dataset
from curator.core.errors import BackendError, BackendErrorKind
from curator.core.formats.registry import read_file
from curator.core.model import records_frame
from tests.contract.conftest import TOKEN

JOBS = "/v1beta1/projects/proj/locations/us-central1/tuningJobs"


def examples(n: int = 40) -> Dataset:
    return Dataset.from_records(records_frame({
        "text_input": [f"ticket number {i}: my {['card', 'parcel', 'password'][i % 3]} has a problem" for i in range(n)],
        "output": [["billing", "shipping", "login"][i % 3] for i in range(n)],
        "system": ["Classify the ticket."] * n,
    }))


def prepared_with_uris(vertex: VertexBackend, hp: Hyperparameters):
    prepared = vertex.prepare(examples(), hp, skip_slow_checks=True)
    prepared.findings = []
    prepared.training_uri, prepared.validation_uri = "gs://bucket/train.jsonl", "gs://bucket/val.jsonl"
    return prepared


def test_prepare_exports_vertex_jsonl_and_names_ignored_settings(vertex):
    hp = Hyperparameters(batch_size=16, learning_rate=0.01, validation_fraction=0.25)
    prepared = vertex.prepare(examples(), hp, skip_slow_checks=True)
    train = read_file(prepared.files["train"])
    validation = read_file(prepared.files["validation"])
    assert train.format == validation.format == "vertex-jsonl"
    assert train.records.height == 30 and validation.records.height == 10
    assert set(train.records["system"]) == {"Classify the ticket."}
    assert sorted(train.records["text_input"].to_list() + validation.records["text_input"].to_list()) == sorted(
        examples().frame["text_input"].to_list())
    assert any("not sent to Vertex: batch_size, learning_rate" in n for n in prepared.notes)


def test_start_job_sends_what_vertex_accepts(vertex, fake):
    hp = Hyperparameters(epochs=3, batch_size=16, learning_rate=0.01, learning_rate_multiplier=0.5, adapter_size=4,
                         display_name="tickets-v1")
    job_id = vertex.start_job(prepared_with_uris(vertex, hp), "gemini-2.5-flash", hp)
    assert job_id == "projects/proj/locations/us-central1/tuningJobs/1001"
    (request,) = fake.calls("POST")
    assert request.path == JOBS and request.headers["authorization"] == f"Bearer {TOKEN}"
    body = request.body
    assert body["baseModel"] == "gemini-2.5-flash" and body["tunedModelDisplayName"] == "tickets-v1"
    spec = body["supervisedTuningSpec"]
    assert spec["trainingDatasetUri"] == "gs://bucket/train.jsonl"
    assert spec["validationDatasetUri"] == "gs://bucket/val.jsonl"
    assert spec["hyperParameters"] == {"epochCount": 3, "learningRateMultiplier": 0.5,
                                       "adapterSize": "ADAPTER_SIZE_FOUR"}  # no batch size, no learning rate


def test_status_follows_the_job_to_its_tuned_endpoint(vertex, fake, clock):
    hp = Hyperparameters(epochs=4)
    job_id = vertex.start_job(prepared_with_uris(vertex, hp), "gemini-2.5-flash", hp)
    pending = vertex.status(job_id)
    assert pending.state is JobState.PENDING and pending.sub_state == "processing dataset"
    assert pending.progress == 0 and pending.tuned_model is None
    clock.now = 7.0  # half-way through the 10 s of running
    running = vertex.status(job_id)
    assert running.state is JobState.RUNNING and running.sub_state == "tuning"
    assert (running.epoch, running.step, running.total_steps, running.total_epochs) == (2, 30, 60, 4)
    assert running.progress == pytest.approx(0.5)
    assert running.stats["examples"] == 120 and running.stats["steps"] == 60
    assert running.stats["experiment"].endswith("/metadataStores/default/contexts/tuning-1001")
    clock.now = 13.0
    done = vertex.status(job_id)
    assert done.state is JobState.SUCCEEDED and done.progress == 1.0
    assert done.tuned_model == "projects/proj/locations/us-central1/endpoints/6001"
    assert [(c.epoch, c.step) for c in done.checkpoints] == [(1, 15), (2, 30), (3, 45), (4, 60)]
    answer = vertex.generate(done.tuned_model, "my card", GenerationConfig(max_output_tokens=10))
    assert answer.text == "6001: my card"
    assert fake.calls("POST")[-1].path == "/v1beta1/projects/proj/locations/us-central1/endpoints/6001:generateContent"


async def test_generate_with_base_models(vertex, fake):
    result = await vertex.agenerate("gemini-2.5-pro", "hello", system="Be brief.")
    assert result.text == "gemini-2.5-pro: hello"
    sync = vertex.generate("gemini-2.5-flash", "hi")
    assert sync.text == "gemini-2.5-flash: hi"
    paths = [r.path for r in fake.calls("POST")]
    assert paths == ["/v1beta1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent",
                     "/v1beta1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"]
    await vertex.aclose()


def test_list_jobs_and_models_page_through(vertex, fake, clock):
    hp = Hyperparameters(epochs=1)
    first = vertex.start_job(prepared_with_uris(vertex, hp), "gemini-2.5-flash", hp)
    clock.now = 100.0
    second = vertex.start_job(prepared_with_uris(vertex, hp), "gemini-2.5-flash-lite",
                              Hyperparameters(epochs=1, display_name="lite"))
    jobs = vertex.list_jobs()
    assert [j.job_id for j in jobs] == [second, first]
    assert [j.state for j in jobs] == [JobState.PENDING, JobState.SUCCEEDED]
    models = vertex.list_models()
    assert [m.name for m in models if not m.tuned] == ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro"]
    assert [m.name for m in models if m.tuned] == [jobs[1].tuned_model]


def test_list_jobs_follows_next_page_tokens(vertex, fake):
    hp = Hyperparameters(epochs=1)
    for _ in range(55):  # more than one page of 50
        vertex.start_job(prepared_with_uris(vertex, hp), "gemini-2.5-flash", hp)
    assert len(vertex.list_jobs()) == 55
    assert [r.query.get("pageToken") for r in fake.calls("GET", "tuningJobs")] == [None, "50"]


def test_cancel(vertex, clock):
    hp = Hyperparameters()
    job_id = vertex.start_job(prepared_with_uris(vertex, hp), "gemini-2.5-flash", hp)
    clock.now = 5.0
    vertex.cancel(job_id)
    assert vertex.status(job_id).state is JobState.CANCELLING
    clock.now = 6.5
    cancelled = vertex.status(job_id)
    assert cancelled.state is JobState.CANCELLED and cancelled.tuned_model is None and cancelled.error == "CANCELLED"
    with pytest.raises(BackendError) as e:
        vertex.cancel(job_id)
    assert e.value.kind is BackendErrorKind.INVALID and "cannot be cancelled" in e.value.reason


def test_a_failing_job_and_an_unknown_one(vertex, clock):
    hp = Hyperparameters()
    job_id = vertex.start_job(prepared_with_uris(vertex, hp), "gemini-fail-tuning", hp)
    clock.now = 9.0
    failed = vertex.status(job_id)
    assert failed.state is JobState.FAILED and "failed half-way" in failed.error
    with pytest.raises(UnknownJob):
        vertex.status("projects/proj/locations/us-central1/tuningJobs/999")


def test_create_retries_quota_but_never_risks_a_second_job(vertex, fake, sleeps):
    hp = Hyperparameters()
    assert vertex.start_job(prepared_with_uris(vertex, hp), "flaky-1-429", hp).endswith("/tuningJobs/1001")
    assert sleeps == [3.0]
    with pytest.raises(BackendError) as e:
        vertex.start_job(prepared_with_uris(vertex, hp), "flaky-1-500", hp)
    assert e.value.kind is BackendErrorKind.TRANSIENT
    assert len(fake.calls("POST", "tuningJobs")) == 3  # 429 + retry, then one 500 not retried


def test_data_must_be_in_cloud_storage(vertex, fake, tmp_path, monkeypatch):
    hp = Hyperparameters()
    prepared = vertex.prepare(examples(), hp, skip_slow_checks=True)
    prepared.findings = []
    with pytest.raises(BackendError, match="Cloud Storage") as e:
        vertex.start_job(prepared, "gemini-2.5-flash", hp)
    assert str(prepared.files["train"]) in e.value.reason
    prepared.training_uri = str(tmp_path / "train.jsonl")
    with pytest.raises(BackendError, match="not a gs:// URI"):
        vertex.start_job(prepared, "gemini-2.5-flash", hp)
    assert fake.requests == []


def test_staging_uploads_the_exports_first(fake, retry, tmp_path):
    uploads = []
    backend = VertexBackend("proj", "us-central1", base_url=fake.url, access_token=TOKEN, retry=retry,
                            staging_uri="gs://my-bucket/tuning/", uploader=lambda p, u: uploads.append((p, u)),
                            export_dir=tmp_path, env={})
    hp = Hyperparameters()
    prepared = backend.prepare(examples(), hp, skip_slow_checks=True)
    prepared.findings = []
    backend.start_job(prepared, "gemini-2.5-flash", hp)
    assert [p.name for p, _ in uploads] == ["train.jsonl", "validation.jsonl"]
    assert all(u.startswith("gs://my-bucket/tuning/curator-") for _, u in uploads)
    spec = fake.calls("POST")[0].body["supervisedTuningSpec"]
    assert spec["trainingDatasetUri"] == uploads[0][1] and spec["validationDatasetUri"] == uploads[1][1]


def test_upload_without_google_cloud_storage_says_what_to_install(fake, retry, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)  # as if the optional extra were missing
    backend = VertexBackend("proj", "us-central1", base_url=fake.url, access_token=TOKEN, retry=retry,
                            staging_uri="gs://b/x", export_dir=tmp_path, env={})
    prepared = backend.prepare(examples(), Hyperparameters(), skip_slow_checks=True)
    prepared.findings = []
    with pytest.raises(BackendError) as e:
        backend.start_job(prepared, "gemini-2.5-flash", Hyperparameters())
    assert e.value.kind is BackendErrorKind.UNSUPPORTED and "pip install 'curator[gcs]'" in e.value.reason


def test_settings_come_from_the_environment(fake):
    with pytest.raises(BackendError, match="GOOGLE_CLOUD_PROJECT") as e:
        VertexBackend(base_url=fake.url, env={})
    assert e.value.kind is BackendErrorKind.AUTH
    backend = VertexBackend(base_url=fake.url, env={
        "GOOGLE_CLOUD_PROJECT": "envproj", "GOOGLE_CLOUD_LOCATION": "europe-west4",
        "CURATOR_VERTEX_ACCESS_TOKEN": "env-token", "CURATOR_VERTEX_BASE_MODELS": "gemini-x, gemini-y"})
    assert [m.name for m in backend.list_models() if not m.tuned] == ["gemini-x", "gemini-y"]
    request = fake.calls("GET")[0]
    assert request.path == "/v1beta1/projects/envproj/locations/europe-west4/tuningJobs"
    assert request.headers["authorization"] == "Bearer env-token"
