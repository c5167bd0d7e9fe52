"""CSV, TSV and Parquet, with column mapping.

The input and output columns are named by ``--input-col`` / ``--output-col`` (a name, or a 1-based column
number for a file without a header). Without them, common names are recognised: see INPUT_NAMES and
OUTPUT_NAMES. Columns named ``split``, ``tags`` (``;``-separated) and ``note`` are curator's own; every
other column is kept and written back unchanged. In Parquet files a "line" is the 1-based row number.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from itertools import islice
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from curator.core.errors import CuratorError, FieldsUnknown
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.columns import Fields, split_names, to_records
from curator.core.formats.common import Problems, RecordBuilder, RecordError, decode_utf8, extras
from curator.core.formats.compose import AS_READ, Mapping, default_template, recognise_fields, template_for
from curator.core.formats.source import Layout, Source, line_spans, provenance, write_spliced

SYSTEM_NAMES = ("system", "system_prompt")  # a column holding the system instruction
INPUT_NAMES = ("text_input", "input", "prompt", "question", "text", "instruction", "query", "sentence")
OUTPUT_NAMES = ("output", "completion", "response", "answer", "label", "category", "target", "intent")
TAG_SEPARATOR = ";"


def resolve_columns(names: list[str], options: FormatOptions, path: str) -> Mapping:
    """Which columns hold the example (several input columns compose through the template), or a CuratorError
    listing the columns seen. Without flags: ``text_input`` / ``output``, else a common shape (``compose.SHAPES``,
    any case), else the common names."""

    def find(wanted: str, role: str) -> str:
        if wanted in names:
            return wanted
        if wanted.isdigit() and 1 <= int(wanted) <= len(names):
            return names[int(wanted) - 1]
        nested = " (a Parquet struct's field is named COLUMN.FIELD, one level deep)" if (
            "." in wanted and wanted.split(".")[0] in names) else ""
        raise CuratorError(f"no {role} column {wanted!r}{nested}; the columns are: {', '.join(names)}", path, 1, 1)

    lowered = {n.strip().lower(): n for n in reversed(names)}

    def common(defaults: tuple[str, ...], role: str) -> str:
        for candidate in defaults:
            if candidate in lowered:
                return lowered[candidate]
        hint = " (a file without a header needs --no-header and column numbers)" if not options.header else ""
        raise FieldsUnknown(
            f"cannot tell which column holds the {role}; name it with --{role}-col. "
            f"The columns are: {', '.join(names)}{hint}",
            path,
            list(names),
            [],
        )

    named = tuple(find(c.strip(), "input") for c in (options.input_col or "").split(",") if c.strip())
    output = find(options.output_col, "output") if options.output_col else None
    system = find(options.system_col, "system") if options.system_col else None
    if system is None and not options.maps and options.header:
        system = next((lowered[n] for n in SYSTEM_NAMES if n in lowered), None)
    mapping = None
    if not named and output is None and options.header and not {"text_input", "output"} <= set(lowered):
        found = recognise_fields(lowered)
        if found is not None:
            mapping = Mapping(tuple(lowered[n] for n in found.inputs), lowered[found.output], shape=found.shape)
    if mapping is None:
        mapping = Mapping(named or (common(INPUT_NAMES, "input"),), output or common(OUTPUT_NAMES, "output"))
    if mapping.output in mapping.inputs:
        raise CuratorError(f"the input and output columns are the same column ({mapping.output!r})", path, 1, 1)
    if len(set(mapping.inputs)) != len(mapping.inputs):
        raise CuratorError(f"an input column is named twice ({options.input_col})", path, 1, 1)
    if system in (*mapping.inputs, mapping.output):
        raise CuratorError(f"the system column {system!r} also holds the input or output", path, 1, 1)
    template = template_for(mapping.inputs, options.template)
    mapping = Mapping(mapping.inputs, mapping.output, system, template, mapping.shape)
    mapping.composer  # a bad template is an error now, not at the first row
    return mapping


def said(mapping: Mapping, options: FormatOptions) -> str | None:
    """Which columns were taken, for people (None for the canonical names, and numbered columns)."""
    if len(mapping.inputs) > 1 or (options.maps and options.header):  # named: said, and kept by the app
        return mapping.describe()
    canonical = (mapping.inputs[0], mapping.output) == ("text_input", "output")
    if not mapping.system and (canonical or not options.header):
        return None
    system = f", system ← {mapping.system}" if mapping.system else ""
    return f"recognised columns: input ← {mapping.inputs[0]}, output ← {mapping.output}{system}"


def resolved_options(options: FormatOptions, mapping: Mapping) -> FormatOptions:
    """The options that write a table back with the columns it was read through."""
    if not options.header:
        return options
    return replace(options, input_col=",".join(mapping.inputs), output_col=mapping.output, system_col=mapping.system,
                   template=mapping.template if len(mapping.inputs) > 1 else options.template)


def table_fields(mapping: Mapping, tags_separator: str | None) -> Fields | None:
    """The columns a bulk read maps (``columns.to_records``): one input, or two composed by the default template,
    and a system column; None when only the exact reader can compose them (three inputs, another template)."""
    if len(mapping.inputs) > 2 or (
            len(mapping.inputs) == 2 and mapping.template not in (None, default_template(mapping.inputs))):
        return None
    joined = mapping.inputs[1] if len(mapping.inputs) == 2 else None
    return Fields(mapping.inputs[0], mapping.output, joined=joined, kept_as=AS_READ if joined else None,
                  system=mapping.system, tags_separator=tags_separator, empty_is_none=True, nulls_are_values=True)


def table_mapping(options: FormatOptions) -> Mapping:
    """The columns a writer writes the example to (``text_input`` / ``output`` when none are named)."""
    inputs = tuple(c for c in (options.input_col or "text_input").split(",") if c)
    return Mapping(inputs, options.output_col or "output", options.system_col, template_for(inputs, options.template))


def _add_row(builder: RecordBuilder, line: int, names: list[str], values: list[Any], mapping: Mapping) -> None:
    inputs = {n: values[names.index(n)] for n in mapping.inputs}
    output = values[names.index(mapping.output)]
    system = values[names.index(mapping.system)] or None if mapping.system else None  # an empty cell: none
    rest: dict[str, Any] = {}
    for name, value in zip(names, values):
        if name in inputs or name in (mapping.output, mapping.system):
            continue
        if name == "tags":
            value = [t for t in value.split(TAG_SEPARATOR) if t] if isinstance(value, str) else value
        elif name == "note" and value == "":
            value = None
        rest[name] = value
    later = {n: inputs[n] for n in mapping.inputs[1:] if inputs[n]}
    if later:
        rest[AS_READ] = later  # the later input columns as read: an unchanged input splits back exactly
    builder.add(line, mapping.compose({n: v or "" for n, v in inputs.items()}), output, system, rest)


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
        mapping: Mapping | None = None
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
                            mapping = resolve_columns(names, options, path)
                        except FieldsUnknown as e:
                            e.samples = [dict(zip(names, row)) for row in islice(reader, 5)]
                            raise
                        continue
                    names = [str(k) for k in range(1, len(values) + 1)]
                    mapping = resolve_columns(names, options, path)
                if len(values) != len(names):
                    problems.add(line, 1, f"expected {len(names)} columns, found {len(values)}")
                    continue
                try:
                    _add_row(builder, line, names, values, mapping)
                    last_lines.append(reader.line_num)
                except RecordError as e:
                    problems.add(line, 1, e.reason)
        except csv.Error as e:
            problems.add(reader.line_num, 1, f"malformed {self.name.upper()}: {e}")
        if names is None or mapping is None:
            raise CuratorError("no rows", path)
        problems.raise_if_any()
        resolved = resolved_options(options, mapping).with_split_names(builder.split_names)
        frame = builder.frame()
        source = None
        if text.count("\r") == text.count("\r\n"):  # lines as the bytes have them (no lone CR inside values)
            starts, ends = line_spans(data)
            first = frame["src_line"].to_numpy().astype("int64") - 1
            last = pl.Series(last_lines, dtype=pl.Int64).to_numpy() - 1
            source = Source(self.name, resolved, data, (starts[first], ends[last]), names=names)
        return ReadResult(frame, self.name, resolved, source=source, mapping=said(mapping, options))

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        if source is not None and source.names is None:
            source = None
        names = _names(records, options, source)
        if source is not None and names != source.names:
            source = None  # a new column changes every row
        header = self._row(names).encode("utf-8") + b"\n" if options.header else b""
        mapping = table_mapping(options)

        def serialise(row: dict[str, Any], original: bytes | None) -> bytes:
            return self._row(_cells(row, names, mapping)).encode("utf-8")

        written = write_spliced(records, out, source, Layout(header, b"\n", b"\n"), serialise, self.name, options)
        written.names = names
        return written

    def _row(self, values: list[Any]) -> str:
        buffer = io.StringIO(newline="")
        quotechar = None if self.quoting == csv.QUOTE_NONE else '"'
        csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n", quoting=self.quoting,
                   quotechar=quotechar).writerow(values)
        return buffer.getvalue()[:-1]  # the terminator tells the writer to quote values with line breaks

    def lossy_fields(self, records: pl.DataFrame, options: FormatOptions | None = None) -> list[str]:
        mapping = table_mapping(options or FormatOptions())
        lost = _lossy(records, mapping)
        if self.quoting == csv.QUOTE_NONE:
            columns = ["output", *["system"] * bool(mapping.system)]
            if len(mapping.inputs) == 1:
                columns.append("text_input")
            bad = pl.any_horizontal(pl.col(c).fill_null("").str.contains(r"[\t\n\r]") for c in columns)
            found = records.select(bad.any()).item()
            if not found and len(mapping.inputs) > 1:  # a composed input: its columns' values, split back
                rows = records.select("text_input", "extra", "src_line").iter_rows(named=True)
                found = any(any(c in v for c in "\t\n\r" for v in _inputs(row, mapping).values()) for row in rows)
            if found:
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


def _lossy(records: pl.DataFrame, mapping: Mapping) -> list[str]:
    return ["system"] if mapping.system is None and records["system"].is_not_null().any() else []


def _names(records: pl.DataFrame, options: FormatOptions, source: Source | None) -> list[str]:
    """The columns to write: the source's own, in its order, followed by any the records need beyond them;
    without a source, input, output, curator columns, then the kept columns.

    With a source, only the records to be serialised are looked at: the others are copied as they are."""
    mapping = table_mapping(options)
    known = source.names if source is not None and source.names is not None else []
    serialised = records
    if known:
        src, changed = provenance(records, source)
        serialised = records.filter(pl.Series((src < 0) | changed))
    wanted = [*mapping.inputs, mapping.output, *[mapping.system] * bool(mapping.system), *_curator_columns(serialised)]
    for e in serialised["extra"].drop_nulls():
        wanted.extend(extras({"extra": e}))
    if not options.header:
        width = max(int(n) for n in (*wanted, *known) if n.isdigit())
        return [str(k) for k in range(1, width + 1)]
    names = list(known)
    names.extend(n for n in dict.fromkeys(wanted) if n not in names)
    return names


def _inputs(row: dict[str, Any], mapping: Mapping) -> dict[str, str]:
    """The input columns' values of a record (a composed input split back through the template)."""
    if len(mapping.inputs) == 1:
        return {mapping.inputs[0]: row["text_input"]}
    as_read = json.loads(row["extra"]).get(AS_READ, {}) if row["extra"] else {}
    return dict(zip(mapping.inputs, mapping.split(row["text_input"], as_read, row.get("src_line"))))


