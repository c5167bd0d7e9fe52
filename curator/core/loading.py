"""Opening a file for the app in two steps: its first examples at once, then the whole file.

A line-based file (the JSONL formats, CSV, TSV) can be cut at a line break: its first megabyte is read by the
file's own format reader and shown while the whole file loads. Files too large to hold in memory are told
apart before reading (``is_large``): the app offers the command line or the first examples as a sample.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import polars as pl

from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.registry import FORMATS, HEAD_BYTES, detect_format, read_data, read_file
from curator.core.settings import read_options

HEAD_SIZE = 1024 * 1024  # bytes read for the first screen (~2,500 examples of 400 bytes)
LARGE_SIZE = 1024**3  # a file above this is large: ~2.7M examples of 400 bytes, ~4 GB in memory
MEMORY_PER_BYTE = 3  # about what opening a file whole holds in memory, per byte of the file
PARQUET_RATIO = 6  # a Parquet file of text holds about this many bytes of JSONL per byte (compressed pages)
SAMPLE_ROWS = 500_000  # how many examples "open a sample" reads from a large file


def is_line_based(fmt: str) -> bool:
    """Whether a format holds one example per line, so any line break cuts it into two valid files."""
    return fmt.endswith("jsonl") or fmt in ("csv", "tsv")


def is_large(path: str | Path) -> bool:
    """Whether the file is too large to open whole in the app (the command line streams it): larger than
    ``LARGE_SIZE``, or needing more memory than is available (``estimated_memory``), told before reading (a
    Parquet file counted as the JSONL it holds)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return False  # a pipe is never opened here (nothing may ever write to it): the reader says what it is
        size = info.st_size
        with open(path, "rb") as f:
            if f.read(4) == b"PAR1":
                size *= PARQUET_RATIO
    except OSError:
        return False
    available = available_memory()
    return size > LARGE_SIZE or (available is not None and estimated_memory(size) > available)


def estimated_memory(size: int) -> int:
    """Bytes of memory a file of ``size`` bytes takes opened whole."""
    return size * MEMORY_PER_BYTE


def available_memory() -> int | None:
    """Bytes of memory available to a new process without swapping (Linux's MemAvailable); None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _format_of(path: Path, head: bytes, fmt: str | None) -> str | None:
    if fmt is not None:
        return fmt if fmt in FORMATS else None
    try:
        return detect_format(path, head[:HEAD_BYTES])
    except CuratorError:
        return None


def _read_lines(path: Path, fmt: str | None, options: FormatOptions | None, head: bytes) -> ReadResult | None:
    """Parse ``head`` (whole lines from the start of ``path``) with the file's reader; None when it cannot."""
    chosen = _format_of(path, head, fmt)
    if chosen is None or not is_line_based(chosen) or not head.strip():
        return None
    try:
        return read_data(head, path, chosen, read_options(path, options), allow_skipped=True)
    except CuratorError:
        return None  # e.g. a CSV cell with a line break cut in two: the whole read reports real problems


def read_head(path: str | Path, fmt: str | None = None, options: FormatOptions | None = None) -> ReadResult | None:
    """The examples in the first ``HEAD_SIZE`` bytes of a line-based file larger than that, for the first screen.

    None when the whole file is that small (reading it all is as quick), when its format cannot be cut at a
    line break (JSON lists, Parquet), or when the head does not read on its own.
    """
    path, size = Path(path), HEAD_SIZE
    try:
        with path.open("rb") as f:
            data = f.read(size + 1)
    except OSError:
        return None
    if len(data) <= size:
        return None
    end = data.rfind(b"\n", 0, size)
    return _read_lines(path, fmt, options, data[: end + 1]) if end > 0 else None


def read_sample(path: str | Path, rows: int, fmt: str | None = None,
                options: FormatOptions | None = None) -> ReadResult:
    """The first ``rows`` examples of a file, read as a dataset: a sample of a file too large to open. Every format
    streams, so only the batches of ``stream.read_batches`` that hold them are read."""
    from curator.core.stream import read_batches

    path = Path(path)
    parts, skipped, first = [], [], None
    for batch in read_batches(path, fmt, read_options(path, options)):
        first = first or batch
        parts.append(batch.records.head(rows - sum(part.height for part in parts)))
        skipped += batch.skipped
        if sum(part.height for part in parts) >= rows:
            break
    if first is None:  # no example at all: the whole read says what the file is
        return read_file(path, fmt, read_options(path, options), allow_skipped=True)
    return ReadResult(pl.concat(parts), first.format, first.options, skipped, mapping=first.mapping)
