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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import as_strided

from curator.core.errors import Problem
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.columns import Fields, split_names, to_records
from curator.core.formats.common import encoding_problem
from curator.core.formats.nested import INPUT, OUTPUT, SYNTHETIC, SYSTEM, Shape, blank, delimiters, shape_of
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


def read_fast(data: bytes, path: str, fmt: str, options: FormatOptions, progress: ProgressFn | None = None,
              allow_skipped: bool = False) -> ReadResult | None:
    """The file read in bulk, or None when the exact reader must read it. ``progress`` hears how much of a
    JSONL file is read; with ``allow_skipped``, lines curator cannot represent (multi-turn chats) are listed in
    the result's ``skipped``, as the exact reader lists them."""
    try:
        encoding_problem(data, path)  # raises: the exact reader says it
        if fmt in ("csv", "tsv"):
            return _delimited(data, path, fmt, options)
        reader = _reader(data, path, fmt, options)
        if reader is not None:
            return _objects(data, path, fmt, reader, progress, allow_skipped)
    except (Exception, PanicException):  # any polars failure means: let the exact reader judge the file
        return None
    return None


@dataclass(frozen=True)
class _Reader:
    """How a format's objects are read in bulk: the fields of the (flat, or rewritten flat) objects that make
    the example, the format's decoder for the lines read one by one, the nested shape rewritten flat, and the
    options (and mapping said) the exact reader would give."""

    fields: Fields
    decoder: Any
    options: FormatOptions
    shape: Shape | None = None
    mapping: str | None = None


def _reader(data: bytes, path: str, fmt: str, options: FormatOptions) -> _Reader | None:
    from curator.core.formats.registry import FORMATS

    if fmt in _OBJECT_FIELDS:
        return _Reader(_OBJECT_FIELDS[fmt], FORMATS[fmt], options)
    shape = shape_of(fmt)
    if shape is not None:  # a line holding a key of the flat objects is read by the exact reader (Shape.rewrite)
        return _Reader(Fields(INPUT, OUTPUT, system=SYSTEM), FORMATS[fmt], options, shape)
    if fmt == "jsonl":
        return _mapped(data, path, options)
    return None


def _mapped(data: bytes, path: str, options: FormatOptions) -> _Reader | None:
    """Objects whose fields a mapping names (one or two top-level input fields composed by the default
    template, an output, maybe a system field), read in bulk like the formats' own."""
    from curator.core.formats.common import DECODER
    from curator.core.formats.compose import AS_READ, default_template
    from curator.core.formats.objects import SAMPLE
    from curator.core.formats.registry import FORMATS

    first, objects = 0, []
    while len(objects) < SAMPLE and first < len(data):
        end = data.find(b"\n", first)
        end = len(data) if end == -1 else end + 1
        line = data[first:end].removeprefix(BOM) if first == 0 else data[first:end]
        if line.strip():
            objects.append(DECODER.decode(line.decode("utf-8")))
        first = end
    fmt = FORMATS["jsonl"].for_file(options, objects, path)
    m = fmt.mapping
    names = (*m.inputs, m.output, *([m.system] if m.system else []))
    if len(m.inputs) > 2 or any("." in n or n in ("split", "tags", "note") for n in names) or (
            len(m.inputs) == 2 and m.template not in (None, default_template(m.inputs))):
        return None
    joined = m.inputs[1] if len(m.inputs) == 2 else None
    resolved, said = fmt.resolved(options)
    return _Reader(Fields(m.inputs[0], m.output, joined=joined, kept_as=AS_READ if joined else None,
                          system=m.system), fmt, resolved, mapping=said)


def _objects(data: bytes, path: str, fmt: str, reader: _Reader, progress: ProgressFn | None,
             allow_skipped: bool) -> ReadResult | None:
    if _SURROGATE_ESCAPE.search(data) and _lone_surrogate(data):
        return None
    if fmt.endswith("jsonl"):
        return _lines(data, path, fmt, reader, progress, allow_skipped)
    if reader.shape is not None:
        return _chat_list(data, path, fmt, reader, progress)
    body = data[len(BOM) :] if data.startswith(BOM) else data
    if not body.lstrip().startswith(b"["):
        return None
    raw = pl.read_json(body, infer_schema_length=None)
    starts, ends = list_spans(data)
    if len(starts) != raw.height or not raw.height:
        return None
    src_line = _line_numbers(data, starts)
    read = _records(raw, data, starts, ends, src_line, reader, path, allow_skipped=False)
    if read is None:
        return None
    records, _, names = read
    options = reader.options.with_split_names(names)
    return ReadResult(records, fmt, options, source=Source(fmt, options, data, (starts, ends)), mapping=reader.mapping)