def _cells(row: dict[str, Any], names: list[str], mapping: Mapping) -> list[Any]:
    """A record's values in the order of ``names``."""
    kept = extras(row)
    inputs = _inputs(row, mapping)
    cells: list[Any] = []
    for name in names:
        if name in inputs:
            cells.append(inputs[name])
        elif name == mapping.system:
            cells.append(row["system"] or "")
        elif name == mapping.output:
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
        return self.records_of(frame, path, options)

    def records_of(self, frame: pl.DataFrame, path: str, options: FormatOptions, first_row: int = 1) -> ReadResult:
        """The records of a frame read from a Parquet file whose first row is row ``first_row`` of the file (a
        file read in batches: ``curator.core.stream``)."""
        table, frame = frame, _flattened(frame, options)
        names = frame.columns
        try:
            mapping = resolve_columns(names, options, path)
        except FieldsUnknown as e:
            e.samples = [{k: str(v) for k, v in row.items() if v is not None} for row in frame.head(5).iter_rows(named=True)]
            raise
        problems = Problems(path)
        for name, role in ((*((n, "input") for n in mapping.inputs), (mapping.output, "output"))):
            if frame.schema[name] != pl.String:
                problems.add(None, names.index(name) + 1, f"{role} column {name!r} must hold text, not "
                                                          f"{frame.schema[name]}")
        problems.raise_if_any()
        resolved = resolved_options(replace(options, header=True), mapping)
        said_mapping = said(mapping, options)
        fields = table_fields(mapping, tags_separator=";" if frame.schema.get("tags") == pl.String else None)
        records = None if fields is None else to_records(
            frame, fields, pl.int_range(first_row, first_row + frame.height, eager=True, dtype=pl.Int64))
        if records is not None:
            resolved = resolved.with_split_names(split_names(frame))
            return ReadResult(records, self.name, resolved, source=Source(self.name, resolved, table=table),
                              mapping=said_mapping)
        builder = RecordBuilder()
        required = [names.index(mapping.inputs[0]), names.index(mapping.output)]
        for row_number, values in enumerate(frame.iter_rows(), start=first_row):
            missing = [k for k in required if values[k] is None]
            if missing:
                problems.add(row_number, missing[0] + 1, "missing value (null)")
                continue
            try:
                _add_row(builder, row_number, names, list(values), mapping)
            except RecordError as e:
                problems.add(row_number, 1, e.reason)
        problems.raise_if_any()
        resolved = resolved.with_split_names(builder.split_names)
        return ReadResult(builder.frame(), self.name, resolved, source=Source(self.name, resolved, table=table),
                          mapping=said_mapping)

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        table = source.table if source is not None else None
        mapping = table_mapping(options)
        data: dict[str, Any] = {mapping.inputs[0]: records["text_input"]}
        if len(mapping.inputs) > 1:  # split back the inputs of the rows written anew (the others are copied)
            src, changed = provenance(records, source)
            written = (src < 0) | changed if table is not None else np.ones(records.height, dtype=bool)
            rows = records.select("text_input", "extra", "src_line").iter_rows(named=True)
            split = [_inputs(row, mapping) if new else {} for row, new in zip(rows, written.tolist())]
            data = {name: [values.get(name) for values in split] for name in mapping.inputs}
        data[mapping.output] = records["output"]
        if mapping.system:
            data[mapping.system] = records["system"]
        kept = table.columns if table is not None else []
        for c in ("split", "tags", "note"):
            if c in kept or c in _curator_columns(records):
                data[c] = records[c]
        rows_extra = [extras({"extra": e}) for e in records["extra"]]
        for k in dict.fromkeys(k for e in rows_extra for k in e):
            data[k] = [e.get(k) for e in rows_extra]
        frame = _folded(pl.DataFrame(data), mapping, table)
        if table is not None:
            frame = _onto(table, frame, *provenance(records, source))
        frame.write_parquet(out, statistics=False)
        return Source(self.name, options, table=frame)

    def lossy_fields(self, records: pl.DataFrame, options: FormatOptions | None = None) -> list[str]:
        return _lossy(records, table_mapping(options or FormatOptions()))


