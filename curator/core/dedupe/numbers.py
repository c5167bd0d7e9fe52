"""Pairs that differ only in numbers are different examples, not duplicates.

"What is the square root of 31" and "… of 104" reach any similarity threshold, yet deleting one loses a real
example. A pair whose compared texts are equal once every number (digits, decimals, dates, times) is masked
is listed apart ("differ in numbers only") and kept out of keep-one and fix-all unless the user asks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")


def number_masked(texts: Sequence[str]) -> list[str]:
    """The texts with every number (digits, decimals, dates, times) replaced by one ``0``."""
    return [_NUMBER.sub("0", t) for t in texts]
