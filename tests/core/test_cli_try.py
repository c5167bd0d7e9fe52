"""curator try: one input to one or two models, template applied, errors in place, through the fake server."""

from __future__ import annotations

import json

import pytest

from curator.cli import main, try_
from curator.core.backends import Hyperparameters
from curator.core.dataset import Dataset
from curator.core.formats.registry import read_file
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs


@pytest.fixture(autouse=True)
def scratch(tmp_path, monkeypatch):
    """A scratch workspace of the test's own (it holds the prediction cache when no FILE is given)."""
    monkeypatch.setattr(try_, "SCRATCH", tmp_path / "scratch")


def test_try_local_base_and_tuned_with_template(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    rows = [{"text_input": f"Classify.\nquestion: {w} problem {i}", "output": w}
            for i in range(30) for w in ("refund", "login")]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    jobs = Jobs(Workspace.for_dataset(path))
    dataset = Dataset.from_records(read_file(path).records)
    prepared = jobs.backend("local").prepare(dataset, Hyperparameters(epochs=3), skip_slow_checks=True)
    tuned = jobs.wait(jobs.start("local", prepared, "local-echo", Hyperparameters(epochs=3)), interval=0.05).tuned_model
    jobs.close()
    code = main(["try", "local:local-echo", "login problem again", "--vs", f"local:{tuned}", "--file", str(path),
                 "--template", "Classify.\\nquestion: {question}", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["prompt"] == "Classify.\nquestion: login problem again"
    assert [a["text"] for a in out["answers"]] == ["Classify.\nquestion: login problem again", "login"]


def test_try_reports_a_failing_model_and_exits_1(capsys):
    assert main(["try", "local-echo", "hi", "--vs", "local:nope"]) == 1
    out = capsys.readouterr().out
    assert "── local:local-echo" in out and "hi" in out and "no local model 'nope'" in out


def test_try_gemini_through_the_fake_server(monkeypatch, capsys):
    from curator.testing.fake_google import FakeGoogle

    key = "AIzaSy-fake-try-key-000"
    with FakeGoogle() as fake:
        monkeypatch.setenv("GEMINI_API_KEY", key)
        code = main(["try", "gemini-api:gemini-2.5-flash", "III", "--vs", "gemini:err-403", "--base-url", fake.url])
    out = capsys.readouterr()
    assert code == 1 and "── gemini-api:gemini-2.5-flash" in out.out and "authentication" in out.out
    assert key not in out.out + out.err


def test_try_answers_again_from_the_prediction_cache(monkeypatch, capsys):
    from curator.testing.fake_google import FakeGoogle

    monkeypatch.setenv("GEMINI_API_KEY", "AIzaSy-fake-try-key-000")
    with FakeGoogle() as fake:
        args = ["try", "gemini-api:gemini-2.5-flash", "III", "--base-url", fake.url, "--json"]
        assert main(args) == 0
        first = json.loads(capsys.readouterr().out)["answers"][0]
        assert main(args) == 0
        second = json.loads(capsys.readouterr().out)["answers"][0]
        assert len(fake.calls("POST", ":generateContent")) == 1
        assert main([*args, "--temperature", "0.5"]) == 0  # another setting: another request
        assert len(fake.calls("POST", ":generateContent")) == 2
        assert main([*args, "--no-cache"]) == 0
        assert len(fake.calls("POST", ":generateContent")) == 3
    assert first["text"] == second["text"] == "gemini-2.5-flash: III"
    assert (first["cached"], second["cached"]) == (False, True)