CSV = Delimited("csv", ",", (".csv",), csv.QUOTE_MINIMAL)
TSV = Delimited("tsv", "\t", (".tsv", ".tab"), csv.QUOTE_NONE)
PARQUET = Parquet()


def _struct_field(frame: pl.DataFrame, name: str) -> tuple[str, str] | None:
    """(struct column, field) when ``name`` is ``a.b`` for a struct column ``a`` with a field ``b`` (and no column
    is named ``a.b`` itself)."""
    parent, _, leaf = name.partition(".")
    dtype = frame.schema.get(parent)
    if name in frame.columns or not leaf or not isinstance(dtype, pl.Struct):
        return None
    return (parent, leaf) if leaf in [f.name for f in dtype.fields] else None


def _flattened(frame: pl.DataFrame, options: FormatOptions) -> pl.DataFrame:
    """The frame with each struct field the options name (``meta.question``) beside it as a column of its own."""
    named = [c for c in (*(options.input_col or "").split(","), options.output_col, options.system_col) if c]
    fields = [(name, found) for name in named if (found := _struct_field(frame, name))]
    if not fields:
        return frame
    return frame.with_columns(pl.col(parent).struct.field(leaf).alias(name) for name, (parent, leaf) in fields)


def _folded(frame: pl.DataFrame, mapping: Mapping, table: pl.DataFrame | None) -> pl.DataFrame:
    """The frame with each ``a.b`` column written back into field ``b`` of struct column ``a`` (``_flattened``
    undone), the struct's fields in the source's order."""
    for name in (*mapping.inputs, mapping.output, mapping.system):
        if not name or name not in frame.columns or "." not in name:
            continue
        parent, leaf = name.split(".", 1)
        shape = table if table is not None and parent in table.columns else frame
        dtype = shape.schema.get(parent)
        if not isinstance(dtype, pl.Struct) or leaf not in [f.name for f in dtype.fields]:
            continue
        have = parent in frame.columns and isinstance(frame.schema[parent], pl.Struct)
        present = [f.name for f in frame.schema[parent].fields] if have else []
        parts = [pl.col(name).alias(f.name) if f.name == leaf else
                 (pl.col(parent).struct.field(f.name) if f.name in present else pl.lit(None, f.dtype)).alias(f.name)
                 for f in dtype.fields]
        frame = frame.with_columns(pl.struct(parts).alias(parent)).drop(name)
    return frame


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
