"""The bytes a file was read from, and where each record sits in them.

A reader returns a ``Source`` beside the records; a writer given it writes every untouched record back from
its source bytes (so explicit default fields, key order, escapes and number spelling survive) and serialises
only the records that changed or were added. Records say where they came from with two optional columns:

- ``src``: the record's index in the source (null for an added record);
- ``changed``: the record was edited since it was read (it is serialised, starting from its source object).

Runs of untouched records that are neighbours in the source are copied in one slice, gaps included, so a save
with k edits costs k + 1 copies whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

import json

import numpy as np
import polars as pl

from curator.core.formats.base import FormatOptions
from curator.core.formats.common import skip_ws

Spans = tuple[np.ndarray, np.ndarray]
BOM = b"\xef\xbb\xbf"


@dataclass
class Layout:
    """What goes before the first record, between two records and after the last, when a file has none to copy."""

    prefix: bytes
    sep: bytes
    suffix: bytes


LINES = Layout(b"", b"\n", b"\n")  # JSONL
LIST = Layout(b"[\n  ", b",\n  ", b"\n]\n")  # a JSON list, one element per line


class Source:
    """A file's bytes with the byte span ``[start, end)`` of each record (computed on first use when
    ``locate`` is given instead of spans). ``names`` are a table's column names; ``table`` is a Parquet
    file's own frame (its rows are copied as values, not bytes)."""

    def __init__(
        self,
        fmt: str,
        options: FormatOptions,
        data: bytes = b"",
        spans: Spans | None = None,
        locate: Callable[[bytes], Spans] | None = None,
        names: list[str] | None = None,
        table: pl.DataFrame | None = None,
    ) -> None:
        self.format, self.options, self.data = fmt, options, data
        self._spans, self._locate = spans, locate
        self.names, self.table = names, table

    def spans(self) -> Spans:
        if self._spans is None:
            assert self._locate is not None
            self._spans = self._locate(self.data)
        return self._spans

    def __len__(self) -> int:
        if self.table is not None:
            return self.table.height
        return len(self.spans()[0])

    def text(self, index: int) -> bytes:
        """The source bytes of one record."""
        starts, ends = self.spans()
        return self.data[int(starts[index]) : int(ends[index])]

    def layout(self, default: Layout) -> Layout:
        """The file's own prefix, separator and suffix (the default's where the file shows none)."""
        starts, ends = self.spans()
        if not len(starts):
            return default
        sep = self.data[int(ends[0]) : int(starts[1])] if len(starts) > 1 else default.sep
        return Layout(self.data[: int(starts[0])], sep, self.data[int(ends[-1]) :])

    def fits(self, fmt: str, options: FormatOptions) -> bool:
        """Whether a write in ``fmt`` with ``options`` can copy records from this source."""
        return fmt == self.format and options == self.options


def provenance(records: pl.DataFrame, source: Source | None) -> tuple[np.ndarray, np.ndarray]:
    """(source index or -1, changed) for each record, from the optional ``src`` / ``changed`` columns.

    Records without a ``src`` column are taken to be the source's own records, in order, unchanged."""
    n = records.height
    if source is None:
        src = np.full(n, -1, dtype=np.int64)
    elif "src" in records.columns:
        src = records["src"].fill_null(-1).to_numpy().astype(np.int64)
    else:
        src = np.arange(n, dtype=np.int64) if n == len(source) else np.full(n, -1, dtype=np.int64)
    changed = (
        records["changed"].fill_null(True).to_numpy().astype(bool)
        if "changed" in records.columns
        else np.zeros(n, dtype=bool)
    )
    return src, changed


