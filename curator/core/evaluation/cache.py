"""The prediction cache: every answer a model gave, kept in the workspace and keyed by what decides it.

The key is the backend, the model, the system instruction, the exact prompt and the generation settings
that change the answer (temperature, seed, max output tokens, thinking budget; not the timeout). Asking
again for the same key costs no request: evaluations, re-runs, resumed runs and the playground share it.
Each answer is committed the moment it arrives, so a run killed half-way keeps every answer it received.
Failed requests are never cached.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from curator.core.backends.base import Generation, GenerationConfig
from curator.core.storage.workspace import Workspace

_CHUNK = 500  # keys per SELECT (SQLite caps bound parameters)


@lru_cache(maxsize=1 << 16)
def prediction_key(backend: str, model: str, prompt: str, config: GenerationConfig, system: str | None = None) -> str:
    """The cache key of one request (sha256 of its deciding parts); remembered, as an evaluation asks for each
    key twice (its estimate leaves out what is cached, its run looks the answers up)."""
    # None is written "least": it once meant the model's own thinking, and answers cached then differ
    thinking = "least" if config.thinking_budget is None else config.thinking_budget
    parts = [backend, model, system or "", prompt, config.temperature, config.seed, config.max_output_tokens,
             thinking]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    """An answer from the cache, with how long it took when it was requested."""

    generation: Generation
    seconds: float


class PredictionCache:
    """The ``predictions`` table of a workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def get(self, key: str) -> CachedAnswer | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedAnswer]:
        """The cached answers among ``keys``."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, CachedAnswer] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            rows = self.workspace.query(
                "SELECT key, model, text, finish_reason, prompt_tokens, output_tokens, thinking_tokens, seconds "
                f"FROM predictions WHERE key IN ({','.join('?' * len(chunk))})", tuple(chunk))
            for key, model, text, reason, p_tokens, o_tokens, t_tokens, seconds in rows:
                found[key] = CachedAnswer(Generation(text, model, reason, p_tokens, o_tokens, t_tokens), seconds)
        return found

    def cached_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have an answer in the cache (without reading the answers)."""
        keys = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start:start + _CHUNK]
            found.update(key for (key,) in self.workspace.query(
                f"SELECT key FROM predictions WHERE key IN ({','.join('?' * len(chunk))})", tuple(chunk)))
        return found

    def put(self, key: str, backend: str, generation: Generation, seconds: float) -> None:
        """Keep one answer (committed at once)."""
        self.workspace.execute(
            "INSERT OR REPLACE INTO predictions (key, backend, model, text, finish_reason, prompt_tokens, "
            "output_tokens, thinking_tokens, seconds, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, backend, generation.model, generation.text, generation.finish_reason, generation.prompt_tokens,
             generation.output_tokens, generation.thinking_tokens, seconds, time.time()))

    def __len__(self) -> int:
        return self.workspace.query("SELECT COUNT(*) FROM predictions")[0][0]


def cached_generate(cache: PredictionCache | None, backend, backend_name: str, model: str, prompt: str,
                    config: GenerationConfig, system: str | None = None) -> tuple[Generation, bool, float]:
    """One answer through the cache: (generation, whether it came from the cache, seconds the request took).
    Without a cache (a read-only file) the backend is asked every time."""
    key = prediction_key(backend_name, model, prompt, config, system)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit.generation, True, hit.seconds
    start = time.perf_counter()
    generation = backend.generate(model, prompt, config, system=system)
    seconds = time.perf_counter() - start
    if cache is not None:
        cache.put(key, backend_name, generation, seconds)
    return generation, False, seconds
