"""Train/eval leakage: every evaluation example with an exact or near duplicate in train.

The same engine as near-duplicate search, restricted to pairs with one side in train and the other in
evaluation, so train-train and eval-eval pairs are never compared or reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from curator.core.progress import Cancel, ProgressFn, Work
from curator.core.dedupe.search import match_groups, prepare, self_scores, within_cap
from curator.core.dedupe.verify import check_threshold, get_scorer


@dataclass(frozen=True)
class Twin:
    """A train example that duplicates an evaluation example."""

    id: int
    score: float
    identical: bool  # same normalised text, not only similar


@dataclass(frozen=True)
class Leak:
    """An evaluation example and its train twins, best first."""

    eval_id: int
    twins: tuple[Twin, ...]

    @property
    def best(self) -> Twin:
        return self.twins[0]

    @property
    def identical(self) -> bool:
        """Whether some twin has the very same normalised text."""
        return any(t.identical for t in self.twins)

    def to_dict(self) -> dict:
        return {"eval_id": self.eval_id, "twins": [[t.id, t.score, t.identical] for t in self.twins]}

    @classmethod
    def from_dict(cls, data: dict) -> Leak:
        return cls(int(data["eval_id"]), tuple(Twin(int(i), float(s), bool(x)) for i, s, x in data["twins"]))


def find_leakage(
    train_texts: Sequence[str | None],
    train_ids: Sequence[int],
    eval_texts: Sequence[str | None],
    eval_ids: Sequence[int],
    *,
    threshold: float = 90,
    scorer: str = "ratio",
    train_also: Sequence[str | None] | None = None,
    eval_also: Sequence[str | None] | None = None,
    max_chars: int = 0,
    train_parts: Sequence[int] | None = None,
    eval_parts: Sequence[int] | None = None,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
) -> list[Leak]:
    """Every evaluation example whose normalised text reaches ``threshold`` with some train example.

    ``*_also`` give a second text per example that must match too (the "both" field). Ids of the two
    sides may overlap (two files). Texts over ``max_chars`` characters only meet identical twins (0: no cap).
    ``*_parts`` (an integer per example, both sides or neither): examples meet only those of their part (see
    ``find_near_duplicates``).
    Leaks are sorted by eval id; raises ``Cancelled`` when ``cancel`` is set.
    """
    spec = get_scorer(scorer)
    threshold = check_threshold(threshold)
    if (train_also is None) != (eval_also is None):
        raise ValueError("give a second text for both sides or for neither")
    if (train_parts is None) != (eval_parts is None):
        raise ValueError("give parts for both sides or for neither")
    n_train = len(train_ids)
    texts = list(train_texts) + list(eval_texts)
    also = None if train_also is None else list(train_also) + list(eval_also)  # type: ignore[arg-type]
    ids = np.asarray(list(train_ids) + list(eval_ids), dtype=np.int64)
    work = Work(progress, cancel)
    parts = None if train_parts is None else list(train_parts) + list(eval_parts)  # type: ignore[arg-type]
    group, values, group_parts = prepare(texts, also, len(ids), work.span(0, 0.05, "normalising"), parts=parts)
    is_eval = np.arange(len(ids)) >= n_train
    has_eval = np.bincount(group, weights=is_eval, minlength=len(values)) > 0
    has_train = np.bincount(group, weights=~is_eval, minlength=len(values)) > 0
    capped = within_cap(values, max_chars)
    g, h, scores, _ = match_groups(values, spec, threshold, work.span(0.05, 1.0, "searching"),
                                   sides=(has_eval & capped, has_train & capped), parts=group_parts)
    both = has_eval & has_train
    own = self_scores(values, both, spec)

    train_of: dict[int, list[int]] = {}
    eval_of: dict[int, list[int]] = {}
    for position, grp in enumerate(group.tolist()):
        (eval_of if is_eval[position] else train_of).setdefault(grp, []).append(int(ids[position]))
    twins: dict[int, dict[int, Twin]] = {}

    def add(eval_group: int, train_group: int, score: float, identical: bool) -> None:
        for e in eval_of.get(eval_group, ()):
            found = twins.setdefault(e, {})
            for t in train_of.get(train_group, ()):
                found[t] = Twin(t, score, identical)

    for grp in np.flatnonzero(both & (own >= threshold)).tolist():
        add(grp, grp, float(own[grp]), True)
    for a, b, s in zip(g.tolist(), h.tolist(), scores.tolist()):
        add(a, b, s, False)
        add(b, a, s, False)
    work.report(1.0, "done")
    return [
        Leak(e, tuple(sorted(found.values(), key=lambda t: (-t.score, t.id))))
        for e, found in sorted(twins.items())
    ]