def _chat_list(data: bytes, path: str, fmt: str, reader: _Reader, progress: ProgressFn | None) -> ReadResult | None:
    """A JSON list of chat objects, read as chat lines are: each element is put on a line of its own at its own
    offsets (``_one_per_line``), a chunk at a time; the records are numbered by the line each element starts on."""
    body = data[len(BOM) :] if data.startswith(BOM) else data
    if not body.lstrip().startswith(b"["):
        return None
    starts, ends = list_spans(data)
    if not len(starts) or not _parted(data, starts, ends):
        return None
    read = _lines(data, path, fmt, reader, progress, False, (starts, ends))
    if read is None or read.records.height != len(starts):
        return None
    return replace(read, records=read.records.with_columns(pl.Series("src_line", _line_numbers(data, starts))))


def _line_numbers(data: bytes, at: np.ndarray) -> np.ndarray:
    """The line (1-based) of each of the increasing offsets ``at``, line breaks counted a chunk at a time."""
    raw = np.frombuffer(data, dtype=np.uint8)
    lines = np.empty(len(at), dtype=np.int64)
    before = 0
    for lo in range(0, len(raw), CHUNK_BYTES):
        breaks = np.flatnonzero(raw[lo : lo + CHUNK_BYTES] == ord("\n")) + lo
        a, b = np.searchsorted(at, [lo, lo + CHUNK_BYTES]).tolist()
        lines[a:b] = np.searchsorted(breaks, at[a:b]) + before + 1
        before += len(breaks)
    return lines


_WHITE = np.frombuffer(b" \t\r\n", dtype=np.uint8)


