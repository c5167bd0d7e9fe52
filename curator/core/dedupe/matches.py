"""The result of a near-duplicate search: clusters, stored as the pairs that connect them.

Examples whose compared text is identical after normalising form one *group*; a *link* is a verified pair of
groups whose texts reach the threshold. Links are not every pair: on templated data a cluster of thousands of
texts holds millions of pairs, so the search keeps a spanning forest, the links that connect each cluster
(every link was scored by rapidfuzz; see ``connect``). Clusters are the connected components of the links
plus the groups whose examples pair with each other (when the scorer rates a text with itself at or above the
threshold, as ``ratio`` does). Links whose texts differ only in numbers form components of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class NearDuplicates:
    """The clusters of examples whose similarity under ``scorer`` reaches ``threshold``, through verified links.

    ``groups[g]`` are the ids sharing one normalised text (only groups in some cluster); ``self_scores[g]`` is
    the score of that text with itself (its members pair with each other when it reaches the threshold);
    ``links`` are ``(g, h, score)`` with ``g < h``, the verified pairs that connect the clusters (not every
    pair). ``method`` says how they were found, for the user and the benchmark. ``uncompared`` examples had a
    compared text over ``max_chars`` characters (0: no cap): they were grouped when identical, not compared
    for near-duplicates.
    """

    threshold: float
    scorer: str
    field: str
    groups: tuple[tuple[int, ...], ...]
    self_scores: tuple[float, ...]
    links: tuple[tuple[int, int, float], ...]
    method: str = ""
    numbers_only: tuple[int, ...] = ()  # indexes of links whose texts differ only in numbers
    max_chars: int = 0
    uncompared: int = 0

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

    def components(self) -> list[set[int]]:
        """The ids of each cluster (numbers-only links included; ``split_numbers`` first to keep them apart)."""
        parent = list(range(len(self.groups)))

        def root(g: int) -> int:
            while parent[g] != g:
                parent[g] = parent[parent[g]]
                g = parent[g]
            return g

        linked = set()
        for g, h, _ in self.links:
            parent[root(g)] = root(h)
            linked.update((g, h))
        parts: dict[int, set[int]] = {}
        for g, ids in enumerate(self.groups):
            if g in linked or self.group_pairs_inside(g):
                parts.setdefault(root(g), set()).update(ids)
        return list(parts.values())

    def identical_pair_count(self) -> int:
        """How many pairs of examples have identical normalised texts."""
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
            "max_chars": self.max_chars,
            "uncompared": self.uncompared,
        }

    @classmethod
    def from_dict(cls, data: dict) -> NearDuplicates:
        """The inverse of ``to_dict`` (ids and scores as JSON gives them back: ints and floats)."""
        return cls(
            threshold=float(data["threshold"]),
            scorer=str(data["scorer"]),
            field=str(data["field"]),
            groups=_tuples(data["groups"]),
            self_scores=tuple(data["self_scores"]),
            links=_tuples(data["links"]),
            method=str(data.get("method", "")),
            numbers_only=tuple(data.get("numbers_only", ())),
            max_chars=int(data.get("max_chars", 0)),
            uncompared=int(data.get("uncompared", 0)),
        )


def _tuples(rows) -> tuple[tuple, ...]:
    """``rows`` as a tuple of tuples (rows that are tuples already are kept), a row at a time in Python: one C
    call over a 1M scan's 1.5M links held the interpreter lock as long as it ran."""
    return tuple([row if type(row) is tuple else tuple(row) for row in rows])
