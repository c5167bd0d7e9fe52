"""Candidate pairs for near-duplicate search: MinHash-LSH over character 3-grams, filtered by length.

Why this shape. ``fuzz.ratio`` is the normalised Indel similarity, ``200 * LCS / (|a| + |b|)``. Two facts
follow and are used here:

* a length bound that is exact: ``ratio >= t`` implies ``max(|a|, |b|) <= min(|a|, |b|) * (200 - t) / t``
  (at t = 90 the longer text is at most 22 % longer), so a pair outside it is never a candidate;
* a q-gram bound that is loose: ratio 90 still allows 20 % of a text's characters to be edited, so any
  filter built on *exact* shared q-grams (prefix filtering, pigeonhole segments) must keep about half of
  each text's grams as signatures and generates more candidates than all pairs on real data (measured on
  Alpaca: 1.6e9 joined pairs for 1.35e9 pairs in all).

So candidates come from MinHash-LSH instead: each text's set of character 3-grams gets ``bands * rows``
min-hashes; two texts become candidates when all ``rows`` min-hashes of some band agree, which happens
with probability ``1 - (1 - J**rows)**bands`` for 3-gram Jaccard similarity J. Pairs at or above the ratio
threshold have a high J in practice: the lowest J of any ratio >= 90 pair is 0.53 on Banking77 and 0.65
on SMS spam (0.41 / 0.31 at ratio 85), and isolated typos spread over a text until ratio is just 90 give
J >= 0.35, 5th percentile 0.45. The plan puts its 99 % point at J = 0.45 for t = 90 (``lsh_plan``); the
expected miss rate on those adversarial typo pairs is then under 0.3 %. The recall is empirical, not proven; tests and ``bench/bench_dedupe.py`` measure it
against exhaustive ``rapidfuzz.process.cdist``. Texts shorter than ``SHORT`` characters have too few
grams for MinHash and are compared exhaustively instead (see ``verify.exhaustive``), as are thresholds
below ``LSH_MIN_THRESHOLD``, where the 3-gram floor collapses and LSH would not beat exhaustive search.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from curator.core.dedupe.progress import Work

Q = 3
SHORT = 10
LSH_MIN_THRESHOLD = 85.0
MISS_AT_FLOOR = 0.01  # chance that a pair whose J sits exactly at the floor is not a candidate

_GOLD = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_CHUNK_CHARS = 2_000_000
_COLLAPSE = 16_000_000  # raw pairs held before de-duplicating them
_MAX_CANDIDATES = 40_000_000  # beyond this (or 1/6 of all length-compatible pairs) exhaustive search is cheaper
_MIN_BUDGET = 250_000  # below this many candidates LSH always goes on (a quarter of a second to verify)


@dataclass(frozen=True)
class LshPlan:
    """How many bands of how many rows, chosen for an assumed Jaccard floor."""

    rows: int
    bands: int
    floor: float


def jaccard_floor(threshold: float) -> float:
    """The 3-gram Jaccard similarity below which we assume no pair reaches ``threshold``.

    A margin under the observed minima (ratio 90: 0.53, ratio 85: 0.41, ratio 95: 0.68), linear in t.
    """
    return min(0.9, 0.45 + 0.021 * (threshold - 90.0))


def lsh_plan(threshold: float) -> LshPlan | None:
    """The band plan for ``threshold``, or None when LSH would not pay (exhaustive search instead)."""
    if threshold < LSH_MIN_THRESHOLD:
        return None
    floor = jaccard_floor(threshold)
    # 4 rows make the S-curve steeper (3x fewer chance candidates at 52k texts, 4x less time at 100k)
    # but need many more bands when the floor is low; below 0.42, 3 rows cost less overall.
    rows = 4 if floor >= 0.42 else 3
    p = floor**rows
    bands = max(1, math.ceil(math.log(MISS_AT_FLOOR) / math.log1p(-p)))
    return LshPlan(rows, bands, floor)


def max_partner_length(lengths: np.ndarray, threshold: float) -> np.ndarray:
    """The longest text that can still reach ``threshold`` with a text of each given length."""
    return np.floor(lengths * (200.0 - threshold) / threshold + 1e-9).astype(np.int64)


def min_partner_length(lengths: np.ndarray, threshold: float) -> np.ndarray:
    """The shortest text that can still reach ``threshold`` with a text of each given length."""
    return np.ceil(lengths * threshold / (200.0 - threshold) - 1e-9).astype(np.int64)


def gram_hashes(texts: Sequence[str], work: Work) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of every character 3-gram, text after text, and each text's gram count.

    Texts with fewer than three characters have no grams.
    """
    hashes: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    n = len(texts)
    start = 0
    while start < n:
        stop, size = start, 0
        while stop < n and (size < _CHUNK_CHARS or stop == start):
            size += len(texts[stop])
            stop += 1
        chunk = texts[start:stop]
        lens = np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk))
        cp = np.frombuffer("".join(chunk).encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
        m = len(cp) - Q + 1
        if m > 0:
            packed = (cp[:m] << np.uint64(42)) | (cp[1 : m + 1] << np.uint64(21)) | cp[2 : m + 2]
            with np.errstate(over="ignore"):
                h = ((packed * _GOLD) >> np.uint64(32)).astype(np.uint32)
            ends = np.cumsum(lens)
            owner = np.repeat(np.arange(len(chunk)), lens)[:m]
            hashes.append(h[np.arange(m) + (Q - 1) < ends[owner]])
        counts.append(np.maximum(lens - (Q - 1), 0))
        start = stop
        work.report(start / n)
    all_counts = np.concatenate(counts) if counts else np.zeros(0, np.int64)
    all_hashes = np.concatenate(hashes) if hashes else np.zeros(0, np.uint32)
    return all_hashes, all_counts


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (polars' parallel sort: several times faster than np.unique here)."""
    if len(values) == 0:
        return values
    s = pl.Series(values).sort().to_numpy()
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def _window_pairs(
    keys: np.ndarray, lengths: np.ndarray, hi: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions (i, j) with equal keys and ``lengths[i] <= lengths[j] <= hi[i]``, each pair once.

    None when there would be more than ``limit`` of them (nothing is materialised then).
    """
    order = np.lexsort((lengths, keys))
    k = keys[order]
    same = k[1:] == k[:-1]
    in_group = np.zeros(len(k), dtype=bool)
    in_group[1:] |= same
    in_group[:-1] |= same
    sel = order[in_group]
    if len(sel) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty
    ks = keys[sel]
    group = np.cumsum(np.concatenate(([0], ks[1:] != ks[:-1]))).astype(np.int64)
    span = int(max(lengths.max(), hi.max())) + 1
    ls = lengths[sel]
    combined = group * span + ls
    end = np.searchsorted(combined, group * span + hi[sel], side="right")
    first = np.arange(1, len(sel) + 1)
    cnt = np.maximum(end - first, 0)
    total = int(cnt.sum())
    if total > limit:
        return None
    left = np.repeat(np.arange(len(sel)), cnt)
    offsets = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    right = left + 1 + offsets
    return sel[left], sel[right]


def compatible_pairs(lengths: np.ndarray, threshold: float) -> int:
    """How many pairs of texts with these lengths pass the length bound (what exhaustive search scores)."""
    ordered = np.sort(lengths)
    hi = np.searchsorted(ordered, max_partner_length(ordered, threshold), side="right")
    return int((hi - np.arange(1, len(ordered) + 1)).sum())


def lsh_candidates(
    texts: Sequence[str],
    threshold: float,
    work: Work,
    *,
    plan: LshPlan | None = None,
    allowed: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Candidate pairs among ``texts`` (indexes ``i < j``, as int64 keys ``i * len(texts) + j``).

    Only texts of at least ``SHORT`` characters take part, and only pairs within the length bound.
    ``allowed = (left, right)`` (two boolean masks) keeps only pairs with one text in each.

    Returns None when the texts are too alike for LSH to pay: when the first two bands project more
    candidates than a sixth of the length-compatible pairs (verifying a candidate costs about six cdist
    cells) or than ``_MAX_CANDIDATES``. That happens on low-diversity data, e.g. every prompt wrapped
    in one long template; the caller then searches exhaustively, in bounded memory.
    """
    plan = plan or lsh_plan(threshold)
    if plan is None:
        raise ValueError(f"threshold {threshold} is below the LSH range")
    n = len(texts)
    lengths_all = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    rows_idx = np.flatnonzero(lengths_all >= SHORT)
    if len(rows_idx) < 2:
        return np.zeros(0, np.int64)
    lengths = lengths_all[rows_idx]
    budget = max(min(compatible_pairs(lengths, threshold) // 6, _MAX_CANDIDATES), _MIN_BUDGET)
    grams, counts = gram_hashes([texts[i] for i in rows_idx], work.span(0.0, 0.15, "hashing"))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    hi = max_partner_length(lengths, threshold)
    if allowed is not None:
        left_mask, right_mask = allowed[0][rows_idx], allowed[1][rows_idx]

    rng = np.random.default_rng(20240601)
    salts = rng.integers(0, 2**32, size=(plan.bands, plan.rows), dtype=np.uint64).astype(np.uint32)
    mults = (rng.integers(0, 2**31, size=(plan.bands, plan.rows), dtype=np.uint64) * 2 + 1).astype(np.uint32)
    found: list[np.ndarray] = []
    held = 0
    first = 0
    sig_work = work.span(0.15, 1.0, "finding candidates")
    for band in range(plan.bands):
        key = np.zeros(len(rows_idx), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for r in range(plan.rows):
                h = (grams ^ salts[band, r]) * mults[band, r]
                key = key * _MIX + np.minimum.reduceat(h, starts).astype(np.uint64)
        window = _window_pairs(key, lengths, hi, max(budget, _COLLAPSE))
        if window is None:
            return None
        i, j = window
        if allowed is not None:
            keep = (left_mask[i] & right_mask[j]) | (right_mask[i] & left_mask[j])
            i, j = i[keep], j[keep]
        a, b = rows_idx[i], rows_idx[j]
        found.append(np.minimum(a, b) * n + np.maximum(a, b))
        held += len(a)
        if band == 0:
            first = held
        if band == 1 or held > _COLLAPSE:
            found = [sorted_unique(np.concatenate(found))]
            held = len(found[0])
            # bands after the second add at most as many new pairs as the second did
            projected = held + (plan.bands - 2) * (held - first) if band == 1 else held
            if projected > budget:
                return None
        sig_work.report((band + 1) / plan.bands)
    return sorted_unique(np.concatenate(found))
