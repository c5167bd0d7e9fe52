"""Batch chunks measured as google-genai sends them (JSON with ensure_ascii): Cyrillic or CJK prompts take
3-6 times their UTF-8 size, and the fake server refuses a request over the limit as Google does."""

from __future__ import annotations

import pytest

from curator.core.backends.base import GenerationConfig
from curator.core.errors import BackendError
from curator.core.evaluation.batch import chunks
from curator.testing.fake_google import FakeGoogle

LIMIT = 200_000


@pytest.fixture
def small_fake():
    with FakeGoogle(max_request_bytes=LIMIT) as server:
        yield server


def sent_sizes(fake) -> list[int]:
    return [int(r.headers["content-length"]) for r in fake.calls("POST", ":batchGenerateContent")]


def requests(text: str, n: int) -> list[tuple[str, str | None, str]]:
    return [(f"{i} {text}", "Ответь одним словом.", f"k{i}") for i in range(n)]


@pytest.mark.parametrize("text", ["Привет, как дела? " * 60, "你好，今天天气怎么样？" * 90, "hello, how are you? " * 60],
                         ids=["cyrillic", "cjk", "english"])
def test_every_chunk_is_under_the_limit_as_sent(small_fake, text):
    from curator.core.backends.gemini_api import GeminiApiBackend

    backend = GeminiApiBackend("AIzaSyFAKE", base_url=small_fake.url, env={})
    batch = requests(text, 300)
    parts = chunks(batch, LIMIT)
    assert len(parts) > 1 and sum(map(len, parts)) == 300
    for part in parts:
        backend.submit_batch("gemini-2.5-flash", part, GenerationConfig())
    sizes = sent_sizes(small_fake)
    assert len(sizes) == len(parts) and max(sizes) <= LIMIT
    assert max(sizes) > LIMIT * 0.7  # chunks are filled, not cut needlessly small
    backend.close()


def test_the_fake_refuses_an_oversize_batch_as_google_does(small_fake):
    from curator.core.backends.gemini_api import GeminiApiBackend

    backend = GeminiApiBackend("AIzaSyFAKE", base_url=small_fake.url, env={})
    utf8 = requests("Привет, как дела? " * 60, 300)
    under_by_utf8 = []  # what counting UTF-8 bytes would have put in one batch
    total = 0
    for request in utf8:
        total += len(request[0].encode()) + len(request[1].encode()) + 200
        if total > LIMIT:
            break
        under_by_utf8.append(request)
    with pytest.raises(BackendError, match="payload size exceeds the limit"):
        backend.submit_batch("gemini-2.5-flash", under_by_utf8, GenerationConfig())
    assert sent_sizes(small_fake)[0] > LIMIT
    backend.close()
