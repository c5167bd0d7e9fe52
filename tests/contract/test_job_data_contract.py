"""Issue 15 item 8 through the real SDK: the data statistics point back to the training file's lines, and the
jobs list holds curator's jobs only (its label), as the fake server, taught Vertex's behaviour, answers."""

from __future__ import annotations

import json

from curator.core.backends.base import Hyperparameters, JobState
from curator.core.backends.vertex import JOBS_FILTER, LABEL_KEY, LABEL_VALUE, VertexBackend
from curator.core.dataset import Dataset
from curator.core.model import records_frame
from tests.contract.conftest import TOKEN

JOBS = "/v1beta1/projects/proj/locations/us-central1/tuningJobs"


def tickets(n: int = 12, long_at: tuple[int, ...] = ()) -> Dataset:
    inputs = [("word " * 40 if i in long_at else "") + f"ticket {i}: my card was charged twice" for i in range(n)]
    return Dataset.from_records(records_frame({"text_input": inputs, "output": ["billing"] * n}))


def launch(vertex: VertexBackend, dataset: Dataset, hp: Hyperparameters) -> tuple[str, list[str]]:
    """Start a job on ``dataset`` (uploaded to the fake's storage); returns the job and the training file's lines."""
    prepared = vertex.prepare(dataset, hp, skip_slow_checks=True)
    prepared.findings = []
    job_id = vertex.start_job(prepared, "gemini-2.5-flash", hp)
    return job_id, prepared.files["train"].read_text(encoding="utf-8").splitlines()


def test_dropped_examples_come_back_as_lines_of_the_training_file(fake, clock, retry, tmp_path):
    fake.max_example_tokens = 30  # the fake counts words; the long examples hold more than 40
    vertex = VertexBackend("proj", base_url=fake.url, access_token=TOKEN, retry=retry, env={},
                           staging_uri="gs://bucket/stage", uploader=fake.upload, export_dir=tmp_path)
    job_id, lines = launch(vertex, tickets(long_at=(2, 7)), Hyperparameters(epochs=3, validation_fraction=0))
    clock.now = 30.0
    status = vertex.status(job_id)
    assert status.state is JobState.SUCCEEDED
    assert status.stats["dropped examples"] == 2 and status.stats["examples"] == 12
    assert "truncated examples" not in status.stats  # the API's name for them misleads: they are left out
    assert status.dropped == [3, 8]  # 1-based lines of the training file
    assert all("word word" in lines[n - 1] for n in status.dropped)
    assert status.dropped_reasons[0].startswith("The example has 4")
    kept_words = sum(len(t.split()) for n, line in enumerate(lines, 1) if n not in (3, 8)
                     for turn in json.loads(line)["contents"] for t in [turn["parts"][0]["text"]])
    assert status.stats["billable tokens"] == kept_words * 3  # the kept examples' tokens × epochs
    again = type(status).from_dict(json.loads(json.dumps(status.to_dict())))  # as the workspace keeps it
    assert again.dropped == [3, 8] and again.dropped_reasons == status.dropped_reasons


def test_jobs_carry_curators_label_and_the_list_shows_only_them(vertex, fake):
    hp = Hyperparameters(epochs=1)
    prepared = vertex.prepare(tickets(), hp, skip_slow_checks=True)
    prepared.findings, prepared.training_uri = [], "gs://bucket/train.jsonl"
    mine = vertex.start_job(prepared, "gemini-2.5-flash", hp)
    assert fake.calls("POST", "tuningJobs")[0].body["labels"] == {LABEL_KEY: LABEL_VALUE}
    other = vertex.client.tunings.tune(  # a job of the same project that someone else started
        base_model="gemini-2.5-flash", training_dataset={"gcs_uri": "gs://other/train.jsonl"},
        config={"labels": {"team": "search"}})
    assert [j.job_id for j in vertex.list_jobs()] == [mine] and other.name != mine
    assert fake.calls("GET", "tuningJobs")[-1].query["filter"] == JOBS_FILTER


def test_a_service_refusing_the_filter_still_lists_curators_jobs_only(vertex, fake, monkeypatch):
    import curator.core.backends.vertex as module

    hp = Hyperparameters(epochs=1)
    prepared = vertex.prepare(tickets(), hp, skip_slow_checks=True)
    prepared.findings, prepared.training_uri = [], "gs://bucket/train.jsonl"
    mine = vertex.start_job(prepared, "gemini-2.5-flash", hp)
    vertex.client.tunings.tune(base_model="gemini-2.5-flash", training_dataset={"gcs_uri": "gs://o/t.jsonl"})
    monkeypatch.setattr(module, "JOBS_FILTER", "labels:created-by")  # a syntax the service does not take
    assert [j.job_id for j in vertex.list_jobs()] == [mine]
    first, second = fake.calls("GET", "tuningJobs")
    assert first.query["filter"] == "labels:created-by" and "filter" not in second.query


