"""The fast path: valid files read by polars' native readers (JSONL, JSON lists, CSV/TSV, Parquet).

``read_fast`` returns the same ``ReadResult`` the exact reader would, source bytes included, or None when the
file is not plainly valid (a polars error, a value the exact reader would refuse, a line polars and Python
would read differently); then ``registry.read_file`` runs the exact reader, which names every problem's
line and column. Tests keep the two agreeing on every fixture and on the fuzz corpus.
"""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.columns import Fields, split_names, to_records
from curator.core.formats.common import encoding_problem
from curator.core.formats.source import BOM, Source, filled_lines, line_spans, list_spans
from curator.core.progress import Progress, ProgressFn

# Formats whose records are flat objects, and the fields that make their examples.
_OBJECT_FIELDS = {
    "gemini-jsonl": Fields("text_input", "output"),
    "gemini-json": Fields("text_input", "output"),
    "alpaca-jsonl": Fields("instruction", "output", joined="input"),
    "alpaca-json": Fields("instruction", "output", joined="input"),
}
# polars reads a lone surrogate escape as U+0000 without a word: such files go to the exact reader. A pair (an
# emoji written as two escapes) reads right; an escaped backslash before one makes the pairing unsure.
_SURROGATE_ESCAPE = re.compile(rb"\\(?:u[dD]|U)")  # one pass over the file (three `in` tests took 0.9 s at 1M)


