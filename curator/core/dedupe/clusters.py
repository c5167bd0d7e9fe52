"""Clusters of near-duplicates (connected components of the pairs), each with a suggested keeper.

Components are transitive: a ~ b and b ~ c put a, b and c in one cluster even when a and c are further
apart than the threshold; each member's similarity *to the keeper* shows that, and a member below the
threshold names the member it joined through (``via``). The keeper is the member
that ranks highest under ``rank`` (default: the lowest id, i.e. the earliest example);
``curator.core.dedupe.scan`` ranks by the documented keeper rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from curator.core.dedupe.matches import NearDuplicates
from curator.core.dedupe.normalise import normalise_all
from curator.core.dedupe.verify import get_scorer


@dataclass(frozen=True)
class Member:
    """One example of a cluster and its similarity to the cluster's keeper; a member below the threshold
    joined through another member, ``via``, with similarity ``via_score`` to it."""

    id: int
    score: float
    via: int | None = None
    via_score: float | None = None


@dataclass(frozen=True)
class Cluster:
    """Near-duplicate examples: the keeper first (score 100), then the others by similarity to it."""

    members: tuple[Member, ...]

    @property
    def keeper(self) -> int:
        return self.members[0].id

    @property
    def others(self) -> tuple[int, ...]:
        """The ids the suggestion would delete."""
        return tuple(m.id for m in self.members[1:])

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.members)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def min_score(self) -> float:
        """The lowest similarity of a member to the keeper."""
        return min(m.score for m in self.members[1:])

    def to_dict(self) -> dict:
        return {"keeper": self.keeper,
                "members": [[m.id, m.score] + ([m.via, m.via_score] if m.via is not None else []) for m in self.members]}

    @classmethod
    def from_dict(cls, data: dict) -> Cluster:
        return cls(tuple(Member(int(m[0]), float(m[1]), *((int(m[2]), float(m[3])) if len(m) > 2 else ()))
                         for m in data["members"]))


def _components(matches: NearDuplicates) -> list[list[int]]:
    """Groups of ``matches.groups`` indexes that pairs connect, each with at least two examples."""
    from curator.core.dedupe.connect import Forest

    n = len(matches.groups)
    if n == 0:
        return []
    forest = Forest(n)
    links = np.asarray([(g, h) for g, h, _ in matches.links], dtype=np.int64).reshape(-1, 2)
    forest.join(links[:, 0], links[:, 1], np.zeros(len(links)))
    label = forest.roots(np.arange(n))
    order = np.argsort(label, kind="stable")
    cuts = np.flatnonzero(np.diff(label[order])) + 1
    parts = [p.tolist() for p in np.split(order, cuts)]
    return [p for p in parts if len(p) > 1 or matches.group_pairs_inside(p[0])]


def cluster_pairs(
    matches: NearDuplicates,
    texts: Mapping[int, str | None],
    *,
    also: Mapping[int, str | None] | None = None,
    rank: Callable[[int], Any] | None = None,
) -> list[Cluster]:
    """Clusters of ``matches``, largest first, then the most similar first, then by keeper id.

    ``texts`` (and ``also`` for two-field matches) give each example's compared text(s), so every
    member's similarity to the keeper can be scored with the same scorer; ``rank(id)`` orders keeper
    candidates, highest wins (default: lowest id).
    """
    scorer = get_scorer(matches.scorer).func
    rank = rank or (lambda i: -i)
    best: dict[int, tuple[float, int]] = {}  # each group's most similar linked group
    for g, h, score in matches.links:
        if score > best.get(g, (-1.0, 0))[0]:
            best[g] = (score, h)
        if score > best.get(h, (-1.0, 0))[0]:
            best[h] = (score, g)
    parts = []
    asked: list[tuple[int, int]] = []  # (keeper, member) pairs to score, members outside the keeper's group
    for part in _components(matches):
        group_of = {i: g for g in part for i in matches.groups[g]}
        keeper = max(group_of, key=lambda i: (rank(i), -i))
        parts.append((keeper, group_of))
        asked += [(keeper, i) for i, g in group_of.items() if g != group_of[keeper]]
    scores = _scores(asked, texts, scorer)
    if also is not None:
        scores = np.minimum(scores, _scores(asked, also, scorer))
    score_of = dict(zip(asked, scores.tolist()))
    clusters: list[Cluster] = []
    for keeper, group_of in parts:
        members = [Member(keeper, 100.0)]
        for i, g in group_of.items():
            if i == keeper:
                continue
            score = matches.self_scores[g] if g == group_of[keeper] else score_of[(keeper, i)]
            if score < matches.threshold and g in best:
                via_score, h = best[g]
                members.append(Member(i, float(score), min(matches.groups[h]), float(via_score)))
                continue
            members.append(Member(i, float(score)))
        members[1:] = sorted(members[1:], key=lambda m: (-m.score, m.id))
        clusters.append(Cluster(tuple(members)))
    clusters.sort(key=lambda c: (-c.size, -c.min_score, c.keeper))
    return clusters


def _scores(pairs: list[tuple[int, int]], texts: Mapping[int, str | None], scorer) -> np.ndarray:
    """The scorer on the normalised texts of each (keeper, member) pair, in one batch over every core."""
    from rapidfuzz import process

    if not pairs:
        return np.zeros(0)
    ids = {i for pair in pairs for i in pair}
    norm = dict(zip(ids, normalise_all(texts[i] for i in ids)))
    return process.cpdist([norm[k] for k, _ in pairs], [norm[i] for _, i in pairs], scorer=scorer,
                          dtype=np.float64, workers=-1)
