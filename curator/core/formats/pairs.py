"""The pair-list JSON of the Gemini tuning tutorial: ``[["1", "2"], ["3", "4"], ...]``.

It stores only input and output: splits, tags, notes, system instructions and unknown fields cannot be
kept in it (writing such data asks for an explicit lossy write)."""

from __future__ import annotations

from typing import BinaryIO

import polars as pl

from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.common import Problems, RecordBuilder, decode_utf8, dumps_like, iter_json_list, json_type
from curator.core.formats.source import LIST, Source, list_source, write_spliced


class PairList:
    name = "pairs-json"
    extensions = (".json",)

    def sniff(self, head: bytes) -> bool:
        text = head[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
        return text.startswith("[") and text[1:].lstrip().startswith("[")

    def read(self, data: bytes, path: str, options: FormatOptions, allow_skipped: bool = False) -> ReadResult:
        text = decode_utf8(data, path)
        problems = Problems(path)
        builder = RecordBuilder()
        count = 0
        for line, col, value in iter_json_list(text, problems):
            count += 1
            if not isinstance(value, list) or len(value) != 2:
                shape = f"a list of {len(value)} items" if isinstance(value, list) else json_type(value)
                problems.add(line, col, f"expected a pair [input, output], found {shape}")
            elif not all(isinstance(v, str) for v in value):
                bad = next(v for v in value if not isinstance(v, str))
                problems.add(line, col, f"pair items must be strings, not {json_type(bad)}")
            else:
                builder.add(line, value[0], value[1], None, {})
        problems.raise_if_any()
        return ReadResult(builder.frame(), self.name, options, source=list_source(self.name, options, data, range(count)))

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        if not records.height:
            out.write(b"[]\n")
            return list_source(self.name, options, b"[]\n", [])
        return write_spliced(records, out, source, LIST, self.serialise, self.name, options)

    @staticmethod
    def serialise(row: dict, original: bytes | None) -> bytes:
        return dumps_like([row["text_input"], row["output"]], original)

    def lossy_fields(self, records: pl.DataFrame, options: FormatOptions | None = None) -> list[str]:
        lost = []
        if records["system"].is_not_null().any():
            lost.append("system")
        if (records["split"] != "train").any():
            lost.append("split")
        if records["tags"].list.len().gt(0).any():
            lost.append("tags")
        if records["note"].is_not_null().any():
            lost.append("note")
        if records["extra"].is_not_null().any():
            lost.append("extra fields")
        return lost


PAIRS_JSON = PairList()
