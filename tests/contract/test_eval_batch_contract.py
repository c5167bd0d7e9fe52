"""Evaluation through the Gemini API's Batch API (inline requests), with the real google-genai client against
the fake server: one job per model, answers cached, a killed run polls the same job again, cancel cancels it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time

from curator.cli import main
from curator.core.backends.base import GenerationConfig
from curator.core.backends.gemini_api import GeminiApiBackend
from curator.core.evaluation.cache import PredictionCache
from curator.core.evaluation.runner import Request, predict
from curator.core.models import ModelRef
from curator.core.storage.workspace import Workspace
from curator.testing.fake_google import FakeGoogle
from curator.testing.fake_google_jobs import Timing

from .conftest import API_KEY

A, B = "gemini-api:gemini-2.5-flash", "gemini-api:gemini-2.5-pro"
QUICK = Timing(pending=0.2, running=0.3, cancelling=0.1)


def backend_for(fake):
    return lambda name: GeminiApiBackend(API_KEY, base_url=fake.url, env={})


def test_one_batch_job_per_model_and_then_the_cache(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    requests = [Request(ModelRef.parse(m), f"question {i}", "answer briefly") for i in range(12) for m in (A, B)]
    stages = []
    with FakeGoogle(timing=QUICK) as fake:
        result = predict(requests, GenerationConfig(), PredictionCache(workspace), backend_for(fake), batch=True,
                         poll=0.05, progress=lambda p: stages.append(p.stage))
        assert len(fake.calls("POST", ":batchGenerateContent")) == 2
        assert fake.calls("POST", ":generateContent") == []
        body = fake.calls("POST", ":batchGenerateContent")[0].body
        first = body["batch"]["inputConfig"]["requests"]["requests"][0]["request"]
        assert first["systemInstruction"]["parts"][0]["text"] == "answer briefly"
        assert first["generationConfig"]["temperature"] == 0.0 and first["generationConfig"]["seed"] == 42
        again = predict(requests, GenerationConfig(), PredictionCache(workspace), backend_for(fake), batch=True,
                        poll=0.05)
        assert len(fake.calls("POST", ":batchGenerateContent")) == 2 and again.requests == 0
    assert [o.text for o in result.outcomes] == [f"{r.ref.model}: {r.prompt}" for r in requests]
    assert result.requests == 24
    assert any("pending" in s for s in stages) and any("succeeded" in s for s in stages)


def test_errors_inside_a_batch_are_recorded_per_request(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    requests = [Request(ModelRef.parse(m), f"q{i}") for i in range(3) for m in (A, "gemini-api:err-500")]
    with FakeGoogle(timing=QUICK) as fake:
        result = predict(requests, GenerationConfig(), PredictionCache(workspace), backend_for(fake), batch=True,
                         poll=0.05)
    assert [o.error is None for o in result.outcomes] == [True, False] * 3
    assert "500" in result.outcomes[1].error
    assert len(PredictionCache(workspace)) == 3  # failures are not cached


def test_cancelling_the_run_cancels_the_batch_job(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    cancel = threading.Event()
    requests = [Request(ModelRef.parse(A), f"q{i}") for i in range(5)]
    with FakeGoogle(timing=Timing(pending=30, running=30)) as fake:
        threading.Timer(0.3, cancel.set).start()
        result = predict(requests, GenerationConfig(), PredictionCache(workspace), backend_for(fake), batch=True,
                         poll=0.05, cancel=cancel)
        assert len(fake.calls("POST", ":cancel")) == 1
        assert next(iter(fake.batches.values())).cancelled_at is not None
    assert result.cancelled and all(o is None for o in result.outcomes)
    assert workspace.query("SELECT state FROM eval_batches") == [("cancelled",)]


def test_a_killed_batch_run_polls_the_same_job_again(tmp_path, capsys, monkeypatch):
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(f'{{"text_input": "question {i}", "output": "answer {i}", "split": "test"}}\n'
                            for i in range(20)))
    with FakeGoogle(timing=Timing(pending=1.5, running=0.5)) as fake:
        args = ["eval", str(data), "--a", A, "--b", B, "--base-url", fake.url, "--batch", "--poll", "0.05"]
        monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
        child = subprocess.Popen([sys.executable, "-m", "curator", *args], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        db = tmp_path / ".curator" / "curator.db"
        deadline = time.monotonic() + 60
        submitted = 0
        while submitted < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
            try:
                with sqlite3.connect(db) as conn:
                    submitted = conn.execute("SELECT COUNT(*) FROM eval_batches").fetchone()[0]
            except sqlite3.OperationalError:
                pass
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert submitted == 2 and len(fake.calls("POST", ":batchGenerateContent")) == 2
        assert main(args) == 0
        assert len(fake.calls("POST", ":batchGenerateContent")) == 2  # no second job paid for
        assert fake.calls("POST", ":generateContent") == []
    out = capsys.readouterr()
    assert "resumed run" in out.err and "normalised match" in out.out
