"""The compiled search scores pairs as rapidfuzz does (``kernel.lcs_length``, ``kernel.ratio_score``), and the
linked search finds the clusters exhaustive cdist finds, within each part."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from curator.core.dedupe import bound, find_near_duplicates
from curator.core.dedupe.bound import _codepoints, _small_integers
from curator.core.dedupe.kernel import WORDS, lcs_length, ratio_score
from tests.core.dedupe_corpus import assert_same_clusters, corpus, oracle, typo

ALPHABETS = ["ab", "abcdefghijklmnopqrstuvwxyz ", "".join(chr(c) for c in range(0x4E00, 0x4E40)),
             "ab\U0001F600\U0001F680"]  # characters beyond 16 bits


def compiled_ratio(a: str, b: str, cutoff: float) -> tuple[int, float]:
    """The LCS length and the score ``block_links`` gives the pair, the shorter text as the masked one."""
    if len(a) > len(b):
        a, b = b, a
    chars, alphabet = _small_integers(_codepoints([a, b])[0])
    words = (len(a) + 63) // 64
    masks = np.zeros(alphabet * WORDS, np.uint64)
    for k in range(len(a)):
        masks[int(chars[k]) * words + k // 64] |= np.uint64(1) << np.uint64(k % 64)
    lcs = lcs_length(masks, words, chars, len(a), len(b), np.zeros(WORDS, np.uint64))
    return lcs, ratio_score(lcs, len(a), len(b), cutoff)


def pairs(seed: int):
    rng = random.Random(seed)
    for _ in range(300):
        alphabet = rng.choice(ALPHABETS)
        n = rng.choice([0, 1, 5, 63, 64, 65, 100, 127, 128, 129, 191, 192, 193, rng.randint(1, 300), 700, 2047])
        a = "".join(rng.choices(alphabet, k=n))
        b = typo(rng, a, rng.randint(0, 12)) if rng.random() < 0.7 else "".join(rng.choices(alphabet, k=n))
        yield a, b


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_score_is_rapidfuzz_s_to_the_last_bit(seed):
    # on word boundaries (64, 128, 192 characters), long texts, other scripts, and with the cutoff at, just under
    # and just over each pair's own score, where a pair lands on one side of the threshold or the other: the
    # score kept is the one verification keeps (rapidfuzz's, when it is at least the cutoff)
    for a, b in pairs(seed):
        exact = fuzz.ratio(a, b)
        lcs, _ = compiled_ratio(a, b, 0.0)
        assert lcs == LCSseq.similarity(a, b)
        for cutoff in (exact, np.nextafter(exact, 0.0), np.nextafter(exact, 101.0), 90.0, 50.0):
            if 0.0 < cutoff <= 100.0:
                score = fuzz.ratio(a, b, score_cutoff=cutoff)
                assert compiled_ratio(a, b, cutoff)[1] == (score if score >= cutoff else 0.0), (a, b, cutoff)


@pytest.mark.parametrize("compiled", [True, False])
def test_parts_are_searched_apart_and_match_the_oracle_within_each(compiled, monkeypatch):
    # the compiled search (the bound, then the score, skipping pairs already connected) or numpy's bound and
    # rapidfuzz; identical texts in two parts are not grouped either
    monkeypatch.setattr(bound, "SMALL", 0 if compiled else 10**18)
    texts = corpus(5, bases=200, variants=200)
    rng = random.Random(5)
    parts = [rng.randrange(3) for _ in texts]
    texts += [texts[0], texts[0]]
    parts += [(parts[0] + 1) % 3, parts[0]]
    ids = list(range(len(texts)))
    want: dict = {}
    for part in range(3):
        mine = [i for i in ids if parts[i] == part]
        want.update(oracle([texts[i] for i in mine], mine, "ratio", 90))
    assert len(want) >= 30
    result = find_near_duplicates(texts, ids, parts=parts)
    assert_same_clusters(result, want)
    other, same = len(texts) - 2, len(texts) - 1
    assert any({0, same} <= set(group) for group in result.groups)
    assert not any({0, other} <= set(group) for group in result.groups)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_compiled_bound_keeps_exactly_the_pairs_within_reach(seed):
    """Sums on the limit, one over it and near the byte sums' 128, over windows of every width: the compiled bound
    (bytes tested eight at a time, or 16-bit sums) keeps exactly the pairs whose L1 distance is within reach."""
    from curator.core.dedupe.kernel import HEAD, block_pairs

    rng = np.random.default_rng(seed)
    n = 300
    lengths = np.sort(rng.integers(20, 700, n)).astype(np.int64)  # limits from 4 to over 128
    eps = 0.1
    counts = np.tile(rng.integers(3, 9, 64), (n, 1))
    for r in range(n):  # a few buckets off by one to three: distances from 0 to over 128
        at = rng.choice(64, rng.integers(0, 40), replace=False)
        counts[r, at] += rng.integers(-3, 4, len(at))
    counts[rng.random((n, 64)) < 0.003] = 250  # a few far buckets: byte sums that stop at 255
    for r in range(0, n - 1, 2):  # the next text exactly on the limit (every other time one over it)
        distance = int(eps * (lengths[r] + lengths[r + 1]) + 1e-6) + (r // 2) % 2
        counts[r + 1] = counts[r]
        counts[r + 1, np.arange(distance) % HEAD] += 1 + np.arange(distance) // HEAD  # all within the head
    counts = counts.astype(np.uint8)
    lo = np.arange(1, n + 1, dtype=np.int64)
    hi = np.minimum(lo + rng.integers(0, 40, n), n).astype(np.int64)  # windows of every width, some empty
    head = np.ascontiguousarray(counts[:, :HEAD].T)
    rows, cols = block_pairs(0, n, lo, hi, counts, lengths, head, counts, lengths, eps)
    got = set(zip(rows.tolist(), cols.tolist()))
    l1 = np.abs(counts[:, None, :].astype(np.int64) - counts[None, :, :]).sum(axis=2)
    reach = eps * (lengths[:, None] + lengths[None, :]) + 1e-6
    want = {(r, c) for r in range(n) for c in range(lo[r], hi[r]) if l1[r, c] <= reach[r, c]}
    on_limit = sum(1 for r in range(n) for c in range(lo[r], hi[r]) if int(reach[r, c]) - 1 <= l1[r, c] <= int(reach[r, c]) + 1)
    assert on_limit >= 20 and len(want) >= 50  # the limit itself is tested, from both sides
    assert got == want
