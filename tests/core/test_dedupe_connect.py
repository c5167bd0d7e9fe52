"""The union-find behind the clusters keeps the same joining pairs whatever already-connected pairs come between
them, so a search whose threads skip more or fewer connected pairs gives the same "joined via" every run."""

from __future__ import annotations

import random

import numpy as np
import pytest

from curator.core.dedupe.connect import Forest


def _joined(pairs: list[tuple[int, int]], n: int, cuts: list[int]) -> list[tuple[int, int]]:
    forest = Forest(n)
    for start, stop in zip([0, *cuts], [*cuts, len(pairs)]):  # in batches, as a search hands its blocks over
        batch = pairs[start:stop]
        forest.join(np.array([p[0] for p in batch], np.int64), np.array([p[1] for p in batch], np.int64),
                    np.arange(start, stop, dtype=np.float64))
    a, b, _ = forest.edges()
    return list(zip(a.tolist(), b.tolist()))


def _connected_before(pairs: list[tuple[int, int]], n: int) -> list[bool]:
    """Whether each pair's two items are connected by the pairs before it."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    out = []
    for a, b in pairs:
        ra, rb = root(a), root(b)
        out.append(ra == rb)
        parent[max(ra, rb)] = min(ra, rb)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_pairs_already_connected_change_no_edge(seed):
    rng = random.Random(seed)
    n = 60
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(400)]
    pairs = [(a, b) for a, b in pairs if a != b]
    redundant = _connected_before(pairs, n)
    assert sum(redundant) > 50
    fewer = [p for p, r in zip(pairs, redundant) if not (r and rng.random() < 0.6)]  # as a fresher thread skips
    cuts = sorted(rng.sample(range(1, len(pairs)), 6))
    fewer_cuts = sorted(rng.sample(range(1, len(fewer)), 4))
    every = _joined(pairs, n, cuts)
    assert every == _joined(fewer, n, fewer_cuts) == _joined(pairs, n, [])
    assert every == [p for p, r in zip(pairs, redundant) if not r]  # each pair joining two components, in order


def test_a_cycle_keeps_the_pairs_that_came_first():
    # the last pair of a triangle joins nothing, whichever of its ends is larger
    assert _joined([(2, 3), (1, 3), (1, 2)], 4, []) == [(2, 3), (1, 3)]
