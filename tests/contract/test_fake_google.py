"""The fake server's own rules (auth, bad requests, snake_case), its by-hand mode, and the CLI against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from curator.cli import main
from tests.contract.conftest import TOKEN

ROOT = Path(__file__).parents[2]


def post(url: str, body: bytes | dict, headers: dict | None = None) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_auth_and_request_rules(fake):
    body = {"contents": [{"role": "user", "parts": [{"text": "a b c"}]}],
            "generation_config": {"max_output_tokens": 2,  # snake_case, as the SDK sends nested objects
                                  "thinking_config": {"thinking_budget": 0}}}
    code, reply = post(f"{fake.url}/v1beta/models/gemini-2.5-flash:generateContent", body, {"x-goog-api-key": "k"})
    assert code == 200 and reply["candidates"][0]["content"]["parts"][0]["text"] == "gemini-2.5-flash: a"
    code, reply = post(f"{fake.url}/v1/models/gemini-2.5-flash:generateContent", body)
    assert code == 403 and reply["error"]["status"] == "PERMISSION_DENIED"
    vertex = f"{fake.url}/v1beta1/projects/p/locations/l/publishers/google/models/gemini-2.5-flash:generateContent"
    assert post(vertex, body)[0] == 401
    assert post(vertex, body, {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    assert post(f"{fake.url}/v1/models/x:generateContent", b"{not json", {"x-goog-api-key": "k"})[0] == 400
    assert post(f"{fake.url}/v9/models/gemini-2.5-flash:generateContent", body, {"x-goog-api-key": "k"})[0] == 404
    code, reply = post(f"{fake.url}/v1/tunedModels", {"baseModel": "models/gemini-1.5-flash-001-tuning"},
                       {"x-goog-api-key": "k"})
    assert code == 404 and "tune on Vertex AI" in reply["error"]["message"]
    jobs = f"{fake.url}/v1beta1/projects/p/locations/l/tuningJobs"
    auth = {"Authorization": "Bearer t"}
    code, reply = post(jobs, {"baseModel": "gemini-2.5-flash",
                              "supervisedTuningSpec": {"trainingDatasetUri": "/home/me/train.jsonl"}}, auth)
    assert code == 400 and "Cloud Storage" in reply["error"]["message"]
    code, _ = post(jobs, {"baseModel": "gemini-2.5-flash", "supervisedTuningSpec": {
        "trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"adapterSize": "ADAPTER_SIZE_THREE"}}}, auth)
    assert code == 400


def test_latency_and_custom_answers(fake):
    fake.responder = lambda model, prompt: prompt.upper()
    fake.latency = 0.05
    code, reply = post(f"{fake.url}/v1/models/gemini-2.5-pro:generateContent",
                       {"contents": [{"parts": [{"text": "shout"}]}]}, {"x-goog-api-key": "k"})
    assert code == 200 and reply["candidates"][0]["content"]["parts"][0]["text"] == "SHOUT"


def test_runs_by_hand(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "curator.testing.fake_google", "--port", "0", "--quiet"],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        first = server.stdout.readline()
        assert first.startswith("fake Google server on http://127.0.0.1:")
        url = first.split()[4]
        code, reply = post(f"{url}/v1/models/gemini-2.5-flash:generateContent",
                           {"contents": [{"parts": [{"text": "hi"}]}]}, {"x-goog-api-key": "k"})
        assert code == 200 and reply["modelVersion"] == "gemini-2.5-flash"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def cloud_env(fake, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    monkeypatch.setenv("CURATOR_VERTEX_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-cli-key-0000")
    return fake


def test_cli_against_the_fake_server(cloud_env, clock, tmp_path, capsys, monkeypatch):
    fake = cloud_env
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text_input": f"question {i}", "output": f"answer {i % 4}"}) + "\n"
                            for i in range(40)))
    url = ["--base-url", fake.url]
    assert main(["tune", str(data), "--backend", "vertex", *url, "--fast", "--yes", "--training-uri",
                 "gs://b/t.jsonl", "--display-name", "cloud", "--adapter-size", "8"]) == 0
    assert "follow it with: curator job 1001" in capsys.readouterr().out
    assert fake.calls("POST")[0].body["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == "ADAPTER_SIZE_EIGHT"
    clock.now = 100
    assert main(["job", "1001", str(data), *url]) == 0
    out = capsys.readouterr().out
    assert "succeeded" in out and "endpoints/6001" in out and "checkpoint 5: epoch 5, step 75" in out
    assert main(["models", "--backend", "gemini", *url, "--json"]) == 0
    names = [m["name"] for m in json.loads(capsys.readouterr().out)]
    assert "tunedModels/sentiment-legacy-1" in names
    monkeypatch.setenv("GEMINI_API_KEY", "invalid-key")
    assert main(["models", "--backend", "gemini", *url]) == 1
    assert "authentication: list Gemini API models: the server said 400" in capsys.readouterr().err
