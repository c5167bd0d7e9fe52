"""Gemini API batches (Batch API, inline requests) for the fake Google server.

A batch is PENDING for ``timing.pending`` seconds, RUNNING for ``timing.running`` and then SUCCEEDED with
one inlined response per request, in order, each carrying its request's metadata; a request whose model
asks for an error (``err-…``) gets an ``error`` instead of a ``response``. A cancelled batch ends CANCELLED
without output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from curator.testing.fake_google_jobs import Timing, rfc3339
from curator.testing.fake_google_replies import ApiError


@dataclass
class FakeBatch:
    name: str  # batches/{id}
    model: str  # models/{m}
    display_name: str
    requests: list[dict]  # [{"request": GenerateContentRequest, "metadata": {...}}]
    created: float  # fake-clock seconds
    created_wall: float
    cancelled_at: float | None = None
    output: list[dict] | None = field(default=None, repr=False)  # computed once, when it succeeds

    def state(self, now: float, timing: Timing) -> str:
        elapsed = (now - self.created) * timing.speed
        if self.cancelled_at is not None:
            return "BATCH_STATE_CANCELLED"
        if elapsed < timing.pending:
            return "BATCH_STATE_PENDING"
        if elapsed < timing.pending + timing.running:
            return "BATCH_STATE_RUNNING"
        return "BATCH_STATE_SUCCEEDED"

    def to_json(self, now: float, timing: Timing, answer: Callable[[str, dict], dict]) -> dict:
        """The batch as an operation (``metadata`` holds the batch); ``answer(model, request)`` gives a
        GenerateContentResponse or raises ApiError."""
        state = self.state(now, timing)
        metadata = {"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
                    "name": self.name, "model": self.model, "displayName": self.display_name, "state": state,
                    "createTime": rfc3339(self.created_wall),
                    "batchStats": {"requestCount": str(len(self.requests)),
                                   "pendingRequestCount": str(0 if state == "BATCH_STATE_SUCCEEDED"
                                                              else len(self.requests))}}
        reply: dict = {"name": self.name, "metadata": metadata}
        if state == "BATCH_STATE_SUCCEEDED":
            if self.output is None:
                self.output = []
                for item in self.requests:
                    entry: dict = {"metadata": item.get("metadata", {})}
                    try:
                        entry["response"] = answer(self.model, item.get("request") or {})
                    except ApiError as exc:
                        entry["error"] = {"code": exc.code, "message": exc.message}
                    self.output.append(entry)
            metadata["output"] = {"inlinedResponses": {"inlinedResponses": self.output}}
            reply["done"] = True
        elif state == "BATCH_STATE_CANCELLED":
            reply["done"] = True
        return reply
