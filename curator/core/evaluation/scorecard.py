"""A run's scorecard: both models scored on the same examples, the paired comparison, human verdicts over
the automatic ones, and leaked examples reported apart (a JSON-ready ``metrics`` dict plus the per-example
arrays the review screen sorts and filters by)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curator.core.evaluation.scoring import (
    Scores,
    aggregate,
    classification_report,
    reference,
    score_against,
)
from curator.core.evaluation.stats import RESAMPLES, bootstrap, mcnemar, outcomes

MATCH_METRICS = ("correct", "exact", "normalised", "json_valid")


@dataclass
class Scorecard:
    """Scores of A and B per example, the effective verdicts (a person's over the automatic one), the
    per-example outcome (1: B wins, -1: B loses, 0: tie) and the JSON-ready metrics."""

    task: str
    a: Scores
    b: Scores
    right_a: np.ndarray
    right_b: np.ndarray
    outcome: np.ndarray
    leaked: np.ndarray
    metrics: dict


def _verdicts(auto: np.ndarray, human: list[int | None]) -> np.ndarray:
    return np.array([bool(a) if h is None else bool(h) for a, h in zip(auto, human)], dtype=bool)


def build_scorecard(
    expected: list[str],
    output_a: list[str | None],
    output_b: list[str | None],
    task: str,
    *,
    leaked: list[bool] | None = None,
    human_a: list[int | None] | None = None,
    human_b: list[int | None] | None = None,
    seed: int = 0,
    resamples: int = RESAMPLES,
) -> Scorecard:
    """Score both models on ``expected`` (None outputs: failed requests) and compare them."""
    n = len(expected)
    ref = reference(expected, task)
    json_task, labels = ref.objects is not None, ref.labels
    a, b = score_against(ref, output_a), score_against(ref, output_b)
    human_a = human_a or [None] * n
    human_b = human_b or [None] * n
    right_a, right_b = _verdicts(a.correct, human_a), _verdicts(b.correct, human_b)
    outcome = outcomes(task, right_a, right_b, a, b)
    leaked_arr = np.array(leaked or [False] * n, dtype=bool)

    def side(scores: Scores, indices: np.ndarray | None = None) -> dict:
        out = aggregate(scores, indices)
        if labels is not None:
            out["classification"] = classification_report(scores, indices)
        return out

    def tally(indices: np.ndarray | None = None) -> dict[str, int]:
        o = outcome if indices is None else outcome[indices]
        return {"wins": int(np.sum(o == 1)), "losses": int(np.sum(o == -1)), "ties": int(np.sum(o == 0))}

    metrics: dict = {"task": task, "n": n, "json": json_task, "labels": labels, "a": side(a), "b": side(b),
                     "failed": {"a": int(np.sum(~a.answered)), "b": int(np.sum(~b.answered))}}
    per_a = {"correct": a.correct, **a.per_example()}
    per_b = {"correct": b.correct, **b.per_example()}
    label_index = None
    if labels is not None:
        label_index = (a.truth_codes, a.codes, b.codes, len(labels))
    intervals, drawn = bootstrap(per_a, per_b, seed=seed, resamples=resamples, labels=label_index)
    metrics["paired"] = {
        **tally(),
        "mcnemar": {name: mcnemar(per_a[name], per_b[name]) for name in MATCH_METRICS if name in per_a},
        "bootstrap": intervals,
        "seed": seed,
        "resamples": drawn,
    }
    judged = [i for i in range(n) if human_a[i] is not None or human_b[i] is not None]
    if judged:
        metrics["judged"] = {"verdicts": len(judged), "a": float(right_a.mean()), "b": float(right_b.mean()),
                             "mcnemar": mcnemar(right_a, right_b)}
    if leaked_arr.any():
        metrics["subsets"] = {}
        for name, mask in (("clean", ~leaked_arr), ("leaked", leaked_arr)):
            idx = np.flatnonzero(mask)
            metrics["subsets"][name] = {"n": int(idx.size), "a": aggregate(a, idx), "b": aggregate(b, idx),
                                        **tally(idx)}
    return Scorecard(task, a, b, right_a, right_b, outcome, leaked_arr, metrics)
