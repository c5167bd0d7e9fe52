"""What Vertex accepts per base model, through the real google-genai client: adapter sizes and the display
name's length are checked before anything is uploaded, and the fake server refuses what Vertex refuses."""

from __future__ import annotations

import json

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials

from curator.cli import main
from curator.core.backends.base import Hyperparameters
from curator.core.backends.vertex import VertexBackend
from curator.core.errors import BackendError, BackendErrorKind
from curator.core.settings import Settings

from .conftest import TOKEN
from .test_vertex_contract import JOBS, examples, prepared_with_uris


def sdk(fake) -> genai.Client:
    return genai.Client(vertexai=True, project="proj", location="us-central1", credentials=Credentials(token=TOKEN),
                        http_options=types.HttpOptions(base_url=fake.url))


def tune(client, base: str, **config):
    return client.tunings.tune(base_model=base, training_dataset=types.TuningDataset(gcs_uri="gs://b/t.jsonl"),
                               config=types.CreateTuningJobConfig(**config))


@pytest.mark.filterwarnings("ignore::Warning")  # the SDK marks tune() experimental
def test_the_fake_refuses_adapter_sizes_and_long_names_as_vertex_does(fake):
    client = sdk(fake)
    with pytest.raises(errors.ClientError, match="not supported for base model gemini-2.5-flash"):
        tune(client, "gemini-2.5-flash", adapter_size="ADAPTER_SIZE_THIRTY_TWO")
    with pytest.raises(errors.ClientError, match="not supported for base model gemini-2.5-pro"):
        tune(client, "gemini-2.5-pro", adapter_size="ADAPTER_SIZE_SIXTEEN")
    with pytest.raises(errors.ClientError, match="maximum is 128"):
        tune(client, "gemini-2.5-flash", tuned_model_display_name="n" * 129)
    assert tune(client, "gemini-2.5-flash", adapter_size="ADAPTER_SIZE_SIXTEEN",
                tuned_model_display_name="n" * 128).name
    client.close()


@pytest.mark.parametrize("base, hp, reason", [
    ("gemini-2.5-flash", Hyperparameters(adapter_size=32), "gemini-2.5-flash takes an adapter size of 1, 2, 4, 8, 16"),
    ("gemini-2.5-pro", Hyperparameters(adapter_size=16), "gemini-2.5-pro takes an adapter size of 1, 2, 4, 8"),
    ("gemini-2.5-flash", Hyperparameters(display_name="x" * 129), "display name is 129 characters"),
])
def test_curator_refuses_before_uploading(fake, tmp_path, base, hp, reason):
    uploads = []
    backend = VertexBackend("proj", "us-central1", base_url=fake.url, access_token=TOKEN, env={},
                            export_dir=tmp_path, staging_uri="gs://bucket/curator",
                            uploader=lambda local, uri: uploads.append(uri))
    prepared = backend.prepare(examples(), Hyperparameters(), skip_slow_checks=True)
    prepared.findings = []
    with pytest.raises(BackendError) as caught:
        backend.start_job(prepared, base, hp)
    assert caught.value.kind is BackendErrorKind.INVALID and reason in caught.value.reason
    assert uploads == [] and not fake.calls("POST", JOBS)
    backend.close()


def test_the_pre_flight_names_the_problem_for_the_chosen_base_model(vertex):
    with pytest.raises(BackendError, match="gemini-2.5-pro takes an adapter size of 1, 2, 4, 8"):
        vertex.prepare(examples(), Hyperparameters(adapter_size=16), Settings(base_model="gemini-2.5-pro"),
                       skip_slow_checks=True)
    job = vertex.start_job(prepared_with_uris(vertex, Hyperparameters(adapter_size=8)), "gemini-2.5-pro",
                           Hyperparameters(adapter_size=8))
    assert job.startswith("projects/proj/locations/us-central1/tuningJobs/")


def test_curator_check_defaults_to_vertex_limits(tmp_path, capsys):
    path = tmp_path / "long.jsonl"
    rows = [{"text_input": "x" * 41_000, "output": "y" * 6_000}] + [{"text_input": f"q{i}", "output": "a"}
                                                                     for i in range(30)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["check", str(path), "--fast"]) != 2  # 41k / 6k characters: fine for Vertex
    capsys.readouterr()
    assert main(["check", str(path), "--fast", "--target", "gemini-api"]) == 2
