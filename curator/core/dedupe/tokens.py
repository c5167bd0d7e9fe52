"""Word-level views and candidates for the token scorers (token_sort_ratio, token_set_ratio, token_ratio).

``token_sort_ratio(a, b)`` is exactly ``ratio`` of the texts with their words sorted, so MinHash-LSH runs on
``sorted_words``. ``token_set_ratio`` is the best of three ratios over the shared words S and each side's
own words A and B (rapidfuzz's definition): ``ratio(S+A, S+B)``, ``ratio(S, S+A)`` and ``ratio(S, S+B)``.
The first is a ratio between two strings of the same words as each text's sorted word set, so LSH runs on
``sorted_word_sets``. The other two reach ``t`` exactly when one text's words are nearly all shared:
``x <= (f * (2m - 1) - 1) / (1 + f)`` for ``f = 1 - t/100``, where ``m`` is the length of the text's sorted
word set and ``x`` the length of its unshared words (joined by spaces). ``containment_candidates`` finds
every such pair with a weighted prefix filter: order each text's words rarest first; if the rarest ``k``
words were all missing from the other text, ``x`` would already exceed the bound, so the other text must
contain one of them. That join is exact (it misses nothing), unlike LSH.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from curator.core.dedupe.candidates import sorted_unique
from curator.core.progress import Work


def sorted_words(texts: Sequence[str]) -> list[str]:
    """Each text's words (split on whitespace) sorted and joined by one space."""
    return [" ".join(sorted(t.split())) for t in texts]


def sorted_word_sets(texts: Sequence[str]) -> list[str]:
    """Each text's distinct words sorted and joined by one space."""
    return [" ".join(sorted(set(t.split()))) for t in texts]


def containment_candidates(
    texts: Sequence[str],
    threshold: float,
    work: Work,
    *,
    allowed: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Pairs (keys ``i * n + j``, ``i < j``) where one text's words may be near-contained in the other's.

    A superset of the pairs whose ``token_set_ratio`` reaches ``threshold`` through a shared-words ratio.
    """
    n = len(texts)
    f = 1.0 - threshold / 100.0
    words = (
        pl.DataFrame({"doc": np.arange(n, dtype=np.int64), "word": pl.Series(list(texts), dtype=pl.String)})
        .with_columns(pl.col("word").str.split(" "))
        .explode("word")
        .filter(pl.col("word").is_not_null() & (pl.col("word") != ""))
        .unique(["doc", "word"])
    )
    work.report(0.2)
    words = words.with_columns(
        pl.len().over("word").alias("df"),
        pl.col("word").str.len_chars().cast(pl.Int64).alias("chars"),
    ).sort(["doc", "df", "word"])
    words = words.with_columns(
        # length of the words before this one, joined by spaces: what x would be if they were all missing
        (pl.col("chars") + 1).cum_sum().over("doc").alias("upto"),
        (pl.col("chars").sum().over("doc") + pl.len().over("doc") - 1).alias("mass"),
    ).with_columns((pl.col("upto") - pl.col("chars") - 2).alias("before"))
    limit = (f * (2 * pl.col("mass") - 1) - 1) / (1 + f) + 0.5
    prefix = words.filter((pl.col("before") < 0) | (pl.col("before") <= limit)).select("doc", "word")
    work.report(0.5)
    pairs = prefix.join(words.select(pl.col("doc").alias("other"), "word"), on="word").filter(
        pl.col("doc") != pl.col("other")
    )
    a = pairs["doc"].to_numpy()
    b = pairs["other"].to_numpy()
    if allowed is not None:
        left, right = allowed
        keep = (left[a] & right[b]) | (right[a] & left[b])
        a, b = a[keep], b[keep]
    work.report(0.9)
    return sorted_unique(np.minimum(a, b) * n + np.maximum(a, b))
