"""Exact candidate pairs for ``fuzz.ratio``: a character-count bound computed as a matrix product.

``ratio(a, b) = 200 * LCS(a, b) / (|a| + |b|)`` and ``LCS(a, b) <= sum_c min(count_a(c), count_b(c))``: a
pair can reach ``t`` only if that sum reaches ``t / 200 * (|a| + |b|)``. Summing the counts of several
characters into one bucket keeps the sum an upper bound (``min(x1 + x2, y1 + y2) >= min(x1, y1) +
min(x2, y2)``), so the filter never drops a pair that reaches the threshold: recall is 1.0 by proof, not
by measurement (the tests compare with exhaustive ``process.cdist`` all the same).

The sum of minima is bounded by a dot product (``level_encoding``): ``min(x, y) = sum_{k <= K} [x >= k][y >=
k] + min(x - K, y - K)+`` and ``min(u, v) <= sqrt(u * v)``, so one float32 matrix product (BLAS, several
cores, without the interpreter lock) scores a block of thousands of pairs. The unit levels go where the texts'
counts are (``_levels``), so for most pairs the product is the sum of minima itself; the pairs of a text with
counts beyond its levels go through the plain bucketed L1 bound too, and the caller verifies what is left
exactly. Texts are sorted by length and each block only meets the texts its length bound allows. The work
stays proportional to the length-compatible pairs (about 10 CPU-ns each, near the cores' arithmetic peak), so
``estimate_seconds`` says beforehand how long a search will take.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from curator.core.dedupe.candidates import max_partner_length, min_partner_length
from curator.core.progress import Work

BUCKETS = 64  # the most frequent characters get a bucket each; the rest share the last few
SHARED = 8
_WIDTH = 256  # columns of the encoding (see level_encoding): unit levels, square roots and two for the threshold
_MATRIX_BYTES = 800_000_000  # the encoding's matrix (float32, one column per text) at most
_ROWS = 2048  # texts per block of the matrix product
_COLS = 8192
NS_PER_PAIR = 6.0  # wall time per length-compatible pair on 2 cores, for the estimate (Alpaca: 331 M pairs in
# 4.8 CPU-s; templated 100k slot values: 2.5 G pairs in 25 CPU-s)
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


def _levels(counts: np.ndarray, budget: int) -> np.ndarray:
    """How many unit levels each bucket gets: the ``budget`` (bucket, level) columns that the most texts reach
    (a text reaches level k of a bucket when it holds k of its characters), so the bound is exact for most."""
    buckets = counts.shape[1]
    top = int(min(counts.max(initial=0), 4096))
    if top == 0 or budget <= 0:
        return np.zeros(buckets, np.int64)
    reach = np.zeros((top, buckets), np.int64)  # reach[k - 1, c]: texts with at least k in bucket c
    for c in range(buckets):
        hist = np.bincount(np.minimum(counts[:, c], top), minlength=top + 1)
        reach[:, c] = np.cumsum(hist[::-1])[::-1][1:]
    flat = reach.ravel()  # level-major: of equal reach, the lower level comes first, so each bucket's levels are 1..K
    chosen = np.argsort(-flat, kind="stable")[:budget]
    chosen = chosen[flat[chosen] > 0]
    return np.bincount(chosen % buckets, minlength=buckets).astype(np.int64)


def level_encoding(counts: np.ndarray, lengths: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """(right, loose): D x n float32, with ``row_encoding(right, [i], ...) @ right[:, j] >= 0`` whenever texts i
    and j can reach the threshold (``half`` = threshold / 200), and which texts have counts beyond their levels
    (for a pair of other texts the product is the sum of minima itself).

    ``min(x, y) = sum_{k <= K} [x >= k][y >= k] + min(x - K, y - K)+`` and ``min(u, v) <= sqrt(u * v)``, so K unit
    levels per bucket and the square root of the rest make a dot product that bounds the sum of minima from
    above; the last two rows (with ``row_encoding``'s last two columns) subtract what the pair needs,
    ``half * (|a| + |b|)``, with 0.5 of slack for rounding. The levels go where most texts have counts (``_levels``): for most pairs the product is the sum of
    minima itself. At most ``_WIDTH`` rows, fewer for very many texts so the matrix stays within ``_MATRIX_BYTES``.
    """
    n, buckets = counts.shape
    width = max(buckets + 2, min(_WIDTH, int(_MATRIX_BYTES / max(n, 1) / 4)))
    levels = _levels(counts, width - 2 - buckets)
    rest = np.maximum(counts - levels, 0)
    over = np.flatnonzero(rest.max(axis=0, initial=0) > 0)  # buckets some text overflows: a square-root column each
    width = int(levels.sum()) + len(over) + 2
    right = np.empty((width, n), np.float32)  # built row by row (contiguous)
    by_bucket = np.ascontiguousarray(counts.T)
    col = 0
    for c in np.flatnonzero(levels):
        for k in range(int(levels[c])):
            np.greater(by_bucket[c], k, out=right[col])
            col += 1
    np.sqrt(rest[:, over].T, out=right[col : col + len(over)], dtype=np.float32)
    right[-2] = -half * lengths
    right[-1] = 1.0
    return right, rest.any(axis=1)


def row_encoding(right: np.ndarray, texts: np.ndarray | slice, lengths: np.ndarray, half: float) -> np.ndarray:
    """The rows of the product for ``texts`` (positions in ``right``): their encoding, 1, and what they need with
    0.5 of slack (a block at a time: one matrix of the encoding is kept, not two)."""
    rows = right[:-2, texts].T
    out = np.empty((rows.shape[0], right.shape[0]), np.float32)
    out[:, :-2] = rows
    out[:, -2] = 1.0
    out[:, -1] = -(half * lengths - 0.5)
    return out


def _within(counts: np.ndarray, lengths: np.ndarray, a: np.ndarray, b: np.ndarray, threshold: float) -> np.ndarray:
    """The plain bucketed bound on pairs (a, b): L1 distance of the counts within what ``threshold`` allows."""
    out = np.empty(len(a), dtype=bool)
    step = 1 << 17
    for s in range(0, len(a), step):
        x, y = a[s : s + step], b[s : s + step]
        l1 = np.abs(counts[x] - counts[y]).sum(axis=1, dtype=np.int64)
        out[s : s + step] = l1 <= (1.0 - threshold / 100.0) * (lengths[x] + lengths[y]) + 1e-6
    return out


def _row_blocks(lo: np.ndarray, hi: np.ndarray) -> list[tuple[int, int]]:
    """Blocks of up to ``_ROWS`` rows whose column windows overlap enough that few wasted pairs are scored."""
    blocks = []
    start, total = 0, len(lo)
    while start < total:
        width = int(hi[start] - lo[start])
        limit = int(np.searchsorted(hi, hi[start] + max(width // 4, 64), side="right"))
        stop = max(start + 1, min(start + _ROWS, limit, total))
        blocks.append((start, stop))
        start = stop
    return blocks


def estimate_seconds(compatible: int) -> float:
    """Seconds the bound takes over ``compatible`` length-compatible pairs (2-core figure)."""
    return compatible * NS_PER_PAIR * 1e-9


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
    n = len(texts)
    if n < 2:
        return
    order = np.argsort(np.fromiter(map(len, texts), dtype=np.int64, count=n), kind="stable")
    counts, lengths = bucket_counts([texts[i] for i in order])  # position p holds text order[p]
    work.report(0.05)
    counts16 = np.minimum(counts, np.iinfo(np.int16).max).astype(np.int16)
    half = threshold / 200.0
    right, loose = level_encoding(counts, lengths, half)
    del counts
    if sides is None:
        rows = cols = np.arange(n)
        col_right = right  # D x columns: a block's columns are a strided view, as BLAS likes
    else:
        rows, cols = np.flatnonzero(sides[0][order]), np.flatnonzero(sides[1][order])
        col_right = right[:, cols]
    row_len, col_len = lengths[rows], lengths[cols]
    symmetric = sides is None
    # a row meets the columns from its own length (symmetric: from itself) up to its longest partner
    hi = np.searchsorted(col_len, max_partner_length(row_len, threshold), side="right")
    lo = np.arange(len(rows)) if symmetric else np.searchsorted(col_len, min_partner_length(row_len, threshold))
    total = len(rows)
    for start, stop in _row_blocks(lo, hi):
        block = rows[start:stop]
        lhs = row_encoding(right, slice(start, stop) if sides is None else block, lengths[block], half)
        c0, c1 = int(lo[start]), int(hi[stop - 1])
        for c in range(c0, c1, _COLS):
            ce = min(c + _COLS, c1)
            score = lhs @ col_right[:, c:ce]
            if symmetric and c < stop:  # each pair once: only columns after the row
                score[np.arange(c, ce)[None, :] <= np.arange(start, stop)[:, None]] = -1.0
            r, k = np.divmod(np.flatnonzero(score >= 0), ce - c)  # flat: several times faster than 2-d nonzero
            if len(r) == 0:
                continue
            k = k + c
            a, b = block[r], cols[k]
            keep = a != b
            check = np.flatnonzero(loose[a] | loose[b])  # the others' product was exact already
            keep[check] &= _within(counts16, lengths, a[check], b[check], threshold)
            a, b = order[a[keep]], order[b[keep]]
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
