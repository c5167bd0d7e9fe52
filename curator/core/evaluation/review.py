"""What the review screen lists: a run's examples filtered by how A and B fared, in a chosen order.

Filters (by the effective verdicts: a person's over the automatic one):
regressions (A right, B wrong), improvements (A wrong, B right), both wrong, disagreements (the two answers
differ after normalisation), leaked (an example with a near-duplicate in train), failed (a request failed),
flaky (in a run that sampled each model several times, a model was sometimes right and sometimes wrong),
truncated (an answer was cut at the max output tokens, thinking included),
broke since (B was right on the example in another chosen run and is wrong in this one).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from curator.core.evaluation.runs import RunRow
from curator.core.evaluation.scorecard import Scorecard
from curator.core.evaluation.scoring import normalise_answer

FILTERS: dict[str, str] = {
    "all": "every example",
    "regressions": "A right, B wrong",
    "improvements": "A wrong, B right",
    "both-wrong": "both wrong",
    "disagreements": "the answers differ",
    "leaked": "near-duplicate in train",
    "failed": "a request failed",
    "flaky": "sampled answers sometimes right, sometimes wrong",
    "truncated": "an answer was cut at the max output tokens",
    "broke-since": "B right in another run, wrong in this one",
}
SORTS: dict[str, str] = {
    "position": "run order",
    "similarity-b": "B's similarity, lowest first",
    "similarity-a": "A's similarity, lowest first",
    "difference": "B - A similarity, B's worst first",
}


def masks(card: Scorecard, rows: list[RunRow], broken: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each filter's boolean mask over the run's examples (``broken``: ``changes.broken_since`` of the run
    chosen for the broke-since filter; none: it keeps nothing)."""
    a, b = card.right_a, card.right_b
    norm_a = normalise_answer(pl.Series([r.output_a for r in rows], dtype=pl.String))
    norm_b = normalise_answer(pl.Series([r.output_b for r in rows], dtype=pl.String))
    failed = ~card.a.answered | ~card.b.answered
    return {
        "all": np.ones(len(rows), dtype=bool),
        "regressions": a & ~b,
        "improvements": ~a & b,
        "both-wrong": ~a & ~b,
        "disagreements": (norm_a != norm_b).to_numpy() | failed,
        "leaked": card.leaked,
        "failed": failed,
        "flaky": card.flaky,
        "truncated": np.array([r.truncated("a") or r.truncated("b") for r in rows], dtype=bool),
        "broke-since": broken if broken is not None else np.zeros(len(rows), dtype=bool),
    }


def order(card: Scorecard, rows: list[RunRow], filter_name: str = "all", sort: str = "position",
          masks_: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Positions of the examples the filter keeps, in the sort's order (ties keep the run order).
    ``masks_`` (from ``masks``) saves recomputing them."""
    if filter_name not in FILTERS:
        raise ValueError(f"unknown filter {filter_name!r}")
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}")
    kept = np.flatnonzero((masks_ or masks(card, rows))[filter_name])
    key = {"position": None, "similarity-b": card.b.similarity, "similarity-a": card.a.similarity,
           "difference": card.b.similarity - card.a.similarity}[sort]
    if key is None:
        return kept
    return kept[np.argsort(key[kept], kind="stable")]


def counts(card: Scorecard, rows: list[RunRow], masks_: dict[str, np.ndarray] | None = None) -> dict[str, int]:
    """How many examples each filter keeps."""
    return {name: int(mask.sum()) for name, mask in (masks_ or masks(card, rows)).items()}
