"""Retries and error mapping: 429 waits retryDelay, 5xx/timeouts back off with jitter, secrets never leak."""

from __future__ import annotations

import httpx2
import pytest
from google.genai import errors

from curator.core.backends.errors import parse_duration, redact, retry_delay, to_backend_error
from curator.core.backends.retry import RetryPolicy, acall, call
from curator.core.errors import BackendError, BackendErrorKind

KEY = "AIzaSy-not-a-real-key-0123456789"


def api_error(code: int, status: str, message: str = "nope", details: list | None = None) -> errors.APIError:
    body = {"error": {"code": code, "message": message, "status": status, "details": details or []}}
    cls = errors.ClientError if code < 500 else errors.ServerError
    return cls(code, body)


def quota(delay: str | None) -> errors.APIError:
    details = [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []}]
    if delay:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    return api_error(429, "RESOURCE_EXHAUSTED", "quota", details)


class Script:
    """A callable that raises the given exceptions in turn, then returns "ok"."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def policy(**kw) -> tuple[RetryPolicy, list[float]]:
    slept: list[float] = []
    kw.setdefault("random", lambda: 0.5)
    return RetryPolicy(sleep=slept.append, **kw), slept


def test_quota_waits_the_servers_retry_delay():
    p, slept = policy()
    fn = Script(quota("7s"), quota("0.25s"))
    assert call(p, fn, what="generate") == "ok"
    assert fn.calls == 3 and slept == [7.0, 0.25]


def test_quota_without_retry_info_backs_off_and_long_waits_are_raised():
    p, slept = policy(initial_delay=1, jitter=1)
    assert call(p, Script(quota(None)), what="x") == "ok"
    assert slept == [1.5]
    p, slept = policy(max_quota_wait=30)
    with pytest.raises(BackendError) as e:
        call(p, Script(quota("3600s")), what="generate with m")
    assert e.value.kind is BackendErrorKind.QUOTA and e.value.retry_after == 3600 and slept == []
    assert "retry after 3600 s" in str(e.value)


def test_server_errors_and_timeouts_back_off_exponentially_with_jitter():
    p, slept = policy(initial_delay=1, multiplier=2, jitter=1, max_delay=3)
    fn = Script(api_error(500, "INTERNAL"), api_error(503, "UNAVAILABLE"), httpx2.ReadTimeout("timed out"),
                TimeoutError())
    assert call(p, fn, what="x") == "ok"
    assert slept == [1.5, 2.5, 3.5, 3.5]  # 1, 2, 4 capped at 3 and 3, each plus half the jitter


def test_gives_up_after_the_attempts_with_the_last_error():
    p, slept = policy(attempts=3)
    with pytest.raises(BackendError) as e:
        call(p, Script(*[api_error(503, "UNAVAILABLE", "busy")] * 5), what="list models")
    assert e.value.kind is BackendErrorKind.TRANSIENT and len(slept) == 2
    assert e.value.reason == "transient: list models: the server said 503 UNAVAILABLE: busy"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (api_error(400, "INVALID_ARGUMENT", "API key not valid.", [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]), BackendErrorKind.AUTH),
        (api_error(403, "PERMISSION_DENIED"), BackendErrorKind.AUTH),
        (api_error(401, "UNAUTHENTICATED"), BackendErrorKind.AUTH),
        (api_error(400, "INVALID_ARGUMENT"), BackendErrorKind.INVALID),
        (api_error(404, "NOT_FOUND"), BackendErrorKind.INVALID),
        (ValueError("only supported in Gemini Enterprise Agent Platform mode"), BackendErrorKind.UNSUPPORTED),
    ],
)
def test_errors_that_are_not_retried(error, kind):
    p, slept = policy()
    fn = Script(error)
    with pytest.raises(BackendError) as e:
        call(p, fn, what="x")
    assert e.value.kind is kind and fn.calls == 1 and slept == []


def test_creating_a_job_retries_quota_but_not_server_errors():
    p, slept = policy()
    assert call(p, Script(quota("1s")), what="start", idempotent=False) == "ok"
    fn = Script(api_error(500, "INTERNAL"))
    with pytest.raises(BackendError, match="transient"):
        call(p, fn, what="start", idempotent=False)
    assert fn.calls == 1 and slept == [1.0]


def test_bugs_are_not_disguised():
    with pytest.raises(KeyError):
        call(RetryPolicy(), Script(KeyError("x")), what="x")


async def test_async_calls_retry_with_the_async_sleep():
    waited: list[float] = []

    async def asleep(seconds: float) -> None:
        waited.append(seconds)

    fn = Script(quota("2s"), api_error(502, "BAD_GATEWAY"))

    async def attempt():
        return fn()

    p = RetryPolicy(asleep=asleep, random=lambda: 0.0, sleep=lambda s: pytest.fail("sync sleep in async code"))
    assert await acall(p, attempt, what="agenerate") == "ok"
    assert waited == [2.0, 2.0]  # retryDelay, then the backoff of a second retry (1 s * 2)


def test_secrets_never_reach_messages_or_logs(caplog):
    caplog.set_level("DEBUG")
    p, _ = policy(attempts=2)
    leaky = api_error(400, "INVALID_ARGUMENT", f"API key {KEY} not valid", [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}])
    with pytest.raises(BackendError) as e:
        call(p, Script(api_error(503, "UNAVAILABLE", f"backend for {KEY} down"), leaky), what="x", secrets=[KEY])
    assert e.value.kind is BackendErrorKind.AUTH
    assert KEY not in str(e.value) and "***" in str(e.value)
    assert "retry 1 of x" in caplog.text and KEY not in caplog.text
    timeout = to_backend_error(httpx2.ConnectError(f"cannot reach host?key={KEY}"), "x", [KEY])
    assert timeout.kind is BackendErrorKind.TRANSIENT and KEY not in str(timeout)


def test_duration_and_detail_parsing():
    assert parse_duration("15s") == 15 and parse_duration("0.5s") == 0.5 and parse_duration("1.s") == 1
    assert parse_duration({"seconds": "3", "nanos": 500_000_000}) == 3.5
    assert parse_duration("15 minutes") is None and parse_duration(None) is None
    assert retry_delay(quota("42s").details) == 42 and retry_delay({"error": {}}) is None
    assert redact("a secret b", ["secret", None, "ab"]) == "a *** b"
