"""A top-level JSON list read a batch of elements at a time, for the commands that stream a file.

The file is read ``stream.BATCH_BYTES`` at a time and each chunk scanned once, in bulk, for the commas that
part the list's elements (``formats.source.Scanner``, its state carried from chunk to chunk). Each batch is
its elements' bytes as they are in the file, the comma before them turned into ``[`` and the one after into
``]``: a JSON list the format's own reader reads (in bulk when it is plainly valid), its lines and, on its first
line, its columns shifted to the file's. When each element sits on one line, the batch is read as those lines by
the format's JSONL reader first (``_as_lines``: several times faster), the list's reader judging any problem.
A broken element gets the place the file read whole gives it: up to the first byte the JSON reader refuses,
the scanner reads the file as JSON does, so no batch ends before it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from curator.core.errors import CuratorError, Problem
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.source import BOM, Scanner, Source, element_spans

_WHITE = b" \t\r\n"
HELD_BATCHES = 4  # bytes without an element's end, in batches, before they are read to say where the JSON breaks


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a byte of a file is: the line breaks before it, its 1-based column in characters (as the readers
    count them) and in bytes (as a "not UTF-8" problem counts them)."""

    lines: int = 0
    column: int = 1
    byte_column: int = 1


def _chars(buffer: np.ndarray) -> int:
    """The UTF-8 characters in ``buffer``: its bytes that are not continuation bytes."""
    return int(np.count_nonzero((buffer & 0xC0) != 0x80))


class Places:
    """The ``Place`` of bytes of a file read chunk by chunk (``advance`` after each chunk)."""

    def __init__(self, bom: bool) -> None:
        self.offset = 0  # the current chunk's offset in the file
        self.lines = 0  # line breaks before the current chunk
        self.line_start = len(BOM) if bom else 0  # where the current line starts (a byte-order mark is not text)
        self.chars = 0  # characters from the line's start to the current chunk's

    def at(self, chunk: bytes, k: int) -> Place:
        """The place of byte ``k`` of the current chunk."""
        buffer = np.frombuffer(chunk, dtype=np.uint8)
        newline = chunk.rfind(b"\n", 0, k)
        lines = self.lines + chunk.count(b"\n", 0, k)
        if newline >= 0:
            start, chars = self.offset + newline + 1, _chars(buffer[newline + 1 : k])
        else:
            start = self.line_start
            chars = self.chars + _chars(buffer[max(start - self.offset, 0) : k])
        return Place(lines, chars + 1, self.offset + k - start + 1)

    def advance(self, chunk: bytes) -> None:
        end = self.at(chunk, len(chunk))
        self.lines, self.chars = end.lines, end.column - 1
        self.line_start = self.offset + len(chunk) - end.byte_column + 1
        self.offset += len(chunk)


def _moved(problems: list[Problem], place: Place) -> list[Problem]:
    """The problems of a batch read from ``place`` on (its first byte, ``[``, standing for the comma there)
    with their places in the file."""
    out = []
    for p in problems:
        if p.line is None:
            out.append(p)
            continue
        column = p.column
        if p.line == 1 and column is not None:
            column += (place.byte_column if p.reason.startswith("not UTF-8") else place.column) - 1
        out.append(dataclasses.replace(p, line=p.line + place.lines, column=column))
    return out