def _lone_surrogate(data: bytes) -> bool:
    """Whether a surrogate escape is not one half of a high-low pair (or its pairing is unsure)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    at = np.flatnonzero(raw[:-5] == ord("\\"))
    at = at[np.isin(raw[at + 1], list(b"uU")) & np.isin(raw[at + 2], list(b"dD"))
            & np.isin(raw[at + 3], list(b"89abcdefABCDEF"))]
    escapes = at.tolist()
    k = 0
    while k < len(escapes):
        start = escapes[k]
        if data[start - 1 : start] == b"\\" or data[start + 3 : start + 4] not in b"89abAB":
            return True  # an escaped backslash before it (unsure), or a low half first
        if k + 1 == len(escapes) or escapes[k + 1] != start + 6 or data[start + 9 : start + 10] in b"89abAB":
            return True  # a high half not followed by a low one
        k += 2
    return False


try:  # polars' Rust panics surface as this BaseException subclass
    from polars.exceptions import PanicException
except ImportError:  # pragma: no cover
    PanicException = Exception  # type: ignore[misc,assignment]


CHUNK_BYTES = 16 * 1024 * 1024  # a JSONL file is read this much at a time: progress, and a small working set (32 MB: 60 MB more at 1M)
READERS = 2  # chunks read at once


def read_fast(data: bytes, path: str, fmt: str, options: FormatOptions,
              progress: ProgressFn | None = None) -> ReadResult | None:
    """The file read in bulk, or None when the exact reader must read it. ``progress`` hears how much of a
    JSONL file is read."""
    try:
        encoding_problem(data, path)  # raises: the exact reader says it
        if fmt in _OBJECT_FIELDS:
            return _objects(data, fmt, options, progress)
        if fmt in ("csv", "tsv"):
            return _delimited(data, path, fmt, options)
    except (Exception, PanicException):  # any polars failure means: let the exact reader judge the file
        return None
    return None


def _objects(data: bytes, fmt: str, options: FormatOptions, progress: ProgressFn | None) -> ReadResult | None:
    if _SURROGATE_ESCAPE.search(data) and _lone_surrogate(data):
        return None
    if fmt.endswith("-jsonl"):
        return _lines(data, fmt, options, progress)
    body = data[len(BOM) :] if data.startswith(BOM) else data
    if not body.lstrip().startswith(b"["):
        return None
    raw = pl.read_json(body, infer_schema_length=None)
    starts, ends = list_spans(data)
    if len(starts) != raw.height or not raw.height:
        return None
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    src_line = np.searchsorted(newlines, starts) + 1
    records = _records(raw, data, starts, ends, src_line, fmt)
    if records is None:
        return None
    options = options.with_split_names(split_names(raw))
    return ReadResult(records, fmt, options, source=Source(fmt, options, data, (starts, ends)))


def _lines(data: bytes, fmt: str, options: FormatOptions, progress: ProgressFn | None) -> ReadResult | None:
    """A JSONL file, ``CHUNK_BYTES`` of whole lines at a time, two chunks at once (polars reads one chunk on
    one core, without the interpreter lock; its frame of a chunk is all the room a read takes beside the
    records)."""
    spans = line_spans(data)
    filled = filled_lines(data, spans)
    line_starts = spans[0]
    bounds = [0, *np.searchsorted(line_starts, np.arange(CHUNK_BYTES, len(data), CHUNK_BYTES)).tolist(),
              len(line_starts)]

    def chunk(first: int, last: int) -> tuple[pl.DataFrame | None, dict[str, str], int]:
        """The records of lines ``first`` to ``last`` (None when the exact reader must read them), the
        split names they use and where the chunk ends in the file."""
        end = int(line_starts[last]) if last < len(line_starts) else len(data)
        rows = np.flatnonzero(filled[first:last]) + first
        if not len(rows):
            return pl.DataFrame(), {}, end
        start = int(line_starts[first])  # past a byte-order mark on the first line
        part = data[start:end]
        raw = pl.read_ndjson(part, schema=schema) if schema else pl.read_ndjson(part, infer_schema_length=None)
        if len(rows) != raw.height:
            return None, {}, end
        quotes = 4 * len(schema) if schema else None
        return (_records(raw, data, spans[0][rows], spans[1][rows], rows + 1, fmt, quotes), split_names(raw),
                end)

    schema = _text_keys(data, line_starts, filled)
    parts, names = [], {}
    pool = ThreadPoolExecutor(READERS)
    try:
        for records, split, end in pool.map(chunk, *zip(*[(a, b) for a, b in zip(bounds, bounds[1:]) if a != b])):
            if records is None:
                return None
            if records.height:
                parts.append(records)
            for key, name in split.items():  # the file's first name of each split
                names.setdefault(key, name)
            if progress is not None:
                progress(Progress(end / len(data), "reading"))
    finally:
        pool.shutdown(cancel_futures=True)  # after a chunk the exact reader must read, the rest are not started
    if not parts:
        return None
    starts, ends = spans[0][filled], spans[1][filled]
    records = pl.concat(parts) if len(parts) > 1 else parts[0]
    options = options.with_split_names(names)
    return ReadResult(records, fmt, options, source=Source(fmt, options, data, (starts, ends)))


SAMPLE_LINES = 1000  # lines whose keys are taken as every line's, when all their values are text


def _text_keys(data: bytes, line_starts: np.ndarray, filled: np.ndarray) -> dict | None:
    """The keys of the first lines when every one of their values is text: the schema the other lines are read
    with (inferring it from every line took polars as long again as reading them). A line holding other keys
    holds another count of unescaped quotes than four a key, and is decoded on its own (``_quote_counts``)."""
    sample = np.flatnonzero(filled[: SAMPLE_LINES + 1])
    if len(sample) < 2:
        return None
    end = int(line_starts[sample[-1]])
    schema = pl.read_ndjson(data[int(line_starts[sample[0]]) : end], infer_schema_length=None).schema
    return dict(schema) if all(dtype == pl.String for dtype in schema.values()) else None


def _quote_counts(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The unescaped double quotes of each span, -1 where a quote follows an escaped backslash (unsure)."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    lo, hi = int(starts[0]), int(ends[-1])
    piece = 1 << 23  # compared a piece at a time: a mask of the whole chunk costs more in page faults than in work
    at = np.concatenate([np.flatnonzero(buffer[i : min(i + piece, hi)] == ord('"')) + i for i in range(lo, hi, piece)]
                        or [np.zeros(0, dtype=np.int64)])
    before = buffer[np.maximum(at - 1, 0)] == ord("\\")
    unsure = at[before & (buffer[np.maximum(at - 2, 0)] == ord("\\"))]
    plain = at[~before]
    counts = np.searchsorted(plain, ends) - np.searchsorted(plain, starts)
    counts[(np.searchsorted(unsure, ends) - np.searchsorted(unsure, starts)) > 0] = -1
    return counts


def _records(raw: pl.DataFrame, data: bytes, starts: np.ndarray, ends: np.ndarray, src_line: np.ndarray,
             fmt: str, quotes: int | None = None) -> pl.DataFrame | None:
    """The records of ``raw`` (read from the spans ``starts``/``ends`` of ``data``), or None. ``quotes``: the
    unescaped quotes a line of ``raw``'s keys alone holds (``raw`` was read with a given schema, which drops
    other keys); a line holding another number is decoded on its own."""
    # A null may be a missing key or an explicit null, which the exact reader tells apart: rows holding one
    # are decoded one by one (from their source bytes) and the rest in bulk.
    lines = pl.Series("src_line", src_line, dtype=pl.Int64)
    odd = _undecided(raw, data, starts, ends)
    if quotes is not None and len(starts):  # a key missing (null, whichever key) or another in its place
        odd |= raw.select(pl.any_horizontal(pl.all().is_null())).to_series().to_numpy()
        odd |= _quote_counts(data, starts, ends) != quotes
    if odd.any():
        clean = to_records(raw.filter(pl.Series(~odd)), _OBJECT_FIELDS[fmt], lines.filter(pl.Series(~odd)))
        one_by_one = _decoded(data, starts[odd], ends[odd], src_line[odd], fmt)
        if clean is None or one_by_one is None:
            return None
        return pl.concat([clean, one_by_one]).sort("src_line")
    return to_records(raw, _OBJECT_FIELDS[fmt], lines)


def _undecided(raw: pl.DataFrame, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Rows the bulk read cannot vouch for: a null (a missing key or an explicit null, which the exact reader
    tells apart), or text that may have been a number, boolean, list or object in the file (polars reads
    those as their JSON text where a column holds text) and is one there."""
    nullable = [c for c in raw.columns if c != "note"]
    texts = [c for c, dtype in raw.schema.items() if dtype == pl.String]
    odd = np.zeros(raw.height, dtype=bool)
    if nullable:
        odd |= raw.select(pl.any_horizontal(pl.col(nullable).is_null())).to_series().to_numpy()
    if texts:
        looks = pl.any_horizontal([pl.col(c).str.contains(r"^[-0-9\[{]") | pl.col(c).is_in(["true", "false"])
                                   for c in texts])
        suspects = np.flatnonzero(raw.select(looks.fill_null(False)).to_series().to_numpy() & ~odd)
    if texts and len(suspects):
        keys = "|".join(re.escape(json.dumps(c)) for c in texts)
        lines = pl.Series([data[int(starts[k]) : int(ends[k])] for k in suspects.tolist()], dtype=pl.Binary)
        literal = lines.cast(pl.String).str.contains(rf"(?:{keys})\s*:\s*[^\"\s]").to_numpy()
        odd[suspects[literal]] = True
    return odd


