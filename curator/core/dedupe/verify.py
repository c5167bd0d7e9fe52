"""Scorers by name, and exact scoring of pairs with rapidfuzz (candidate verification and exhaustive search).

Every pair a scan reports was scored here by the chosen rapidfuzz scorer, so precision is exact; only
recall depends on candidate generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from curator.core.dedupe.candidates import max_partner_length, min_partner_length
from curator.core.progress import Work
from curator.core.errors import CuratorError

_VERIFY_CHUNK = 250_000  # pairs per cpdist call (about 0.1 s)
LONG = 2_000  # characters: pairs of texts this long are first tried on prefixes (see ``prefix_refuted``)
_CELLS = 2_000_000  # matrix cells per cdist call in exhaustive search


@dataclass(frozen=True)
class Scorer:
    """A rapidfuzz scorer and how candidates are found for it.

    ``sources`` names the candidate generators (see ``search``): ``chars`` (the character-count bound on the text),
    ``sorted_tokens`` (on the text with its words sorted), ``token_set`` (on the sorted set of words, plus a
    word-containment join). No sources means exhaustive search. ``length_bound`` says the ratio length bound
    holds between the texts' lengths, so exhaustive search may skip pairs of too different lengths.
    """

    name: str
    func: Callable[..., float]
    sources: tuple[str, ...]
    length_bound: bool
    summary: str


SCORERS: dict[str, Scorer] = {
    s.name: s
    for s in (
        Scorer("ratio", fuzz.ratio, ("chars",), True, "normalised Indel similarity of the whole texts"),
        Scorer("QRatio", fuzz.QRatio, ("chars",), True, "ratio, but 0 when either text is empty"),
        Scorer("token_sort_ratio", fuzz.token_sort_ratio, ("sorted_tokens",), True, "ratio of the texts with words sorted"),
        Scorer("token_set_ratio", fuzz.token_set_ratio, ("token_set",), False, "ratio of shared vs differing words; 100 when one word set holds the other"),
        Scorer("token_ratio", fuzz.token_ratio, ("sorted_tokens", "token_set"), False, "max of token_sort_ratio and token_set_ratio"),
        Scorer("partial_ratio", fuzz.partial_ratio, (), False, "best ratio of the shorter text against any window of the longer (exhaustive)"),
        Scorer("partial_token_sort_ratio", fuzz.partial_token_sort_ratio, (), False, "partial_ratio on sorted words (exhaustive)"),
        Scorer("partial_token_set_ratio", fuzz.partial_token_set_ratio, (), False, "partial_ratio on word sets (exhaustive)"),
        Scorer("partial_token_ratio", fuzz.partial_token_ratio, (), False, "max of the partial token ratios (exhaustive)"),
        Scorer("WRatio", fuzz.WRatio, (), False, "rapidfuzz's weighted mix of the above (exhaustive)"),
    )
}
_BY_LOWER = {name.lower(): s for name, s in SCORERS.items()}


def get_scorer(name: str) -> Scorer:
    """The scorer called ``name`` (``ratio``, ``fuzz.ratio``, ``WRatio``, ...; case does not matter)."""
    key = name.strip().lower().removeprefix("fuzz.")
    try:
        return _BY_LOWER[key]
    except KeyError:
        raise CuratorError(f"unknown scorer {name!r}; choose one of {', '.join(SCORERS)}") from None


def check_threshold(threshold: float) -> float:
    """``threshold`` as a float, or a CuratorError when it is not in (0, 100]."""
    value = float(threshold)
    if not 0.0 < value <= 100.0:
        raise CuratorError(f"threshold must be above 0 and at most 100, not {threshold}")
    return value


def prefix_refuted(a: Sequence[str], b: Sequence[str], threshold: float) -> np.ndarray:
    """For pairs of long texts: does a prefix alone prove that ``fuzz.ratio`` stays below ``threshold``?

    ``ratio >= t`` needs ``LCS(a, b) >= need = t / 200 * (|a| + |b|)``, so with ``|a| <= |b|`` at most
    ``|b| - need`` characters of b are skipped before any match: the matches of ``a[:p]`` lie in
    ``b[:p + |b| - need]``, and ``LCS(a, b) <= LCS(a[:p], b[:p + |b| - need]) + |a| - p``. Two long texts of
    one vocabulary have nearly equal character counts (the count bound passes them) yet a low ratio; their
    full LCS costs tens of milliseconds, a prefix about a third of that. Exact: only a pair the bound excludes is refuted.
    """
    a, b = list(a), list(b)
    out = np.zeros(len(a), dtype=bool)
    for k in range(len(a)):
        if len(a[k]) > len(b[k]):
            a[k], b[k] = b[k], a[k]
    la = np.fromiter(map(len, a), dtype=np.int64, count=len(a))
    lb = np.fromiter(map(len, b), dtype=np.int64, count=len(b))
    need = np.ceil(threshold * (la + lb) / 200.0 - 1e-6).astype(np.int64) - 2  # 2 characters of slack for rounding
    skip_b, slack = lb - need, la - need
    out[slack < 0] = True
    p = np.minimum(la, 3 * np.maximum(LONG, skip_b))  # measured: refutes 98 % of such pairs at a third of the cost
    todo = np.flatnonzero(~out & (p < la))
    if len(todo):
        got = process.cpdist([a[k][: p[k]] for k in todo], [b[k][: p[k] + skip_b[k]] for k in todo],
                             scorer=LCSseq.similarity, dtype=np.int64, workers=-1)
        out[todo] = got + la[todo] - p[todo] < need[todo]
    return out


def verify(
    texts: np.ndarray, keys: np.ndarray, scorer: Scorer, threshold: float, work: Work
) -> tuple[np.ndarray, np.ndarray]:
    """Score candidate pairs (keys ``i * n + j``) and keep those at or above ``threshold``."""
    n = len(texts)
    kept_keys: list[np.ndarray] = []
    kept_scores: list[np.ndarray] = []
    total = len(keys)
    for start in range(0, total, _VERIFY_CHUNK):
        chunk = keys[start : start + _VERIFY_CHUNK]
        a, b = np.divmod(chunk, n)
        scores = process.cpdist(
            texts[a], texts[b], scorer=scorer.func, score_cutoff=threshold, dtype=np.float64, workers=-1
        )
        hit = scores >= threshold
        kept_keys.append(chunk[hit])
        kept_scores.append(scores[hit])
        work.report(min(start + _VERIFY_CHUNK, total) / total)
    if not kept_keys:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    return np.concatenate(kept_keys), np.concatenate(kept_scores)


def exhaustive(
    texts: np.ndarray,
    queries: np.ndarray,
    choices: np.ndarray,
    scorer: Scorer,
    threshold: float,
    work: Work,
    *,
    lengths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Score every query against every choice (indexes into ``texts``) with ``process.cdist``.

    With ``lengths`` (the lengths the ratio length bound applies to), a query meets only the choices
    whose length can still reach ``threshold``. When queries and choices are the same texts, each pair is
    scored once. Returns keys ``i * n + j`` (``i < j``, possibly repeated when a pair is both query-choice
    and choice-query) and their scores.
    """
    symmetric = len(queries) == len(choices) and bool(np.array_equal(queries, choices))
    n = len(texts)
    found_keys: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    if len(queries) == 0 or len(choices) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    if lengths is not None:
        queries = queries[np.argsort(lengths[queries], kind="stable")]
        choices = queries if symmetric else choices[np.argsort(lengths[choices], kind="stable")]
        choice_lengths = lengths[choices]
        lo_all = np.searchsorted(choice_lengths, min_partner_length(lengths[queries], threshold), side="left")
        hi_all = np.searchsorted(choice_lengths, max_partner_length(lengths[queries], threshold), side="right")
    pos = 0
    while pos < len(queries):
        if lengths is not None:
            width = max(int(hi_all[pos] - lo_all[pos]), 1)
            stop = min(len(queries), pos + max(1, _CELLS // width))
            lo, hi = int(lo_all[pos]), int(hi_all[stop - 1])
        else:
            stop = min(len(queries), pos + max(1, _CELLS // len(choices)))
            lo, hi = 0, len(choices)
        if symmetric:
            lo = max(lo, pos)  # earlier queries have met this block already
        block, window = queries[pos:stop], choices[lo:hi]
        if len(window):
            matrix = process.cdist(
                texts[block], texts[window], scorer=scorer.func, score_cutoff=threshold,
                dtype=np.float64, workers=-1,
            )
            r, c = np.nonzero(matrix >= threshold)
            a, b = block[r], window[c]
            keep = a != b
            a, b = a[keep], b[keep]
            found_keys.append(np.minimum(a, b) * n + np.maximum(a, b))
            found_scores.append(matrix[r[keep], c[keep]])
        pos = stop
        work.report(pos / len(queries))
    if not found_keys:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    return np.concatenate(found_keys), np.concatenate(found_scores)
