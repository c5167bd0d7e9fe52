"""The near-duplicate search's inner loops, compiled with numba: the count bound over a block of rows, and the
exact ratio of the pairs it lets through.

A pair may reach ``fuzz.ratio >= t`` only if ``L1(counts_a, counts_b) <= eps * (|a| + |b|)`` with
``eps = 1 - t / 100`` (see ``bound``). Every length-compatible pair is looked at, so the bound is the search's
cost: the first ``HEAD`` buckets of every pair are summed from a column-major copy of the counts (a tile of
columns at a time, vectorised over the columns; in bytes that stop at 255 when the threshold allows less than
128, twice as many lanes, then tested eight sums a word for one within reach: about 0.8 ns a pair), and only the
pairs still within reach (a few per cent) read the other buckets. Counts are clipped to 255 (uint8), which can
only shrink the L1 distance, so the test stays exact.

``block_links`` goes on to score what the bound lets through, the way rapidfuzz scores ``fuzz.ratio`` (the
longest common subsequence by Hyyrö's bit-parallel recurrence, 64 characters of the shorter text a word), so
candidates never go back through Python one by one. It skips a pair whose texts are already connected, in the
caller's union-find forests or by the pairs this block found. ``nogil``: blocks run in threads beside the caller.

The first call compiles the loops (a few seconds) into numba's cache beside this file (or the user's cache
folder), so later runs load them at once.
"""

from __future__ import annotations

import math

import numba
import numpy as np

HEAD = 40  # buckets summed for every pair; the rest only for the pairs these leave within reach
_TILE = 4096  # columns summed at a time (their head counts and the sums stay in the core's cache)
WORDS = 32  # 64-bit words of the shorter text's character masks: texts up to 2,048 characters are scored here
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_ONE = np.uint64(1)
_BYTES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _root(parent, x):  # pragma: no cover - compiled
    while parent[x] != x:
        x = parent[x]
    return x


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _near(r, a, z, rows, row_lens, head, cols, col_lens, eps, acc, acc8, near):  # pragma: no cover - compiled
    """How many columns ``a <= c < z`` are within reach of row ``r``: their offsets ``c - a`` go to ``near``."""
    buckets = cols.shape[1]
    w = z - a
    length = row_lens[r]
    widest = min(eps * (length + col_lens[z - 1]) + 1e-6, 65535.0)  # the longest column allows the most
    small = widest < 128.0  # sums in bytes that stop at 255 (twice as many lanes): exact below the limit
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
    if small:  # eight sums a word: only a word holding a sum within reach is looked at byte by byte
        ends = (w + 7) & ~7
        acc8[w:ends] = 255
        words = acc8.view(np.uint64)
        below = _BYTES * np.uint64(limit + 1)
        for k in range(ends >> 3):
            x = words[k]
            if (x - below) & ~x & _HIGH:  # some byte < limit + 1 (exact as a test of "any" for limit < 128)
                for j in range(k << 3, (k << 3) + 8):  # branch-free: advance only past the ones within reach
                    near[m] = j
                    m += acc8[j] <= limit
    else:  # branch-free: keep every column, advance only past the ones within reach
        for j in range(w):
            near[m] = j
            m += acc[j] <= limit
    kept = 0
    for q in range(m):
        j = near[q]
        c = a + j
        total = np.uint16(acc8[j]) if small else acc[j]
        for b in range(HEAD, buckets):
            x = rows[r, b]
            y = cols[c, b]
            total += np.uint16(max(x, y) - min(x, y))
        if total <= eps * (length + col_lens[c]) + 1e-6:
            near[kept] = j
            kept += 1
    return kept


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _window(r0, r1, lo, hi):  # pragma: no cover - compiled
    c0, c1 = lo[r0], hi[r0]
    for r in range(r0, r1):
        c0 = min(c0, lo[r])
        c1 = max(c1, hi[r])
    return c0, c1


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _grown(values, size):  # pragma: no cover - compiled
    out = np.empty(2 * len(values), values.dtype)
    out[:size] = values[:size]
    return out


