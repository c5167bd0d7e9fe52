"""Jobs kept in the workspace: the whole offline loop, restarts, name resolution and polling rules."""

from __future__ import annotations

import json

import pytest

from curator.core.backends.base import Backend, BackendInfo, Hyperparameters, JobState, JobStatus, LossPoint, UnknownJob
from curator.core.backends.local import BASE_MODEL
from curator.core.backends.prepare import Preparation, prepare_data
from curator.core.checks import worst
from curator.core.errors import CuratorError
from curator.core.model import Severity
from curator.core.session import Session
from curator.core.settings import Settings
from curator.core.storage.workspace import Workspace
from curator.core.tuning import INTERRUPTED, Jobs
from tests.core.test_backend_local import dataset, tickets


def write_dataset(path, n=150):
    data = tickets(n, seed=11)
    lines = [json.dumps({"text_input": x, "output": y}) for x, y in zip(data["text_input"], data["output"])]
    path.write_text("\n".join(lines) + "\n")


def test_the_whole_loop_offline(tmp_path):
    """check -> tune -> status -> the tuned model generates, with the local backend and a real file."""
    data = tmp_path / "tickets.jsonl"
    write_dataset(data)
    with Session.open(data) as session:
        jobs = Jobs(session.workspace)
        hp = Hyperparameters(epochs=3, batch_size=8, learning_rate=0.01, display_name="tickets")
        backend = jobs.backend("local")
        prepared = backend.prepare(session.dataset, hp, skip_slow_checks=True, dataset_path=session.path)
        assert worst(prepared.findings) is not Severity.ERROR
        job_id = jobs.start("local", prepared, BASE_MODEL, hp)
        seen: list[JobStatus] = []
        final = jobs.wait(job_id, interval=0.01, on_status=seen.append)
        assert final.state is JobState.SUCCEEDED and seen[-1] is final
        assert [p.epoch for p in final.loss] == [0, 1, 2, 3] and final.loss[-1].train_loss < final.loss[0].train_loss
        record = jobs.get(job_id)
        assert record.dataset == str(session.path) and record.dataset_version == session.dataset.version_hash()
        assert record.hyperparameters == hp and record.display_name == "tickets"
        assert record.status.state is JobState.SUCCEEDED  # stored
        answer = backend.generate(final.tuned_model, "my invoice shows a double charge")
        assert answer.text == "billing"
        jobs.close()
    again = Jobs(Workspace.for_dataset(data))  # after a restart
    (listed,) = again.list()
    assert listed.id == job_id and listed.status.loss == final.loss
    assert again.backend("local").generate(final.tuned_model, "where is my parcel?").text == "shipping"


def test_a_local_job_cut_short_by_a_restart_is_marked_interrupted(tmp_path):
    ws = Workspace(tmp_path / ".curator")
    first = Jobs(ws)
    hp = Hyperparameters(epochs=100, batch_size=1)
    prepared = first.backend("local").prepare(dataset(tickets(1500)), hp, skip_slow_checks=True)
    job_id = first.start("local", prepared, BASE_MODEL, hp)
    second = Jobs(Workspace(tmp_path / ".curator"))  # another process: the thread is not there
    status = second.status(job_id)
    assert status.state is JobState.FAILED and status.error == INTERRUPTED
    assert second.get(job_id).status.error == INTERRUPTED
    first.backend("local").cancel(job_id)  # the first "process" still holds its thread: stop it
    assert first.backend("local").wait(job_id, timeout=60).state is JobState.CANCELLED
    first.close()


