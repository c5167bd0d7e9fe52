"""A file's own columns, read by polars, mapped to records in bulk (the fast path's mapping layer).

``to_records(raw, fields)`` turns a frame of the file's columns into a records frame, or returns None when a
value is not what the exact reader accepts (then the exact reader runs and says where and why). ``Fields``
names the file's columns that hold the input (several compose with ``\\n\\n``, as Alpaca's instruction and
input do), the output and the system text; every other column is kept as an extra.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from curator.core.model import RECORD_FIELDS, SCHEMA, SPLIT_NAMES

_ALPACA_INPUT = "__alpaca_input__"


@dataclass(frozen=True)
class Fields:
    """Which of a file's columns make the example; ``joined`` names an input column whose non-empty values
    follow the first after a blank line, kept for writing back as ``__alpaca_input__`` (Alpaca), or under
    ``kept_as`` by its own name (a table composing two columns: ``{"__as_read__": {"input": ...}}``)."""

    input: str
    output: str
    joined: str | None = None
    kept_as: str | None = None
    system: str | None = None  # the column holding the system text (a null: none)
    tags_separator: str | None = None  # tables hold tags as one ";"-separated text
    empty_is_none: bool = False  # tables: an empty note or system cell is none
    nulls_are_values: bool = False  # tables: a null is a value; JSON: a null may be a missing key


def to_records(raw: pl.DataFrame, fields: Fields, src_line: pl.Series) -> pl.DataFrame | None:
    """Records from ``raw``, or None when the exact reader must judge the file."""
    n = raw.height
    schema = raw.schema
    mapped = [c for c in (fields.input, fields.output, fields.joined) if c]
    for name in mapped:
        if name not in schema or schema[name] != pl.String or raw[name].null_count():
            if name == fields.joined and name not in schema:
                continue
            return None
    text = pl.col(fields.input)
    extra_parts: list[pl.Expr] = []
    if fields.joined and fields.joined in schema:
        joined = pl.col(fields.joined)
        text = pl.when(joined != "").then(pl.concat_str([text, pl.lit("\n\n"), joined])).otherwise(text)
        kept = (pl.struct(pl.struct(joined.alias(fields.joined)).alias(fields.kept_as)) if fields.kept_as
                else pl.struct(joined.alias(_ALPACA_INPUT)))
        extra_parts.append(pl.when(joined != "").then(kept.struct.json_encode()))
    columns: list[pl.Expr] = [text.alias("text_input"), pl.col(fields.output).alias("output")]
    system = schema.get(fields.system, pl.Null) if fields.system else pl.Null
    if system not in (pl.String, pl.Null):
        return None
    if system == pl.String:
        columns.append((pl.when(pl.col(fields.system) != "").then(pl.col(fields.system)) if fields.empty_is_none
                        else pl.col(fields.system)).alias("system"))
    else:
        columns.append(pl.lit(None, dtype=pl.String).alias("system"))

    split = _split(raw, fields)
    if split is None:
        return None
    columns.append(split)
    tags = _tags(raw, fields)
    if tags is None:
        return None
    columns.append(tags)
    note = _note(raw, fields)
    if note is None:
        return None
    columns.append(note)

    kept = [c for c in raw.columns if c not in (*mapped, fields.system, "split", "tags", "note")]
    for name in kept:
        dtype = schema[name]
        ok = _primitive(dtype) or (isinstance(dtype, pl.List) and _primitive(dtype.inner))
        if not ok or (not fields.nulls_are_values and raw[name].null_count()):
            return None
        if dtype.is_float() and not raw[name].is_finite().fill_null(True).all():
            return None
    if kept:
        extra_parts.append(pl.struct(kept).struct.json_encode())
    columns.append(_merged(extra_parts).alias("extra"))
    out = raw.select(columns).with_columns(src_line.alias("src_line"))
    if out.height != n:  # pragma: no cover - select keeps every row
        return None
    return out.select(list(RECORD_FIELDS)).cast({k: SCHEMA[k] for k in RECORD_FIELDS})


def _primitive(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype in (pl.String, pl.Boolean)


def _split(raw: pl.DataFrame, fields: Fields) -> pl.Expr | None:
    if "split" not in raw.columns:
        return pl.lit("train").alias("split")
    column = raw["split"]
    if column.dtype != pl.String or column.null_count() or not column.is_in(list(SPLIT_NAMES)).all():
        return None
    return pl.col("split").replace(SPLIT_NAMES)


def split_names(raw: pl.DataFrame) -> dict[str, str]:
    """The splits a file's ``split`` column names otherwise (``{"validation": "dev"}``), by their first name."""
    if raw.schema.get("split") != pl.String:
        return {}
    names: dict[str, str] = {}
    for value in raw["split"].drop_nulls().unique(maintain_order=True).to_list():
        if SPLIT_NAMES.get(value, value) != value:
            names.setdefault(SPLIT_NAMES[value], value)
    return names


def _tags(raw: pl.DataFrame, fields: Fields) -> pl.Expr | None:
    if "tags" not in raw.columns:
        return pl.lit([], dtype=SCHEMA["tags"]).alias("tags")
    column = raw["tags"]
    if fields.tags_separator is not None:
        if column.dtype != pl.String:
            return None
        parts = pl.col("tags").fill_null("").str.split(fields.tags_separator)
        return parts.list.eval(pl.element().filter(pl.element() != "")).alias("tags")
    if column.dtype != SCHEMA["tags"] or column.null_count() or column.explode().null_count() > column.list.len().eq(0).sum():
        return None
    return pl.col("tags")


def _note(raw: pl.DataFrame, fields: Fields) -> pl.Expr | None:
    if "note" not in raw.columns:
        return pl.lit(None, dtype=pl.String).alias("note")
    column = raw["note"]
    if column.dtype == pl.Null:
        return pl.lit(None, dtype=pl.String).alias("note")
    if column.dtype != pl.String:
        return None
    if fields.empty_is_none:
        return pl.when(pl.col("note") != "").then(pl.col("note")).alias("note")
    return pl.col("note")


def _merged(parts: list[pl.Expr]) -> pl.Expr:
    """One JSON object text from several (null parts are left out; null when all are)."""
    if not parts:
        return pl.lit(None, dtype=pl.String)
    if len(parts) == 1:
        return parts[0]
    first, second = parts
    both = pl.concat_str([first.str.head(-1), pl.lit(","), second.str.slice(1)])
    return pl.when(first.is_null()).then(second).when(second.is_null()).then(first).otherwise(both)