def _parted(data: bytes, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether only white space and the list's brackets surround its elements, and one comma and white space
    part each two."""
    head = len(BOM) if data.startswith(BOM) else 0
    if data[head : int(starts[0])].strip() != b"[" or data[int(ends[-1]) :].strip() != b"]":
        return False
    lo, lengths = ends[:-1], starts[1:] - ends[:-1]
    sizes = np.unique(lengths)
    if len(sizes) > 64 or (len(sizes) and sizes[0] < 1):
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    for size in sizes.tolist():
        gaps = as_strided(raw, shape=(len(raw) - size + 1, size), strides=(1, 1))[lo[lengths == size]]
        if not (((gaps == ord(",")).sum(axis=1) == 1) & (np.isin(gaps, _WHITE).sum(axis=1) == size - 1)).all():
            return False
    return True


def _one_per_line(part: bytes, starts: np.ndarray, ends: np.ndarray) -> bytes | None:
    """``part`` (a list's elements from ``starts[0]`` on, at ``starts``/``ends``) with each element on a line of
    its own at its own offsets: the bytes after an element a line break and spaces, the line breaks inside one
    spaces (None when one is inside a string: no JSON holds that)."""
    raw = np.frombuffer(part, dtype=np.uint8)
    out = raw.copy()
    breaks = np.flatnonzero((raw == ord("\n")) | (raw == ord("\r")))
    element = np.searchsorted(starts, breaks, side="right") - 1
    inside = breaks[(element >= 0) & (breaks < ends[np.maximum(element, 0)])]
    if len(inside):
        if (np.searchsorted(delimiters(part, raw), inside) % 2).any():
            return None
        out[inside] = ord(" ")
    blank(out, [(ends, np.append(starts[1:], len(part)), b"\n")])
    return out.tobytes()


def _lines(data: bytes, path: str, fmt: str, reader: _Reader, progress: ProgressFn | None,
           allow_skipped: bool, spans: tuple[np.ndarray, np.ndarray] | None = None) -> ReadResult | None:
    """A JSONL file, ``CHUNK_BYTES`` of whole lines at a time, two chunks at once (polars reads one chunk on
    one core, without the interpreter lock; its frame of a chunk is all the room a read takes beside the
    records). Lines of a nested shape are first rewritten flat (``nested``). Given ``spans``, a list's elements
    (of a nested shape) take the place of the lines, each put on a line of its own first."""
    listed = spans is not None
    spans = line_spans(data) if spans is None else spans
    filled = filled_lines(data, spans)
    line_starts = spans[0]
    bounds = [0, *np.searchsorted(line_starts, np.arange(CHUNK_BYTES, len(data), CHUNK_BYTES)).tolist(),
              len(line_starts)]

    def flat(first: int, last: int) -> tuple | None:
        """The bytes of lines ``first`` to ``last`` as read and as polars reads them, their spans in those
        bytes, which lines must be decoded one by one and the string quotes of each line polars reads (None
        when not known: a flat format; None for all: the chunk cannot be read in bulk)."""
        start = int(line_starts[first])  # past a byte-order mark on the first line
        end = int(line_starts[last]) if last < len(line_starts) else len(data)
        part = data[start:end]
        starts, ends = spans[0][first:last] - start, spans[1][first:last] - start
        if reader.shape is None:
            return part, part, starts, ends, None, None
        lines = _one_per_line(part, starts, ends) if listed else part
        rewritten = None if lines is None else reader.shape.rewrite(lines, starts, ends, filled[first:last])
        return None if rewritten is None else (part, rewritten[0], starts, ends, *rewritten[1:])

    def chunk(first: int, last: int) -> tuple[tuple | None, int]:
        """The records, skipped lines and split names of lines ``first`` to ``last`` (None when the exact
        reader must read them), and where the chunk ends in the file."""
        end = int(line_starts[last]) if last < len(line_starts) else len(data)
        lines = np.flatnonzero(filled[first:last])
        if not len(lines):
            return (pl.DataFrame(), [], {}), end
        pieces = flat(first, last)
        if pieces is None:
            return None, end
        part, text, starts, ends, forced, counted = pieces
        raw = pl.read_ndjson(text, schema=schema) if schema else pl.read_ndjson(text, infer_schema_length=None)
        if len(lines) != raw.height or (reader.shape and set(reader.shape.keys) & set(raw.columns)):
            return None, end
        if forced is not None:
            forced, counted = forced[lines], counted[lines]
        return _records(raw, text, starts[lines], ends[lines], lines + first + 1, reader, path, bool(schema),
                        forced, counted, part, allow_skipped), end

    schema = _text_keys(data, line_starts, filled, flat)
    parts, skipped, names = [], [], {}
    pool = ThreadPoolExecutor(READERS)
    try:
        for read, end in pool.map(chunk, *zip(*[(a, b) for a, b in zip(bounds, bounds[1:]) if a != b])):
            if read is None:
                return None
            records, lost, split = read
            if records.height:
                parts.append(records)
            skipped += lost
            for key, name in split.items():  # the file's first name of each split
                names.setdefault(key, name)
            if progress is not None:
                progress(Progress(end / len(data), "reading"))
    finally:
        pool.shutdown(cancel_futures=True)  # after a chunk the exact reader must read, the rest are not started
    if not parts:
        return None
    records = pl.concat(parts) if len(parts) > 1 else parts[0]
    kept = records["src_line"].to_numpy() - 1
    options = reader.options.with_split_names(names)
    return ReadResult(records, fmt, options, skipped, Source(fmt, options, data, (spans[0][kept], spans[1][kept])),
                      reader.mapping)


SAMPLE_LINES = 1000  # lines whose keys are taken as every line's, when all their values are text


def _text_keys(data: bytes, line_starts: np.ndarray, filled: np.ndarray, flat) -> dict | None:
    """The keys of the first lines (as ``flat`` gives them to polars) when every one of their values is text:
    the schema the other lines are read with (inferring it from every line took polars as long again as reading
    them). A line holding other keys holds another count of unescaped quotes than four a key, and is decoded on
    its own (``_quote_counts``)."""
    sample = np.flatnonzero(filled[: SAMPLE_LINES + 1])
    if len(sample) < 2:
        return None
    pieces = flat(int(sample[0]), int(sample[-1]))
    if pieces is None:
        return None
    text, forced = pieces[1], pieces[4]
    synthetic = {} if forced is None else dict.fromkeys(SYNTHETIC, pl.String)
    if forced is not None and forced.all():
        return None
    schema = {**synthetic, **pl.read_ndjson(text, infer_schema_length=None).schema}
    return schema if all(dtype == pl.String for dtype in schema.values()) else None


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
             reader: _Reader, path: str, quotes: bool = False, forced: np.ndarray | None = None,
             counted: np.ndarray | None = None, original: bytes | None = None,
             allow_skipped: bool = False) -> tuple | None:
    """The records of ``raw`` (read from the spans ``starts``/``ends`` of ``data``), the lines skipped and the
    split names used, or None. With ``quotes``, ``raw`` was read with a given schema (which drops other keys):
    a line holding another count of unescaped quotes than its keys and texts hold (``counted``, else counted
    here) is decoded on its own, as are the ``forced`` lines, from ``original`` (the bytes as read, when ``data``
    was rewritten flat)."""
    # A null may be a missing key or an explicit null, which the exact reader tells apart: rows holding one
    # are decoded one by one (from their source bytes) and the rest in bulk, unless the quotes counted tell
    # (a key with a null holds two quotes, a missing one none). The texts of a rewritten line (``SYNTHETIC``)
    # were checked as it was rewritten: a missing system text is no system.
    plain = [c for c in raw.columns if c not in SYNTHETIC]
    odd = _undecided(raw, data, starts, ends, plain, nulls=not quotes)
    if quotes and len(starts):  # another key in a key's place, an explicit null, a key not in the schema
        missing = [c for c in plain if c not in ("split", "note")]  # a missing split is train, a missing note none
        if missing:
            odd |= raw.select(pl.any_horizontal(pl.col(missing).is_null())).to_series().to_numpy()
        keys = raw.select(pl.sum_horizontal(pl.all().is_not_null())).to_series().to_numpy()
        odd |= (_quote_counts(data, starts, ends) if counted is None else counted) != 4 * keys
        if "split" in raw.columns:
            raw = raw.with_columns(pl.col("split").fill_null("train"))
    if forced is not None:
        odd |= forced
    lines = pl.Series("src_line", src_line, dtype=pl.Int64)
    splits = raw["split"] if raw.schema.get("split") == pl.String else pl.Series("split", [None] * raw.height,
                                                                                dtype=pl.String)
    if not odd.any():
        records = to_records(raw, reader.fields, lines)
        return None if records is None else (records, [], split_names(raw))
    source = data if original is None else original
    decoded = _decoded(source, starts[odd], ends[odd], src_line[odd], reader.decoder, path, allow_skipped)
    if decoded is None:
        return None
    one_by_one, skipped, names, kept = decoded
    parts = [one_by_one.with_columns(pl.Series("__at", np.flatnonzero(odd)[kept], dtype=pl.Int64))]
    if not odd.all():
        clean = to_records(raw.filter(pl.Series(~odd)), reader.fields, lines.filter(pl.Series(~odd)))
        if clean is None:
            return None
        parts.insert(0, clean.with_columns(pl.Series("__at", np.flatnonzero(~odd), dtype=pl.Int64)))
    splits = splits.scatter(np.flatnonzero(odd), pl.Series(names, dtype=pl.String))
    # in the file's order: by each record's place, not its line (the elements of a one-line list share line 1)
    records = pl.concat(parts).sort("__at").drop("__at") if len(parts) > 1 else one_by_one
    return records, skipped, split_names(pl.DataFrame({"split": splits}))


def _undecided(raw: pl.DataFrame, data: bytes, starts: np.ndarray, ends: np.ndarray, columns: list[str],
               nulls: bool = True) -> np.ndarray:
    """Rows the bulk read cannot vouch for (of ``columns``): a null (a missing key or an explicit null, which
    the exact reader tells apart; with ``nulls``), or text that may have been a number, boolean, list or object
    in the file (polars reads those as their JSON text where a column holds text) and is one there."""
    nullable = [c for c in columns if c != "note"] if nulls else []
    texts = [c for c in columns if raw.schema[c] == pl.String]
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


def _decoded(data: bytes, starts: np.ndarray, ends: np.ndarray, lines: np.ndarray, decoder, path: str,
             allow_skipped: bool) -> tuple[pl.DataFrame, list[Problem], list[str | None], list[int]] | None:
    """Records decoded one by one as the exact reader does, the lines skipped (with ``allow_skipped``), each
    line's split as written and which of the lines made the records; None at the first line it would refuse."""
    from curator.core.formats.common import DECODER, RecordBuilder, RecordError, check_unicode
    from curator.core.formats.objects import Unsupported

    builder = RecordBuilder()
    skipped, names, kept = [], [], []
    for k, (start, end, line) in enumerate(zip(starts.tolist(), ends.tolist(), lines.tolist())):
        try:
            text = data[start:end].decode("utf-8")
            value = DECODER.decode(text)
            if "\\u" in text:
                check_unicode(value, text)
            if not isinstance(value, dict):
                return None
            text_input, output, system, rest = decoder.decode(value)
            builder.add(line, text_input, output, system, rest)
            kept.append(k)
            names.append(rest.get("split") if isinstance(rest.get("split"), str) else None)
        except Unsupported as e:
            if not allow_skipped:
                return None
            skipped.append(Problem(path, line, 1, f"unsupported: {e.reason}"))
            names.append(None)
        except (ValueError, RecursionError, RecordError):
            return None
    return builder.frame(), skipped, names, kept


def _delimited(data: bytes, path: str, fmt: str, options: FormatOptions) -> ReadResult | None:
    from curator.core.formats.tabular import resolve_columns, resolved_options, said, table_fields

    if b"\r" in data.replace(b"\r\n", b""):
        return None  # a lone CR: Python's csv and polars split lines differently
    separator = "," if fmt == "csv" else "\t"
    raw = pl.read_csv(io.BytesIO(data), has_header=options.header, separator=separator, infer_schema=False,
                      quote_char='"' if fmt == "csv" else None, raise_if_empty=True)
    rows = _rows(data, fmt == "csv")
    if rows is None:
        return None
    if options.header and len(rows[0]):
        data[int(rows[0][0]) : int(rows[1][0])].decode("utf-8")  # polars reads a header's bad bytes as U+FFFD
    starts, ends, lines = (a[1:] for a in rows) if options.header else rows
    if len(starts) != raw.height or not raw.height:
        return None  # blank lines, or rows polars padded: the exact reader decides
    if not options.header:
        raw.columns = [str(k) for k in range(1, raw.width + 1)]
    names = raw.columns
    if len(set(names)) != len(names):
        return None
    if not _same_width(data, starts, ends, raw.width, separator.encode(), fmt == "csv"):
        return None
    mapping = resolve_columns(names, options, path)
    fields = table_fields(mapping, tags_separator=";")
    if fields is None:
        return None  # three input columns, a custom template or a system column: read by the exact reader
    raw = raw.with_columns(pl.all().fill_null(""))
    records = to_records(raw, fields, pl.Series("src_line", lines + 1, dtype=pl.Int64))
    if records is None:
        return None
    resolved = resolved_options(options, mapping).with_split_names(split_names(raw))
    source = Source(fmt, resolved, data, (starts, ends), names=names)
    return ReadResult(records, fmt, resolved, source=source, mapping=said(mapping, options))


def _rows(data: bytes, quoted: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The spans of a table's non-blank rows and the (0-based) line each starts on: lines, joined where a line
    break is inside a quoted value (an odd number of quotes before it); None when the quotes do not close, or
    when a value spanning lines meets CR line ends."""
    spans = line_spans(data)
    filled = filled_lines(data, spans)
    starts, ends = spans
    quotes = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord('"')) if quoted else ()
    if not len(quotes):
        lines = np.flatnonzero(filled)
        return starts[lines], ends[lines], lines
    closes = np.searchsorted(quotes, ends) % 2 == 0  # the line ends a row
    if not closes[-1] or (not closes.all() and b"\r" in data):
        return None
    first = np.flatnonzero(np.concatenate(([True], closes[:-1])))
    last = np.flatnonzero(closes)
    kept = filled[first] | (last > first)
    return starts[first[kept]], ends[last[kept]], first[kept]


def _same_width(data: bytes, starts: np.ndarray, ends: np.ndarray, width: int, separator: bytes,
                quoted: bool) -> bool:
    """Every row holds ``width`` values (polars pads a short row with nulls where Python's csv reports it):
    separators outside quoted values counted in bulk; and every quote where strict csv reading allows it (a
    quoted value opens after a separator or a line break and closes before one; a quote inside is doubled)."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    marks = np.flatnonzero(buffer == separator[0])
    quotes = np.flatnonzero(buffer == ord('"')) if quoted else np.zeros(0, dtype=np.int64)
    if len(quotes):
        marks = marks[np.searchsorted(quotes, marks) % 2 == 0]
        opening, closing = quotes[0::2], quotes[1::2]
        doubled = np.zeros(len(opening), dtype=bool)
        doubled[1:] = closing[:-1] + 1 == opening[1:]  # "" inside a quoted value
        before = buffer[np.maximum(opening - 1, 0)]
        start = (opening == 0) | (opening == len(BOM) if data.startswith(BOM) else False)
        if not (start | doubled | (before == separator[0]) | (before == 10)).all():
            return False
        after = buffer[np.minimum(closing + 1, len(buffer) - 1)]
        end = (closing == len(buffer) - 1) | np.append(doubled[1:], False)
        if not (end | (after == separator[0]) | (after == 10) | (after == 13)).all():
            return False
    counts = np.searchsorted(marks, ends) - np.searchsorted(marks, starts)
    return bool((counts == width - 1).all())
