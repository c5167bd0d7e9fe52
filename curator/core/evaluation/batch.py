"""Evaluation requests through a provider's Batch API (the Gemini API's, with inline requests): one job per
model instead of one call per prompt, at half the price, answered within hours instead of seconds.

The job's name is kept in the workspace as soon as it is submitted, so a run that is killed while the job
is pending polls the same job again instead of paying for a second one. Cancelling the run cancels the job.
Answers are cached when the job succeeds, like any other answer.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from curator.core.backends.base import Backend, BatchState, Generation, GenerationConfig
from curator.core.progress import Cancel
from curator.core.storage.workspace import Workspace

MAX_INLINE_BYTES = 19_000_000  # the Gemini API takes up to 20 MB of inline requests per batch


class BatchStore:
    """The ``eval_batches`` table: submitted jobs and the cache keys they answer."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def pending(self, backend: str, model: str, keys: list[str]) -> str | None:
        """A job submitted earlier for exactly these requests, still waiting for its answers."""
        rows = self.workspace.query("SELECT name FROM eval_batches WHERE backend = ? AND model = ? AND keys = ? "
                                    "AND state = 'pending' ORDER BY created DESC LIMIT 1",
                                    (backend, model, json.dumps(keys)))
        return rows[0][0] if rows else None

    def add(self, name: str, backend: str, model: str, keys: list[str]) -> None:
        self.workspace.execute("INSERT OR REPLACE INTO eval_batches (name, backend, model, keys, created, state) "
                               "VALUES (?, ?, ?, ?, ?, 'pending')", (name, backend, model, json.dumps(keys), time.time()))

    def finish(self, name: str, state: str) -> None:
        self.workspace.execute("UPDATE eval_batches SET state = ? WHERE name = ?", (state, name))


def sent_bytes(request: tuple[str, str | None, str]) -> int:
    """About how many bytes a (prompt, system, key) request takes in the batch as google-genai sends it:
    json.dumps with ensure_ascii, so a Cyrillic letter is 6 bytes (\\u0436), not UTF-8's 2; plus the
    request's fixed parts (roles, generation config, metadata)."""
    return len(json.dumps(request)) + 300


def chunks(requests: list[tuple[str, str | None, str]], limit: int | None = None) -> list[list[tuple[str, str | None, str]]]:
    """Requests cut into batches under the inline size limit (``limit`` bytes, default MAX_INLINE_BYTES),
    measured as sent."""
    limit = limit or MAX_INLINE_BYTES
    out: list[list[tuple[str, str | None, str]]] = [[]]
    size = 0
    for request in requests:
        weight = sent_bytes(request)
        if out[-1] and size + weight > limit:
            out.append([])
            size = 0
        out[-1].append(request)
        size += weight
    return out


async def run_batch(
    backend: Backend,
    backend_name: str,
    model: str,
    requests: list[tuple[str, str | None, str]],
    config: GenerationConfig,
    store: BatchStore,
    *,
    poll: float,
    cancel: Cancel,
    stage: Callable[[str], None],
) -> BatchState | None:
    """Submit (or find again) the job for (prompt, system, key) requests and wait for it; None when the run
    was cancelled (the job is cancelled too)."""
    keys = [key for _, _, key in requests]
    name = store.pending(backend_name, model, keys)
    if name is None:
        name = await asyncio.to_thread(backend.submit_batch, model, requests, config)
        store.add(name, backend_name, model, keys)
    while True:
        state = await asyncio.to_thread(backend.batch_state, name)
        stage(f"batch {name} for {model}: {state.state}")
        if state.terminal:
            store.finish(name, "done" if state.state == "succeeded" else state.state)
            return state
        next_poll = time.monotonic() + poll
        while time.monotonic() < next_poll:
            if cancel.is_set():
                await asyncio.to_thread(backend.cancel_batch, name)
                store.finish(name, "cancelled")
                return None
            await asyncio.sleep(min(0.1, next_poll - time.monotonic()))


def outcome_of(result: Generation | str | None) -> tuple[Generation | None, str | None]:
    """(answer, error) of one request in a finished job (missing from the output: an error too)."""
    if isinstance(result, Generation):
        return result, None
    return None, result or "the batch job returned no answer for this request"
