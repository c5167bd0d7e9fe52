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
from curator.core.dedupe.normalise import normalise
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
    from scipy.sparse import coo_matrix  # scipy costs a second at start-up: only where it is used
    from scipy.sparse.csgraph import connected_components

    n = len(matches.groups)
    if n == 0:
        return []
    rows = [g for g, _, _ in matches.links]
    cols = [h for _, h, _ in matches.links]
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    count, label = connected_components(graph, directed=False)
    parts: list[list[int]] = [[] for _ in range(count)]
    for g, c in enumerate(label.tolist()):
        parts[c].append(g)
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
    clusters: list[Cluster] = []
    for part in _components(matches):
        group_of = {i: g for g in part for i in matches.groups[g]}
        keeper = max(group_of, key=lambda i: (rank(i), -i))
        keeper_texts = [normalise(texts[keeper])] + ([normalise(also[keeper])] if also is not None else [])
        members = [Member(keeper, 100.0)]
        for i, g in group_of.items():
            if i == keeper:
                continue
            if g == group_of[keeper]:
                score = matches.self_scores[g]
            else:
                mine = [normalise(texts[i])] + ([normalise(also[i])] if also is not None else [])
                score = min(scorer(k, m) for k, m in zip(keeper_texts, mine))
            if score < matches.threshold and g in best:
                via_score, h = best[g]
                members.append(Member(i, float(score), min(matches.groups[h]), float(via_score)))
                continue
            members.append(Member(i, float(score)))
        members[1:] = sorted(members[1:], key=lambda m: (-m.score, m.id))
        clusters.append(Cluster(tuple(members)))
    clusters.sort(key=lambda c: (-c.size, -c.min_score, c.keeper))
    return clusters
