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
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from curator.core.dedupe.candidates import max_partner_length, min_partner_length
from curator.core.progress import Work

BUCKETS = 64  # the most frequent characters get a bucket each; the rest share the last few
SHARED = 8
NS_PER_PAIR = 0.8  # wall time per length-compatible pair on 2 cores, for the estimate (templated 100k slot
# values: 2.5 G pairs in 4 CPU-s)
_ROWS = 256  # rows per block handed to a thread
_CHUNK_CHARS = 4_000_000


def _codepoints(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's code points, text after text (uint32), and each text's length."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    parts = []
    start = 0
    while start < len(texts):
        stop, size = start, 0
        while stop < len(texts) and (size < _CHUNK_CHARS or stop == start):
            size += lengths[stop]
            stop += 1
        parts.append(np.frombuffer("".join(texts[start:stop]).encode("utf-32-le", "surrogatepass"), dtype="<u4"))
        start = stop
    return (np.concatenate(parts) if parts else np.zeros(0, np.uint32)), lengths


def bucket_counts(texts: Sequence[str], buckets: int = BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """Each text's character counts in ``buckets`` buckets (n x buckets int32) and its length."""
    cp, lengths = _codepoints(texts)
    n = len(texts)
    if len(cp) == 0:
        return np.zeros((n, buckets), np.int32), lengths
    freq = np.bincount(cp)  # one pass, no sort: a bucket per code point seen
    values = np.flatnonzero(freq)
    own = buckets - SHARED
    table = np.zeros(len(freq), np.int64)
    table[values] = (values.astype(np.uint64) * np.uint64(0x9E3779B1) >> np.uint64(7)) % np.uint64(SHARED) + own
    top = values[np.argsort(-freq[values], kind="stable")[:own]]
    table[top] = np.arange(len(top))
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    counts = np.bincount(owner * buckets + table[cp], minlength=n * buckets).reshape(n, buckets).astype(np.int32)
    return counts, lengths


def estimate_seconds(compatible: int) -> float:
    """Seconds the bound takes over ``compatible`` length-compatible pairs (2-core figure)."""
    return compatible * NS_PER_PAIR * 1e-9


def _threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def candidate_blocks(
    texts: Sequence[str],
    threshold: float,
    work: Work,
    *,
    sides: tuple[np.ndarray, np.ndarray] | None = None,
) -> Iterator[np.ndarray]:
    """Every pair of ``texts`` that may reach ``threshold`` under ``fuzz.ratio``, block by block, as keys
    ``i * n + j`` (i < j; each pair once unless ``sides`` is given, when a pair may come twice).

    With ``sides = (left, right)`` (boolean masks) only pairs with one text in each are looked at.
    """
    from curator.core.dedupe.kernel import HEAD, block_pairs  # numba: only when a search runs

    n = len(texts)
    if n < 2:
        return
    order = np.argsort(np.fromiter(map(len, texts), dtype=np.int64, count=n), kind="stable")
    counts, lengths = bucket_counts([texts[i] for i in order])  # position p holds text order[p]
    counts = np.minimum(counts, 255).astype(np.uint8)  # clipping only shrinks the L1 distance
    work.report(0.05)
    if sides is None:
        rows = cols = np.arange(n)
    else:
        rows, cols = np.flatnonzero(sides[0][order]), np.flatnonzero(sides[1][order])
    row_counts, col_counts = counts[rows], counts[cols]
    row_len, col_len = lengths[rows], lengths[cols]
    head = np.ascontiguousarray(col_counts[:, :HEAD].T)
    # a row meets the columns from its own length (symmetric: after itself) up to its longest partner
    hi = np.searchsorted(col_len, max_partner_length(row_len, threshold), side="right").astype(np.int64)
    if sides is None:
        lo = np.arange(1, n + 1, dtype=np.int64)
    else:
        lo = np.searchsorted(col_len, min_partner_length(row_len, threshold)).astype(np.int64)
    eps = 1.0 - threshold / 100.0
    total = len(rows)
    starts = range(0, total, _ROWS)
    threads = _threads()
    pool = ThreadPoolExecutor(threads, thread_name_prefix="curator-bound")
    pending: deque = deque()
    try:
        for start in starts:
            stop = min(start + _ROWS, total)
            pending.append((stop, pool.submit(block_pairs, start, stop, lo, hi, row_counts, row_len, head,
                                              col_counts, col_len, eps)))
            if len(pending) < 2 * threads:
                continue
            yield from _keys(pending.popleft(), rows, cols, order, n, total, work)
        while pending:
            yield from _keys(pending.popleft(), rows, cols, order, n, total, work)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _keys(entry: tuple, rows: np.ndarray, cols: np.ndarray, order: np.ndarray, n: int, total: int,
          work: Work) -> Iterator[np.ndarray]:
    """A finished block's pairs as keys ``i * n + j`` (i < j), then its progress."""
    stop, future = entry
    r, c = future.result()
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
    return keys if sides is None else np.unique(keys)
