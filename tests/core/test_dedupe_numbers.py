"""Number masks: texts differing only in numbers share one id, in bulk (polars) exactly as one by one (re)."""

from __future__ import annotations

import random

from curator.core.dedupe.numbers import number_mask_ids, number_masked

PIECES = ["what is the square root of ", "paid ", " eur on ", "at ", "room ", "x", " ", "-", ".", ",", ":", "/",
          "café ", "٣١", "٣,٥", "²", "½", "۴۲ ", "v1.2.3", "2024-01-05", "7:30", "1,000.5", "..", "1..2", "a1b2"]


def _texts(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        parts = rng.choices(PIECES, k=rng.randint(0, 6))
        out.append("".join(p + (str(rng.randint(0, 99)) if rng.random() < 0.4 else "") for p in parts))
    return out


def _same_classes(ids, keys) -> bool:
    first: dict = {}
    for i, k in zip(ids.tolist(), keys):
        if first.setdefault(i, k) != k:
            return False
    return len(first) == len(set(keys))


def test_one_column_ids_are_the_classes_of_the_masked_texts():
    texts = _texts(random.Random(1), 3000)
    ids = number_mask_ids([texts])
    masked = number_masked(texts)
    assert _same_classes(ids, masked)
    assert len(set(masked)) < 0.8 * len(set(texts))  # many texts differ only in numbers
    assert any(not t.isascii() and any(c.isdigit() for c in t) for t in texts)  # other digits, masked by re


def test_two_columns_share_an_id_only_when_both_masks_are_equal():
    rng = random.Random(2)
    first, second = _texts(rng, 2000), _texts(rng, 2000)
    second[:500] = first[:500]
    ids = number_mask_ids([first, second])
    assert _same_classes(ids, list(zip(number_masked(first), number_masked(second))))
    assert number_mask_ids([]).tolist() == [] and number_mask_ids([[], []]).tolist() == []