@numba.njit(nogil=True, cache=True, boundscheck=False)
def block_pairs(r0, r1, lo, hi, rows, row_lens, head, cols, col_lens, eps):  # pragma: no cover - compiled
    """Pairs (r, c), rows ``r0 <= r < r1`` against columns ``lo[r] <= c < hi[r]``, whose counts' L1 distance is
    at most ``eps * (row_lens[r] + col_lens[c]) + 1e-6``.

    ``rows`` and ``cols`` are the counts (uint8, one row a text), ``head`` the first ``HEAD`` columns of ``cols``
    transposed (contiguous), lengths int64, columns sorted by length. Returns the row and column positions.
    """
    out_r = np.empty(1024, np.int64)
    out_c = np.empty(1024, np.int64)
    found = 0
    acc = np.empty(_TILE, np.uint16)
    acc8 = np.empty(_TILE + 8, np.uint8)
    near = np.empty(_TILE, np.int64)
    c0, c1 = _window(r0, r1, lo, hi)
    for t0 in range(c0, c1, _TILE):
        t1 = min(t0 + _TILE, c1)
        for r in range(r0, r1):
            a = max(lo[r], t0)
            z = min(hi[r], t1)
            if a >= z:
                continue
            m = _near(r, a, z, rows, row_lens, head, cols, col_lens, eps, acc, acc8, near)
            while found + m > len(out_r):
                out_r = _grown(out_r, found)
                out_c = _grown(out_c, found)
            for q in range(m):
                out_r[found] = r
                out_c[found] = a + near[q]
                found += 1
    return out_r[:found], out_c[:found]


@numba.njit(nogil=True, cache=True, boundscheck=False, inline="always")
def _popcount(x):  # pragma: no cover - compiled
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(nogil=True, cache=True, boundscheck=False)
def lcs_length(masks, words, chars, start, length, v):  # pragma: no cover - compiled
    """The length of the longest common subsequence of a text whose character masks are ``masks`` (``words``
    64-bit words a character: bit k of character x is set when the text's k-th character is x) and the text
    ``chars[start:start + length]``; ``v`` is scratch of at least ``words`` words (Hyyrö's recurrence
    V' = (V + (V & M)) | (V & ~M), the carry running from word to word)."""
    if words == 1:
        x = _ALL
        for k in range(start, start + length):
            u = x & masks[np.int64(chars[k])]
            x = (x + u) | (x - u)
        return _popcount(~x)
    if words == 2:
        x0 = _ALL
        x1 = _ALL
        for k in range(start, start + length):
            at = np.int64(chars[k]) * 2
            u0 = x0 & masks[at]
            u1 = x1 & masks[at + 1]
            s = x0 + u0
            carry = np.uint64(s < x0)
            x0 = s | (x0 - u0)
            x1 = (x1 + u1 + carry) | (x1 - u1)
        return _popcount(~x0) + _popcount(~x1)
    for w in range(words):
        v[w] = _ALL
    for k in range(start, start + length):
        at = np.int64(chars[k]) * words
        carry = np.uint64(0)
        for w in range(words):
            x = v[w]
            u = x & masks[at + w]
            s = x + u
            c1 = np.uint64(s < x)
            s2 = s + carry
            carry = c1 | np.uint64(s2 < s)
            v[w] = s2 | (x - u)
    zeros = 0
    for w in range(words):
        zeros += _popcount(~v[w])
    return zeros


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _set_masks(masks, words, chars, start, length, value):  # pragma: no cover - compiled
    """Set (``value`` True) or clear the character masks of ``chars[start:start + length]``."""
    for k in range(length):
        at = np.int64(chars[start + k]) * words + (k >> 6)
        if value:
            masks[at] |= _ONE << np.uint64(k & 63)
        else:
            masks[at] = 0


@numba.njit(nogil=True, cache=True, boundscheck=False)
def ratio_score(lcs, la, lb, cutoff):  # pragma: no cover - compiled
    """``fuzz.ratio`` from the LCS length, computed as rapidfuzz does with ``score_cutoff = cutoff``; 0.0 below it
    (the same floating-point steps, so a pair on the threshold lands on the same side)."""
    total = la + lb
    sim_cutoff = cutoff / 100.0
    dist_cutoff = min(1.0, 1.0 - sim_cutoff + 0.00001)
    dist = total - 2 * lcs
    if dist > math.ceil(total * dist_cutoff):
        return 0.0
    norm = dist / total if total else 0.0
    if norm > dist_cutoff:
        norm = 1.0
    sim = 1.0 - norm
    if sim < sim_cutoff:
        return 0.0
    score = sim * 100.0
    return score if score >= cutoff else 0.0


