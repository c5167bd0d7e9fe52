"""Reading a file too large to hold in memory batch by batch, for the commands that stream it (``stats``,
``check``, ``convert``).

Every format streams. A JSONL, CSV or TSV file is cut at line breaks into batches of ``BATCH_BYTES`` (a CSV
file where the line break ends a record, outside quotes; each batch after the first gets the header line); each
is read by the file's own format reader, its line numbers shifted to the file's, so a bad line deep in the file
still gets its exact place. A JSON list is cut between its elements (``stream_list``), a Parquet file read a
slice of rows at a time through polars' lazy scan.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import polars as pl

from curator.core.errors import CuratorError, Problem
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.registry import HEAD_BYTES, detect_format, read_data, write_file
from curator.core.formats.source import LIST
from curator.core.model import empty_records
from curator.core.progress import Progress, ProgressFn
from curator.core.stream_list import list_batches

BATCH_BYTES = 64 * 1024 * 1024
PARQUET_SHRINK = 4  # about how much larger than its file a Parquet slice of text is in memory (compressed pages)


def _shifted(problems: list[Problem], lines: int) -> list[Problem]:
    """The problems of a batch with their line numbers counted from the start of the file."""
    return [dataclasses.replace(p, line=p.line + lines) if p.line is not None else p for p in problems]


def streamed(path: str | Path) -> bool:
    """Whether a command reads the file in batches: it is too large to read whole (``loading.is_large``)."""
    from curator.core.loading import is_large

    return is_large(path)


def record_batches(path: str | Path, fmt: str | None = None, options: FormatOptions | None = None,
                   progress: ProgressFn | None = None) -> Iterator[pl.DataFrame]:
    """The records of a file, a batch at a time (``src_line`` counted from the file's start);
    ``progress`` gets the share of the file read so far."""
    return (result.records for result in read_batches(path, fmt, options, progress))


def read_batches(path: str | Path, fmt: str | None = None, options: FormatOptions | None = None,
                 progress: ProgressFn | None = None) -> Iterator[ReadResult]:
    """A file read a batch at a time (module docstring): each batch's records (``src_line`` and the skipped lines'
    places counted from the file's start) and their source (the batch's own, for writing untouched records
    back)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        f = path.open("rb")
    except OSError as e:
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    with f:
        chosen = fmt or detect_format(path, f.read(HEAD_BYTES))
        options = options or FormatOptions()
        if chosen == "parquet":
            yield from _parquet_batches(path, options, progress)
            return
        f.seek(0)
        if chosen.endswith("json"):  # a JSON list
            for result, done in list_batches(f, path, chosen, options, BATCH_BYTES):
                if progress:
                    progress(Progress(done / size if size else 1.0, "reading"))
                yield result
            return
        quoted = chosen == "csv"
        header = _header(f, quoted) if chosen in ("csv", "tsv") and options.header else b""
        f.seek(0)
        carry, lines, done = b"", 0, 0
        while True:
            chunk = f.read(BATCH_BYTES)
            cut = _cut(carry, chunk, quoted)
            if chunk and cut == 0:
                carry += chunk  # a line (or a record) longer than a batch: read on
                continue
            # One copy of a batch at most (each is a fresh 64 MB the system must map: page faults)
            if not chunk:
                part = carry
            elif carry or cut < len(chunk):
                part, carry = b"".join((carry, memoryview(chunk)[:cut])), chunk[cut:]
            else:
                part = chunk
            if part and not part.isspace():
                shift = lines - header.count(b"\n") if lines else 0  # a later batch starts with the header
                try:
                    result = read_data(header + part if lines else part, path, chosen, options, allow_skipped=True)
                except CuratorError as e:
                    raise CuratorError.from_problems(_shifted(e.problems, shift)) from None
                result.records = result.records.with_columns(pl.col("src_line") + shift)
                result.skipped = _shifted(result.skipped, shift)
                options = result.options  # every batch through the fields the first one was read through
                yield result
            lines += part.count(b"\n")
            done += len(part)
            if progress:
                progress(Progress(done / size if size else 1.0, "reading"))
            if not chunk:
                return


