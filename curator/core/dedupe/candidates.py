"""The ratio length bound, and small array helpers shared by the candidate generators.

``fuzz.ratio`` is the normalised Indel similarity, ``200 * LCS / (|a| + |b|)``, so ``ratio >= t`` implies
``max(|a|, |b|) <= min(|a|, |b|) * (200 - t) / t`` (at t = 90 the longer text is at most 22 % longer): a pair
outside that bound can never reach the threshold. ``bound`` builds the exact candidate filter on it.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def max_partner_length(lengths: np.ndarray, threshold: float) -> np.ndarray:
    """The longest text that can still reach ``threshold`` with a text of each given length."""
    return np.floor(lengths * (200.0 - threshold) / threshold + 1e-9).astype(np.int64)


def min_partner_length(lengths: np.ndarray, threshold: float) -> np.ndarray:
    """The shortest text that can still reach ``threshold`` with a text of each given length."""
    return np.ceil(lengths * threshold / (200.0 - threshold) - 1e-9).astype(np.int64)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (polars' parallel sort: several times faster than np.unique here)."""
    if len(values) == 0:
        return values
    s = pl.Series(values).sort().to_numpy()
    return s[np.concatenate(([True], s[1:] != s[:-1]))]


def compatible_pairs(lengths: np.ndarray, threshold: float) -> int:
    """How many pairs of texts with these lengths pass the length bound (what exhaustive search scores)."""
    ordered = np.sort(lengths)
    hi = np.searchsorted(ordered, max_partner_length(ordered, threshold), side="right")
    return int((hi - np.arange(1, len(ordered) + 1)).sum())
