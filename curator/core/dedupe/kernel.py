"""The count bound's inner loop, compiled with numba: the pairs of a block of rows whose bucketed character
counts are within the L1 distance the threshold allows.

A pair may reach ``fuzz.ratio >= t`` only if ``L1(counts_a, counts_b) <= eps * (|a| + |b|)`` with
``eps = 1 - t / 100`` (see ``bound``). Every length-compatible pair is looked at, so this loop is the search's
cost: the first ``HEAD`` buckets of every pair are summed from a column-major copy of the counts (a tile of
columns at a time, vectorised over the columns; in bytes that stop at 255 when the threshold allows less than
that, twice as many lanes: about 0.6 ns a pair), and only the pairs still within reach (a few per cent) read the
other buckets. Counts are clipped to 255 (uint8), which can only shrink the L1
distance, so the test stays exact. ``nogil``: blocks run in threads beside the caller.

The first call compiles the loop (a few seconds) into numba's cache beside this file (or the user's cache
folder), so later runs load it at once.
"""

from __future__ import annotations

import numba
import numpy as np

HEAD = 40  # buckets summed for every pair; the rest only for the pairs these leave within reach
_TILE = 4096  # columns summed at a time (their head counts and the sums stay in the core's cache)


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _root(parent, x):  # pragma: no cover - compiled
    while parent[x] != x:
        x = parent[x]
    return x


@numba.njit(nogil=True, cache=True, boundscheck=False)
def block_pairs(r0, r1, lo, hi, rows, row_lens, head, cols, col_lens, eps, row_ids, col_ids, masks, main,
                numeric):  # pragma: no cover - compiled
    """Pairs (r, c), rows ``r0 <= r < r1`` against columns ``lo[r] <= c < hi[r]``, whose counts' L1 distance is
    at most ``eps * (row_lens[r] + col_lens[c]) + 1e-6``.

    ``rows`` and ``cols`` are the counts (uint8, one row a text), ``head`` the first ``HEAD`` columns of ``cols``
    transposed (contiguous), lengths int64, columns sorted by length. Returns the row and column positions.
    With ``masks`` (one per text; empty: none), a pair whose texts ``row_ids[r]`` and ``col_ids[c]`` are already
    connected in its union-find forest (the parents ``numeric`` when their masks are equal, else ``main``) is
    skipped: it could not change the clusters. The parents may change while this runs (the caller joins clusters); every
    link points to a smaller text of the same cluster, so a root found is always a true ancestor.
    """
    buckets = cols.shape[1]
    cap = 1024
    out_r = np.empty(cap, np.int64)
    out_c = np.empty(cap, np.int64)
    found = 0
    c0, c1 = lo[r0], hi[r0]
    for r in range(r0, r1):
        c0 = min(c0, lo[r])
        c1 = max(c1, hi[r])
    acc = np.empty(_TILE, np.uint16)
    acc8 = np.empty(_TILE, np.uint8)
    near = np.empty(_TILE, np.int64)
    for t0 in range(c0, c1, _TILE):
        t1 = min(t0 + _TILE, c1)
        for r in range(r0, r1):
            a = max(lo[r], t0)
            z = min(hi[r], t1)
            if a >= z:
                continue
            w = z - a
            length = row_lens[r]
            widest = min(eps * (length + col_lens[z - 1]) + 1e-6, 65535.0)  # the longest column allows the most
            small = widest < 255.0  # sums in bytes that stop at 255 (twice as many lanes): exact below the limit
            if small:
                acc8[:w] = 0
                for b in range(HEAD):
                    x = rows[r, b]
                    line = head[b, a:z]
                    for j in range(w):
                        y = line[j]
                        d = np.uint8(max(x, y) - min(x, y))
                        s = np.uint8(acc8[j] + d)
                        acc8[j] = s if s >= d else np.uint8(255)
            else:
                acc[:w] = 0
                for b in range(HEAD):
                    x = rows[r, b]
                    line = head[b, a:z]
                    for j in range(w):
                        y = line[j]
                        acc[j] += np.uint16(max(x, y) - min(x, y))
            limit = np.uint16(widest)
            m = 0
            if small:  # branch-free: keep every column, advance only past the ones within reach
                for j in range(w):
                    near[m] = j
                    m += acc8[j] <= limit
            else:
                for j in range(w):
                    near[m] = j
                    m += acc[j] <= limit
            for q in range(m):
                j = near[q]
                c = a + j
                total = np.uint16(acc8[j]) if small else acc[j]
                for b in range(HEAD, buckets):
                    x = rows[r, b]
                    y = cols[c, b]
                    total += np.uint16(max(x, y) - min(x, y))
                if total <= eps * (length + col_lens[c]) + 1e-6:
                    if len(masks):
                        ta = row_ids[r]
                        tb = col_ids[c]
                        parent = numeric if masks[ta] == masks[tb] else main
                        if _root(parent, ta) == _root(parent, tb):
                            continue
                    if found == cap:
                        cap *= 2
                        grown = np.empty(cap, np.int64)
                        grown[:found] = out_r[:found]
                        out_r = grown
                        grown = np.empty(cap, np.int64)
                        grown[:found] = out_c[:found]
                        out_c = grown
                    out_r[found] = r
                    out_c[found] = c
                    found += 1
    return out_r[:found], out_c[:found]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def count_buckets(codepoints, lengths, table, buckets):  # pragma: no cover - compiled
    """Each text's character counts in ``buckets`` buckets (n x buckets uint8, stopping at 255): text after text
    in ``codepoints``, ``lengths[i]`` characters each, ``table[c]`` the bucket of code point c."""
    n = len(lengths)
    out = np.zeros((n, buckets), np.uint8)
    at = 0
    for i in range(n):
        row = out[i]
        for k in range(at, at + lengths[i]):
            b = table[codepoints[k]]
            if row[b] < 255:
                row[b] += 1
        at += lengths[i]
    return out
