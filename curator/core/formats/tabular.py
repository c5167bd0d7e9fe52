"""CSV, TSV and Parquet, with column mapping.

The input and output columns are named by ``--input-col`` / ``--output-col`` (a name, or a 1-based column
number for a file without a header). Without them, common names are recognised: see INPUT_NAMES and
OUTPUT_NAMES. Columns named ``split``, ``tags`` (``;``-separated) and ``note`` are curator's own; every
other column is kept and written back unchanged. In Parquet files a "line" is the 1-based row number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from itertools import islice
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from curator.core.errors import CuratorError, FieldsUnknown
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.columns import Fields, split_names, to_records
from curator.core.formats.common import Problems, RecordBuilder, RecordError, decode_utf8, extras
from curator.core.formats.source import Layout, Source, line_spans, provenance, write_spliced

INPUT_NAMES = ("text_input", "input", "prompt", "question", "text", "instruction", "query", "sentence")
OUTPUT_NAMES = ("output", "completion", "response", "answer", "label", "category", "target", "intent")
TAG_SEPARATOR = ";"


def resolve_columns(names: list[str], options: FormatOptions, path: str) -> tuple[int, int]:
    """Positions of the input and output columns, or a CuratorError listing the columns seen."""

    def find(wanted: str | None, defaults: tuple[str, ...], role: str) -> int:
        if wanted is not None:
            if wanted in names:
                return names.index(wanted)
            if wanted.isdigit() and 1 <= int(wanted) <= len(names):
                return int(wanted) - 1
            if "," in wanted:
                raise CuratorError(f"several {role} columns ({wanted}) are composed for JSON files only; name one "
                                   f"column of this table. The columns are: {', '.join(names)}", path, 1, 1)
            raise CuratorError(f"no {role} column {wanted!r}; the columns are: {', '.join(names)}", path, 1, 1)
        lowered = [n.strip().lower() for n in names]
        for candidate in defaults:
            if candidate in lowered:
                return lowered.index(candidate)
        hint = " (a file without a header needs --no-header and column numbers)" if not options.header else ""
        raise FieldsUnknown(
            f"cannot tell which column holds the {role}; name it with --{role}-col. "
            f"The columns are: {', '.join(names)}{hint}",
            path,
            list(names),
            [],
        )

    i = find(options.input_col, INPUT_NAMES, "input")
    o = find(options.output_col, OUTPUT_NAMES, "output")
    if i == o:
        raise CuratorError(f"the input and output columns are the same column ({names[i]!r})", path, 1, 1)
    return i, o


def said(input_col: str, output_col: str, options: FormatOptions) -> str | None:
    """Which columns were taken when curator chose them (None for the canonical names or named ones)."""
    if options.maps or (input_col, output_col) == ("text_input", "output") or not options.header:
        return None
    return f"recognised columns: input ← {input_col}, output ← {output_col}"


def _add_row(builder: RecordBuilder, line: int, names: list[str], values: list[Any], i: int, o: int) -> None:
    rest: dict[str, Any] = {}
    for k, (name, value) in enumerate(zip(names, values)):
        if k in (i, o):
            continue
        if name == "tags":
            value = [t for t in value.split(TAG_SEPARATOR) if t] if isinstance(value, str) else value
        elif name == "note" and value == "":
            value = None
        rest[name] = value
    builder.add(line, values[i], values[o], None, rest)


class Delimited:
    """CSV (RFC 4180 quoting; a record may span lines) or TSV (no quoting: one record per line, so values
    cannot hold tabs or line breaks, as in the IANA TSV definition)."""

    def __init__(self, name: str, delimiter: str, extensions: tuple[str, ...], quoting: int) -> None:
        self.name, self.delimiter, self.extensions, self.quoting = name, delimiter, extensions, quoting

    def sniff(self, head: bytes) -> bool:
        end = head.find(b"\n")
        first = head[:end] if end != -1 else head
        return self.delimiter.encode() in first and not first.lstrip().startswith((b"{", b"["))

    def read(self, data: bytes, path: str, options: FormatOptions, allow_skipped: bool = False) -> ReadResult:
        text = decode_utf8(data, path)
        problems = Problems(path)
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=self.delimiter, quoting=self.quoting, strict=True
        )
        builder = RecordBuilder()
        names: list[str] | None = None
        i = o = 0
        start = 1
        last_lines: list[int] = []  # the line each record ends on (a quoted value may span lines)
        try:
            for values in reader:
                line = start
                start = reader.line_num + 1
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                if names is None:
                    if options.header:
                        names = values
                        try:
                            i, o = resolve_columns(names, options, path)
                        except FieldsUnknown as e:
                            e.samples = [dict(zip(names, row)) for row in islice(reader, 5)]
                            raise
                        continue
                    names = [str(k) for k in range(1, len(values) + 1)]
                    i, o = resolve_columns(names, options, path)
                if len(values) != len(names):
                    problems.add(line, 1, f"expected {len(names)} columns, found {len(values)}")
                    continue
                try:
                    _add_row(builder, line, names, values, i, o)
                    last_lines.append(reader.line_num)
                except RecordError as e:
                    problems.add(line, 1, e.reason)
        except csv.Error as e:
            problems.add(reader.line_num, 1, f"malformed {self.name.upper()}: {e}")
        if names is None:
            raise CuratorError("no rows", path)
        problems.raise_if_any()
        resolved = replace(options, input_col=names[i], output_col=names[o]) if options.header else options
        resolved = resolved.with_split_names(builder.split_names)
        frame = builder.frame()
        source = None
        if text.count("\r") == text.count("\r\n"):  # lines as the bytes have them (no lone CR inside values)
            starts, ends = line_spans(data)
            first = frame["src_line"].to_numpy().astype("int64") - 1
            last = pl.Series(last_lines, dtype=pl.Int64).to_numpy() - 1
            source = Source(self.name, resolved, data, (starts[first], ends[last]), names=names)
        return ReadResult(frame, self.name, resolved, source=source, mapping=said(names[i], names[o], options))

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        if source is not None and source.names is None:
            source = None
        names = _names(records, options, source)
        if source is not None and names != source.names:
            source = None  # a new column changes every row
        header = self._row(names).encode("utf-8") + b"\n" if options.header else b""
        in_name, out_name = options.input_col or "text_input", options.output_col or "output"

        def serialise(row: dict[str, Any], original: bytes | None) -> bytes:
            return self._row(_cells(row, names, in_name, out_name)).encode("utf-8")

        written = write_spliced(records, out, source, Layout(header, b"\n", b"\n"), serialise, self.name, options)
        written.names = names
        return written

    def _row(self, values: list[Any]) -> str:
        buffer = io.StringIO(newline="")
        quotechar = None if self.quoting == csv.QUOTE_NONE else '"'
        csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n", quoting=self.quoting,
                   quotechar=quotechar).writerow(values)
        return buffer.getvalue()[:-1]  # the terminator tells the writer to quote values with line breaks

    def lossy_fields(self, records: pl.DataFrame) -> list[str]:
        lost = _lossy(records, options_header=True)
        if self.quoting == csv.QUOTE_NONE:
            bad = pl.any_horizontal(
                pl.col(c).str.contains(r"[\t\n\r]") for c in ("text_input", "output")
            )
            if records.select(bad.any()).item():
                lost.append("values with tabs or line breaks (use CSV or JSONL)")
        return lost


def _curator_columns(records: pl.DataFrame) -> list[str]:
    cols = []
    if (records["split"] != "train").any():
        cols.append("split")
    if records["tags"].list.len().gt(0).any():
        cols.append("tags")
    if records["note"].is_not_null().any():
        cols.append("note")
    return cols


def _lossy(records: pl.DataFrame, options_header: bool) -> list[str]:
    lost = ["system"] if records["system"].is_not_null().any() else []
    if not options_header:
        lost += _curator_columns(records)
    return lost


def _names(records: pl.DataFrame, options: FormatOptions, source: Source | None) -> list[str]:
    """The columns to write: the source's own, in its order, followed by any the records need beyond them;
    without a source, input, output, curator columns, then the kept columns.

    With a source, only the records to be serialised are looked at: the others are copied as they are."""
    in_name = options.input_col or "text_input"
    out_name = options.output_col or "output"
    known = source.names if source is not None and source.names is not None else []
    serialised = records
    if known:
        src, changed = provenance(records, source)
        serialised = records.filter(pl.Series((src < 0) | changed))
    wanted = [in_name, out_name, *_curator_columns(serialised)]
    for e in serialised["extra"].drop_nulls():
        wanted.extend(extras({"extra": e}))
    if not options.header:
        width = max(int(n) for n in (*wanted, *known) if n.isdigit())
        return [str(k) for k in range(1, width + 1)]
    names = list(known)
    names.extend(n for n in dict.fromkeys(wanted) if n not in names)
    return names


def _cells(row: dict[str, Any], names: list[str], in_name: str, out_name: str) -> list[Any]:
    """A record's values in the order of ``names``."""
    kept = extras(row)
    cells: list[Any] = []
    for name in names:
        if name == in_name:
            cells.append(row["text_input"])
        elif name == out_name:
            cells.append(row["output"])
        elif name == "tags":
            cells.append(TAG_SEPARATOR.join(row["tags"]))
        elif name == "split":
            cells.append(row["split"])
        elif name == "note":
            cells.append("" if row["note"] is None else row["note"])
        else:
            cells.append(kept.get(name, ""))
    return cells


