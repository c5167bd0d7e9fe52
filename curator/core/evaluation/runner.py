"""Ask models for many answers at once: bounded concurrency, an optional requests-per-minute limit,
progress with an ETA, cancellation, and the prediction cache in front of every request.

``predict`` runs its own asyncio loop (call it from a thread; the TUI runs it in a worker). Answers already
in the cache are not requested; each new one is cached as it arrives, so a cancelled or killed run resumes
where it stopped. A request that still fails after the backend's own retries is recorded as failed for its
example and the run goes on; an authentication or unsupported-model error, or a model whose every request
fails, stops the requests to that model only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from curator.core.backends.base import Backend, Generation, GenerationConfig
from curator.core.errors import BackendError, BackendErrorKind, CuratorError
from curator.core.evaluation.cache import PredictionCache, prediction_key
from curator.core.models import ModelRef
from curator.core.progress import Cancel, Progress, ProgressFn

DEFAULT_CONCURRENCY = 8
ABORT_AFTER = 20  # consecutive failures of a model that never answered before its requests stop
_FATAL = (BackendErrorKind.AUTH, BackendErrorKind.UNSUPPORTED)
_PROGRESS_EVERY = 0.1  # seconds between progress reports


@dataclass(frozen=True)
class Request:
    """One prompt for one model."""

    ref: ModelRef
    prompt: str
    system: str | None = None
    config: GenerationConfig | None = None  # instead of the run's (a sample's own seed)


@dataclass(frozen=True)
class Outcome:
    """What came of a request: an answer (maybe from the cache) or the reason it failed."""

    generation: Generation | None
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0

    @property
    def text(self) -> str | None:
        return self.generation.text if self.generation else None


@dataclass
class Predictions:
    """Outcomes in the order of the requests (None where the run was cancelled before it got there)."""

    outcomes: list[Outcome | None]
    cancelled: bool = False
    requests: int = 0  # answers fetched from backends in this run
    seconds: float = 0.0
    stopped: dict[str, str] = field(default_factory=dict)  # model ref -> why its requests stopped


class _Pace:
    """Spaces request starts to at most ``rpm`` a minute (no limit when None)."""

    def __init__(self, rpm: float | None) -> None:
        self.interval = 60.0 / rpm if rpm else 0.0
        self.next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        start = max(now, self.next)
        self.next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def predict(
    requests: list[Request],
    config: GenerationConfig,
    cache: PredictionCache,
    backend_for: Callable[[str], Backend],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    rpm: float | None = None,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
    batch: bool = False,
    poll: float = 30.0,
    answered: Callable[[list[int], Outcome], None] | None = None,
) -> Predictions:
    """Answers for ``requests`` (see the module docstring). ``backend_for(name)`` builds a backend; the ones
    built here are closed at the end. With ``batch``, the requests to a backend that has a Batch API go as
    one batch job per model (``curator.core.evaluation.batch``), polled every ``poll`` seconds.
    ``answered(indices, outcome)`` hears of each outcome as it comes (cached ones first), with the positions
    of every request it answers; it runs on the event loop, so it must be quick."""
    if concurrency < 1:
        raise CuratorError("concurrency must be at least 1")
    if rpm is not None and rpm <= 0:
        raise CuratorError("requests per minute must be positive")
    return asyncio.run(_Run(requests, config, cache, backend_for, concurrency, rpm, progress, cancel, batch, poll,
                            answered).main())


class _Run:
    def __init__(self, requests, config, cache, backend_for, concurrency, rpm, progress, cancel, batch, poll,
                 on_answer) -> None:
        self.requests, self.config, self.cache = requests, config, cache
        self.backend_for, self.concurrency, self.progress = backend_for, concurrency, progress
        self.batch, self.poll, self.on_answer = batch, poll, on_answer
        self.cancel = cancel or threading.Event()
        self.pace = _Pace(rpm)
        self.keys = [prediction_key(r.ref.backend, r.ref.model, r.prompt, r.config or config, r.system)
                     for r in requests]
        self.indices: dict[str, list[int]] = {}
        for i, key in enumerate(self.keys):
            self.indices.setdefault(key, []).append(i)
        self.by_key: dict[str, Outcome] = {}
        self.backends: dict[str, Backend] = {}
        self.stopped: dict[str, str] = {}
        self.failures: dict[ModelRef, int] = {}
        self.answered_refs: set[ModelRef] = set()  # models that answered at least once
        self.fetched = self.failed = 0
        self.start = time.monotonic()
        self.last_report = 0.0
        self.stage = ""

    async def main(self) -> Predictions:
        for key, answer in self.cache.get_many(self.keys).items():
            self._set(key, Outcome(answer.generation, cached=True, seconds=answer.seconds))
        queue: deque[int] = deque()
        queued: set[str] = set()
        for i, key in enumerate(self.keys):
            if key not in self.by_key and key not in queued:
                queued.add(key)
                queue.append(i)
        self._report(force=True)
        batches = self._batched(queue) if self.batch else {}
        cancelled = False
        try:
            workers = [asyncio.create_task(self._worker(queue)) for _ in range(min(self.concurrency, len(queue)))]
            jobs = [asyncio.create_task(self._batch_job(ref, indices)) for ref, indices in batches.items()]
            if workers or jobs:
                watcher = asyncio.create_task(self._watch(workers))  # batch jobs watch the cancel flag themselves
                await asyncio.gather(*workers, *jobs, return_exceptions=True)
                watcher.cancel()
            cancelled = self.cancel.is_set() and any(key not in self.by_key for key in self.keys)
        finally:
            await self._close()
        self._report(force=True)
        outcomes = [self.by_key.get(key) for key in self.keys]
        return Predictions(outcomes, cancelled, self.fetched, time.monotonic() - self.start, self.stopped)

    async def _watch(self, workers: list[asyncio.Task]) -> None:
        while not self.cancel.is_set():
            await asyncio.sleep(0.05)
        for task in workers:
            task.cancel()

    async def _worker(self, queue: deque[int]) -> None:
        while queue and not self.cancel.is_set():
            i = queue.popleft()
            request, key = self.requests[i], self.keys[i]
            reason = self.stopped.get(str(request.ref))
            if reason is None:
                await self.pace.wait()
                outcome = await self._ask(request, key)
            else:
                outcome = Outcome(None, reason)
            self._set(key, outcome)
            self._report()

    def _backend(self, name: str) -> Backend:
        backend = self.backends.get(name)
        if backend is None:
            backend = self.backends[name] = self.backend_for(name)
        return backend

    def _batched(self, queue: deque[int]) -> dict[ModelRef, list[int]]:
        """Take the requests to backends with a Batch API out of ``queue``, grouped by model."""
        groups: dict[ModelRef, list[int]] = {}
        for i in queue:
            ref = self.requests[i].ref
            try:
                batchable = self._backend(ref.backend).supports_batch
            except CuratorError:
                batchable = False  # the workers record why the backend cannot be built
            if batchable:
                groups.setdefault(ref, []).append(i)
        taken = {i for indices in groups.values() for i in indices}
        rest = [i for i in queue if i not in taken]
        queue.clear()
        queue.extend(rest)
        return groups

    async def _batch_job(self, ref: ModelRef, indices: list[int]) -> None:
        from curator.core.evaluation.batch import BatchStore, chunks, outcome_of, run_batch

        store = BatchStore(self.cache.workspace)
        backend = self._backend(ref.backend)
        requests = [(self.requests[i].prompt, self.requests[i].system, self.keys[i]) for i in indices]
        for chunk in chunks(requests):
            started = time.perf_counter()
            try:
                state = await run_batch(backend, ref.backend, ref.model, chunk, self.config, store, poll=self.poll,
                                        cancel=self.cancel, stage=self._stage)
            except BackendError as exc:
                for _, _, key in chunk:
                    self._set(key, Outcome(None, exc.reason))
                self._report(force=True)
                continue
            if state is None:
                return
            seconds = time.perf_counter() - started
            for _, _, key in chunk:
                if state.state == "succeeded":
                    generation, error = outcome_of(state.results.get(key))
                else:
                    generation, error = None, f"the batch job {state.name} ended {state.state}"
                if generation is not None:
                    self.cache.put(key, ref.backend, generation, seconds)
                    self.fetched += 1
                    self._set(key, Outcome(generation, seconds=seconds))
                else:
                    self._set(key, Outcome(None, error))
            self._report(force=True)

    def _set(self, key: str, outcome: Outcome) -> None:
        self.by_key[key] = outcome
        if outcome.error:
            self.failed += 1
        if self.on_answer is not None:
            self.on_answer(self.indices[key], outcome)

    def _stage(self, text: str) -> None:
        self.stage = text
        self._report(force=True)

    async def _ask(self, request: Request, key: str) -> Outcome:
        ref = request.ref
        started = time.perf_counter()
        try:
            backend = self._backend(ref.backend)
            generation = await backend.agenerate(ref.model, request.prompt, request.config or self.config,
                                                 system=request.system)
        except BackendError as exc:
            self.failures[ref] = self.failures.get(ref, 0) + 1
            if exc.kind in _FATAL or (ref not in self.answered_refs and self.failures[ref] >= ABORT_AFTER):
                self.stopped.setdefault(str(ref), exc.reason)
            return Outcome(None, exc.reason, seconds=time.perf_counter() - started)
        except CuratorError as exc:
            self.stopped.setdefault(str(ref), exc.reason)
            return Outcome(None, exc.reason)
        seconds = time.perf_counter() - started
        self.answered_refs.add(ref)
        self.failures[ref] = 0
        self.cache.put(key, ref.backend, generation, seconds)
        self.fetched += 1
        return Outcome(generation, seconds=seconds)

    async def _close(self) -> None:
        for backend in self.backends.values():
            aclose = getattr(backend, "aclose", None)
            try:
                if aclose is not None:
                    await aclose()
                else:
                    backend.close()
            except Exception:  # noqa: BLE001 - closing must not hide the run's result
                pass

    def _report(self, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_report < _PROGRESS_EVERY:
            return
        self.last_report = now
        done_keys = self.by_key
        done = sum(1 for key in self.keys if key in done_keys)
        cached = sum(1 for o in done_keys.values() if o.cached)
        total, elapsed = len(self.keys), now - self.start
        eta = 0.0 if done >= total else elapsed / self.fetched * (total - done) if self.fetched else None
        self.progress(Progress(done / total if total else 1.0, self.stage, done, total,
                               f"{cached:,} from the cache · {self.failed:,} failed", eta))
