"""The evaluation runner: bounded concurrency, the prediction cache, cancellation, per-model failures."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from curator.core.backends.base import Generation, GenerationConfig
from curator.core.backends.local import LocalBackend
from curator.core.errors import BackendError, BackendErrorKind, CuratorError
from curator.core.evaluation.cache import PredictionCache, prediction_key
from curator.core.evaluation.runner import Request, predict
from curator.core.models import ModelRef
from curator.core.storage.models import ModelStore
from curator.core.storage.workspace import Workspace


class Counting(LocalBackend):
    """The local backend, slowed down, counting requests and how many run at once."""

    def __init__(self, workspace, delay=0.01, fail=None) -> None:
        super().__init__(ModelStore(workspace))
        self.delay, self.fail = delay, fail or {}
        self.calls: list[tuple[str, str]] = []
        self.in_flight = self.most_in_flight = 0

    async def agenerate(self, model, prompt, config=None, *, system=None) -> Generation:
        self.calls.append((model, prompt))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if model in self.fail:
                raise BackendError(self.fail[model], f"{model} refused")
            return Generation(f"{model}:{prompt}", model)
        finally:
            self.in_flight -= 1


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path / ".curator")
    yield ws
    ws.close()


def requests(n: int, *models: str) -> list[Request]:
    return [Request(ModelRef("local", m), f"prompt {i}") for i in range(n) for m in models]


def test_answers_in_request_order_with_bounded_concurrency_then_all_from_the_cache(workspace):
    backend = Counting(workspace)
    cache = PredictionCache(workspace)
    seen = []
    result = predict(requests(40, "m1", "m2"), GenerationConfig(), cache, lambda name: backend, concurrency=5,
                     progress=seen.append)
    assert [o.text for o in result.outcomes] == [f"m{j}:prompt {i}" for i in range(40) for j in (1, 2)]
    assert len(backend.calls) == 80 and result.requests == 80
    assert backend.most_in_flight == 5
    assert seen[-1].done == seen[-1].total == 80 and seen[-1].eta == 0
    assert len(cache) == 80
    again = Counting(workspace)
    rerun = predict(requests(40, "m1", "m2"), GenerationConfig(), cache, lambda name: again)
    assert again.calls == [] and rerun.requests == 0
    assert all(o.cached for o in rerun.outcomes)
    assert [o.text for o in rerun.outcomes] == [o.text for o in result.outcomes]


def test_the_cache_key_holds_model_prompt_system_and_config_but_not_the_timeout():
    base = prediction_key("local", "m", "p", GenerationConfig())
    assert base == prediction_key("local", "m", "p", GenerationConfig(timeout=5))
    for other in (prediction_key("vertex", "m", "p", GenerationConfig()),
                  prediction_key("local", "m2", "p", GenerationConfig()),
                  prediction_key("local", "m", "p ", GenerationConfig()),
                  prediction_key("local", "m", "p", GenerationConfig(), system="be brief"),
                  prediction_key("local", "m", "p", GenerationConfig(temperature=0.5)),
                  prediction_key("local", "m", "p", GenerationConfig(seed=1)),
                  prediction_key("local", "m", "p", GenerationConfig(max_output_tokens=9))):
        assert other != base


def test_duplicate_prompts_are_asked_once(workspace):
    backend = Counting(workspace)
    reqs = [Request(ModelRef("local", "m"), "same")] * 5
    result = predict(reqs, GenerationConfig(), PredictionCache(workspace), lambda name: backend)
    assert len(backend.calls) == 1 and [o.text for o in result.outcomes] == ["m:same"] * 5


def test_cancel_keeps_every_answer_received_and_a_rerun_asks_only_the_rest(workspace):
    backend = Counting(workspace, delay=0.02)
    cancel = threading.Event()
    cache = PredictionCache(workspace)

    def stop_after_some(p):
        if p.done >= 10:
            cancel.set()

    first = predict(requests(100, "m"), GenerationConfig(), cache, lambda name: backend, concurrency=4,
                    progress=stop_after_some, cancel=cancel)
    assert first.cancelled
    answered = [o for o in first.outcomes if o is not None]
    assert 10 <= len(answered) < 100 and len(cache) == len(answered)
    asked_first = {p for _, p in backend.calls}
    second_backend = Counting(workspace, delay=0.0)
    second = predict(requests(100, "m"), GenerationConfig(), cache, lambda name: second_backend)
    assert not second.cancelled and all(o is not None and o.error is None for o in second.outcomes)
    asked_again = {p for _, p in second_backend.calls}
    # nothing answered before the cancel is asked again; only requests cut off in flight (at most 4) are
    cached_prompts = {r.prompt for r, o in zip(requests(100, "m"), first.outcomes) if o is not None}
    assert not asked_again & cached_prompts
    assert len(asked_again) == 100 - len(cached_prompts)
    assert len(asked_first & asked_again) <= 4


def test_failures_are_recorded_not_cached_and_fatal_errors_stop_only_that_model(workspace):
    backend = Counting(workspace, fail={"broken": BackendErrorKind.TRANSIENT, "denied": BackendErrorKind.AUTH})
    cache = PredictionCache(workspace)
    result = predict(requests(30, "ok", "broken", "denied"), GenerationConfig(), cache, lambda name: backend,
                     concurrency=1)
    by_model = {m: [o for r, o in zip(requests(30, "ok", "broken", "denied"), result.outcomes) if r.ref.model == m]
                for m in ("ok", "broken", "denied")}
    assert all(o.error is None for o in by_model["ok"])
    assert all("broken refused" in o.error for o in by_model["broken"])
    assert all("denied refused" in o.error for o in by_model["denied"])
    calls = [m for m, _ in backend.calls]
    assert calls.count("denied") == 1  # authentication failed: no second try
    assert calls.count("broken") == 20  # every request failed: stopped after ABORT_AFTER
    assert set(result.stopped) == {"local:broken", "local:denied"}
    assert len(cache) == 30


def test_requests_per_minute_spaces_the_requests(workspace):
    backend = Counting(workspace, delay=0.0)
    start = time.monotonic()
    predict(requests(4, "m"), GenerationConfig(), PredictionCache(workspace), lambda name: backend, concurrency=4,
            rpm=600)  # one every 0.1 s
    assert time.monotonic() - start >= 0.3


def test_bad_settings_are_refused(workspace):
    with pytest.raises(CuratorError, match="concurrency"):
        predict([], GenerationConfig(), PredictionCache(workspace), lambda name: None, concurrency=0)
    with pytest.raises(CuratorError, match="per minute"):
        predict([], GenerationConfig(), PredictionCache(workspace), lambda name: None, rpm=0)