class Parquet:
    name = "parquet"
    extensions = (".parquet", ".pq")

    def sniff(self, head: bytes) -> bool:
        return head.startswith(b"PAR1")

    def read(self, data: bytes, path: str, options: FormatOptions, allow_skipped: bool = False) -> ReadResult:
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except Exception as e:  # polars raises several types for a corrupt file
            raise CuratorError(f"not a readable Parquet file: {e}", path) from None
        names = frame.columns
        try:
            i, o = resolve_columns(names, options, path)
        except FieldsUnknown as e:
            e.samples = [{k: str(v) for k, v in row.items() if v is not None} for row in frame.head(5).iter_rows(named=True)]
            raise
        problems = Problems(path)
        for k, role in ((i, "input"), (o, "output")):
            if frame.schema[names[k]] != pl.String:
                problems.add(None, k + 1, f"{role} column {names[k]!r} must hold text, not {frame.schema[names[k]]}")
        problems.raise_if_any()
        resolved = replace(options, input_col=names[i], output_col=names[o], header=True)
        mapping = said(names[i], names[o], options)
        tags_text = frame.schema.get("tags") == pl.String
        fields = Fields(names[i], names[o], tags_separator=";" if tags_text else None, empty_note_is_none=True,
                        nulls_are_values=True)
        records = to_records(frame, fields, pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64))
        if records is not None:
            resolved = resolved.with_split_names(split_names(frame))
            return ReadResult(records, self.name, resolved, source=Source(self.name, resolved, table=frame),
                              mapping=mapping)
        builder = RecordBuilder()
        for row_number, values in enumerate(frame.iter_rows(), start=1):
            if values[i] is None or values[o] is None:
                problems.add(row_number, (i if values[i] is None else o) + 1, "missing value (null)")
                continue
            try:
                _add_row(builder, row_number, names, list(values), i, o)
            except RecordError as e:
                problems.add(row_number, 1, e.reason)
        problems.raise_if_any()
        resolved = resolved.with_split_names(builder.split_names)
        return ReadResult(builder.frame(), self.name, resolved, source=Source(self.name, resolved, table=frame),
                          mapping=mapping)

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        table = source.table if source is not None else None
        in_name = options.input_col or "text_input"
        out_name = options.output_col or "output"
        data: dict[str, Any] = {in_name: records["text_input"], out_name: records["output"]}
        kept = table.columns if table is not None else []
        for c in ("split", "tags", "note"):
            if c in kept or c in _curator_columns(records):
                data[c] = records[c]
        rows_extra = [extras({"extra": e}) for e in records["extra"]]
        for k in dict.fromkeys(k for e in rows_extra for k in e):
            data[k] = [e.get(k) for e in rows_extra]
        frame = pl.DataFrame(data)
        if table is not None:
            frame = _onto(table, frame, *provenance(records, source))
        frame.write_parquet(out, statistics=False)
        return Source(self.name, options, table=frame)

    def lossy_fields(self, records: pl.DataFrame) -> list[str]:
        return _lossy(records, options_header=True)


CSV = Delimited("csv", ",", (".csv",), csv.QUOTE_MINIMAL)
TSV = Delimited("tsv", "\t", (".tsv", ".tab"), csv.QUOTE_NONE)
PARQUET = Parquet()


def _onto(table: pl.DataFrame, frame: pl.DataFrame, src: np.ndarray, changed: np.ndarray) -> pl.DataFrame:
    """``frame`` with each untouched row taken from the source ``table`` (its values and types exactly), and
    the source's column order; ``frame`` as it is when its values do not fit the source's types."""
    copied = pl.Series((src >= 0) & ~changed)
    base = table[np.where(src >= 0, src, 0).tolist()] if table.height else table.clear(frame.height)
    columns = []
    for name in table.columns:
        if name not in frame.columns:
            columns.append(base[name].zip_with(copied, pl.repeat(None, frame.height, dtype=base[name].dtype, eager=True)))
            continue
        try:
            new = frame[name].cast(table.schema[name])
        except pl.exceptions.PolarsError:
            return frame
        columns.append(base[name].zip_with(copied, new))
    columns.extend(frame[name] for name in frame.columns if name not in table.columns)
    return pl.DataFrame(columns)
