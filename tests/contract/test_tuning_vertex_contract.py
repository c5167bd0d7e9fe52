"""Jobs in the workspace driving Vertex through the fake server: resumed after a restart, no secret stored."""

from __future__ import annotations

from curator.core.backends.base import Hyperparameters, JobState
from curator.core.backends.registry import create_backend
from curator.core.storage.models import backend_storage
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs
from tests.contract.conftest import TOKEN
from tests.contract.test_vertex_contract import examples


def test_vertex_jobs_are_resumed_after_a_restart_and_keep_no_token(fake, clock, retry, tmp_path):
    env = {"GOOGLE_CLOUD_PROJECT": "proj", "CURATOR_VERTEX_ACCESS_TOKEN": TOKEN}

    def factory(workspace):
        return lambda name: create_backend(name, **backend_storage(workspace), base_url=fake.url, env=env, retry=retry)

    ws = Workspace(tmp_path / ".curator")
    jobs = Jobs(ws, factory(ws))
    hp = Hyperparameters(epochs=2, display_name="tickets")
    prepared = jobs.backend("vertex").prepare(examples(), hp, skip_slow_checks=True, dataset_path=tmp_path / "d.jsonl")
    assert prepared.files["train"].parent.parent == tmp_path / ".curator" / "exports"
    prepared.findings = []
    prepared.training_uri = "gs://bucket/train.jsonl"
    job_id = jobs.start("vertex", prepared, "gemini-2.5-flash", hp)
    assert jobs.status(job_id).state is JobState.PENDING
    jobs.close()

    clock.now = 30.0
    ws2 = Workspace(tmp_path / ".curator")
    resumed = Jobs(ws2, factory(ws2))
    (record,) = resumed.list()
    assert record.id == job_id and record.status.state is JobState.PENDING  # as last seen
    final = resumed.wait(job_id, sleep=lambda s: None)
    assert final.state is JobState.SUCCEEDED and final.display_name == "tickets"
    assert resumed.backend("vertex").generate(final.tuned_model, "hi").text.endswith(": hi")
    resumed.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / ".curator").rglob("*") if p.is_file())
    assert TOKEN.encode() not in stored
