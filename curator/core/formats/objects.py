"""The machinery shared by formats whose records are JSON objects, one per line (JSONL) or in a list (JSON).

A concrete format says how one object becomes (text_input, output, system, remaining keys) and back.
Remaining keys are curator's own fields (split, tags, note) or unknown fields kept as ``extra``.
"""

from __future__ import annotations

from itertools import chain, islice
from typing import Any, BinaryIO

import polars as pl

from curator.core.errors import Problem
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.common import (
    Problems,
    RecordBuilder,
    RecordError,
    curator_keys,
    decode_utf8,
    dumps_like,
    extras,
    iter_json_list,
    iter_json_lines,
    json_type,
    key_column,
    patched,
    source_object,
)
from curator.core.formats.source import LINES, LIST, Source, list_source, lines_source, write_spliced


SAMPLE = 100  # objects a reader sees before deciding how to map them


class Unsupported(RecordError):
    """A record curator cannot represent (e.g. multi-turn); skippable when the caller allows it."""


class ObjectFormat:
    """Base for JSON-object formats. Subclasses set name, extensions, container and implement
    ``decode(obj) -> (text_input, output, system, rest)``, ``encode(row) -> dict`` and ``looks_like(obj)``."""

    name: str
    extensions: tuple[str, ...]
    container: str  # "lines" (JSONL) or "list" (a JSON list)
    holds_system = True

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        raise NotImplementedError

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def looks_like(self, obj: Any) -> bool:
        raise NotImplementedError

    # -- protocol ---------------------------------------------------------------------------------

    def sniff(self, head: bytes) -> bool:
        first = first_value(head, self.container)
        return first is not None and self.looks_like(first)

    def read(self, data: bytes, path: str, options: FormatOptions, allow_skipped: bool = False) -> ReadResult:
        text = decode_utf8(data, path)
        problems = Problems(path)
        skipped: list[Problem] = []
        builder = RecordBuilder()
        ordinals: list[int] = []  # which list elements became records
        if self.container == "lines":
            items = ((line, None, line_text, value) for line, line_text, value in iter_json_lines(text, problems))
        else:
            items = ((line, col, None, value) for line, col, value in iter_json_list(text, problems))
        head = list(islice(items, SAMPLE))
        fmt = self.for_file(options, [value for *_, value in head], path)
        for ordinal, (line, col, line_text, value) in enumerate(chain(head, items)):
            try:
                if not isinstance(value, dict):
                    raise RecordError(f"expected a JSON object for an example, found {json_type(value)}")
                text_input, output, system, rest = fmt.decode(value)
                builder.add(line, text_input, output, system, rest)
                ordinals.append(ordinal)
            except Unsupported as e:
                problem = Problem(path, line, col or 1, f"unsupported: {e.reason}")
                if allow_skipped:
                    skipped.append(problem)
                else:
                    problems.add(problem.line, problem.column, problem.reason)
            except RecordError as e:
                problems.add(line, key_column(line_text, e.key, col or 1), e.reason)
        problems.raise_if_any()
        frame = builder.frame()
        options, mapping = fmt.resolved(options)
        options = options.with_split_names(builder.split_names)
        if self.container == "lines":
            source = lines_source(self.name, options, data, frame["src_line"])
        else:
            source = list_source(self.name, options, data, ordinals)
        return ReadResult(frame, self.name, options, skipped, source, mapping)

    def for_file(self, options: FormatOptions, first: list[Any], path: str) -> ObjectFormat:
        """The reader for one file, given its first objects (formats with fixed fields: this one)."""
        return self

    def resolved(self, options: FormatOptions) -> tuple[FormatOptions, str | None]:
        """The options that write the file back as read, and what was mapped (None: the format's own fields)."""
        return options, None

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        if self.container == "list" and not records.height:
            out.write(b"[]\n")
            return list_source(self.name, options, b"[]\n", [])
        layout = LINES if self.container == "lines" else LIST
        return write_spliced(records, out, source, layout, self.serialise, self.name, options)

    def serialise(self, row: dict[str, Any], original: bytes | None) -> bytes:
        """One record's JSON: laid over its source object (key order, explicit defaults) when it has one."""
        obj = self.full_object(row)
        base = source_object(original)
        if isinstance(base, dict):
            obj = patched(base, obj)
        return dumps_like(obj, original)

    def full_object(self, row: dict[str, Any]) -> dict[str, Any]:
        """The format's object for a row, followed by curator fields and then the extras."""
        obj = self.encode(row)
        obj.update(curator_keys(row))
        for key, value in extras(row).items():
            obj.setdefault(key, value)
        return obj

    def lossy_fields(self, records: pl.DataFrame, options: FormatOptions | None = None) -> list[str]:
        """Fields with content this format cannot store (empty: it stores everything)."""
        if not self.holds_system and records["system"].is_not_null().any():
            return ["system"]
        return []


def first_value(head: bytes, container: str) -> Any:
    """The first record in the first bytes of a file, or None when it can't be parsed from them."""
    import json

    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    # Only the keys matter here: numbers and constants are not converted (a 5,000-digit integer is the
    # reader's to report, with its position).
    decoder = json.JSONDecoder(parse_int=len, parse_float=len, parse_constant=len)
    try:
        if container == "lines":
            return decoder.decode(text.split("\n", 1)[0])
        if not text.startswith("["):
            return None
        return decoder.raw_decode(text[1:].lstrip())[0]
    except (ValueError, RecursionError):
        return None
