"""Detect a file's format and dispatch reads and writes to the format's module."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import BinaryIO

import polars as pl

from curator.core.errors import CuratorError
from curator.core.formats.alpaca import ALPACA_JSON, ALPACA_JSONL
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.common import Problems, encoding_problem, iter_json_lines, iter_json_list
from curator.core.formats.fast import read_fast
from curator.core.formats.gemini import GEMINI_JSON, GEMINI_JSONL
from curator.core.formats.mapped import MAPPED_JSON, MAPPED_JSONL
from curator.core.formats.objects import ObjectFormat
from curator.core.formats.openai_chat import OPENAI_JSON, OPENAI_JSONL, SHAREGPT_JSON, SHAREGPT_JSONL
from curator.core.formats.pairs import PAIRS_JSON
from curator.core.formats.source import BOM, Source
from curator.core.formats.tabular import CSV, PARQUET, TSV
from curator.core.formats.vertex import VERTEX_JSONL
from curator.core.progress import ProgressFn

# Order matters for sniffing: the first format whose sniffer accepts the head wins.
FORMATS = {
    f.name: f
    for f in (
        GEMINI_JSONL,
        VERTEX_JSONL,
        OPENAI_JSONL,
        SHAREGPT_JSONL,
        ALPACA_JSONL,
        MAPPED_JSONL,
        GEMINI_JSON,
        PAIRS_JSON,
        OPENAI_JSON,
        SHAREGPT_JSON,
        ALPACA_JSON,
        MAPPED_JSON,
        CSV,
        TSV,
        PARQUET,
    )
}

# The format chosen for "save as" by file ending.
DEFAULT_FOR_EXTENSION = {
    ".jsonl": "gemini-jsonl",
    ".ndjson": "gemini-jsonl",
    ".json": "gemini-json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

HEAD_BYTES = 64 * 1024


def _first_record_problem(body: bytes, path: str) -> None:
    """Raise what is wrong with the first record of a JSON-looking file (nothing when it parses)."""
    text = body.decode("utf-8", errors="replace").lstrip(" \t\r\n")
    if not text.startswith(("{", "[")):
        return
    problems = Problems(path)
    items = iter_json_list(text, problems) if text.startswith("[") else iter_json_lines(text.split("\n", 1)[0], problems)
    next(items, None)
    if problems:
        first = problems.items[0]
        offset = len(body) - len(body.lstrip(b" \t\r\n"))
        line = body[:offset].count(b"\n") + (first.line or 1)
        raise CuratorError(first.reason, path, line, first.column)


def format_names() -> list[str]:
    """Every format name, for --format choices and help."""
    return list(FORMATS)


def _check_name(fmt: str) -> None:
    if fmt not in FORMATS:
        raise CuratorError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def format_for_extension(path: str | Path) -> str:
    """The format "save as" uses for a path, from its ending."""
    suffix = Path(path).suffix.lower()
    if suffix not in DEFAULT_FOR_EXTENSION:
        known = ", ".join(sorted(DEFAULT_FOR_EXTENSION))
        raise CuratorError(f"cannot tell the format from the ending {suffix or '(none)'!r}; use one of {known}", path)
    return DEFAULT_FOR_EXTENSION[suffix]


def detect_format(path: str | Path, data: bytes) -> str:
    """The format of a file from its ending and first record (however long); a CuratorError saying what is
    wrong when nothing fits."""
    suffix = Path(path).suffix.lower()
    claiming = [f for f in FORMATS.values() if suffix in f.extensions]
    first_line_end = data.find(b"\n", HEAD_BYTES)
    head = data[: first_line_end + 1] if first_line_end != -1 else data
    for attempt in (head, data) if len(head) < len(data) else (head,):
        for fmt in claiming or FORMATS.values():
            if fmt.sniff(attempt):
                return fmt.name
        for fmt in (MAPPED_JSONL, MAPPED_JSON):  # other JSON objects: their fields are named, or the reader asks
            if (not claiming or fmt in claiming) and fmt.sniff_container(attempt):
                return fmt.name
    if claiming and suffix in (".csv", ".tsv", ".tab"):
        return claiming[0].name  # a one-column table still gets a clear mapping error from its reader
    encoding_problem(data, str(path))
    body = data[len(BOM) :] if data.startswith(BOM) else data
    if claiming and not body.strip():
        return claiming[0].name  # empty: the reader reports it
    if body.lstrip().startswith(b"[") and not body.strip()[1:-1].strip() and body.strip().endswith(b"]"):
        return "gemini-json"  # an empty list: an empty dataset
    _first_record_problem(body, str(path))
    raise CuratorError(
        "cannot tell the format of this file; name it with --format "
        f"({', '.join(FORMATS)})",
        path,
        1 if head else None,
        1 if head else None,
    )


_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device"}


def file_bytes(path: Path) -> bytes:
    """The bytes of a regular file; a CuratorError for a link loop, a folder, a pipe (never waited on) or
    any other reason it cannot be read."""
    data, fd = _held_bytes(path)
    os.close(fd)
    return data


def _held_bytes(path: Path) -> tuple[bytes, int]:
    """A regular file's bytes and a descriptor open on it (the caller closes it); errors as ``file_bytes``."""
    try:
        mode = path.stat().st_mode
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise CuratorError("symbolic link loop: the link leads back to itself", path) from None
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    if stat.S_ISDIR(mode):
        raise CuratorError("is a folder, not a file", path)
    if not stat.S_ISREG(mode):
        raise CuratorError(f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'a special file')})", path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced by a pipe between the two looks
            raise CuratorError("not a regular file", path)
        with io.FileIO(fd, closefd=False) as f:
            return f.readall(), fd
    except OSError as e:
        os.close(fd)
        raise CuratorError(f"cannot read the file: {e.strerror or e}", path) from None
    except BaseException:
        os.close(fd)
        raise


