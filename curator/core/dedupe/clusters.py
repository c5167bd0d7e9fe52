"""Clusters of near-duplicates (connected components of the pairs), each with a suggested keeper.

Components are transitive: a ~ b and b ~ c put a, b and c in one cluster even when a and c are further
apart than the threshold; each member's similarity *to the keeper* shows that, and a member below the
threshold names the member it joined through (``via``). The keeper is the member
that ranks highest under ``rank`` (default: the lowest id, i.e. the earliest example);
``curator.core.dedupe.scan`` ranks by the documented keeper rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from itertools import chain
from typing import Any, NamedTuple
from dataclasses import dataclass

import numpy as np

from curator.core.dedupe.by_id import ByID
from curator.core.dedupe.matches import NearDuplicates
from curator.core.dedupe.normalise import normalise_all
from curator.core.dedupe.verify import get_scorer
from curator.core.heap import collector_paused


class Member(NamedTuple):
    """One example of a cluster and its similarity to the cluster's keeper; a member below the threshold
    joined through another member, ``via``, with similarity ``via_score`` to it. (A named tuple: a 100k scan
    makes 100k of them, three times faster than a frozen dataclass.)"""

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
        return cls(tuple(Member(*m) for m in data["members"]))  # JSON keeps ints and floats apart


def _labels(n: int, g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Each of ``n`` groups' component under the links ``(g, h)``, named by its smallest group index."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(coo_matrix((np.ones(len(g), np.int8), (g, h)), shape=(n, n)), directed=False)
    smallest = np.full(label.max(initial=-1) + 1, n, np.int64)
    np.minimum.at(smallest, label, np.arange(n))
    return smallest[label]


def _best_links(n: int, g: np.ndarray, h: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``n`` groups' most similar linked group (-1 when it has no link) and that link's score: of equal
    scores, the first link."""
    partner, score = np.full(n, -1, dtype=np.int64), np.zeros(n)
    if not len(g):
        return partner, score
    side = np.column_stack([g, h]).ravel()  # link k's ends at 2k and 2k + 1: positions in the links' order
    order = np.argsort(side, kind="stable")
    side, scores = side[order], np.repeat(scores, 2)[order]
    start = np.flatnonzero(np.r_[True, side[1:] != side[:-1]])
    best = np.repeat(np.maximum.reduceat(scores, start), np.diff(np.r_[start, len(side)]))
    hit = np.flatnonzero(scores == best)
    first = hit[np.r_[True, side[hit][1:] != side[hit][:-1]]]  # each group's first link of its best score
    partner[side[first]] = np.column_stack([h, g]).ravel()[order[first]]
    score[side[first]] = scores[first]
    return partner, score


def _rank_columns(ids: np.ndarray, rank: Callable[[int], Any] | ByID | None) -> np.ndarray:
    """``rank`` of every id as columns of numbers (a rank that is a tuple gives a column per item)."""
    if rank is None:
        return np.zeros((len(ids), 1))
    columns = rank.take(ids) if isinstance(rank, ByID) else [rank(i) for i in ids.tolist()]
    columns = np.asarray(columns, dtype=np.float64).reshape(len(ids), -1)
    return np.where(np.isnan(columns), -np.inf, columns)  # no rank ranks lowest


