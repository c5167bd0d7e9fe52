"""The count bound, compiled (large searches) and in numpy (small ones), keeps every pair exhaustive cdist finds,
one text against all or one side against the other, and drops most of the pairs that cannot reach the
threshold."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from curator.core.dedupe import bound
from curator.core.dedupe.bound import bounded_candidates
from curator.core.dedupe.candidates import max_partner_length
from curator.core.progress import Work
from tests.core.dedupe_corpus import sentence, typo


def _texts(seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = ["", "a", "ab"]
    for _ in range(40):
        slot = sentence(rng, 4, 8)
        texts += [f"{typo(rng, slot, rng.randint(0, 3))} order {rng.randint(10, 99)}" for _ in range(3)]
    for n in (300, 600):  # counts beyond what a byte holds: clipping at 255 must not drop the pair
        texts += ["e" * n + "xy", "e" * n + "yz", "e" * (n - 20) + "w" * 40]
    for n in (12, 40):
        longest = int(max_partner_length(np.array([n]), 90)[0])
        texts += ["q" * n, "q" * longest, "q" * (longest + 1)]  # at the length bound, and one over
    alphabet = [chr(c) for c in range(0x3041, 0x3041 + 90)]  # more distinct characters than buckets
    for _ in range(20):
        base = "".join(rng.choices(alphabet, k=rng.randint(5, 30)))
        texts += [base, typo(rng, base, 1)]
    return list(dict.fromkeys(texts))


@pytest.fixture(params=["compiled", "numpy"])
def route(request, monkeypatch):
    """Both routes of the bound: the compiled loop from the first pair, or numpy for every size."""
    monkeypatch.setattr(bound, "SMALL", 0 if request.param == "compiled" else 10**18)
    return request.param


def _cdist_pairs(texts: list[str], threshold: float, left=None, right=None) -> set[tuple[int, int]]:
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=threshold)
    a, b = np.nonzero(scores >= threshold)
    pairs = {(int(i), int(j)) for i, j in zip(a, b) if i < j}
    if left is not None:
        pairs = {(i, j) for i, j in pairs if (left[i] and right[j]) or (left[j] and right[i])}
    return pairs


@pytest.mark.parametrize("threshold", [70, 90, 97])
def test_every_pair_reaching_the_threshold_is_a_candidate(threshold, route):
    texts = _texts(threshold)
    n = len(texts)
    keys = bounded_candidates(texts, threshold, Work())
    got = {(int(k // n), int(k % n)) for k in keys}
    want = _cdist_pairs(texts, threshold)
    assert len(want) >= 10  # 13 at 97, over 100 at 90
    assert want <= got
    assert all(i < j for i, j in got) and len(got) == len(keys)  # each pair once, in order
    assert len(got) < n * (n - 1) // 4  # and it is a filter: most pairs are refuted


def test_one_side_against_the_other_keeps_every_crossing_pair(route):
    texts = _texts(5)
    n = len(texts)
    rng = np.random.default_rng(1)
    left = rng.random(n) < 0.7
    right = ~left
    keys = bounded_candidates(texts, 90, Work(), sides=(left, right))
    got = {(int(k // n), int(k % n)) for k in keys}
    want = _cdist_pairs(texts, 90, left, right)
    assert len(want) >= 10
    assert want <= got
    assert all((left[i] and right[j]) or (left[j] and right[i]) for i, j in got)


def test_both_routes_find_the_same_candidates(monkeypatch):
    texts = _texts(11)
    found = []
    for small in (0, 10**18):
        monkeypatch.setattr(bound, "SMALL", small)
        found.append(set(bounded_candidates(texts, 85, Work()).tolist()))
    assert found[0] == found[1] and len(found[0]) > 100


def test_the_estimate_counts_the_share_of_pairs_the_bound_lets_through(monkeypatch):
    from curator.core.dedupe.candidates import compatible_pairs

    texts = _texts(3)  # fewer texts than the sample: every one is counted, so the share is exact
    monkeypatch.setattr(bound, "SMALL", 0)
    lengths = np.array([len(t) for t in texts])
    share = bound.candidate_share(texts, 90)
    assert share == pytest.approx(len(bounded_candidates(texts, 90, Work())) / compatible_pairs(lengths, 90))
    assert 0 < share < 0.5
    assert bound.estimate_seconds(10**9, share) > bound.estimate_seconds(10**9)


@pytest.mark.parametrize("extra", ["", "naïve 😀"])
def test_code_points_are_the_texts_characters_a_byte_each_when_ascii(extra):
    from curator.core.dedupe.kernel import code_frequencies

    texts = _texts(7)
    texts = [t for t in texts if t.isascii()] + ([extra] if extra else [])
    cp, lengths = bound._codepoints(texts)
    assert cp.dtype == (np.uint8 if not extra else np.uint32)
    assert cp.tolist() == [ord(c) for c in "".join(texts)] and lengths.tolist() == [len(t) for t in texts]
    assert code_frequencies(cp).tolist() == np.bincount(cp).tolist()
    counted, alphabet = bound._small_integers(cp, code_frequencies(cp))
    again, same = bound._small_integers(cp)
    assert counted.tolist() == again.tolist() and alphabet == same == len(set("".join(texts)))
