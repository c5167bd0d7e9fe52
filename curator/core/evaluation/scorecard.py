"""A run's scorecard: both models scored on the same examples, the paired comparison, human verdicts over
the automatic ones, and leaked examples reported apart (a JSON-ready ``metrics`` dict plus the per-example
arrays the review screen sorts and filters by)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from curator.core.evaluation.rules import ScoringRule
from curator.core.evaluation.scoring import (
    Scores,
    aggregate,
    classification_report,
    normalise_answer,
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
    stability: dict[str, tuple[np.ndarray, np.ndarray]] | None = None  # side -> (agreeing share, right share)

    @property
    def flaky(self) -> np.ndarray:
        """Examples where a model's sampled answers were sometimes right and sometimes wrong."""
        if self.stability is None:
            return np.zeros(len(self.outcome), dtype=bool)
        return np.logical_or.reduce([(0 < right) & (right < 1) for _, right in self.stability.values()])


def _verdicts(auto: np.ndarray, human: list[int | None]) -> np.ndarray:
    return np.array([bool(a) if h is None else bool(h) for a, h in zip(auto, human)], dtype=bool)


def _judge_tally(judged_a, judged_b, human_a, human_b) -> dict:
    """How often the judge passed each side, could not be read, and disagreed with a person's verdict."""
    out: dict = {}
    for side, judged, human in (("a", judged_a, human_a), ("b", judged_b, human_b)):
        people = [(j, h) for j, h in zip(judged, human or [None] * len(judged)) if h is not None]
        out[side] = {"passed": sum(j == 1 for j in judged), "unreadable": sum(j is None for j in judged),
                     "people": len(people), "disagree": sum((j == 1) != bool(h) for j, h in people)}
    return out


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
    rule: ScoringRule | None = None,
    judged_a: list[int | None] | None = None,
    judged_b: list[int | None] | None = None,
    samples_a: list[list[str | None]] | None = None,
    samples_b: list[list[str | None]] | None = None,
) -> Scorecard:
    """Score both models on ``expected`` (None outputs: failed requests) and compare them, by ``rule`` (a
    judge rule reads the judge's verdicts from ``judged_a`` and ``judged_b``). With ``samples_*`` (every
    answer of each example; the outputs are the most common ones), each example's share of agreeing and of
    right answers is measured too."""
    n = len(expected)
    rule = rule or ScoringRule()
    ref = reference(expected, task, rule=rule)
    json_task, labels = ref.objects is not None, ref.labels
    a, b = score_against(ref, output_a, judged_a), score_against(ref, output_b, judged_b)
    human_a = human_a or [None] * n
    human_b = human_b or [None] * n
    right_a, right_b = _verdicts(a.correct, human_a), _verdicts(b.correct, human_b)
    # One scorecard: a person's verdict is the example's verdict for every number shown (the right share or
    # accuracy, McNemar, the bootstrap, B better / A better); the labels' P/R/F1 and confusion stay the labels'.
    a, b = replace(a, correct=right_a), replace(b, correct=right_b)
    outcome = outcomes(task, right_a, right_b, a, b)
    leaked_arr = np.array(leaked or [False] * n, dtype=bool)

    def side(scores: Scores, indices: np.ndarray | None = None) -> dict:
        out = aggregate(scores, indices)
        if labels is not None:
            out["classification"] = classification_report(scores, indices)
            if out["classification"].get("n"):
                out["classification"]["accuracy"] = out["correct"]  # counts people's verdicts
        return out

    def tally(indices: np.ndarray | None = None) -> dict[str, int]:
        o = outcome if indices is None else outcome[indices]
        return {"wins": int(np.sum(o == 1)), "losses": int(np.sum(o == -1)), "ties": int(np.sum(o == 0))}

    metrics: dict = {"task": task, "n": n, "json": json_task, "labels": labels, "a": side(a), "b": side(b),
                     "failed": {"a": int(np.sum(~a.answered)), "b": int(np.sum(~b.answered))}}
    if not rule.is_default:
        metrics["rule"] = rule.describe()
    if rule.match == "judge" and judged_a is not None and judged_b is not None:
        metrics["judge"] = _judge_tally(judged_a, judged_b, human_a, human_b)
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
    stability = None
    if samples_a is not None and samples_b is not None:
        stability = {"a": _stability(ref, samples_a), "b": _stability(ref, samples_b)}
        metrics["stability"] = {"samples": len(samples_a[0]) if samples_a else 0, **{
            side: {"agreement": float(agree.mean()), "right_share": float(right.mean()),
                   "flaky": int(np.sum((0 < right) & (right < 1)))} for side, (agree, right) in stability.items()}}
    if leaked_arr.any():
        metrics["subsets"] = {}
        for name, mask in (("clean", ~leaked_arr), ("leaked", leaked_arr)):
            idx = np.flatnonzero(mask)
            metrics["subsets"][name] = {"n": int(idx.size), "a": aggregate(a, idx), "b": aggregate(b, idx),
                                        **tally(idx)}
    card = Scorecard(task, a, b, right_a, right_b, outcome, leaked_arr, metrics, stability)
    if stability is not None:
        metrics["stability"]["flaky"] = int(card.flaky.sum())
    return card


def _stability(ref, samples: list[list[str | None]]) -> tuple[np.ndarray, np.ndarray]:
    """Per example: the share of answers equal (normalised) to the most common one, and the share scored
    right by the rule (a judge rule: by normalised equality, the judge sees only the most common answer)."""
    width = max((len(s) for s in samples), default=0)
    columns = [[s[j] if j < len(s) else None for s in samples] for j in range(width)]
    right = np.mean([score_against(ref, column).correct for column in columns], axis=0)
    keys = [normalise_answer(pl.Series(column, dtype=pl.String)).to_numpy() for column in columns]
    given = np.array([[t is not None for t in column] for column in columns])
    stacked = np.where(given, np.array(keys, dtype=object), None)
    agree = np.zeros(len(samples))
    for i in range(len(samples)):
        answers = [k for k in stacked[:, i] if k is not None]
        agree[i] = max((answers.count(k) for k in set(answers)), default=0) / width if width else 0.0
    return agree, right
