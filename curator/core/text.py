"""Text normalisation as polars expressions (the vectorised twin of ``curator.core.dedupe.normalise``)."""

from __future__ import annotations

import polars as pl

# The ASCII characters Unicode calls white space besides the space itself (what ``\s`` matches below 0x80).
_ASCII_SPACE = r"[\t\n\x0b\x0c\r]"


def normalised(expr: pl.Expr) -> pl.Expr:
    """NFKC, lower-cased, whitespace runs collapsed to one space, trimmed; null counts as ""."""
    return (
        expr.fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def normalised_series(texts: pl.Series) -> pl.Series:
    """``normalised`` over a Series, several times faster on mostly-ASCII text (the usual case).

    NFKC leaves ASCII alone and ASCII white space is six characters, so ASCII texts only need lower-casing and
    a literal replacement; the general expression runs only on the texts that are not ASCII or hold a run of
    spaces (at 1M templated texts: ~0.3 s instead of ~4 s).
    """
    texts = texts.fill_null("")
    out = texts.str.to_lowercase().str.replace_all(_ASCII_SPACE, " ")
    hard = (texts.str.len_bytes() != texts.str.len_chars()) | out.str.contains("  ", literal=True)
    rows = hard.arg_true()
    if rows.len():
        fixed = texts.gather(rows).to_frame("t").select(normalised(pl.col("t")))["t"]
        out = out.scatter(rows, fixed)
    return out.str.strip_chars().alias(texts.name)


def label_key(expr: pl.Expr) -> pl.Expr:
    """What two spellings of one label share: normalised, with punctuation, spaces, '_' and '-' removed."""
    return normalised(expr).str.replace_all(r"[\p{P}\p{S}\s_]+", "")
