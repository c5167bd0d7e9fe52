"""The loss curve of a Vertex job, read from its Vertex AI Experiment over REST (the experiment context, the runs of
its TensorBoard experiment, the run's series, batchRead) against the fake server, which publishes the series as
the job runs."""

from __future__ import annotations

import pytest

from curator.core.backends.base import Hyperparameters, JobState
from curator.core.backends.vertex_metrics import MAX_TRAIN_POINTS, Series, read_loss
from tests.contract.conftest import TOKEN
from tests.contract.test_vertex_contract import prepared_with_uris

TB = "/v1/projects/proj/locations/us-central1/tensorboards/"


def _job(vertex, *, validation: bool = True, epochs: int = 4) -> str:
    hp = Hyperparameters(epochs=epochs)
    prepared = prepared_with_uris(vertex, hp)
    if not validation:
        prepared.validation_uri = None
    return vertex.start_job(prepared, "gemini-2.5-flash", hp)


def test_the_loss_curve_grows_as_the_job_runs_and_is_whole_at_the_end(vertex, fake, clock):
    job_id = _job(vertex)
    assert vertex.status(job_id).loss == []  # pending: nothing published, nothing asked
    assert not fake.calls("GET", "/metadataStores/")
    clock.now = 4.5  # a quarter of the way
    early = vertex.status(job_id)
    assert early.state is JobState.RUNNING and early.loss
    assert early.loss[-1].epoch == pytest.approx(1.0) and early.loss[0].epoch == pytest.approx(1 / 15)
    train = [p.train_loss for p in early.loss]
    assert all(t is not None for t in train) and train[-1] < train[0]
    clock.now = 13.0
    done = vertex.status(job_id)
    assert done.state is JobState.SUCCEEDED and done.loss[-1].epoch == pytest.approx(4.0)
    assert len(done.loss) == done.total_steps == 60  # every step of train loss
    val = [(p.epoch, p.val_loss) for p in done.loss if p.val_loss is not None]
    assert [e for e, _ in val] == pytest.approx([1.0, 2.0, 3.0, 4.0])  # validation at each epoch's end
    assert val[-1][1] < val[0][1]
    # the series were found once (the experiment, its runs, the run's series); each poll then reads them at once
    assert len(fake.calls("GET", "/metadataStores/default/contexts/tuning-")) == 1
    assert len([r for r in fake.calls("GET") if r.path.endswith("/runs")]) == 1
    assert len(fake.calls("GET", "/timeSeries")) == 1
    reads = fake.calls("GET", ":batchRead")
    assert len(reads) == 2 and all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in reads)
    assert reads[-1].path.startswith(TB) and len(reads[-1].query["timeSeries"]) == 2


def test_without_a_validation_dataset_only_the_training_curve_is_drawn(vertex, fake, clock):
    job_id = _job(vertex, validation=False)
    clock.now = 13.0
    loss = vertex.status(job_id).loss
    assert loss and all(p.val_loss is None and p.train_loss is not None for p in loss)


def test_a_curve_that_cannot_be_read_leaves_the_status_whole_and_says_why(vertex, fake, clock):
    job_id = _job(vertex)
    clock.now = 7.0
    vertex._series[job_id] = Series("projects/proj/locations/us-central1/tensorboards/1", {
        "/train_total_loss": "projects/proj/locations/us-central1/tensorboards/1/experiments/x/runs/y/timeSeries/1"})
    status = vertex.status(job_id)
    assert status.state is JobState.RUNNING and status.progress == pytest.approx(0.5) and status.loss == []
    assert status.stats["loss curve"].startswith("unavailable: ") and "not found" in status.stats["loss curve"]


def test_long_runs_keep_every_validation_point_and_a_thinned_training_curve():
    steps = 5_000
    train = [{"step": str(s), "scalar": {"value": 1 / s}} for s in range(1, steps + 1)]
    val = [{"step": str(s), "scalar": {"value": 2 / s}} for s in range(250, steps + 1, 250)]
    replies = {"tb:batchRead": {"timeSeriesData": [{"tensorboardTimeSeriesId": "1", "values": train},
                                                   {"tensorboardTimeSeriesId": "4", "values": val}]}}
    series = Series("tb", {"/train_total_loss": "tb/experiments/e/runs/r/timeSeries/1",
                           "/eval_total_loss": "tb/experiments/e/runs/r/timeSeries/4"})
    loss = read_loss(lambda path, params: replies[path], series, steps_per_epoch=1_000)
    assert len([p for p in loss if p.train_loss is not None]) <= MAX_TRAIN_POINTS + 1 + len(val)
    assert [p.epoch for p in loss if p.val_loss is not None] == pytest.approx([k / 4 for k in range(1, 21)])
    assert loss[-1].epoch == 5.0 and loss[-1].train_loss == pytest.approx(1 / steps)


def test_curator_job_prints_the_loss_at_each_validation(fake, clock, tmp_path, capsys, monkeypatch):
    import json

    from curator.cli import main

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    monkeypatch.setenv("CURATOR_VERTEX_ACCESS_TOKEN", TOKEN)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text_input": f"q {i}", "output": f"a {i % 4}"}) + "\n" for i in range(40)))
    url = ["--base-url", fake.url]
    assert main(["tune", str(data), "--backend", "vertex", *url, "--fast", "--yes", "--training-uri",
                 "gs://b/t.jsonl", "--validation-uri", "gs://b/v.jsonl"]) == 0
    clock.now = 100
    assert main(["job", "1001", str(data), *url]) == 0
    table = capsys.readouterr().out.split("epoch  train loss  validation loss\n")[1].split("  checkpoint")[0]
    rows = [line.split() for line in table.splitlines()]
    assert [r[0] for r in rows] == ["1.00", "2.00", "3.00", "4.00", "5.00"]  # 75 steps: the validated ones
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rows) and float(rows[-1][2]) < float(rows[0][2])


def test_a_curve_not_published_yet_is_looked_for_again_at_the_next_poll(vertex, fake, clock, monkeypatch):
    from curator.core.backends import vertex_metrics

    real, calls = vertex_metrics.find_series, []
    monkeypatch.setattr(vertex_metrics, "find_series",
                        lambda get, experiment: calls.append(experiment) or (real(get, experiment) if len(calls) > 1
                                                                              else None))
    job_id = _job(vertex)
    clock.now = 5.0
    first = vertex.status(job_id)
    assert first.loss == [] and first.stats["loss curve"] == "not published yet"
    clock.now = 7.0
    second = vertex.status(job_id)
    assert second.loss and "loss curve" not in second.stats and len(calls) == 2
