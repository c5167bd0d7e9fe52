"""The Gemini API backend through the real google-genai client against the fake server."""

from __future__ import annotations

import time

import pytest

from curator.core.backends.base import GenerationConfig, Hyperparameters, JobState
from curator.core.backends.gemini_api import GeminiApiBackend
from curator.core.dataset import Dataset
from curator.core.errors import BackendError, BackendErrorKind
from curator.core.model import records_frame
from tests.contract.conftest import API_KEY


def test_generate_sends_the_config_and_reads_the_answer(gemini, fake):
    config = GenerationConfig(temperature=0.0, seed=7, max_output_tokens=3, thinking_budget=0)
    result = gemini.generate("gemini-2.5-flash", "classify this ticket please", config, system="You classify.")
    assert result.text == "gemini-2.5-flash: classify this"
    assert (result.finish_reason, result.output_tokens, result.model) == ("MAX_TOKENS", 3, "gemini-2.5-flash")
    assert result.prompt_tokens == 4 + 2
    (request,) = fake.calls("POST")
    assert request.path == "/v1/models/gemini-2.5-flash:generateContent"
    assert request.headers["x-goog-api-key"] == API_KEY
    generation = request.body["generationConfig"]
    assert generation["temperature"] == 0.0 and generation["seed"] == 7 and generation["maxOutputTokens"] == 3
    assert generation["candidateCount"] == 1 and "thinkingConfig" in generation
    assert request.body["systemInstruction"]["parts"][0]["text"] == "You classify."
    assert request.body["contents"][0]["parts"][0]["text"] == "classify this ticket please"


async def test_agenerate_and_legacy_tuned_models(gemini, fake):
    result = await gemini.agenerate("tunedModels/sentiment-legacy-1", "great product")
    assert result.text == "sentiment-legacy-1: great product" and result.finish_reason == "STOP"
    assert fake.calls("POST")[0].path == "/v1/tunedModels/sentiment-legacy-1:generateContent"
    await gemini.aclose()


def test_lists_base_and_legacy_tuned_models(gemini, fake):
    models = {m.name: m for m in gemini.list_models()}
    assert {"models/gemini-2.5-flash", "models/gemini-2.5-pro", "tunedModels/sentiment-legacy-1"} <= set(models)
    assert models["tunedModels/sentiment-legacy-1"].tuned and not models["models/gemini-2.5-flash"].tuned
    assert not any(m.can_tune for m in models.values())
    assert [r.path for r in fake.calls("GET")] == ["/v1/models", "/v1/tunedModels"]


def test_status_of_legacy_tuned_models(gemini):
    ok = gemini.status("tunedModels/sentiment-legacy-1")
    assert ok.state is JobState.SUCCEEDED and ok.tuned_model == "tunedModels/sentiment-legacy-1"
    assert ok.base_model == "models/gemini-1.5-flash-001-tuning" and ok.created is not None
    assert gemini.status("tunedModels/broken-legacy-2").state is JobState.FAILED
    with pytest.raises(BackendError, match="not a Gemini API tuned model"):
        gemini.status("projects/p/locations/l/tuningJobs/1")


def test_tuning_is_refused_with_directions_to_vertex(gemini, fake):
    ds = Dataset.from_records(records_frame({"text_input": ["a", "b"], "output": ["x", "y"]}))
    for attempt in (lambda: gemini.prepare(ds, Hyperparameters()),
                    lambda: gemini.start_job(None, "gemini-2.5-flash", Hyperparameters()),
                    lambda: gemini.cancel("tunedModels/x"), gemini.list_jobs):
        with pytest.raises(BackendError) as e:
            attempt()
        assert e.value.kind is BackendErrorKind.UNSUPPORTED
    with pytest.raises(BackendError) as e:
        gemini.start_job(None, "gemini-2.5-flash", Hyperparameters())
    assert "Vertex AI" in e.value.reason and "May 2025" in e.value.reason
    assert fake.requests == []  # never a fake job


def test_quota_errors_wait_the_retry_delay(gemini, fake, sleeps):
    assert gemini.generate("flaky-2-429", "hi").text == "flaky-2-429: hi"
    assert len(fake.calls("POST")) == 3 and sleeps == [3.0, 3.0]
    with pytest.raises(BackendError) as e:
        gemini.generate("gemini-err-429", "hi")
    assert e.value.kind is BackendErrorKind.QUOTA and e.value.retry_after == 3.0
    assert len(fake.calls("POST", "err-429")) == 4  # every attempt of the policy


