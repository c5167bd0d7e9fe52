"""Evaluation benchmark: requests through the real google-genai client, the cached re-run, and scoring.

    python bench/bench_eval.py

Targets (issue 6):
- 1,000 examples x 2 models against the fake Google server answering in 100 ms, concurrency 16: <= 15 s
  (ideal 2,000 x 0.1 s / 16 = 12.5 s). The server runs in its own process, as Google would.
- the same run again: <= 1 s with zero requests (every answer from the prediction cache);
- scoring 100,000 predictions (per-example metrics, aggregates, McNemar and 1,000 bootstrap resamples):
  <= 2 s, for a classification task and for a generation task.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_TARGET_S, CACHED_TARGET_S, SCORING_TARGET_S = 15.0, 1.0, 2.0


def _fake_server(latency: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "curator.testing.fake_google", "--port", "0", "--quiet",
                             "--latency", str(latency)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    first = proc.stdout.readline()  # "fake Google server on http://127.0.0.1:PORT ..."
    return proc, first.split(" on ")[1].split()[0]


def bench_requests() -> None:
    from curator.core.backends.gemini_api import GeminiApiBackend
    from curator.core.evaluation.evaluate import EvalSpec, evaluate
    from curator.core.evaluation.runs import RunRow
    from curator.core.models import ModelRef
    from curator.core.storage.workspace import Workspace

    proc, url = _fake_server(0.1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workspace = Workspace(tmp)
            rows = [RunRow(i, i, "test", f"question {i}", f"question {i}", None, f"answer {i}") for i in range(1000)]
            spec = EvalSpec(ModelRef.parse("gemini-api:gemini-2.5-flash"), ModelRef.parse("gemini-api:gemini-2.5-pro"))

            def backend(name: str):
                return GeminiApiBackend("fake-bench-key", base_url=url, env={})

            start = time.perf_counter()
            first = evaluate(workspace, spec, rows, backend, concurrency=16)
            took = time.perf_counter() - start
            start = time.perf_counter()
            again = evaluate(workspace, spec, rows, backend, concurrency=16)
            cached = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait()
    answered = sum(o is not None and o.error is None for o in first.predictions.outcomes)
    print(f"{'1,000 x 2 models, 100 ms, concurrency 16':44} {took:7.2f} s  target ≤ {RUN_TARGET_S:g} s "
          f"{'ok' if took <= RUN_TARGET_S else 'OVER'}  ({first.predictions.requests:,} requests, {answered:,} answered)")
    print(f"{'the same run again (cache)':44} {cached:7.2f} s  target ≤ {CACHED_TARGET_S:g} s "
          f"{'ok' if cached <= CACHED_TARGET_S and again.predictions.requests == 0 else 'OVER'}  "
          f"({again.predictions.requests} requests)")


def bench_scoring() -> None:
    from curator.core.evaluation.scorecard import build_scorecard
    from curator.core.evaluation.scoring import CLASSIFICATION, GENERATION

    rng = random.Random(0)
    n = 100_000
    labels = [f"label_{k}" for k in range(20)]
    expected = [rng.choice(labels) for _ in range(n)]
    noisy = lambda e, p: e if rng.random() < p else rng.choice(labels)  # noqa: E731
    cases = {CLASSIFICATION: (expected, [noisy(e, 0.6) for e in expected], [noisy(e, 0.8) for e in expected])}
    words = "the a model answer returns value when input data is large small fast slow".split()
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 25))) for _ in range(n)]
    edit = lambda s, p: s if rng.random() < p else " ".join(w for w in s.split() if rng.random() < 0.8)  # noqa: E731
    cases[GENERATION] = (sentences, [edit(s, 0.3) for s in sentences], [edit(s, 0.6) for s in sentences])
    for task, (exp, a, b) in cases.items():
        leaked = [rng.random() < 0.05 for _ in range(n)]
        start = time.perf_counter()
        card = build_scorecard(exp, a, b, task, leaked=leaked)
        took = time.perf_counter() - start
        print(f"{'scoring 100,000 predictions, ' + task:44} {took:7.2f} s  target ≤ {SCORING_TARGET_S:g} s "
              f"{'ok' if took <= SCORING_TARGET_S else 'OVER'}  (wins {card.metrics['paired']['wins']:,})")


def main() -> None:
    print(f"machine: {os.cpu_count()} cores")
    bench_requests()
    bench_scoring()


if __name__ == "__main__":
    main()
