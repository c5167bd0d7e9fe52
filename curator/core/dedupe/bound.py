"""Exact candidate pairs for ``fuzz.ratio``: a character-count bound, checked by a compiled loop.

``ratio(a, b) = 200 * LCS(a, b) / (|a| + |b|)`` and ``LCS(a, b) <= sum_c min(count_a(c), count_b(c))``, so the
Indel distance ``|a| + |b| - 2 LCS`` is at least the L1 distance of the character counts: a pair can reach
``t`` only if ``L1(counts_a, counts_b) <= (1 - t / 100) * (|a| + |b|)``. Summing the counts of several characters
into one bucket never makes the L1 distance larger (``|x1 + x2 - y1 - y2| <= |x1 - y1| + |x2 - y2|``), so the
filter never drops a pair that reaches the threshold: recall is 1.0 by proof, not by measurement (the tests
compare with exhaustive ``process.cdist`` all the same).

Texts are sorted by length and each row only meets the columns its length bound allows; ``kernel.block_pairs``
checks every such pair (about a nanosecond of CPU each), blocks of rows in threads beside the caller, which
verifies what is left exactly. The work stays proportional to the length-compatible pairs, so
``estimate_seconds`` says beforehand how long a search will take.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import Queue
from typing import Any

import numpy as np

from curator.core.dedupe.candidates import max_partner_length, min_partner_length, sorted_unique
from curator.core.progress import Work

BUCKETS = 64  # the most frequent characters get a bucket each; the rest share the last few
SHARED = 8
NS_PER_PAIR = 0.55  # wall time per length-compatible pair on 2 cores, for the estimate, and
NS_PER_CANDIDATE = 39.0  # per candidate it lets through (looked up in the forests, scored by the compiled LCS
# unless already connected): templated 1M, 95.7 G pairs and 927 M candidates searched in 87 s
_SAMPLED = 20_000  # texts among which ``candidate_share`` counts the candidates (about 0.1 s at 1M)
_ROWS = 256  # rows per block handed to a thread
SMALL = 4_000_000  # length-compatible pairs from which the compiled loop is used (numba starts in about a second)
_CHUNK_CHARS = 4_000_000


def _codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's code points, text after text (uint8 when every text is ASCII, else uint32), and each text's
    length."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    if all(map(str.isascii, texts)):  # a byte a character: a quarter of the memory, four times faster
        return np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8), lengths
    out = np.empty(int(lengths.sum()), np.uint32)
    start = at = 0
    while start < len(texts):
        stop, size = start, 0
        while stop < len(texts) and (size < _CHUNK_CHARS or stop == start):
            size += lengths[stop]
            stop += 1
        out[at:at + size] = np.frombuffer("".join(texts[start:stop]).encode("utf-32-le", "surrogatepass"), dtype="<u4")
        start, at = stop, at + size
    return out, lengths


def _frequencies(cp: np.ndarray, compiled: bool) -> np.ndarray:
    """How often each code point occurs (``np.bincount``; ``compiled``: without its copy of ``cp`` in 64 bits)."""
    if compiled and len(cp):
        from curator.core.dedupe.kernel import code_frequencies

        return code_frequencies(cp)
    return np.bincount(cp)


def _table(freq: np.ndarray, buckets: int) -> np.ndarray:
    """Each code point's bucket (``freq``: how often each occurs): the most frequent characters one each, the
    others hashed into the last ``SHARED``."""
    values = np.flatnonzero(freq)
    own = buckets - SHARED
    table = np.zeros(len(freq), np.int64)
    table[values] = (values.astype(np.uint64) * np.uint64(0x9E3779B1) >> np.uint64(7)) % np.uint64(SHARED) + own
    top = values[np.argsort(-freq[values], kind="stable")[:own]]
    table[top] = np.arange(len(top))
    return table


def bucket_counts(texts: Sequence[str], buckets: int = BUCKETS, *, compiled: bool = False
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each text's character counts in ``buckets`` buckets (n x buckets uint8; a count stops at 255, which can
    only shrink the L1 distance) and its length. ``compiled``: counted by ``kernel.count_buckets`` (faster on
    many texts, once numba has started)."""
    cp, lengths = _codepoints(texts)
    return _counts(cp, lengths, buckets, compiled, _frequencies(cp, compiled)), lengths


