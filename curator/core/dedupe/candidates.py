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


def expand_pairs(owner: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group pairs behind value pairs (a, b): every group of value a with every group of value b.

    ``owner[g]`` is the value of group g. Returns (group, group, index of the value pair).
    """
    order = np.argsort(owner, kind="stable")
    count = np.bincount(owner, minlength=int(max(a.max(initial=0), b.max(initial=0), owner.max(initial=0))) + 1)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    ca, cb = count[a], count[b]
    per = ca * cb
    link = np.repeat(np.arange(len(a)), per)
    within = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    ga = order[start[a[link]] + within // cb[link]]
    gb = order[start[b[link]] + within % cb[link]]
    return ga, gb, link


def pairs_inside(owner: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group pairs sharing one of ``values``: (group, group, the value)."""
    order = np.argsort(owner, kind="stable")
    count = np.bincount(owner, minlength=int(owner.max(initial=0)) + 1)
    start = np.concatenate(([0], np.cumsum(count)[:-1]))
    ga, gb, vv = [], [], []
    for size in np.unique(count[values]):
        if size < 2:
            continue
        vals = values[count[values] == size]
        i, j = np.triu_indices(int(size), 1)
        ga.append(order[(start[vals][:, None] + i).ravel()])
        gb.append(order[(start[vals][:, None] + j).ravel()])
        vv.append(np.repeat(vals, len(i)))
    if not ga:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    return np.concatenate(ga), np.concatenate(gb), np.concatenate(vv)
