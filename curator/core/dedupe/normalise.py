"""The text form near-duplicate search compares: NFKC, lower-case, whitespace runs collapsed, trimmed.

This is the normalisation behind the reference counts in the shared data README, so figures agree.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def normalise(text: str | None) -> str:
    """NFKC, lower-cased, every whitespace run turned into one space, no leading/trailing space.

    ``None`` counts as the empty string.
    """
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def normalise_all(texts: Iterable[str | None]) -> list[str]:
    """``normalise`` over many texts."""
    nfkc = unicodedata.normalize
    return [" ".join(nfkc("NFKC", t).lower().split()) if t else "" for t in texts]