@numba.njit(nogil=True, cache=True, boundscheck=False)
def block_links(r0, r1, lo, hi, counts, lens, head, eps, threshold, chars, starts, ids, kinds, main, numeric,
                near_main, near_numeric, masks, v, long_from):  # pragma: no cover - compiled
    """The pairs of rows ``r0 <= r < r1`` (texts sorted by length, each against the longer ones ``lo[r] <= c <
    hi[r]``) that reach ``threshold`` under ``fuzz.ratio``, scored here, and the ones left to the caller.

    ``counts``/``head``/``lens`` as ``block_pairs`` takes them (one side: rows and columns are the same texts);
    ``chars`` every text's characters as small integers, text after text, from ``starts``; ``ids`` each position's
    text number in the caller's forests. A pair goes to the forest ``numeric`` when ``kinds`` of its texts are
    equal, else ``main`` (union-find parents the caller updates while this runs: every link points to a smaller
    text of the same cluster, so a root read is a true ancestor). A pair already connected there, or by a pair
    this block found (``near_main``/``near_numeric``: scratch parents, one per text, identity on entry and on
    return), is skipped: it cannot change the clusters. ``masks`` (scratch, zero, ``WORDS`` words per character)
    and ``v`` (scratch, ``WORDS`` words) serve the LCS. Pairs of two texts of ``long_from`` characters or more
    are not scored here.

    Returns the pairs found (row and column positions, scores), the pairs left to the caller (rows, columns),
    and how many pairs passed the bound and how many were scored.
    """
    hit_r = np.empty(256, np.int64)
    hit_c = np.empty(256, np.int64)
    hit_s = np.empty(256, np.float64)
    open_r = np.empty(64, np.int64)
    open_c = np.empty(64, np.int64)
    hits = 0
    opened = 0
    passed = 0
    scored = 0
    touched = np.empty(256, np.int64)
    joins = 0
    acc = np.empty(_TILE, np.uint16)
    acc8 = np.empty(_TILE + 8, np.uint8)
    near = np.empty(_TILE, np.int64)
    seen = np.full(_TILE, -1, np.int64)  # the tile whose kind and roots of each column are read below
    col_kind = np.empty(_TILE, kinds.dtype)
    col_main = np.empty(_TILE, np.int64)
    col_numeric = np.empty(_TILE, np.int64)
    c0, c1 = _window(r0, r1, lo, hi)
    for t0 in range(c0, c1, _TILE):
        t1 = min(t0 + _TILE, c1)
        for r in range(r0, r1):
            a = max(lo[r], t0)
            z = min(hi[r], t1)
            if a >= z:
                continue
            m = _near(r, a, z, counts, lens, head, counts, lens, eps, acc, acc8, near)
            passed += m
            la = lens[r]
            words = (la + 63) // 64
            ready = False
            ta = ids[r]
            kind_a = kinds[ta]
            main_a = _root(main, ta) if m else ta
            numeric_a = _root(numeric, ta) if m else ta
            for q in range(m):
                c = a + near[q]
                j = c - t0
                if seen[j] != t0:  # the column's kind and roots, read once a tile (a root read early stays true)
                    tb = ids[c]
                    seen[j] = t0
                    col_kind[j] = kinds[tb]
                    col_main[j] = _root(main, tb)
                    col_numeric[j] = _root(numeric, tb)
                numbers = kind_a == col_kind[j]
                local = near_numeric if numbers else near_main
                ra = _root(local, numeric_a if numbers else main_a)
                rb = _root(local, col_numeric[j] if numbers else col_main[j])
                if ra == rb:
                    continue
                lb = lens[c]
                if la >= long_from:
                    if opened == len(open_r):
                        open_r = _grown(open_r, opened)
                        open_c = _grown(open_c, opened)
                    open_r[opened] = r
                    open_c[opened] = c
                    opened += 1
                    continue
                if not ready:
                    _set_masks(masks, words, chars, starts[r], la, True)
                    ready = True
                scored += 1
                score = ratio_score(lcs_length(masks, words, chars, starts[c], lb, v), la, lb, threshold)
                if score == 0.0:
                    continue
                if hits == len(hit_r):
                    hit_r = _grown(hit_r, hits)
                    hit_c = _grown(hit_c, hits)
                    hit_s = _grown(hit_s, hits)
                hit_r[hits] = r
                hit_c[hits] = c
                hit_s[hits] = score
                hits += 1
                low, high = min(ra, rb), max(ra, rb)
                local[high] = low
                if joins == len(touched):
                    touched = _grown(touched, joins)
                touched[joins] = high
                joins += 1
            if ready:
                _set_masks(masks, words, chars, starts[r], la, False)
    for k in range(joins):
        near_main[touched[k]] = touched[k]
        near_numeric[touched[k]] = touched[k]
    return hit_r[:hits], hit_c[:hits], hit_s[:hits], open_r[:opened], open_c[:opened], passed, scored


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


@numba.njit(nogil=True, cache=True)
def code_frequencies(codepoints):  # pragma: no cover - compiled
    """How often each code point occurs in ``codepoints`` (``np.bincount`` without a 64-bit copy of them)."""
    top = 0
    for x in codepoints:
        top = max(top, np.int64(x))
    out = np.zeros(top + 1, np.int64)
    for x in codepoints:
        out[np.int64(x)] += 1
    return out