def _decoded(data: bytes, starts: np.ndarray, ends: np.ndarray, lines: np.ndarray, fmt: str) -> pl.DataFrame | None:
    """Records decoded one by one as the exact reader does; None at the first one it would refuse."""
    from curator.core.formats.common import RecordBuilder, RecordError
    from curator.core.formats.registry import FORMATS

    builder = RecordBuilder()
    decode = FORMATS[fmt].decode
    for start, end, line in zip(starts.tolist(), ends.tolist(), lines.tolist()):
        try:
            value = json.loads(data[start:end])
            if not isinstance(value, dict):
                return None
            text_input, output, system, rest = decode(value)
            builder.add(line, text_input, output, system, rest)
        except (ValueError, RecursionError, RecordError):
            return None
    return builder.frame()


def _delimited(data: bytes, path: str, fmt: str, options: FormatOptions) -> ReadResult | None:
    from curator.core.formats.tabular import resolve_columns, resolved_options, said, table_fields

    if b"\r" in data.replace(b"\r\n", b""):
        return None  # a lone CR: Python's csv and polars split lines differently
    separator = "," if fmt == "csv" else "\t"
    raw = pl.read_csv(io.BytesIO(data), has_header=options.header, separator=separator, infer_schema=False,
                      quote_char='"' if fmt == "csv" else None, raise_if_empty=True)
    spans = line_spans(data)
    filled = filled_lines(data, spans)
    lines = np.flatnonzero(filled)
    body = lines[1:] if options.header else lines
    if len(body) != raw.height or not raw.height:
        return None  # blank lines, values spanning lines or rows polars padded: the exact reader decides
    if not options.header:
        raw.columns = [str(k) for k in range(1, raw.width + 1)]
    names = raw.columns
    if len(set(names)) != len(names):
        return None
    if not _same_width(data, spans, body, raw.width, separator.encode(), fmt):
        return None
    mapping = resolve_columns(names, options, path)
    fields = table_fields(mapping, tags_separator=";")
    if fields is None:
        return None  # three input columns, a custom template or a system column: read by the exact reader
    raw = raw.with_columns(pl.all().fill_null(""))
    records = to_records(raw, fields, pl.Series("src_line", body + 1, dtype=pl.Int64))
    if records is None:
        return None
    resolved = resolved_options(options, mapping).with_split_names(split_names(raw))
    source = Source(fmt, resolved, data, (spans[0][body], spans[1][body]), names=names)
    return ReadResult(records, fmt, resolved, source=source, mapping=said(mapping, options))


def _same_width(data: bytes, spans, body: np.ndarray, width: int, separator: bytes, fmt: str) -> bool:
    """Every row line holds ``width`` values: separators counted in bulk, lines with quotes parsed by csv
    (polars pads a short row with nulls where Python's csv reports it)."""
    import csv

    buffer = np.frombuffer(data, dtype=np.uint8)
    starts, ends = spans
    row_starts, row_ends = starts[body], ends[body]
    marks = np.flatnonzero(buffer == separator[0])
    counts = np.searchsorted(marks, row_ends) - np.searchsorted(marks, row_starts)
    quotes = np.flatnonzero(buffer == ord('"')) if fmt == "csv" else np.zeros(0, dtype=np.int64)
    quoted = (np.searchsorted(quotes, row_ends) - np.searchsorted(quotes, row_starts)) > 0
    if not (counts[~quoted] == width - 1).all():
        return False
    for k in np.flatnonzero(quoted).tolist():
        line = data[int(row_starts[k]) : int(row_ends[k])].decode("utf-8")
        if len(next(csv.reader([line], strict=True))) != width:
            return False
    return True