class Scripted(Backend):
    """A backend whose jobs follow a script of states, counting status calls."""

    info = BackendInfo("local", "scripted", "nothing")
    description = "scripted"

    def __init__(self, states):
        self.states = list(states)
        self.polls = 0
        self.cancelled: list[str] = []

    def list_models(self):
        return []

    def prepare(self, dataset, hp, settings=None, **kw):
        return prepare_data(self.name, dataset, hp, settings or Settings(), skip_slow_checks=True)

    def start_job(self, prepared, base_model, hp):
        return f"projects/p/locations/l/tuningJobs/{42 + len(self.cancelled)}"

    def status(self, job_id):
        self.polls += 1
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if state is None:
            raise UnknownJob(job_id)
        return JobStatus(job_id, self.name, state, loss=[LossPoint(1, 0.5, None)])

    def cancel(self, job_id):
        self.cancelled.append(job_id)

    def list_jobs(self):
        return []

    def generate(self, model, prompt, config=None, *, system=None):
        raise NotImplementedError

    async def agenerate(self, model, prompt, config=None, *, system=None):
        raise NotImplementedError


def start(jobs: Jobs, hp=Hyperparameters()) -> str:
    prepared = jobs.backend("local").prepare(dataset(tickets(20)), hp)
    prepared.findings = []
    return jobs.start("local", prepared, "base", hp)


def test_polling_stops_once_a_job_has_ended(tmp_path):
    scripted = Scripted([JobState.RUNNING, JobState.SUCCEEDED])
    jobs = Jobs(Workspace(tmp_path), lambda name: scripted)
    job_id = start(jobs)
    slept: list[float] = []
    final = jobs.wait(job_id, interval=7, sleep=slept.append)
    assert final.state is JobState.SUCCEEDED and slept == [7] and scripted.polls == 2
    assert jobs.status(job_id).state is JobState.SUCCEEDED and scripted.polls == 2  # from the database
    with pytest.raises(CuratorError, match="already ended"):
        jobs.cancel(job_id)


def test_wait_returns_when_asked_to_stop_waiting(tmp_path):
    import threading

    scripted = Scripted([JobState.RUNNING])
    jobs = Jobs(Workspace(tmp_path), lambda name: scripted)
    job_id = start(jobs)
    stop = threading.Event()
    final = jobs.wait(job_id, interval=1, cancel=stop, sleep=lambda s: stop.set())
    assert final.state is JobState.RUNNING and scripted.polls == 2 and scripted.cancelled == []


def test_unknown_remote_jobs_are_errors_not_interruptions(tmp_path):
    scripted = Scripted([None])
    jobs = Jobs(Workspace(tmp_path), lambda name: scripted)
    job_id = start(jobs)
    with pytest.raises(UnknownJob):
        jobs.status(job_id)
    assert jobs.get(job_id).status.state is JobState.PENDING


def test_jobs_are_found_by_id_short_name_or_display_name(tmp_path):
    scripted = Scripted([JobState.RUNNING])
    jobs = Jobs(Workspace(tmp_path), lambda name: scripted)
    first = start(jobs, Hyperparameters(display_name="first run"))
    assert jobs.resolve(first) == first
    assert jobs.resolve("42") == first and jobs.resolve("first run") == first
    with pytest.raises(CuratorError, match="no tuning job 'nope'"):
        jobs.resolve("nope")
    jobs.cancel(first)
    assert scripted.cancelled == [first]
    second = start(jobs, Hyperparameters(display_name="first run"))
    assert second.endswith("/43")
    with pytest.raises(CuratorError, match="names 2 jobs"):
        jobs.resolve("first run")
    assert [r.id for r in jobs.list()][0] in (first, second) and len(jobs.list()) == 2


def test_check_errors_block_the_start(tmp_path):
    jobs = Jobs(Workspace(tmp_path), lambda name: Scripted([JobState.RUNNING]))
    prepared = Preparation("local", *dataset_split())
    from curator.core.model import Finding

    prepared.findings = [Finding("basics.empty", Severity.ERROR, (3,), "empty input")]
    with pytest.raises(CuratorError, match="1 check error"):
        jobs.start("local", prepared, "base", Hyperparameters())
    assert jobs.list() == []


def dataset_split():
    frame = dataset(tickets(10)).active()
    return frame.select("text_input", "output", "system"), frame.head(0).select("text_input", "output", "system")


