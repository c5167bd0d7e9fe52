"""Pairs that differ only in numbers are different examples, not duplicates.

"What is the square root of 31" and "… of 104" reach any similarity threshold, yet deleting one loses a real
example. A pair whose compared texts are equal once every number (digits, decimals, dates, times) is masked
is listed apart ("differ in numbers only") and kept out of keep-one and fix-all unless the user asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")


def number_masked(texts: Sequence[str]) -> list[str]:
    """The texts with every number (digits, decimals, dates, times) replaced by one ``0``."""
    return [_NUMBER.sub("0", t) for t in texts]


def numbers_only(texts: Sequence[str], g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """For links between distinct normalised texts ``texts[g]`` and ``texts[h]``: do they differ only in numbers?"""
    if len(g) == 0:
        return np.zeros(0, dtype=bool)
    index: dict[str, int] = {}
    ids = np.fromiter((index.setdefault(t, len(index)) for t in number_masked(texts)), dtype=np.int64,
                      count=len(texts))
    return ids[g] == ids[h]