def _cut(carry: bytes, chunk: bytes, quoted: bool) -> int:
    """Where ``chunk`` (read after ``carry``, which starts a line) ends its last whole line, 0 when it ends none;
    with ``quoted`` (CSV), a line break inside a quoted value (an odd number of quotes before it) ends none."""
    if not quoted:
        return chunk.rfind(b"\n") + 1
    buffer = np.frombuffer(chunk, dtype=np.uint8)
    quotes, breaks = np.flatnonzero(buffer == ord('"')), np.flatnonzero(buffer == ord("\n"))
    outside = breaks[(np.searchsorted(quotes, breaks) + carry.count(b'"')) % 2 == 0]
    return int(outside[-1]) + 1 if len(outside) else 0


def _header(f: BinaryIO, quoted: bool) -> bytes:
    """The header line of a table (lines, when a quoted name holds a line break)."""
    head = b""
    while chunk := f.read(HEAD_BYTES):
        head += chunk
        buffer = np.frombuffer(head, dtype=np.uint8)
        breaks = np.flatnonzero(buffer == ord("\n"))
        if quoted:
            breaks = breaks[np.searchsorted(np.flatnonzero(buffer == ord('"')), breaks) % 2 == 0]
        if len(breaks):
            return head[: int(breaks[0]) + 1]
    return head + b"\n" if head else b""


def _parquet_batches(path: Path, options: FormatOptions, progress: ProgressFn | None) -> Iterator[ReadResult]:
    """A Parquet file read a slice of rows at a time (polars reads the row groups a slice needs), each slice's
    records numbered as the file's rows."""
    from curator.core.formats.tabular import PARQUET

    try:
        scan = pl.scan_parquet(path)
        total = scan.select(pl.len()).collect().item()
    except Exception as e:  # polars raises several types for a corrupt file
        raise CuratorError(f"not a readable Parquet file: {e}", path) from None
    rows = max(1, int(total * BATCH_BYTES / max(path.stat().st_size, 1) / PARQUET_SHRINK))
    for first in range(0, max(total, 1), rows):
        try:
            frame = scan.slice(first, rows).collect()
        except Exception as e:
            raise CuratorError(f"not a readable Parquet file: {e}", path) from None
        result = PARQUET.records_of(frame, str(path), options, first_row=first + 1)
        options = result.options
        if progress:
            progress(Progress(min(first + rows, total) / total if total else 1.0, "reading"))
        yield result


def writes_in_batches(fmt: str) -> bool:
    """Whether a file of the format can be written a batch at a time (JSONL: one after the other; a JSON list:
    each batch's elements between the first one's opening and the last one's closing; Parquet: batch files
    joined by polars' streaming engine). A table's header needs every record at once."""
    return fmt.endswith(("jsonl", "json")) or fmt == "parquet"


def write_batches(batches: Iterable[ReadResult], out: BinaryIO, fmt: str, *, allow_lossy: bool = False,
                  scratch: str | Path | None = None) -> int:
    """Write the records of ``batches`` (``read_batches``) to ``out`` as ``fmt``, a batch at a time, as
    ``write_file`` writes them read whole; returns how many were written. A lossy write is refused (a
    CuratorError) at the first batch that would lose data, unless ``allow_lossy``. Parquet's batch files go
    in ``scratch`` (default: the system's temporary folder), removed when done."""
    if not writes_in_batches(fmt):
        raise CuratorError(f"a file read in batches is written as JSONL, a JSON list or Parquet, not {fmt}: a "
                           "table needs every example at once")
    if fmt.endswith("json"):
        return _write_list(batches, out, fmt, allow_lossy)
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



def _write_list(batches: Iterable[ReadResult], out: BinaryIO, fmt: str, allow_lossy: bool) -> int:
    """A JSON list written a batch at a time: each batch's elements as ``write_file`` lays them out (copied from
    their source when it fits), the first batch's opening before them all, its separator between two batches,
    the last batch's closing after them all."""
    count, closing, separator = 0, None, LIST.sep
    for result in batches:
        if not result.records.height:
            continue
        written = write_file(result.records, io.BytesIO(), fmt, allow_lossy=allow_lossy, source=result.source)
        starts, ends = written.spans()
        layout = written.layout(LIST)
        out.write(layout.prefix if closing is None else separator)
        out.write(memoryview(written.data)[int(starts[0]) : int(ends[-1])])
        separator, closing = layout.sep, layout.suffix
        count += result.records.height
    if closing is None:
        write_file(pl.DataFrame(schema=empty_records().schema), out, fmt)
    else:
        out.write(closing)
    return count
