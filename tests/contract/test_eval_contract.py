"""Evaluation against the fake Google server through the real google-genai client: errors in the middle of a
run, and a run killed with SIGKILL that resumes without losing an answer or asking for one twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time


from curator.cli import main
from curator.core.backends.base import GenerationConfig
from curator.core.backends.gemini_api import GeminiApiBackend
from curator.core.backends.retry import RetryPolicy
from curator.core.evaluation.cache import PredictionCache, prediction_key
from curator.core.evaluation.runner import Request, predict
from curator.core.evaluation.runs import Runs
from curator.core.models import ModelRef
from curator.core.storage.workspace import Workspace
from curator.testing.fake_google import FakeGoogle
from curator.testing.fake_google_replies import texts

from .conftest import API_KEY, Sleeps

A, B = "gemini-api:gemini-2.5-flash", "gemini-api:gemini-2.5-pro"


def test_429_and_500_in_the_middle_of_a_run_are_retried_and_every_answer_arrives(tmp_path):
    sleeps = Sleeps()
    retry = RetryPolicy(attempts=4, sleep=sleeps, asleep=sleeps.asleep, random=lambda: 0.5)
    faults = {7: 429, 13: 500, 14: 503}
    with FakeGoogle(faults=faults.get, retry_delay=3) as fake:
        workspace = Workspace(tmp_path / ".curator")
        requests = [Request(ModelRef.parse(m), f"question {i}") for i in range(15) for m in (A, B)]
        result = predict(requests, GenerationConfig(), PredictionCache(workspace),
                         lambda name: GeminiApiBackend(API_KEY, base_url=fake.url, retry=retry, env={}),
                         concurrency=4)
        assert fake.generations == 30 + 3  # each failed request was asked once more
    assert all(o is not None and o.error is None for o in result.outcomes)
    assert [o.text for o in result.outcomes] == [f"{r.ref.model}: {r.prompt}" for r in requests]
    assert 3 in sleeps  # the 429 waited the server's retryDelay


def test_a_model_failing_every_time_is_reported_and_the_other_still_answers(tmp_path):
    sleeps = Sleeps()
    retry = RetryPolicy(attempts=2, sleep=sleeps, asleep=sleeps.asleep, random=lambda: 0.5)
    with FakeGoogle() as fake:
        workspace = Workspace(tmp_path / ".curator")
        requests = [Request(ModelRef.parse(m), f"q{i}") for i in range(5) for m in (A, "gemini-api:err-403")]
        result = predict(requests, GenerationConfig(), PredictionCache(workspace),
                         lambda name: GeminiApiBackend(API_KEY, base_url=fake.url, retry=retry, env={}),
                         concurrency=1)
        assert len(fake.calls("POST", "err-403")) == 1  # permission denied: not asked again
    assert [o.error is None for o in result.outcomes] == [True, False] * 5
    assert "gemini-api:err-403" in result.stopped and "authentication" in result.stopped["gemini-api:err-403"]


def _requested(fake: FakeGoogle) -> list[str]:
    """The cache keys of every generation request the fake received (CLI defaults: seed 42, 256 tokens)."""
    config = GenerationConfig(temperature=0.0, seed=42, max_output_tokens=256)
    keys = []
    for call in fake.calls("POST", ":generateContent"):
        if call.body is None:  # cut off by the kill before its body arrived: never a request the fake answered
            continue
        model = call.path.rsplit("/", 1)[-1].split(":")[0]
        keys.append(prediction_key("gemini-api", model, "".join(texts(call.body["contents"])), config))
    return keys


def test_a_killed_run_resumes_without_losing_or_repeating_an_answer(tmp_path, capsys, monkeypatch):
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(f'{{"text_input": "question number {i}", "output": "answer {i}", "split": "test"}}\n'
                            for i in range(60)))
    concurrency = 4
    with FakeGoogle(latency=0.05) as fake:
        args = ["eval", str(data), "--a", A, "--b", B, "--base-url", fake.url, "--concurrency", str(concurrency)]
        env = {**os.environ, "GEMINI_API_KEY": API_KEY}
        child = subprocess.Popen([sys.executable, "-m", "curator", *args], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db = tmp_path / ".curator" / "curator.db"
        deadline = time.monotonic() + 60
        cached = 0
        while cached < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        cached = conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
                except sqlite3.OperationalError:  # the table is not there yet
                    pass
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert 30 <= cached < 120, "the child should be killed in the middle of the run"
        workspace = Workspace(tmp_path / ".curator")
        kept = {row[0] for row in workspace.query("SELECT key FROM predictions")}
        assert len(kept) >= cached  # nothing committed before the kill was lost
        before = len(_requested(fake))

        monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
        assert main(args) == 0
        assert "resumed run" in capsys.readouterr().err
        after = _requested(fake)[before:]
    assert not set(after) & kept  # no answer kept before the kill was asked for again
    assert len(after) == 120 - len(kept)
    assert before - len(kept) <= concurrency  # only requests in flight at the kill were lost, never an answer
    runs = Runs(workspace).list()
    assert len(runs) == 1 and runs[0].state == "done"  # the interrupted run was resumed, not duplicated
    rows = Runs(workspace).rows(runs[0].id)
    assert all(r.output_a == f"gemini-2.5-flash: {r.prompt}" and r.output_b == f"gemini-2.5-pro: {r.prompt}"
               for r in rows)