def _counts(cp: np.ndarray, lengths: np.ndarray, buckets: int, compiled: bool, freq: np.ndarray) -> np.ndarray:
    n = len(lengths)
    if len(cp) == 0:
        return np.zeros((n, buckets), np.uint8)
    table = _table(freq, buckets)
    if compiled:
        from curator.core.dedupe.kernel import count_buckets

        return count_buckets(cp, lengths, table, buckets)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    counts = np.bincount(owner * buckets + table[cp], minlength=n * buckets).reshape(n, buckets)
    return np.minimum(counts, 255).astype(np.uint8)


def _small_integers(cp: np.ndarray, freq: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """The code points renumbered 0, 1, ... (uint16 when they fit), and how many distinct ones there are
    (``freq``: ``_frequencies`` of ``cp`` when counted already)."""
    if len(cp) == 0:
        return np.zeros(0, np.uint16), 1
    seen = (np.bincount(cp) if freq is None else freq) > 0
    number = np.cumsum(seen) - 1
    alphabet = int(number[-1]) + 1
    return number.astype(np.uint16 if alphabet <= 65536 else np.uint32)[cp], alphabet


def estimate_seconds(compatible: int, share: float = 0.0) -> float:
    """Seconds a search takes over ``compatible`` length-compatible pairs, of which the bound lets ``share``
    through to be verified (2-core figure)."""
    return compatible * (NS_PER_PAIR + share * NS_PER_CANDIDATE) * 1e-9


def candidate_share(texts: Sequence[str], threshold: float) -> float:
    """The share of length-compatible pairs the count bound lets through, counted by the compiled loop on every
    pair of ``_SAMPLED`` texts drawn at random (always the same ones; every text when there are fewer): on
    templated data it grows with the number of texts, and verifying the candidates can cost more than the bound
    itself. A uniform sample of texts is a uniform sample of pairs, so the share needs no other text's counts."""
    from curator.core.dedupe.kernel import HEAD, block_pairs

    if len(texts) > _SAMPLED:
        drawn = np.sort(np.random.default_rng(0).choice(len(texts), _SAMPLED, replace=False))
        texts = [texts[i] for i in drawn.tolist()]
    if len(texts) < 2:
        return 0.0
    order, lengths, _, _, lo, hi = _layout(texts, threshold, None)
    counts, _ = bucket_counts([texts[i] for i in order], compiled=True)
    head = np.ascontiguousarray(counts[:, :HEAD].T)
    eps = 1.0 - threshold / 100.0
    blocks = _in_threads(lambda start, stop: block_pairs(start, stop, lo, hi, counts, lengths, head, counts, lengths,
                                                         eps), len(texts))
    found = sum(len(rows) for _, (rows, _) in blocks)
    seen = int(np.maximum(hi - lo, 0).sum())
    return found / seen if seen else 0.0


def _layout(texts: Sequence[str], threshold: float, sides: tuple[np.ndarray, np.ndarray] | None) -> tuple:
    """How a search walks ``texts``: their order by length and the sorted lengths, the row and column positions
    (every text, or the two sides), and each row's window of columns ``lo <= c < hi``: from its own length
    (symmetric: after itself) up to its longest partner."""
    n = len(texts)
    unsorted = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    order = np.argsort(unsorted, kind="stable")
    lengths = unsorted[order]
    if sides is None:
        rows = cols = np.arange(n)
    else:
        rows, cols = np.flatnonzero(sides[0][order]), np.flatnonzero(sides[1][order])
    row_len, col_len = lengths[rows], lengths[cols]
    hi = np.searchsorted(col_len, max_partner_length(row_len, threshold), side="right").astype(np.int64)
    if sides is None:
        lo = np.arange(1, n + 1, dtype=np.int64)
    else:
        lo = np.searchsorted(col_len, min_partner_length(row_len, threshold)).astype(np.int64)
    return order, lengths, rows, cols, lo, hi


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _numpy_pairs(start: int, stop: int, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray, row_len: np.ndarray,
                 cols: np.ndarray, col_len: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``kernel.block_pairs`` in numpy, for searches too small to be worth starting numba."""
    c0, c1 = int(lo[start:stop].min()), int(hi[start:stop].max())
    if c0 >= c1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    l1 = np.abs(rows[start:stop, None, :].astype(np.int16) - cols[None, c0:c1, :]).sum(axis=2)
    at = np.arange(c0, c1)
    ok = (at >= lo[start:stop, None]) & (at < hi[start:stop, None])
    ok &= l1 <= eps * (row_len[start:stop, None] + col_len[None, c0:c1]) + 1e-6
    r, c = np.nonzero(ok)
    return r + start, c + c0


def candidate_blocks(
    texts: Sequence[str],
    threshold: float,
    work: Work,
    *,
    sides: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[np.ndarray]:
    """Every pair of ``texts`` that may reach ``threshold`` under ``fuzz.ratio``, block by block, as keys
    ``i * n + j`` (i < j; each pair once unless ``sides`` is given, when a pair may come twice).

    With ``sides = (left, right)`` (boolean masks) only pairs with one text in each are looked at. Searches
    over ``SMALL`` length-compatible pairs run the compiled loop (``kernel``) in threads; smaller ones numpy.
    """
    n = len(texts)
    if n < 2:
        return
    order, lengths, rows, cols, lo, hi = _layout(texts, threshold, sides)
    row_len, col_len = lengths[rows], lengths[cols]
    compiled = int(np.maximum(hi - lo, 0).sum()) >= SMALL
    counts, _ = bucket_counts([texts[i] for i in order], compiled=compiled)  # position p holds text order[p]
    work.report(0.05)
    row_counts, col_counts = counts[rows], counts[cols]
    eps = 1.0 - threshold / 100.0
    total = len(rows)
    if not compiled:
        step = max(1, min(_ROWS, 16_000_000 // (BUCKETS * max(1, len(cols)))))  # at most 32 MB of differences
        for start in range(0, total, step):
            stop = min(start + step, total)
            found = _numpy_pairs(start, stop, lo, hi, row_counts, row_len, col_counts, col_len, eps)
            yield from _keys(found, stop, rows, cols, order, n, total, work)
        return
    from curator.core.dedupe.kernel import HEAD, block_pairs

    head = np.ascontiguousarray(col_counts[:, :HEAD].T)
    blocks = _in_threads(lambda start, stop: block_pairs(start, stop, lo, hi, row_counts, row_len, head,
                                                         col_counts, col_len, eps), total)
    for stop, found in blocks:
        yield from _keys(found, stop, rows, cols, order, n, total, work)


def _in_threads(block: Callable[[int, int], Any], total: int) -> Iterator[tuple[int, Any]]:
    """``block(start, stop)`` over the rows ``0 <= r < total`` in blocks of ``_ROWS``, in threads (the compiled
    loops release the interpreter lock), in order: each block's last row and result, two blocks a thread ahead."""
    threads = _threads()
    pool = ThreadPoolExecutor(threads, thread_name_prefix="curator-bound")
    pending: deque = deque()
    try:
        for start in range(0, total, _ROWS):
            stop = min(start + _ROWS, total)
            pending.append((stop, pool.submit(block, start, stop)))
            if len(pending) >= 2 * threads:
                stop, future = pending.popleft()
                yield stop, future.result()
        while pending:
            stop, future = pending.popleft()
            yield stop, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Links:
    """One block of a linked search: pairs scored (text numbers ``a < b``, their ``fuzz.ratio``), pairs left to
    verify (keys ``i * n + j``), how many pairs passed the bound and how many of those were scored."""

    a: np.ndarray
    b: np.ndarray
    scores: np.ndarray
    open: np.ndarray
    passed: int
    scored: int


class _Scratch:
    """One thread's scratch for ``kernel.block_links``: identity parents for the pairs a block finds, character
    masks and the LCS words."""

    def __init__(self, n: int, alphabet: int) -> None:
        from curator.core.dedupe.kernel import WORDS

        self.main = np.arange(n, dtype=np.int64)
        self.numeric = np.arange(n, dtype=np.int64)
        self.masks = np.zeros(alphabet * WORDS, np.uint64)
        self.words = np.zeros(WORDS, np.uint64)


def link_blocks(
    texts: Sequence[str],
    threshold: float,
    work: Work,
    forests: tuple[np.ndarray, np.ndarray, np.ndarray],
    long_from: int,
    *,
    numbers: np.ndarray | None = None,
) -> Iterator[Links]:
    """The pairs of ``texts`` reaching ``threshold`` under ``fuzz.ratio`` that may join two clusters, block by
    block: the count bound, then the exact score, in the compiled loop (``kernel.block_links``).

    ``forests = (kinds, main, numeric)``: the caller's union-find parents, which it updates with the pairs it
    gets; a pair goes to ``numeric`` when ``kinds`` of its texts are equal, else to ``main``, and is left out
    when already connected there. Pairs of two texts of ``long_from`` characters or more come back unscored
    (``Links.open``), as do all pairs of searches under ``SMALL`` length-compatible pairs (numpy's bound; numba
    takes about a second to start). ``numbers``: each text's number in the forests (default: its position);
    pairs come back as those numbers, keys ``i * size + j`` with ``size`` the forests' size.
    """
    n = len(texts)
    if n < 2:
        return
    size = len(forests[1])
    numbers = np.arange(n) if numbers is None else numbers
    order, lengths, _, _, lo, hi = _layout(texts, threshold, None)  # position p holds text order[p]
    if int(np.maximum(hi - lo, 0).sum()) < SMALL:  # numpy's bound: every candidate left to the caller
        none = np.zeros(0, np.int64)
        for keys in candidate_blocks(texts, threshold, work):
            a, b = np.divmod(keys, n)
            a, b = numbers[a], numbers[b]
            yield Links(none, none, np.zeros(0), np.minimum(a, b) * size + np.maximum(a, b), len(keys), 0)
        return
    from curator.core.dedupe.kernel import HEAD, block_links

    number = numbers[order]  # each position's text number in the forests
    cp, _ = _codepoints([texts[i] for i in order])
    freq = _frequencies(cp, True)
    counts = _counts(cp, lengths, BUCKETS, True, freq)
    work.report(0.05)
    eps = 1.0 - threshold / 100.0
    chars, alphabet = _small_integers(cp, freq)
    del cp
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    head = np.ascontiguousarray(counts[:, :HEAD].T)
    kinds, main, numeric = forests
    spare: Queue[_Scratch] = Queue()
    for _ in range(_threads()):
        spare.put(_Scratch(size, alphabet))

    def block(start: int, stop: int) -> tuple:
        scratch = spare.get()
        try:
            return block_links(start, stop, lo, hi, counts, lengths, head, eps, threshold, chars, starts, number,
                               kinds, main, numeric, scratch.main, scratch.numeric, scratch.masks, scratch.words,
                               long_from)
        finally:
            spare.put(scratch)

    for stop, (hr, hc, hs, opened_r, opened_c, passed, scored) in _in_threads(block, n):
        a, b = number[hr], number[hc]
        oa, ob = number[opened_r], number[opened_c]
        yield Links(np.minimum(a, b), np.maximum(a, b), hs, np.minimum(oa, ob) * size + np.maximum(oa, ob),
                    int(passed), int(scored))
        work.report(0.05 + 0.95 * stop / n)


def _keys(found: tuple[np.ndarray, np.ndarray], stop: int, rows: np.ndarray, cols: np.ndarray, order: np.ndarray,
          n: int, total: int, work: Work) -> Iterator[np.ndarray]:
    """A block's pairs (row and column positions) as keys ``i * n + j`` (i < j), then its progress."""
    r, c = found
    a, b = order[rows[r]], order[cols[c]]
    keep = a != b
    a, b = a[keep], b[keep]
    if len(a):
        yield np.minimum(a, b) * n + np.maximum(a, b)
    work.report(0.05 + 0.95 * stop / total)


def bounded_candidates(
    texts: Sequence[str],
    threshold: float,
    work: Work,
    *,
    sides: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Every pair of ``texts`` that may reach ``threshold`` under ``fuzz.ratio``, as keys ``i * n + j`` (i < j),
    each once (see ``candidate_blocks``)."""
    found = list(candidate_blocks(texts, threshold, work, sides=sides))
    if not found:
        return np.zeros(0, np.int64)
    keys = np.concatenate(found)
    return keys if sides is None else sorted_unique(keys)
