"""Generated texts with planted near-duplicates, and the exhaustive cdist oracle, for the dedupe tests."""

from __future__ import annotations

import random

import numpy as np
from pytest import approx
from rapidfuzz import fuzz, process

from curator.core.dedupe import normalise_all

WORDS = (
    "the a to of and in is for on my with can how do i it be card account transfer payment refund money "
    "why what when where you your was has not still this that there top up pending fee exchange rate "
    "declined cash machine app phone number address verify identity limit charge balance statement wrong "
    "received arrived delivery lost stolen pin blocked apple google pay virtual disposable currency "
    "euro dollar pound salary cheque deposit withdrawal abroad travel hotel booking cancel order return "
    "explain describe write generate list summarise translate classify poem story email essay sentence "
    "paragraph article recipe benefits causes effects differences examples reasons steps ways ideas tips "
    "climate history science music economy health education technology computer network language model"
).split()
_WEIGHTS = [1.0 / (rank + 3) for rank in range(len(WORDS))]


def sentence(rng: random.Random, lo: int = 5, hi: int = 16) -> str:
    words = rng.choices(WORDS, weights=_WEIGHTS, k=rng.randint(lo, hi))
    return " ".join(words).capitalize() + rng.choice("?.!")


def typo(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        pos = rng.randrange(max(len(chars), 1))
        kind = rng.randrange(3)
        if kind == 0 and chars:
            chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz")
        elif kind == 1:
            chars.insert(pos, rng.choice("abcdefghijklmnopqrstuvwxyz"))
        elif len(chars) > 1:
            del chars[pos]
    return "".join(chars)


def swap_words(rng: random.Random, text: str) -> str:
    words = text.split()
    if len(words) > 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def respace_recase(rng: random.Random, text: str) -> str:
    """Same text after normalising: case and whitespace changes only."""
    words = [w.upper() if rng.random() < 0.2 else w for w in text.split()]
    return rng.choice(["  ", "\t", "\n", " \u00a0"]).join(words) + rng.choice(["", " ", "\n"])


def unicode_variant(rng: random.Random, text: str) -> str:
    """Same text after NFKC: full-width letters, ligatures, no-break spaces."""
    out = []
    for ch in text:
        if "a" <= ch <= "z" and rng.random() < 0.3:
            out.append(chr(ord(ch) + 0xFEE0))
        elif ch == " " and rng.random() < 0.3:
            out.append("\u00a0")
        else:
            out.append(ch)
    return "".join(out).replace("fi", "\ufb01")


def drop_or_add_word(rng: random.Random, text: str) -> str:
    words = text.split()
    if rng.random() < 0.5 and len(words) > 3:
        del words[rng.randrange(len(words))]
    else:
        words.insert(rng.randrange(len(words) + 1), rng.choice(WORDS))
    return " ".join(words)


def corpus(seed: int, bases: int = 300, variants: int = 220) -> list[str]:
    """Random sentences plus variants of earlier texts (variants of variants make transitive chains)."""
    rng = random.Random(seed)
    texts = [sentence(rng) for _ in range(bases)]
    makers = [
        lambda t: typo(rng, t, rng.randint(1, 3)),
        lambda t: swap_words(rng, t),
        lambda t: respace_recase(rng, t),
        lambda t: unicode_variant(rng, t),
        lambda t: drop_or_add_word(rng, t),
    ]
    for _ in range(variants):
        texts.append(rng.choice(makers)(rng.choice(texts)))
    return texts


def oracle(texts: list[str], ids: list[int], scorer: str, threshold: float) -> dict[tuple[int, int], float]:
    """Every pair reaching ``threshold`` by exhaustive ``process.cdist`` on normalised texts."""
    norm = normalise_all(texts)
    matrix = process.cdist(norm, norm, scorer=getattr(fuzz, scorer), score_cutoff=threshold, dtype=np.float64, workers=-1)
    rows, cols = np.nonzero(matrix >= threshold)
    return {
        (min(ids[r], ids[c]), max(ids[r], ids[c])): float(matrix[r, c])
        for r, c in zip(rows.tolist(), cols.tolist())
        if r < c
    }


def bipartite_oracle(
    train: list[str], train_ids: list[int], evals: list[str], eval_ids: list[int], scorer: str, threshold: float
) -> dict[tuple[int, int], float]:
    """Every (eval id, train id) reaching ``threshold`` by exhaustive cdist."""
    matrix = process.cdist(
        normalise_all(evals), normalise_all(train), scorer=getattr(fuzz, scorer), score_cutoff=threshold,
        dtype=np.float64, workers=-1,
    )
    rows, cols = np.nonzero(matrix >= threshold)
    return {(eval_ids[r], train_ids[c]): float(matrix[r, c]) for r, c in zip(rows.tolist(), cols.tolist())}


def clusters_of(pairs) -> list[tuple[int, ...]]:
    """The connected components (two ids or more) of ``pairs``, each sorted, in order."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    parts: dict[int, list[int]] = {}
    for i in list(parent):
        parts.setdefault(root(i), []).append(i)
    return sorted(tuple(sorted(p)) for p in parts.values() if len(p) > 1)


def clusters(result) -> list[tuple[int, ...]]:
    """A search result's clusters (numbers-only links included), each sorted, in order."""
    return sorted(tuple(sorted(c)) for c in result.components())


def assert_same_clusters(result, want: dict[tuple[int, int], float]) -> None:
    """The result's clusters are the connected components of the oracle's pairs, and each link is an oracle pair
    with the oracle's score (the result keeps only the links that connect its clusters)."""
    assert clusters(result) == clusters_of(want)
    for g, h, score in result.links:
        a, b = min(result.groups[g]), min(result.groups[h])
        assert score == approx(want[(min(a, b), max(a, b))])
    for g, ids in enumerate(result.groups):
        if result.group_pairs_inside(g) and len(ids) > 1:
            a, b = sorted(ids)[:2]
            assert result.self_scores[g] == approx(want[(a, b)])
