"""The pair-list JSON of the Gemini tuning tutorial: ``[["1", "2"], ["3", "4"], ...]``.

It stores only input and output: splits, tags, notes, system instructions and unknown fields cannot be
kept in it (writing such data asks for an explicit lossy write)."""

from __future__ import annotations

from typing import BinaryIO

import polars as pl

from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.common import Problems, RecordBuilder, decode_utf8, dumps, iter_json_list, json_type


class PairList:
    name = "pairs-json"
    extensions = (".json",)

    def sniff(self, head: bytes) -> bool:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
        return text.startswith("[") and text[1:].lstrip().startswith("[")

    def read(self, data: bytes, path: str, options: FormatOptions, allow_skipped: bool = False) -> ReadResult:
        text = decode_utf8(data, path)
        problems = Problems(path)
        builder = RecordBuilder()
        for line, col, value in iter_json_list(text, problems):
            if not isinstance(value, list) or len(value) != 2:
                shape = f"a list of {len(value)} items" if isinstance(value, list) else json_type(value)
                problems.add(line, col, f"expected a pair [input, output], found {shape}")
            elif not all(isinstance(v, str) for v in value):
                bad = next(v for v in value if not isinstance(v, str))
                problems.add(line, col, f"pair items must be strings, not {json_type(bad)}")
            else:
                builder.add(line, value[0], value[1], None, {})
        problems.raise_if_any()
        return ReadResult(builder.frame(), self.name, options)

    def write(self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions) -> None:
        pairs = [dumps([a, b]) for a, b in zip(records["text_input"], records["output"])]
        body = "[\n" + ",\n".join("  " + p for p in pairs) + "\n]\n" if pairs else "[]\n"
        out.write(body.encode("utf-8"))

    def lossy_fields(self, records: pl.DataFrame) -> list[str]:
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
