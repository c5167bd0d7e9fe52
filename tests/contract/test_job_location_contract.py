"""Jobs remember where they run: the fake server plays regional endpoints (as Vertex's are) and refuses a job asked
of another region; the workspace follows and cancels each job in the region it was started in."""

from __future__ import annotations

import pytest

from curator.core.backends.base import Hyperparameters, JobState
from curator.core.backends.registry import create_backend
from curator.core.errors import BackendError, BackendErrorKind
from curator.core.storage.models import backend_storage
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs
from tests.contract.conftest import TOKEN
from tests.contract.test_vertex_contract import examples


def _jobs(tmp_path, fake, retry, location: str) -> Jobs:
    env = {"GOOGLE_CLOUD_PROJECT": "proj", "GOOGLE_CLOUD_LOCATION": location, "CURATOR_VERTEX_ACCESS_TOKEN": TOKEN}
    ws = Workspace(tmp_path / ".curator")
    return Jobs(ws, lambda name: create_backend(name, **backend_storage(ws), base_url=fake.url + "/{location}", env=env,
                                                retry=retry))


def _start(jobs: Jobs) -> str:
    hp = Hyperparameters(epochs=2)
    prepared = jobs.backend("vertex").prepare(examples(), hp, skip_slow_checks=True)
    prepared.findings = []
    prepared.training_uri = "gs://bucket/train.jsonl"
    return jobs.start("vertex", prepared, "gemini-2.5-flash", hp)


def test_a_job_asked_of_another_regions_endpoint_is_refused(fake, retry, tmp_path):
    jobs = _jobs(tmp_path, fake, retry, "europe-west4")
    job_id = _start(jobs)
    assert job_id.startswith("projects/proj/locations/europe-west4/tuningJobs/")
    elsewhere = create_backend("vertex", base_url=fake.url + "/{location}", retry=retry,
                               env={"GOOGLE_CLOUD_PROJECT": "proj", "GOOGLE_CLOUD_LOCATION": "us-central1",
                                    "CURATOR_VERTEX_ACCESS_TOKEN": TOKEN})
    with pytest.raises(BackendError) as e:
        elsewhere.status(job_id)  # what following the job did before jobs kept their region
    assert e.value.kind is BackendErrorKind.INVALID and "europe-west4-aiplatform" in e.value.reason
    assert fake.requests[-1].path.startswith("/us-central1/v1beta1/projects/proj/locations/europe-west4/")
    elsewhere.close()
    jobs.close()


def test_jobs_are_followed_and_cancelled_where_they_started_after_the_region_changed(fake, clock, retry, tmp_path):
    first = _jobs(tmp_path, fake, retry, "europe-west4")
    job_id = _start(first)
    first.close()

    later = _jobs(tmp_path, fake, retry, "us-central1")  # GOOGLE_CLOUD_LOCATION changed since
    (record,) = later.list()
    assert (record.project, record.location) == ("proj", "europe-west4")
    clock.now = 5.0
    assert later.status(job_id).state is JobState.RUNNING
    assert later.cancel(job_id).state is JobState.CANCELLING
    clock.now = 10.0
    assert later.status(job_id).state is JobState.CANCELLED
    asked = [r.path for r in fake.requests if "tuningJobs/" in r.path]
    assert asked and all(p.startswith("/europe-west4/v1beta1/projects/proj/locations/europe-west4/") for p in asked)
    later.close()


async def test_a_tuned_endpoint_is_asked_in_its_own_region(fake, clock, retry, tmp_path):
    first = _jobs(tmp_path, fake, retry, "europe-west4")
    job_id = _start(first)
    clock.now = 30.0
    endpoint = first.status(job_id).tuned_model
    first.close()
    later = _jobs(tmp_path, fake, retry, "us-central1")
    backend = later.backend("vertex")
    assert backend.generate(endpoint, "hi").text.endswith(": hi")
    assert (await backend.agenerate(endpoint, "hey")).text.endswith(": hey")
    asked = [r.path for r in fake.calls("POST", ":generateContent")]
    assert len(asked) == 2 and all(p.startswith("/europe-west4/v1beta1/projects/proj/locations/europe-west4/endpoints/")
                                   for p in asked)
    await backend.aclose()
    later.close()


def test_the_cli_shows_where_a_job_runs_and_follows_it_there(fake, clock, retry, tmp_path, capsys, monkeypatch):
    import json

    from curator.cli import main

    first = _jobs(tmp_path, fake, retry, "europe-west4")
    job_id = _start(first)
    first.close()
    data = tmp_path / "d.jsonl"
    data.write_text('{"text_input": "q", "output": "a"}\n')
    for name, value in (("GOOGLE_CLOUD_PROJECT", "proj"), ("GOOGLE_CLOUD_LOCATION", "us-central1"),
                        ("CURATOR_VERTEX_ACCESS_TOKEN", TOKEN)):
        monkeypatch.setenv(name, value)
    url = ["--base-url", fake.url + "/{location}"]
    clock.now = 30.0
    assert main(["job", job_id.rsplit("/", 1)[-1], str(data), *url]) == 0
    out = capsys.readouterr().out
    assert "in proj / europe-west4" in out and "succeeded" in out
    assert main(["jobs", str(data), "--json", *url]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["project"], listed["location"]) == ("proj", "europe-west4")
