"""Thinking through the real google-genai client: thinking tokens come out of max output tokens, curator asks
for the least thinking by default (off, or 2.5 Pro's minimum), the same for a tuned model as for its base,
and a truncated answer is marked as such."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types

from curator.cli import main
from curator.core.backends.base import GenerationConfig, Hyperparameters
from curator.core.errors import BackendError, BackendErrorKind

from curator.testing.fake_google_replies import field

from .conftest import API_KEY
from .test_vertex_contract import prepared_with_uris


def thinking_sent(fake) -> list:
    """The thinking budget of each generation request (None: no thinking config); the SDK sends snake_case."""
    configs = [field(field(r.body, "generationConfig", default={}), "thinkingConfig", "thinking_config")
               for r in fake.calls("POST", ":generateContent")]
    return [None if c is None else field(c, "thinkingBudget", "thinking_budget") for c in configs]


def test_the_fake_spends_thinking_out_of_max_output_tokens_and_refuses_what_google_refuses(fake):
    client = genai.Client(api_key=API_KEY, http_options=types.HttpOptions(base_url=fake.url))
    free = client.models.generate_content(model="gemini-2.5-flash", contents="say hi",
                                          config={"max_output_tokens": 256})
    assert free.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS and not free.text
    assert free.usage_metadata.thoughts_token_count == 256
    off = client.models.generate_content(model="gemini-2.5-flash", contents="say hi",
                                         config={"max_output_tokens": 256, "thinking_config": {"thinking_budget": 0}})
    assert off.text == "gemini-2.5-flash: say hi" and off.usage_metadata.thoughts_token_count is None
    lite = client.models.generate_content(model="gemini-2.5-flash-lite", contents="hi",
                                          config={"max_output_tokens": 256})
    assert lite.text and lite.usage_metadata.thoughts_token_count is None  # Flash-Lite does not think unless told
    with pytest.raises(errors.ClientError, match="only works in thinking mode"):
        client.models.generate_content(model="gemini-2.5-pro", contents="hi",
                                       config={"thinking_config": {"thinking_budget": 0}})
    with pytest.raises(errors.ClientError, match="between 512 and 24576"):
        client.models.generate_content(model="gemini-2.5-flash-lite", contents="hi",
                                       config={"thinking_config": {"thinking_budget": 100}})
    client.close()


def test_curator_asks_for_the_least_thinking_each_model_allows(gemini, fake):
    flash = gemini.generate("gemini-2.5-flash", "say hi")
    pro = gemini.generate("gemini-2.5-pro", "say hi")
    legacy = gemini.generate("tunedModels/sentiment-legacy-1", "say hi")
    assert thinking_sent(fake) == [0, 128, None]
    assert flash.text == "gemini-2.5-flash: say hi" and not flash.thinking_tokens and not flash.truncated
    assert pro.text == "gemini-2.5-pro: say hi" and pro.thinking_tokens == 128 and not pro.truncated
    assert legacy.text and legacy.thinking_tokens is None


def test_a_model_left_to_think_is_truncated_and_says_so(gemini):
    answer = gemini.generate("gemini-2.5-flash", "say hi", GenerationConfig(thinking_budget=-1, max_output_tokens=300))
    assert answer.truncated and answer.text == "" and answer.thinking_tokens == 300
    roomy = gemini.generate("gemini-2.5-flash", "say hi", GenerationConfig(thinking_budget=200, max_output_tokens=300))
    assert not roomy.truncated and roomy.thinking_tokens == 200 and roomy.text


def test_a_budget_the_model_refuses_is_refused_before_any_request(gemini, fake):
    with pytest.raises(BackendError) as caught:
        gemini.generate("gemini-2.5-pro", "hi", GenerationConfig(thinking_budget=0))
    assert caught.value.kind is BackendErrorKind.INVALID and "cannot be turned off" in caught.value.reason
    assert not fake.calls("POST", ":generateContent")


def test_a_tuned_vertex_endpoint_thinks_as_its_base_and_gets_the_same_setting(vertex, fake, clock):
    job = vertex.start_job(prepared_with_uris(vertex, Hyperparameters()), "gemini-2.5-pro", Hyperparameters())
    clock.now = 100
    endpoint = vertex.status(job).tuned_model
    base = vertex.generate("gemini-2.5-pro", "hi")
    tuned = vertex.generate(endpoint, "hi")
    assert thinking_sent(fake) == [128, 128]
    assert base.thinking_tokens == tuned.thinking_tokens == 128


def test_batch_requests_carry_the_thinking_setting(gemini, fake):
    gemini.submit_batch("gemini-2.5-flash", [("q", None, "k1")], GenerationConfig())
    request = fake.calls("POST", ":batchGenerateContent")[0].body["batch"]["inputConfig"]["requests"]["requests"][0]
    thinking = field(request["request"]["generationConfig"], "thinkingConfig", "thinking_config")
    assert field(thinking, "thinkingBudget", "thinking_budget") == 0


def test_curator_try_shows_thinking_beside_output_and_the_cut(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GEMINI_API_KEY", API_KEY)
    monkeypatch.setattr("curator.cli.try_.SCRATCH", tmp_path / "scratch")
    url = ["--base-url", fake.url, "--no-cache"]
    assert main(["try", "gemini-api:gemini-2.5-pro", "hello", *url]) == 0
    assert "(+128 thinking)" in capsys.readouterr().out
    assert main(["try", "gemini-api:gemini-2.5-flash", "hello", "--thinking", "dynamic", *url]) == 0
    assert "cut at 256 output tokens (thinking included)" in capsys.readouterr().out


async def test_concurrent_generations_with_a_tuned_endpoint_list_the_jobs_once_off_the_event_loop(vertex, fake,
                                                                                                   clock):
    import asyncio
    import threading

    job = vertex.start_job(prepared_with_uris(vertex, Hyperparameters()), "gemini-2.5-pro", Hyperparameters())
    clock.now = 100
    endpoint = vertex.status(job).tuned_model
    listed_on = []
    real_list = vertex.list_jobs
    vertex.list_jobs = lambda: listed_on.append(threading.current_thread()) or real_list()
    answers = await asyncio.gather(*(vertex.agenerate(endpoint, f"q{i}") for i in range(8)))
    assert len(listed_on) == 1 and listed_on[0] is not threading.current_thread()  # once, in a worker thread
    assert len([r for r in fake.calls("GET") if r.path.endswith("/tuningJobs")]) == 1
    assert thinking_sent(fake) == [128] * 8 and all(a.thinking_tokens == 128 for a in answers)
    await vertex.aclose()