def list_batches(f: BinaryIO, path: Path, fmt: str, options: FormatOptions,
                 batch_bytes: int) -> Iterator[tuple[ReadResult, int]]:
    """The records of the JSON list in ``f`` (read from its start), a batch of elements at a time (module
    docstring), their ``src_line`` and problems placed in the file, each with how many bytes are read so far.
    Every batch is read through the fields the first one was read through."""
    from curator.core.formats.registry import read_data

    def read(pieces: list[bytes], place: Place | None, bounds: tuple | None) -> ReadResult:
        nonlocal options
        data = b"".join(pieces)
        result = _as_lines(data, bounds, path, fmt, options) if bounds is not None else None
        if result is None:
            try:
                result = read_data(data, path, fmt, options, allow_skipped=True)
            except CuratorError as e:
                raise CuratorError.from_problems(_moved(e.problems, place) if place else e.problems) from None
        if place is not None:
            result.records = result.records.with_columns(result.records["src_line"] + place.lines)
            result.skipped = _moved(result.skipped, place)
        options = result.options
        return result

    chunk = f.read(batch_bytes)
    body = chunk[len(BOM) :] if chunk.startswith(BOM) else chunk
    if not body.lstrip(_WHITE).startswith(b"["):
        read([chunk], None, None)  # not a list: the reader says what it is
        raise CuratorError("expected a JSON list of examples at the top level", path, 1, 1)
    opening = len(chunk) - len(body.lstrip(_WHITE))  # where the list opens in the current batch
    scanner, places = Scanner(), Places(chunk.startswith(BOM))
    pieces: list[bytes] = []  # the current batch's bytes read so far (no comma between elements among them)
    place = None  # where the current batch starts (None: at the file's start)
    while chunk:
        held = sum(map(len, pieces))
        commas, closing = scanner.scan(chunk)
        if closing is not None:
            after = _after(chunk[closing + 1 :], f, batch_bytes)
            pieces.append(chunk[: closing + 1])
            bounds = (opening, commas + held, held + closing) if not b"".join(after).strip() else None
            yield read(pieces + after, place, bounds), f.tell()
            return
        if commas.size:
            cut = int(commas[-1])
            result = read([*pieces, chunk[:cut], b"]"], place, (opening, commas[:-1] + held, held + cut))
            place, pieces, opening = places.at(chunk, cut), [b"[", chunk[cut + 1 :]], 0
            yield result, places.offset + cut
        elif held + len(chunk) > HELD_BATCHES * batch_bytes:  # no element ends: a string left open, most likely
            read([*pieces, chunk], place, None)  # where the JSON breaks; the same place as in the whole file
            raise CuratorError(f"a list element longer than {HELD_BATCHES * batch_bytes / 2**20:,.0f} MB", path,
                               place.lines + 1 if place else 1)
        else:
            pieces.append(chunk)
        places.advance(chunk)
        chunk = f.read(batch_bytes)
    yield read(pieces, place, None), f.tell()  # the list does not close: the reader says where it breaks


def _as_lines(data: bytes, bounds: tuple, path: Path, fmt: str, options: FormatOptions) -> ReadResult | None:
    """A batch whose every element sits on one line, read as those lines by the format's JSONL reader
    (polars' line reader takes a fraction of the time of its JSON list reader), ``src_line`` the elements'
    lines in the batch; None when an element spans lines, the format has no JSONL twin, or the lines do not
    read without a word (the list's own reader then says where and what)."""
    from curator.core.formats.registry import FORMATS, read_data

    if fmt + "l" not in FORMATS:
        return None
    starts, ends = element_spans(data, *bounds)
    if not len(starts) or (ends <= starts).any():
        return None
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    before = np.searchsorted(newlines, starts)
    if (np.searchsorted(newlines, ends) != before).any():
        return None
    text = b"\n".join([data[a:b] for a, b in zip(starts.tolist(), ends.tolist())])
    try:
        result = read_data(text, path, fmt + "l", options, allow_skipped=True)
    except CuratorError:
        return None
    if result.skipped or result.records.height != len(starts):
        return None
    lines = pl.Series("src_line", before + 1, dtype=pl.Int64)
    result.records = result.records.with_columns(lines.gather(result.records["src_line"] - 1))
    result.format = result.format.removesuffix("l")
    result.source = Source(result.format, result.options, data, (starts, ends))
    return result


def _after(rest: bytes, f: BinaryIO, batch_bytes: int) -> list[bytes]:
    """What follows the list's closing bracket, up to its first byte that is not white space (which the
    reader reports) or the end of the file."""
    pieces = []
    while rest:
        text = rest.lstrip(_WHITE)
        if text:
            pieces.append(rest[: len(rest) - len(text) + 1])
            break
        pieces.append(rest)
        rest = f.read(batch_bytes)
    return pieces
