"""The fake Google server, a clock the tests move by hand, and backends built on the real google-genai client."""

from __future__ import annotations

import pytest

from curator.core.backends.gemini_api import GeminiApiBackend
from curator.core.backends.retry import RetryPolicy
from curator.core.backends.vertex import VertexBackend
from curator.testing.fake_google import FakeGoogle
from curator.testing.fake_google_jobs import Timing

API_KEY = "AIzaSyFAKE-contract-key-0123456789"
TOKEN = "ya29.fake-contract-token-abcdef"


class Clock:
    """What the fake server calls time: moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Sleeps(list):
    """A RetryPolicy sleep that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake(clock):
    with FakeGoogle(clock=clock, timing=Timing(pending=2, running=10, cancelling=1), retry_delay=3, hang=2) as server:
        yield server


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def retry(sleeps):
    return RetryPolicy(attempts=4, sleep=sleeps, asleep=sleeps.asleep, random=lambda: 0.5)


@pytest.fixture
def gemini(fake, retry):
    backend = GeminiApiBackend(API_KEY, base_url=fake.url, retry=retry, env={})
    yield backend
    backend.close()


@pytest.fixture
def vertex(fake, retry, tmp_path):
    backend = VertexBackend("proj", "us-central1", base_url=fake.url, access_token=TOKEN, retry=retry,
                            export_dir=tmp_path / "exports", env={})
    yield backend
    backend.close()
