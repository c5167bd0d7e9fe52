"""The result of a near-duplicate search: every pair at or above the threshold, stored compactly.

Examples whose compared text is identical after normalising form one *group*; a *link* joins two groups
whose texts reach the threshold. Every example of one group pairs with every example of a linked group,
and (when the scorer rates the text with itself at or above the threshold, as ``ratio`` does) the
examples of one group pair with each other. So 5,000 identical "ham" outputs cost one group, not 12.5
million pairs; ``pairs()`` expands on demand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import combinations


@dataclass(frozen=True, order=True)
class Pair:
    """Two examples (``a < b``) and their similarity."""

    a: int
    b: int
    score: float


@dataclass(frozen=True)
class NearDuplicates:
    """Every pair of examples whose similarity reaches ``threshold`` under ``scorer``.

    ``groups[g]`` are the ids sharing one normalised text (only groups that take part in some pair);
    ``self_scores[g]`` is the score of that text with itself (its members pair with each other when it
    reaches the threshold); ``links`` are ``(g, h, score)`` with ``g < h``. ``method`` says how the pairs
    were found (MinHash-LSH or exhaustive, and why), for the user and the benchmark.
    """

    threshold: float
    scorer: str
    field: str
    groups: tuple[tuple[int, ...], ...]
    self_scores: tuple[float, ...]
    links: tuple[tuple[int, int, float], ...]
    method: str = ""
    numbers_only: tuple[int, ...] = ()  # indexes of links whose texts differ only in numbers

    def split_numbers(self) -> tuple[NearDuplicates, NearDuplicates]:
        """(the matches without the numbers-only links, the numbers-only links alone)."""
        numeric = set(self.numbers_only)
        rest = tuple(link for k, link in enumerate(self.links) if k not in numeric)
        only = tuple(self.links[k] for k in sorted(numeric))
        self_free = tuple(0.0 for _ in self.self_scores)  # identical texts never differ in numbers
        return (replace(self, links=rest, numbers_only=()),
                replace(self, links=only, self_scores=self_free, numbers_only=()))

    def group_pairs_inside(self, g: int) -> bool:
        """Whether the examples of group ``g`` pair with each other."""
        return len(self.groups[g]) > 1 and self.self_scores[g] >= self.threshold

    def pairs(self) -> Iterator[Pair]:
        """Every pair, identical ones first, then by link."""
        for g, ids in enumerate(self.groups):
            if self.group_pairs_inside(g):
                for a, b in combinations(sorted(ids), 2):
                    yield Pair(a, b, self.self_scores[g])
        for g, h, score in self.links:
            for a in self.groups[g]:
                for b in self.groups[h]:
                    yield Pair(min(a, b), max(a, b), score)

    def pair_count(self) -> int:
        """How many pairs ``pairs()`` yields, without expanding them."""
        inside = sum(len(ids) * (len(ids) - 1) // 2 for g, ids in enumerate(self.groups) if self.group_pairs_inside(g))
        return inside + sum(len(self.groups[g]) * len(self.groups[h]) for g, h, _ in self.links)

    def identical_pair_count(self) -> int:
        """How many of the pairs have identical normalised texts."""
        return sum(len(ids) * (len(ids) - 1) // 2 for g, ids in enumerate(self.groups) if self.group_pairs_inside(g))

    def ids(self) -> set[int]:
        """Every example that has at least one near-duplicate."""
        out: set[int] = set()
        for g, ids in enumerate(self.groups):
            if self.group_pairs_inside(g):
                out.update(ids)
        for g, h, _ in self.links:
            out.update(self.groups[g])
            out.update(self.groups[h])
        return out

    def to_dict(self) -> dict:
        """A JSON-ready form (for caches keyed by dataset version and for ``--json``)."""
        return {
            "threshold": self.threshold,
            "scorer": self.scorer,
            "field": self.field,
            "groups": [list(g) for g in self.groups],
            "self_scores": list(self.self_scores),
            "links": [list(link) for link in self.links],
            "method": self.method,
            "numbers_only": list(self.numbers_only),
        }

    @classmethod
    def from_dict(cls, data: dict) -> NearDuplicates:
        """The inverse of ``to_dict``."""
        return cls(
            threshold=float(data["threshold"]),
            scorer=str(data["scorer"]),
            field=str(data["field"]),
            groups=tuple(tuple(int(i) for i in g) for g in data["groups"]),
            self_scores=tuple(float(s) for s in data["self_scores"]),
            links=tuple((int(g), int(h), float(s)) for g, h, s in data["links"]),
            method=str(data.get("method", "")),
            numbers_only=tuple(int(k) for k in data.get("numbers_only", ())),
        )
