"""Text normalisation as polars expressions (the vectorised twin of ``curator.core.dedupe.normalise``)."""

from __future__ import annotations

import polars as pl


def normalised(expr: pl.Expr) -> pl.Expr:
    """NFKC, lower-cased, whitespace runs collapsed to one space, trimmed; null counts as ""."""
    return (
        expr.fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def label_key(expr: pl.Expr) -> pl.Expr:
    """What two spellings of one label share: normalised, with punctuation, spaces, '_' and '-' removed."""
    return normalised(expr).str.replace_all(r"[\p{P}\p{S}\s_]+", "")
