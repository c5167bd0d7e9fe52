"""Reading a file too large to hold in memory batch by batch, for the commands that stream it (``stats``).

A JSONL file is cut at line breaks into batches of ``BATCH_BYTES``; each is read by the file's own format
reader, its line numbers shifted to the file's, so a bad line deep in the file still gets its exact place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import HEAD_BYTES, detect_format, read_data
from curator.core.progress import Progress, ProgressFn

BATCH_BYTES = 64 * 1024 * 1024


def _shifted(error: CuratorError, lines: int) -> CuratorError:
    """The error of a batch with its line numbers counted from the start of the file."""
    problems = [dataclasses.replace(p, line=p.line + lines) if p.line is not None else p for p in error.problems]
    return CuratorError.from_problems(problems)


def record_batches(path: str | Path, fmt: str | None = None, options: FormatOptions | None = None,
                   progress: ProgressFn | None = None) -> Iterator[pl.DataFrame]:
    """The records of a JSONL file, a batch at a time (``src_line`` counted from the file's start);
    ``progress`` gets the share of the file read so far."""
    path = Path(path)
    try:
        size = path.stat().st_size
        f = path.open("rb")
    except OSError as e:
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    with f:
        chosen = fmt or detect_format(path, f.read(HEAD_BYTES))
        if not chosen.endswith("-jsonl"):
            raise CuratorError(f"only JSONL files stream; this one is {chosen}: convert it to .jsonl first", path)
        f.seek(0)
        carry, lines, done = b"", 0, 0
        while True:
            chunk = f.read(BATCH_BYTES)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            if chunk and cut == 0:
                carry = data  # a line longer than a batch: read on
                continue
            part, carry = data[:cut], data[cut:]
            if part.strip():
                try:
                    result = read_data(part, path, chosen, options or FormatOptions(), allow_skipped=True)
                except CuratorError as e:
                    raise _shifted(e, lines) from None
                yield result.records.with_columns(pl.col("src_line") + lines)
            lines += part.count(b"\n")
            done += len(part)
            if progress:
                progress(Progress(done / size if size else 1.0, "reading"))
            if not chunk:
                return
