"""Uploads through the real google-cloud-storage client to the fake server's Cloud Storage: the token google-genai
uses, the bytes intact, and 403/404 told as what to do (never a traceback, never the token)."""

from __future__ import annotations

import pytest

from curator.core.backends import gcs
from curator.core.backends.base import Hyperparameters
from curator.core.backends.vertex import VertexBackend
from curator.core.errors import BackendError, BackendErrorKind
from tests.contract.conftest import TOKEN
from tests.contract.test_vertex_contract import examples


@pytest.fixture
def staged(fake, retry, tmp_path):
    backend = VertexBackend("proj", "us-central1", base_url=fake.url, storage_url=fake.url, access_token=TOKEN,
                            retry=retry, staging_uri="gs://curator-staging/tuning", export_dir=tmp_path, env={})
    yield backend
    backend.close()


def _prepared(backend):
    prepared = backend.prepare(examples(), Hyperparameters(), skip_slow_checks=True)
    prepared.findings = []
    return prepared


def test_start_job_uploads_with_the_token_google_genai_uses(staged, fake):
    prepared = _prepared(staged)
    staged.start_job(prepared, "gemini-2.5-flash", Hyperparameters())
    objects = fake.gcs.buckets["curator-staging"]
    assert sorted(name.rsplit("/", 1)[-1] for name in objects) == ["train.jsonl", "validation.jsonl"]
    assert fake.gcs.get(prepared.training_uri) == prepared.files["train"].read_bytes()
    assert fake.gcs.get(prepared.validation_uri) == prepared.files["validation"].read_bytes()
    assert set(fake.gcs.tokens) == {TOKEN}  # not application default credentials
    spec = fake.calls("POST", "tuningJobs")[0].body["supervisedTuningSpec"]
    assert prepared.training_uri.startswith("gs://curator-staging/tuning/curator-")
    assert spec["trainingDatasetUri"] == prepared.training_uri
    assert fake.calls("POST", "tuningJobs")[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_bucket_the_account_cannot_write_is_an_auth_error_naming_the_role(staged, fake):
    fake.gcs.forbidden.add("curator-staging")
    with pytest.raises(BackendError) as e:
        staged.start_job(_prepared(staged), "gemini-2.5-flash", Hyperparameters())
    assert e.value.kind is BackendErrorKind.AUTH
    assert "permission denied on gs://curator-staging" in e.value.reason
    assert "roles/storage.objectAdmin" in e.value.reason
    assert "storage.objects.create" in e.value.reason  # what the server said is kept
    assert TOKEN not in str(e.value) and "Traceback" not in str(e.value)
    assert fake.calls("POST", "tuningJobs") == []  # nothing launched on half-uploaded data


def test_a_missing_bucket_says_how_to_create_it_in_the_tuning_region(staged, fake):
    staged.staging_uri = "gs://no-such-bucket/tuning"
    with pytest.raises(BackendError) as e:
        staged.start_job(_prepared(staged), "gemini-2.5-flash", Hyperparameters())
    assert e.value.kind is BackendErrorKind.INVALID
    assert "gs://no-such-bucket does not exist" in e.value.reason
    assert "gcloud storage buckets create gs://no-such-bucket --location=us-central1" in e.value.reason
    assert fake.calls("POST", "tuningJobs") == []


def test_large_files_go_up_resumably_and_arrive_whole(fake, tmp_path):
    big = tmp_path / "train.jsonl"
    big.write_bytes(b'{"contents": []}\n' * 520_000)  # 8.8 MB: over the client's 8 MiB multipart limit
    client = gcs.storage_client("proj", _token_credentials(), fake.url)
    gcs.upload(client, big, "gs://curator-staging/big/train.jsonl")
    assert fake.gcs.get("gs://curator-staging/big/train.jsonl") == big.read_bytes()


def test_without_a_token_the_fake_refuses_as_cloud_storage_does(fake, tmp_path):
    from google.auth.credentials import AnonymousCredentials

    path = tmp_path / "train.jsonl"
    path.write_text("{}\n")
    client = gcs.storage_client("proj", AnonymousCredentials(), fake.url)
    with pytest.raises(BackendError) as e:
        gcs.upload(client, path, "gs://curator-staging/train.jsonl")
    assert e.value.kind is BackendErrorKind.AUTH and "gcloud auth application-default login" in e.value.reason


def test_uri_without_an_object_name_is_refused_before_any_request(fake, tmp_path):
    with pytest.raises(BackendError, match="not a Cloud Storage object URI"):
        gcs.upload(object(), tmp_path / "x.jsonl", "gs://bucket-only")


def _token_credentials():
    from google.oauth2.credentials import Credentials

    return Credentials(token=TOKEN)
