"""Differences between two texts, for highlighting: character level (near-duplicates) and word level
(model outputs against the expected output)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

Span = tuple[int, int]

_WORDS = re.compile(r"\S+|\s+")


def char_diff(a: str, b: str) -> tuple[list[Span], list[Span]]:
    """Spans of ``a`` and of ``b`` that differ (replaced, deleted or inserted characters)."""
    spans_a, spans_b = [], []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            spans_a.append((i1, i2))
        if j2 > j1:
            spans_b.append((j1, j2))
    return spans_a, spans_b


def word_diff(expected: str, actual: str) -> list[Span]:
    """Character spans of the words of ``actual`` that are not matched in ``expected``."""
    exp = _WORDS.findall(expected)
    act = _WORDS.findall(actual)
    starts, pos = [], 0
    for token in act:
        starts.append(pos)
        pos += len(token)
    spans = []
    for tag, _, _, j1, j2 in SequenceMatcher(None, exp, act, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            for k in range(j1, j2):
                if not act[k].isspace():
                    spans.append((starts[k], starts[k] + len(act[k])))
    return spans
