"""Reading a file too large to hold in memory batch by batch, for the commands that stream it (``stats``,
``check``, ``convert``).

A JSONL file is cut at line breaks into batches of ``BATCH_BYTES``; each is read by the file's own format
reader, its line numbers shifted to the file's, so a bad line deep in the file still gets its exact place.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import polars as pl

from curator.core.errors import CuratorError, Problem
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.registry import HEAD_BYTES, detect_format, read_data, write_file
from curator.core.model import empty_records
from curator.core.progress import Progress, ProgressFn

BATCH_BYTES = 64 * 1024 * 1024


def _shifted(problems: list[Problem], lines: int) -> list[Problem]:
    """The problems of a batch with their line numbers counted from the start of the file."""
    return [dataclasses.replace(p, line=p.line + lines) if p.line is not None else p for p in problems]


def streams(fmt: str) -> bool:
    """Whether files of the format can be read in batches (one example per line, no header: the JSONL formats,
    JSON objects with mapped fields among them)."""
    return fmt.endswith("jsonl")


def format_of(path: str | Path, fmt: str | None = None) -> str:
    """The format of a file, from ``fmt`` or its ending and first bytes."""
    if fmt is not None:
        return fmt
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as e:
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    return detect_format(path, head)


def record_batches(path: str | Path, fmt: str | None = None, options: FormatOptions | None = None,
                   progress: ProgressFn | None = None) -> Iterator[pl.DataFrame]:
    """The records of a JSONL file, a batch at a time (``src_line`` counted from the file's start);
    ``progress`` gets the share of the file read so far."""
    return (result.records for result in read_batches(path, fmt, options, progress))


def read_batches(path: str | Path, fmt: str | None = None, options: FormatOptions | None = None,
                 progress: ProgressFn | None = None) -> Iterator[ReadResult]:
    """A JSONL file read a batch at a time: each batch's records (``src_line`` and the skipped lines' places
    counted from the file's start) and their source bytes (the batch's own, for writing untouched records
    back)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        f = path.open("rb")
    except OSError as e:
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    with f:
        chosen = fmt or detect_format(path, f.read(HEAD_BYTES))
        if not streams(chosen):
            raise CuratorError(f"only JSONL files stream; this one is {chosen}: convert it to .jsonl first", path)
        f.seek(0)
        carry, lines, done = b"", 0, 0
        while True:
            chunk = f.read(BATCH_BYTES)
            cut = chunk.rfind(b"\n") + 1
            if chunk and cut == 0:
                carry += chunk  # a line longer than a batch: read on
                continue
            # One copy of a batch at most (each is a fresh 64 MB the system must map: page faults)
            if not chunk:
                part = carry
            elif carry or cut < len(chunk):
                part, carry = b"".join((carry, memoryview(chunk)[:cut])), chunk[cut:]
            else:
                part = chunk
            if part and not part.isspace():
                try:
                    result = read_data(part, path, chosen, options or FormatOptions(), allow_skipped=True)
                except CuratorError as e:
                    raise CuratorError.from_problems(_shifted(e.problems, lines)) from None
                result.records = result.records.with_columns(pl.col("src_line") + lines)
                result.skipped = _shifted(result.skipped, lines)
                yield result
            lines += part.count(b"\n")
            done += len(part)
            if progress:
                progress(Progress(done / size if size else 1.0, "reading"))
            if not chunk:
                return


def writes_in_batches(fmt: str) -> bool:
    """Whether a file of the format can be written a batch at a time (JSONL: one after the other; Parquet: batch
    files joined by polars' streaming engine). A table's header and a JSON list need every record at once."""
    return streams(fmt) or fmt == "parquet"


def write_batches(batches: Iterable[ReadResult], out: BinaryIO, fmt: str, *, allow_lossy: bool = False,
                  scratch: str | Path | None = None) -> int:
    """Write the records of ``batches`` (``read_batches``) to ``out`` as ``fmt``, a batch at a time, as
    ``write_file`` writes them read whole; returns how many were written. A lossy write is refused (a
    CuratorError) at the first batch that would lose data, unless ``allow_lossy``. Parquet's batch files go
    in ``scratch`` (default: the system's temporary folder), removed when done."""
    if not writes_in_batches(fmt):
        raise CuratorError(f"a file read in batches is written as JSONL or Parquet, not {fmt}: they need every "
                           "example at once")
    count = 0
    if fmt == "parquet":
        with tempfile.TemporaryDirectory(prefix=".curator-convert-", dir=scratch) as folder:
            parts = []
            for k, result in enumerate(batches):
                parts.append(Path(folder) / f"{k:06}.parquet")
                with parts[-1].open("wb") as part:
                    write_file(result.records, part, fmt, allow_lossy=allow_lossy, source=result.source)
                count += result.records.height
            if parts:
                pl.concat([pl.scan_parquet(p) for p in parts], how="diagonal_relaxed").sink_parquet(
                    out, statistics=False)
            else:
                write_file(pl.DataFrame(schema=empty_records().schema), out, fmt)
        return count
    for result in batches:
        buffer = io.BytesIO()
        write_file(result.records, buffer, fmt, allow_lossy=allow_lossy, source=result.source)
        out.write(buffer.getbuffer())
        count += result.records.height
    return count