def test_the_fake_refuses_labels_google_refuses(vertex, fake):
    import pytest
    from google.genai import errors

    with pytest.raises(errors.ClientError) as e:
        vertex.client.tunings.tune(base_model="gemini-2.5-flash", training_dataset={"gcs_uri": "gs://b/t.jsonl"},
                                   config={"labels": {"Created By": "Curator"}})
    assert e.value.code == 400 and "label key" in e.value.message


def test_the_workspace_finds_the_dropped_examples_in_the_dataset_after_a_restart(fake, clock, retry, tmp_path):
    from curator.core.backends.registry import create_backend
    from curator.core.ops import SetField
    from curator.core.storage.models import backend_storage
    from curator.core.storage.workspace import Workspace
    from curator.core.tuning import Jobs

    fake.max_example_tokens = 30
    env = {"GOOGLE_CLOUD_PROJECT": "proj", "CURATOR_VERTEX_ACCESS_TOKEN": TOKEN}

    def factory(workspace):
        def build(name):
            backend = create_backend(name, **backend_storage(workspace), base_url=fake.url, env=env, retry=retry)
            backend.staging_uri, backend._upload = "gs://bucket/stage", fake.upload
            return backend
        return build

    dataset = tickets(long_at=(2, 5, 9))
    ws = Workspace(tmp_path / ".curator")
    jobs = Jobs(ws, factory(ws))
    hp = Hyperparameters(epochs=1, validation_fraction=0)
    prepared = jobs.backend("vertex").prepare(dataset, hp, skip_slow_checks=True, dataset_path=tmp_path / "d.jsonl")
    prepared.findings = []
    job_id = jobs.start("vertex", prepared, "gemini-2.5-flash", hp, estimate={"tokens": 1})
    clock.now = 30.0
    assert jobs.status(job_id).dropped == [3, 6, 10]
    jobs.close()

    # later: the dataset was edited (one dropped example shortened) and reloaded with other ids
    dataset.apply(SetField("edit", (5,), "text_input", ("ticket 5: my card was charged twice",)))
    reloaded = Dataset.from_records(dataset.active().select("text_input", "output", "system", "split", "tags",
                                                            "note", "extra", "src_line").reverse())
    resumed = Jobs(Workspace(tmp_path / ".curator"), factory(ws))
    found = resumed.dropped_examples(job_id, reloaded.active())
    assert [(d.line, len(d.ids)) for d in found] == [(3, 1), (6, 0), (10, 1)]  # line 6 was edited since
    assert [reloaded.get(d.ids[0])["text_input"].endswith(f"ticket {n}: my card was charged twice")
            for d, n in ((found[0], 2), (found[2], 9))] == [True, True]
    assert found[0].reason.startswith("The example has") and resumed.estimate(job_id) == {"tokens": 1}
    resumed.close()


def test_the_cli_names_the_dropped_lines_and_their_reasons(tmp_path, monkeypatch, capsys):
    from curator.cli import main
    from curator.testing.fake_google import FakeGoogle

    data = tmp_path / "tickets.jsonl"
    rows = [{"text_input": ("word " * 60 if i == 3 else "") + f"ticket {i}: my card was charged", "output": "billing"}
            for i in range(30)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with FakeGoogle() as fake:
        fake.max_example_tokens = 40
        fake.gcs.put("gs://b/train.jsonl", b"".join(  # the training file as curator would upload it
            json.dumps({"contents": [{"role": "user", "parts": [{"text": r["text_input"]}]},
                                     {"role": "model", "parts": [{"text": r["output"]}]}]}).encode() + b"\n"
            for r in rows))
        for name, value in (("GOOGLE_CLOUD_PROJECT", "proj"), ("CURATOR_VERTEX_ACCESS_TOKEN", TOKEN),
                            ("GOOGLE_VERTEX_BASE_URL", fake.url)):
            monkeypatch.setenv(name, value)
        assert main(["tune", str(data), "--backend", "vertex", "--training-uri", "gs://b/train.jsonl", "--yes"]) == 0
        fake.clock = lambda: 1e9
        capsys.readouterr()
        assert main(["jobs", str(data)]) == 0
        assert "(dropped examples: 1, see curator job 1001)" in capsys.readouterr().out
        assert main(["job", "1001", str(data)]) == 0
        out = capsys.readouterr().out
    assert "dropped examples: 1" in out and "line 4: The example has 6" in out