def write_spliced(
    records: pl.DataFrame,
    out: BinaryIO,
    source: Source | None,
    default: Layout,
    serialise: Callable[[dict[str, Any], bytes | None], bytes],
    fmt: str,
    options: FormatOptions,
) -> Source:
    """Write records: untouched ones from ``source``, the rest through ``serialise(row, source bytes or None)``.

    Returns the source of the file written, so the next save can copy from it in turn.
    """
    src, changed = provenance(records, source)
    n = records.height
    copied = (src >= 0) & ~changed
    layout = source.layout(default) if source is not None else default
    starts, ends = source.spans() if source is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    data = memoryview(source.data) if source is not None else memoryview(b"")

    follows = np.zeros(n, dtype=bool)  # copied together with the record before it
    if n > 1:
        follows[1:] = copied[1:] & copied[:-1] & (src[1:] == src[:-1] + 1)
    piece_starts = np.flatnonzero(~follows)
    piece_ends = np.append(piece_starts[1:], n)

    serialised_rows = np.flatnonzero(~copied)
    rows = iter(records[serialised_rows.tolist()].iter_rows(named=True)) if len(serialised_rows) else iter(())

    new_starts = np.zeros(n, dtype=np.int64)
    new_ends = np.zeros(n, dtype=np.int64)
    pieces: list[bytes | memoryview] = [layout.prefix]
    offset = len(layout.prefix)
    for k, (a, b) in enumerate(zip(piece_starts.tolist(), piece_ends.tolist())):
        if k:
            gap = layout.sep
            if src[a] >= 0 and src[a - 1] >= 0 and src[a] == src[a - 1] + 1:  # neighbours in the source
                gap = data[int(ends[src[a - 1]]) : int(starts[src[a]])]
            pieces.append(gap)
            offset += len(gap)
        if copied[a]:
            first, last = src[a], src[b - 1]
            base = int(starts[first])
            pieces.append(data[base : int(ends[last])])
            new_starts[a:b] = starts[src[a:b]] - base + offset
            new_ends[a:b] = ends[src[a:b]] - base + offset
            offset += int(ends[last]) - base
        else:
            original = bytes(data[int(starts[src[a]]) : int(ends[src[a]])]) if src[a] >= 0 else None
            text = serialise(next(rows), original)
            pieces.append(text)
            new_starts[a], new_ends[a] = offset, offset + len(text)
            offset += len(text)
    if n:
        pieces.append(layout.suffix)
    written = b"".join(pieces)
    out.write(written)
    return Source(fmt, options, written, (new_starts, new_ends))


def line_spans(data: bytes) -> Spans:
    """Spans of every line of ``data`` (line k at index k - 1, without its ``\\n`` or ``\\r\\n``), found in C-speed chunks."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    chunk = 1 << 24
    found = [np.flatnonzero(buffer[i : i + chunk] == 10) + i for i in range(0, len(buffer), chunk)]
    newlines = np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [len(data)])).astype(np.int64)
    if data.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    if data.startswith(BOM) and len(starts):
        starts[0] = len(BOM)
    if len(buffer):
        ends = ends - ((ends > starts) & (buffer[np.maximum(ends - 1, 0)] == 13))
    return starts, ends


def filled_lines(data: bytes, spans: Spans) -> np.ndarray:
    """Which of the lines are not blank (what a JSONL reader reads)."""
    starts, ends = spans
    if not len(starts):
        return np.zeros(0, dtype=bool)
    buffer = np.frombuffer(data, dtype=np.uint8)
    filled = (ends > starts) & (buffer[np.minimum(starts, len(buffer) - 1)] > 32)
    for i in np.flatnonzero((ends > starts) & ~filled).tolist():
        filled[i] = bool(data[int(starts[i]) : int(ends[i])].strip())
    return filled


def record_spans(data: bytes, src_lines: np.ndarray) -> Spans:
    """Spans of the records of a one-record-per-line file, from their 1-based line numbers."""
    starts, ends = line_spans(data)
    return starts[src_lines - 1], ends[src_lines - 1]


def lines_source(fmt: str, options: FormatOptions, data: bytes, src_lines: pl.Series) -> Source:
    """The source of a one-record-per-line file whose records were read from lines ``src_lines``."""
    numbers = src_lines.to_numpy().astype(np.int64)
    return Source(fmt, options, data, locate=lambda d: _pick(line_spans(d), numbers - 1))


def list_source(fmt: str, options: FormatOptions, data: bytes, ordinals: Iterable[int]) -> Source:
    """The source of a JSON list whose records are the elements at ``ordinals`` (spans found on first use)."""
    wanted = np.fromiter(ordinals, dtype=np.int64)
    return Source(fmt, options, data, locate=lambda d: _pick(list_spans(d), wanted))


def _pick(spans: Spans, index: np.ndarray) -> Spans:
    return spans[0][index], spans[1][index]


def list_spans(data: bytes) -> Spans:
    """Spans of the elements of a well-formed top-level JSON list."""
    bom = len(BOM) if data.startswith(BOM) else 0
    text = data[bom:].decode("utf-8")
    decoder = json.JSONDecoder()
    starts: list[int] = []
    ends: list[int] = []
    pos = skip_ws(text, skip_ws(text, 0) + 1)  # past "["
    while pos < len(text) and text[pos] != "]":
        _, end = decoder.raw_decode(text, pos)
        starts.append(pos)
        ends.append(end)
        pos = skip_ws(text, end)
        if text.startswith(",", pos):
            pos = skip_ws(text, pos + 1)
    if text.isascii():
        return np.asarray(starts, np.int64) + bom, np.asarray(ends, np.int64) + bom
    return _byte_offsets(text, starts, bom), _byte_offsets(text, ends, bom)


def _byte_offsets(text: str, offsets: list[int], base: int) -> np.ndarray:
    """UTF-8 byte offsets of increasing character offsets in ``text``."""
    out = np.empty(len(offsets), dtype=np.int64)
    byte, prev = base, 0
    for i, pos in enumerate(offsets):
        byte += len(text[prev:pos].encode("utf-8"))
        out[i], prev = byte, pos
    return out
