"""Clusters without every pair: union-find over distinct texts, verifying a candidate pair only while its two
texts are still in different clusters.

What a user acts on is clusters (connected components of the pairs reaching the threshold), and on templated
data a cluster of thousands of texts holds millions of pairs: once two texts are connected, a pair between
them changes nothing, so it is not verified. Pairs whose texts differ only in numbers (equal number masks)
form a graph of their own, apart from the others; a pair joins clusters only in its own graph. What is kept
is a spanning forest: the verified pair behind every union, with its score, so each member can name the member
it joined through. Pairs are joined one by one in the order they are found, so a pair already connected changes
nothing: the search's threads, which skip more or fewer such pairs from run to run, leave the same forest. Exact: a candidate is skipped only when verified pairs already connect its two texts, so
the clusters are the connected components of every pair exhaustive ``cdist`` would find.

The compiled search (``kernel.block_links``) reads these forests, scores its candidates itself and hands over
the pairs that reach the threshold (``Connector.add_links``); the pairs it leaves open (long texts, small
searches) are verified here with rapidfuzz.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import process

from curator.core.dedupe.bound import Links
from curator.core.dedupe.verify import LONG, Scorer, prefix_refuted
from curator.core.progress import Work

_FLUSH = 1_000_000  # candidate pairs gathered before filtering and verifying them
_ROUNDS = 2  # rounds verifying one candidate per pair of clusters before verifying all that are left


class Forest:
    """Union-find over ``n`` items that keeps the edges that joined two components (a spanning forest)."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)
        self.a: list[int] = []
        self.b: list[int] = []
        self.scores: list[float] = []

    def roots(self, items: np.ndarray) -> np.ndarray:
        """Each item's component root (compressing the paths of the items asked about)."""
        root = self.parent[items]
        while True:
            up = self.parent[root]
            if np.array_equal(up, root):
                break
            root = up
        self.parent[items] = root
        return root

    def join(self, a: np.ndarray, b: np.ndarray, scores: np.ndarray) -> None:
        """Union the components of every pair (a, b) in order, keeping the pairs that joined two components: the
        same pairs whatever other pairs, already connected, come between them (so a search whose threads skip
        more or fewer connected pairs keeps the same forest)."""
        a, b, scores = np.asarray(a, np.int64), np.asarray(b, np.int64), np.asarray(scores, np.float64)
        if not len(a):
            return
        ra, rb = self.roots(a), self.roots(b)
        apart = np.flatnonzero(ra != rb)  # connected before these pairs: never an edge
        parent = self.parent
        took = []
        for k, x, y in zip(apart.tolist(), ra[apart].tolist(), rb[apart].tolist()):
            while parent[x] != x:
                x = parent[x]
            while parent[y] != y:
                y = parent[y]
            if x != y:
                parent[max(x, y)] = min(x, y)
                took.append(k)
        self.a += a[took].tolist()
        self.b += b[took].tolist()
        self.scores += scores[took].tolist()

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.asarray(self.a, dtype=np.int64), np.asarray(self.b, dtype=np.int64),
                np.asarray(self.scores, dtype=np.float64))


class Connector:
    """Candidate pairs of ``texts`` in, clusters out: each pair goes to the numbers-only graph when the texts'
    ``masks`` are equal, else to the main one; it is verified (with ``spec``) only while its texts are apart."""

    def __init__(self, texts: np.ndarray, masks: np.ndarray, spec: Scorer, threshold: float,
                 work: Work | None = None) -> None:
        self.texts = texts
        self.work = work  # checked for cancellation before each batch verified
        self.masks = masks
        self.spec = spec
        self.threshold = threshold
        self.lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.main = Forest(len(texts))
        self.numeric = Forest(len(texts))
        self.candidates = 0
        self.verified = 0
        self._pending: list[np.ndarray] = []
        self._size = 0

    def add_links(self, links: Links) -> None:
        """A block of ``bound.link_blocks``: its scored pairs joined at once, the pairs left open verified in
        batches (of ``_FLUSH`` pairs, and by ``flush`` at the end)."""
        self.candidates += links.passed
        self.verified += links.scored
        self._pending.append(links.open)
        self._size += len(links.open)
        if self._size >= _FLUSH:
            self.flush()
        for forest, sel in self._graphs(links.a, links.b):
            forest.join(links.a[sel], links.b[sel], links.scores[sel])

    def _graphs(self, a: np.ndarray, b: np.ndarray) -> tuple[tuple[Forest, np.ndarray], tuple[Forest, np.ndarray]]:
        """Each forest with the pairs (a, b) that belong to it: the numbers-only one when the masks are equal."""
        numeric = self.masks[a] == self.masks[b]
        return (self.main, ~numeric), (self.numeric, numeric)

    def add_scored(self, a: np.ndarray, b: np.ndarray, scores: np.ndarray) -> None:
        """Pairs already verified (scores at or above the threshold), strongest first."""
        order = np.argsort(-scores, kind="stable")
        a, b, scores = a[order], b[order], scores[order]
        for forest, sel in self._graphs(a, b):
            pa, pb, ps = a[sel], b[sel], scores[sel]
            for s in range(0, len(pa), _FLUSH):
                xa, xb, xs = pa[s : s + _FLUSH], pb[s : s + _FLUSH], ps[s : s + _FLUSH]
                apart = forest.roots(xa) != forest.roots(xb)
                forest.join(xa[apart], xb[apart], xs[apart])

    def flush(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate(self._pending)
        self._pending, self._size = [], 0
        a, b = np.divmod(keys, len(self.texts))
        for forest, sel in self._graphs(a, b):
            self._connect(forest, a[sel], b[sel])

    def _connect(self, forest: Forest, a: np.ndarray, b: np.ndarray) -> None:
        n = len(self.texts)
        for _ in range(_ROUNDS):
            ra, rb = forest.roots(a), forest.roots(b)
            apart = ra != rb
            a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
            if len(a) == 0:
                return
            _, first = np.unique(np.minimum(ra, rb) * n + np.maximum(ra, rb), return_index=True)
            self._verify(forest, a[first], b[first])
            rest = np.ones(len(a), dtype=bool)
            rest[first] = False
            a, b = a[rest], b[rest]
        apart = forest.roots(a) != forest.roots(b)
        self._verify(forest, a[apart], b[apart])

    def _verify(self, forest: Forest, a: np.ndarray, b: np.ndarray) -> None:
        if len(a) == 0:
            return
        if self.work is not None:
            self.work.check()
        self.verified += len(a)
        if self.spec.name in ("ratio", "QRatio"):
            long = np.flatnonzero((self.lengths[a] >= LONG) & (self.lengths[b] >= LONG))
            if len(long):
                keep = np.ones(len(a), dtype=bool)
                keep[long[prefix_refuted(self.texts[a[long]], self.texts[b[long]], self.threshold)]] = False
                a, b = a[keep], b[keep]
        scores = process.cpdist(self.texts[a], self.texts[b], scorer=self.spec.func, score_cutoff=self.threshold,
                                dtype=np.float64, workers=-1)
        hit = scores >= self.threshold
        forest.join(a[hit], b[hit], scores[hit])
