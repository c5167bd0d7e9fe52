"""Frequencies for the frequency screen and ``curator stats``: labels, splits, tags, length histograms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Count:
    """One value and how many active examples have it (``key`` says how to filter for it)."""

    value: str
    count: int
    share: float


def _counts(series: pl.Series, total: int) -> list[Count]:
    vc = series.value_counts(sort=True, name="n")
    vc = vc.sort(["n", vc.columns[0]], descending=[True, False])
    return [Count("" if v is None else str(v), int(n), n / total if total else 0.0) for v, n in vc.iter_rows()]


def output_counts(active: pl.DataFrame, limit: int = 500) -> list[Count]:
    """Counts of outputs, most frequent first (the label distribution when outputs are labels)."""
    return _counts(active["output"], active.height)[:limit]


def split_counts(active: pl.DataFrame) -> list[Count]:
    return _counts(active["split"], active.height)


def tag_counts(active: pl.DataFrame) -> list[Count]:
    tags = active["tags"].explode().drop_nulls()
    return _counts(tags, active.height) if tags.len() else []


@dataclass(frozen=True)
class Bin:
    """A histogram bin of lengths: ``low <= length <= high``."""

    low: int
    high: int
    count: int


def length_histogram(active: pl.DataFrame, column: str, bins: int = 12) -> list[Bin]:
    """Character-length histogram of ``column`` with round bin edges."""
    lengths = active[column].fill_null("").str.len_chars().to_numpy()
    if not len(lengths):
        return []
    top = int(lengths.max())
    step = max(1, _round_step(top / bins))
    edges = np.arange(0, top + step + 1, step)
    hist, _ = np.histogram(lengths, bins=edges)
    return [Bin(int(edges[k]), int(edges[k + 1]) - 1, int(c)) for k, c in enumerate(hist)]


def _round_step(raw: float) -> int:
    if raw <= 1:
        return 1
    magnitude = 10 ** int(np.floor(np.log10(raw)))
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return int(m * magnitude)
    return int(10 * magnitude)