def test_a_job_run_by_another_live_process_is_not_marked_interrupted(tmp_path):
    import socket
    import subprocess
    import sys

    ws = Workspace(tmp_path / ".curator")
    jobs = Jobs(ws)
    hp = Hyperparameters(epochs=100, batch_size=1)
    prepared = jobs.backend("local").prepare(dataset(tickets(1500)), hp, skip_slow_checks=True)
    job_id = jobs.start("local", prepared, BASE_MODEL, hp)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ws.execute("UPDATE jobs SET runner = ? WHERE id = ?", (f"{socket.gethostname()} {other.pid}", job_id))
        elsewhere = Jobs(Workspace(tmp_path / ".curator"))
        status = elsewhere.status(job_id)
        assert status.state is JobState.PENDING and f"pid {other.pid}" in status.sub_state
        assert elsewhere.get(job_id).status.state is JobState.PENDING  # nothing overwritten
        with pytest.raises(CuratorError, match=f"another curator process \\(pid {other.pid}\\)"):
            elsewhere.cancel(job_id)
    finally:
        other.kill()
        other.wait()
    assert Jobs(Workspace(tmp_path / ".curator")).status(job_id).error == INTERRUPTED  # now it is gone
    jobs.close()


def test_cli_tune_jobs_job_and_models_offline(tmp_path, capsys, monkeypatch):
    from curator.cli import main

    data = tmp_path / "tickets.jsonl"
    write_dataset(data, 120)
    assert main(["tune", str(data), "--fast", "--epochs", "2", "--display-name", "cli run", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "started local-job-" in out and "succeeded  epoch 2/2" in out and "tuned model: local-model-" in out
    assert main(["jobs", str(data)]) == 0
    assert "succeeded  100%" in capsys.readouterr().out
    assert main(["job", "cli run", str(data), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"]["state"] == "succeeded" and len(shown["status"]["loss"]) == 3
    assert main(["models", str(data)]) == 0
    assert "cli run" in capsys.readouterr().out
    assert main(["cancel", "cli run", str(data), "--yes"]) == 2
    assert "has already ended" in capsys.readouterr().err
    assert main(["tune", str(data), "--epochs", "0"]) == 2
    assert "epochs must be between 1 and 100" in capsys.readouterr().err
    assert main(["tune", str(data), "--backend", "gemini"]) == 1
    assert "Vertex AI" in capsys.readouterr().err


def test_cli_tune_stops_on_check_errors_and_unconfirmed_warnings(tmp_path, capsys, monkeypatch):
    from curator.cli import main

    data = tmp_path / "tickets.jsonl"
    write_dataset(data, 60)
    with data.open("a") as f:
        f.write(json.dumps({"text_input": "", "output": "billing"}) + "\n")
    assert main(["tune", str(data), "--fast", "--yes"]) == 2
    assert "block tuning" in capsys.readouterr().err
    write_dataset(data, 60)
    with data.open("a") as f:
        f.write(json.dumps({"text_input": " padded ", "output": "billing"}) + "\n")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["tune", str(data), "--fast"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert Jobs(Workspace.for_dataset(data)).list() == []


def test_a_jobs_settings_line_tells_it_from_its_siblings():
    from curator.core.tuning import JobRecord

    status = JobStatus("j1", "vertex", JobState.RUNNING,
                       loss=[LossPoint(1, 0.9, 0.7), LossPoint(2, 0.5, 0.41234), LossPoint(3, 0.3, 0.6)])
    hp = Hyperparameters(epochs=3, learning_rate_multiplier=2.0, adapter_size=4)
    record = JobRecord("j1", "vertex", None, "gemini-2.5-flash", None, None, hp, 0.0, 0.0, status)
    assert record.settings_line() == "3 ep · lr×2 · adapter 4 · best val 0.412"
    plain = JobRecord("j2", "local", None, BASE_MODEL, None, None, Hyperparameters(batch_size=16), 0.0, 0.0,
                      JobStatus("j2", "local", JobState.PENDING))
    assert plain.settings_line() == "5 ep · batch 16"
