"""Fingerprints of examples, to find again the examples a tuning job was trained on after the dataset moved on
(reloaded, edited, re-ordered): 8 bytes of BLAKE2b over input, output and system instruction.

    blob = fingerprints(prepared.train)          # one per training-file line, in order, kept with the job
    ids = find_examples(dataset.active(), [fingerprint_at(blob, line) for line in dropped_lines])
"""

from __future__ import annotations

import hashlib

import polars as pl

SIZE = 8
_SEP = "\x1f"


def _digest(text_input: str | None, output: str | None, system: str | None) -> bytes:
    key = _SEP.join((text_input or "", output or "", system or ""))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=SIZE).digest()


def fingerprints(frame: pl.DataFrame) -> bytes:
    """The fingerprints of ``frame``'s rows (columns text_input, output, system), concatenated in row order."""
    return b"".join(_digest(*row) for row in frame.select("text_input", "output", "system").iter_rows())


def fingerprint_at(blob: bytes, line: int) -> bytes | None:
    """The fingerprint of the 1-based ``line`` of a training file, or None past its end."""
    start = (line - 1) * SIZE
    return blob[start : start + SIZE] if line >= 1 and start + SIZE <= len(blob) else None


def find_examples(frame: pl.DataFrame, wanted: list[bytes]) -> dict[bytes, list[int]]:
    """Fingerprint -> ids of the rows of ``frame`` (with an id column) that have it; fingerprints no row has
    are left out (those examples were edited or deleted since)."""
    targets = set(wanted)
    found: dict[bytes, list[int]] = {}
    for example_id, *row in frame.select("id", "text_input", "output", "system").iter_rows():
        digest = _digest(*row)
        if digest in targets:
            found.setdefault(digest, []).append(example_id)
    return found
