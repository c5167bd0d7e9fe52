"""Retries for backend calls: a 429 waits the server's ``retryDelay``; 5xx and timeouts back off
exponentially with jitter. google-genai itself makes one attempt unless told otherwise and ignores
``retryDelay``, so curator retries around it. ``sleep`` is injectable so tests never wait."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from curator.core.backends.errors import to_backend_error
from curator.core.errors import BackendError, BackendErrorKind

T = TypeVar("T")
log = logging.getLogger("curator.backends")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    Delays for transient errors: ``min(max_delay, initial_delay * multiplier**n) + uniform(0, jitter)``.
    A quota error (429) waits ``retry_after`` from the server when given (else the same backoff); one asking
    for more than ``max_quota_wait`` seconds is raised at once so the caller can tell the user.
    """

    attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: float = 1.0
    max_quota_wait: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    asleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retry: int) -> float:
        """Delay before retry number ``retry`` (0-based) of a transient error."""
        return min(self.max_delay, self.initial_delay * self.multiplier**retry) + self.jitter * self.random()

    def delay(self, retry: int, error: BackendError, *, idempotent: bool) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up now."""
        if retry + 1 >= self.attempts:
            return None
        if error.kind is BackendErrorKind.QUOTA:
            wait = error.retry_after if error.retry_after is not None else self.backoff(retry)
            return wait if wait <= self.max_quota_wait else None
        if error.kind is BackendErrorKind.TRANSIENT and idempotent:
            return self.backoff(retry)
        return None


NO_RETRY = RetryPolicy(attempts=1)

OnRetry = Callable[[int, float, BackendError], None]


def _failed(exc: BaseException, what: str, secrets: tuple) -> BackendError:
    error = to_backend_error(exc, what, secrets)
    if error is None:
        raise exc
    return error


def call(
    policy: RetryPolicy,
    fn: Callable[[], T],
    *,
    what: str,
    secrets: Iterable[str | None] = (),
    idempotent: bool = True,
    on_retry: OnRetry | None = None,
) -> T:
    """``fn()`` retried per ``policy``; failures become BackendError (never carrying a secret).

    ``idempotent=False`` (creating a job) retries only quota errors, which the server rejected before acting:
    a timed-out create may have created the job, and a second one would cost money.
    """
    secrets = tuple(secrets)
    retry = 0
    while True:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - mapped or re-raised by _failed
            error = _failed(exc, what, secrets)
        wait = policy.delay(retry, error, idempotent=idempotent)
        if wait is None:
            raise error from None
        log.info("retry %d of %s in %.1f s: %s", retry + 1, what, wait, error)
        if on_retry:
            on_retry(retry + 1, wait, error)
        policy.sleep(wait)
        retry += 1


async def acall(
    policy: RetryPolicy,
    fn: Callable[[], Awaitable[T]],
    *,
    what: str,
    secrets: Iterable[str | None] = (),
    idempotent: bool = True,
    on_retry: OnRetry | None = None,
) -> T:
    """``call`` for coroutines: ``await fn()`` retried, waiting with ``policy.asleep``."""
    secrets = tuple(secrets)
    retry = 0
    while True:
        try:
            return await fn()
        except Exception as exc:  # noqa: BLE001 - mapped or re-raised by _failed
            error = _failed(exc, what, secrets)
        wait = policy.delay(retry, error, idempotent=idempotent)
        if wait is None:
            raise error from None
        log.info("retry %d of %s in %.1f s: %s", retry + 1, what, wait, error)
        if on_retry:
            on_retry(retry + 1, wait, error)
        await policy.asleep(wait)
        retry += 1