def read_file(
    path: str | Path,
    fmt: str | None = None,
    options: FormatOptions | None = None,
    *,
    allow_skipped: bool = False,
    progress: ProgressFn | None = None,
    digest: bool = False,
) -> ReadResult:
    """Read a dataset file; on any problem raise one CuratorError listing every problem found (``progress``
    hears how much of a JSONL file is read; with ``digest`` the result holds the sha256 of the bytes read,
    hashed beside the parsing, without the interpreter lock, rather than by reading the file again).

    When records were read from the file's bytes, their source keeps the file open and reads them from it
    again on demand rather than holding them (a 1M-example file need not stay in memory twice)."""
    path = Path(path)
    data, fd = _held_bytes(path)
    with ThreadPoolExecutor(1) if digest else nullcontext() as pool:
        hashed = pool.submit(lambda: hashlib.sha256(data).hexdigest()) if digest else None
        try:
            if fmt is None:
                fmt = detect_format(path, data)
            result = read_data(data, path, fmt, options or FormatOptions(), allow_skipped=allow_skipped,
                               progress=progress)
        except BaseException:
            os.close(fd)
            raise
        if hashed is not None:
            result.digest = hashed.result()
    if result.source is not None and result.source.data is data:
        result.source.kept_in(fd)
    else:
        os.close(fd)
    return result


def read_data(data: bytes, path: str | Path, fmt: str, options: FormatOptions, *,
              allow_skipped: bool = False, exact: bool = False, progress: ProgressFn | None = None) -> ReadResult:
    """Read a file's bytes (or whole lines from its start) as ``fmt``; fields named in ``options`` map a JSON
    format's objects. In bulk by polars when the file is plainly valid, else (or when ``exact``) by the exact
    reader, which locates every problem."""
    _check_name(fmt)
    fmt = _mapped_instead(fmt, options, Path(path))
    result = None if exact else read_fast(data, str(path), fmt, options, progress, allow_skipped)
    return result or FORMATS[fmt].read(data, str(path), options, allow_skipped=allow_skipped)


def _mapped_instead(fmt: str, options: FormatOptions, path: Path) -> str:
    """With fields named (flags or settings), a JSON format reads through the mapping; a format whose
    records have no named fields refuses the flags rather than ignore them."""
    if not options.maps:
        return fmt
    chosen = FORMATS[fmt]
    if isinstance(chosen, ObjectFormat):
        return MAPPED_JSONL.name if chosen.container == "lines" else MAPPED_JSON.name
    if fmt == PAIRS_JSON.name:
        raise CuratorError("--input-col / --output-col do not apply to pairs-json: its examples are "
                           "[input, output] lists without field names", path)
    return fmt


def lossy_fields(records: pl.DataFrame, fmt: str, options: FormatOptions | None = None) -> list[str]:
    """What writing ``records`` as ``fmt`` (with ``options``) would lose (empty when nothing)."""
    _check_name(fmt)
    return FORMATS[fmt].lossy_fields(records, options)


def write_file(
    records: pl.DataFrame,
    out: BinaryIO,
    fmt: str,
    options: FormatOptions | None = None,
    *,
    allow_lossy: bool = False,
    source: Source | None = None,
) -> Source:
    """Write records in ``fmt`` to an open binary stream (the caller supplies an atomic temp file).

    Refuses, with a CuratorError, a write that would drop data the format cannot hold, unless ``allow_lossy``.
    Given the ``source`` the records were read from, untouched records are copied from it byte for byte (see
    ``curator.core.formats.source``; without options, the source's own are used). Returns the source of
    what was written.
    """
    _check_name(fmt)
    if options is None:
        options = source.options if source is not None and source.format == fmt else FormatOptions()
    if not allow_lossy:
        lost = lossy_fields(records, fmt, options)
        if lost:
            raise CuratorError(
                f"the {fmt} format cannot store {', '.join(lost)}; save in gemini-jsonl (.jsonl) to keep them, "
                "or allow a lossy write"
            )
    if source is not None and not source.fits(fmt, options):
        source = None
    if options.split_names:  # the file's own names of its splits
        records = records.with_columns(pl.col("split").replace(dict(options.split_names)))
    return FORMATS[fmt].write(records, out, options, source)