def _keepers(ids: np.ndarray, ranks: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The position of each segment's keeper (segments of ``size`` from ``start``): the highest rank (its first
    column first), then the lowest id; one pass over the members per column instead of sorting them."""
    segment = np.repeat(np.arange(len(start)), size)
    best = np.ones(len(ids), dtype=bool)
    for column in ranks.T:
        top = np.maximum.reduceat(np.where(best, column, -np.inf), start)
        best &= column == top[segment]
    lowest = np.minimum.reduceat(np.where(best, ids, np.iinfo(np.int64).max), start)
    return np.flatnonzero(best & (ids == lowest[segment]))


def cluster_pairs(
    matches: NearDuplicates,
    texts: Mapping[int, str | None] | ByID,
    *,
    also: Mapping[int, str | None] | ByID | None = None,
    rank: Callable[[int], Any] | ByID | None = None,
    normalised: bool = False,
) -> list[Cluster]:
    """Clusters of ``matches``, largest first, then the most similar first, then by keeper id.

    ``texts`` (and ``also`` for two-field matches) give each example's compared text(s), so every
    member's similarity to the keeper can be scored with the same scorer (``normalised``: ``texts`` are
    normalised already); ``rank(id)`` (a number or a tuple of numbers) orders keeper candidates, highest wins
    (default: lowest id). ``ByID`` tables (of rows, for ``rank``) look many ids up at once. Worked out over
    arrays: at 1M templated examples there are 1.5M members.
    """
    groups, links = _arrays(matches)
    return _clusters(matches, groups, np.asarray(matches.self_scores, dtype=np.float64), links, texts, also, rank,
                     normalised)


def split_clusters(
    matches: NearDuplicates,
    texts: Mapping[int, str | None] | ByID,
    *,
    also: Mapping[int, str | None] | ByID | None = None,
    rank: Callable[[int], Any] | ByID | None = None,
    normalised: bool = False,
) -> tuple[list[Cluster], list[Cluster]]:
    """``cluster_pairs`` of each of ``matches.split_numbers()``: the clusters, and the clusters of the pairs that
    differ only in numbers; the matches are read once."""
    groups, links = _arrays(matches)
    numeric = np.zeros(len(links), dtype=bool)
    numeric[list(matches.numbers_only)] = True
    own = np.asarray(matches.self_scores, dtype=np.float64)
    clusters = _clusters(matches, groups, own, links[~numeric], texts, also, rank, normalised)
    if not numeric.any():
        return clusters, []
    # identical texts never differ in numbers: no group pairs inside by itself
    return clusters, _clusters(matches, groups, np.zeros_like(own), links[numeric], texts, also, rank, normalised)


def _arrays(matches: NearDuplicates) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """(each group's size, every group's ids one after the other), and the links as rows (g, h, score)."""
    sizes = np.fromiter(map(len, matches.groups), dtype=np.int64, count=len(matches.groups))
    ids = np.fromiter(chain.from_iterable(matches.groups), dtype=np.int64, count=int(sizes.sum()))
    links = np.fromiter(chain.from_iterable(matches.links), dtype=np.float64, count=3 * len(matches.links))
    return (sizes, ids), links.reshape(-1, 3)


def _clusters(matches: NearDuplicates, groups: tuple[np.ndarray, np.ndarray], own: np.ndarray, links: np.ndarray,
              texts, also, rank, normalised: bool) -> list[Cluster]:
    """``cluster_pairs`` of the groups ``(sizes, ids)`` with self-scores ``own``, through ``links``."""
    sizes, ids = groups
    n = len(sizes)
    if n == 0:
        return []
    scorer = get_scorer(matches.scorer).func
    group = np.repeat(np.arange(n), sizes)
    smallest = np.minimum.reduceat(ids, np.cumsum(sizes) - sizes)  # each group's lowest id
    g, h = links[:, 0].astype(np.int64), links[:, 1].astype(np.int64)
    label = _labels(n, g, h)
    wanted = (np.bincount(label, minlength=n)[label] > 1) | ((sizes > 1) & (own >= matches.threshold))
    keep = wanted[group]
    ids, group = ids[keep], group[keep]
    if not len(ids):
        return []
    comp = label[group]
    order = np.argsort(comp, kind="stable")
    ids, group, comp = ids[order], group[order], comp[order]
    start = np.flatnonzero(np.r_[True, comp[1:] != comp[:-1]])  # each component's members from start
    size = np.diff(np.r_[start, len(ids)])
    keepers = _keepers(ids, _rank_columns(ids, rank), start, size)
    keeper = np.repeat(keepers, size)
    first = np.zeros(len(ids), dtype=bool)
    first[keepers] = True
    score = own[group].copy()
    asked = np.flatnonzero(group != group[keeper])
    score[asked] = _scores(ids[keeper[asked]], ids[asked], texts, scorer, normalised)
    if also is not None:
        score[asked] = np.minimum(score[asked], _scores(ids[keeper[asked]], ids[asked], also, scorer, False))
    score[first] = 100.0
    partner, partner_score = _best_links(n, g, h, links[:, 2])
    via = (score < matches.threshold) & (partner[group] >= 0) & ~first
    lowest = np.minimum.reduceat(np.where(first, np.inf, score), start)
    cluster_order = np.lexsort((ids[keepers], -lowest, -size))
    position = np.empty(len(start), dtype=np.int64)
    position[cluster_order] = np.arange(len(start))
    order = np.lexsort((ids, np.where(first, -np.inf, -score), np.repeat(position, size)))  # the keeper first
    via = via[order]
    via_id, via_score = np.full(len(ids), None, dtype=object), np.full(len(ids), None, dtype=object)
    via_id[via] = smallest[partner[group[order][via]]]  # Python ints and floats in an object array
    via_score[via] = partner_score[group[order][via]]
    member = partial(tuple.__new__, Member)  # no Python-level __new__ per member
    bounds = np.cumsum(size[cluster_order]).tolist()
    with collector_paused():  # 1.5M members at 1M templated examples: collections walking them took seconds
        members = list(map(member, zip(ids[order].tolist(), score[order].tolist(), via_id.tolist(),
                                       via_score.tolist())))
        return [Cluster(tuple(members[a:b])) for a, b in zip([0] + bounds[:-1], bounds)]


def _scores(keepers: np.ndarray, members: np.ndarray, texts: Mapping[int, str | None] | ByID, scorer,
            normalised: bool) -> np.ndarray:
    """The scorer on the normalised texts of each (keeper, member) pair, in one batch over every core
    (``normalised``: ``texts`` are; else each text is looked up and normalised once)."""
    from rapidfuzz import process

    if not len(keepers):
        return np.zeros(0)
    if normalised and isinstance(texts, ByID):
        return process.cpdist(texts.take(keepers).tolist(), texts.take(members).tolist(), scorer=scorer,
                              dtype=np.float64, workers=-1)
    wanted, back = np.unique(np.concatenate([keepers, members]), return_inverse=True)
    values = texts.take(wanted) if isinstance(texts, ByID) else list(map(texts.__getitem__, wanted.tolist()))
    if not normalised:
        values = normalise_all(values)
    values = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    return process.cpdist(values[back[:len(keepers)]].tolist(), values[back[len(keepers):]].tolist(),
                          scorer=scorer, dtype=np.float64, workers=-1)