@pytest.mark.parametrize(
    ("model", "kind"),
    [("gemini-err-403", BackendErrorKind.AUTH), ("gemini-err-400-key", BackendErrorKind.AUTH),
     ("gemini-err-400", BackendErrorKind.INVALID), ("no-such-model", BackendErrorKind.INVALID)],
)
def test_client_errors_are_mapped_and_not_retried(gemini, fake, sleeps, model, kind):
    with pytest.raises(BackendError) as e:
        gemini.generate(model, "hi")
    assert e.value.kind is kind and len(fake.calls("POST")) == 1 and sleeps == []


def test_server_errors_and_timeouts_are_retried(fake, retry, sleeps):
    backend = GeminiApiBackend(API_KEY, base_url=fake.url, retry=retry, timeout=0.3, env={})
    assert backend.generate("flaky-1-500", "a").text == "flaky-1-500: a"
    assert backend.generate("flaky-1-timeout", "b", GenerationConfig(timeout=0.3)).text == "flaky-1-timeout: b"
    assert sleeps == [1.5, 1.5]  # first backoff (1 s) plus half the jitter each time
    with pytest.raises(BackendError) as e:
        backend.generate("gemini-err-500", "c")
    assert e.value.kind is BackendErrorKind.TRANSIENT and len(fake.calls("POST", "err-500")) == 4
    with pytest.raises(BackendError) as e:
        backend.generate("gemini-err-timeout", "d", GenerationConfig(timeout=0.3))
    assert e.value.kind is BackendErrorKind.TRANSIENT and "timed out" in e.value.reason
    backend.close()


def test_a_blocked_prompt_gives_an_empty_answer_with_the_reason(gemini):
    result = gemini.generate("gemini-blocked", "something unsafe")
    assert result.text == "" and result.finish_reason == "BLOCKED_SAFETY"


async def test_async_retries(gemini, fake, sleeps):
    result = await gemini.agenerate("flaky-1-429", "x")
    assert result.text == "flaky-1-429: x" and sleeps == [3.0]


def test_an_invalid_or_missing_key_is_an_auth_error(fake, retry):
    bad = GeminiApiBackend("invalid-key", base_url=fake.url, retry=retry, env={})
    with pytest.raises(BackendError) as e:
        bad.generate("gemini-2.5-flash", "hi")
    assert e.value.kind is BackendErrorKind.AUTH and "API key not valid" in e.value.reason
    with pytest.raises(BackendError) as e:
        GeminiApiBackend(base_url=fake.url, env={})
    assert e.value.kind is BackendErrorKind.AUTH and "GEMINI_API_KEY" in e.value.reason
    from_env = GeminiApiBackend(base_url=fake.url, env={"GOOGLE_API_KEY": "from-env-key"})
    from_env.generate("gemini-2.5-flash", "x")
    assert fake.calls("POST")[-1].headers["x-goog-api-key"] == "from-env-key"


def test_the_key_never_appears_in_messages_or_logs(gemini, fake, caplog):
    caplog.set_level("DEBUG")
    errors = []
    for model in ("gemini-err-429", "gemini-err-403", "gemini-err-400-key", "gemini-err-500", "nope"):
        with pytest.raises(BackendError) as e:
            gemini.generate(model, f"prompt for {model}")
        errors.append(e.value)
    assert all(API_KEY not in str(e) and API_KEY not in repr(e) for e in errors)
    assert API_KEY not in caplog.text and API_KEY not in repr(gemini)
    assert all(r.headers["x-goog-api-key"] == API_KEY for r in fake.requests)  # it was sent, only as a header


def test_a_per_request_timeout_shorter_than_the_clients_still_applies(fake, retry):
    backend = GeminiApiBackend(API_KEY, base_url=fake.url, retry=retry, timeout=60, env={})
    start = time.monotonic()
    with pytest.raises(BackendError) as e:
        backend.generate("gemini-err-timeout", "d", GenerationConfig(timeout=0.3))
    assert e.value.kind is BackendErrorKind.TRANSIENT and time.monotonic() - start < 1.9  # the fake hangs 2 s a try
    assert backend.generate("gemini-2.5-flash", "e", GenerationConfig(timeout=60)).text == "gemini-2.5-flash: e"
    backend.close()
