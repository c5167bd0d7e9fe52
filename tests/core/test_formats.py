"""Formats: every reader and writer, byte-for-byte round trips, detection, conversion and exact errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest

from curator.core.errors import CuratorError, MoreProblems
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import FORMATS, detect_format, format_for_extension, read_file, write_file

FIXTURES = Path(__file__).parents[2] / "fixtures"
CANONICAL = {
    "gemini.jsonl": "gemini-jsonl",
    "gemini.json": "gemini-json",
    "vertex.jsonl": "vertex-jsonl",
    "openai.jsonl": "openai-jsonl",
    "alpaca.json": "alpaca-json",
    "table.csv": "csv",
    "table.tsv": "tsv",
    "table.parquet": "parquet",
}


def written(records, fmt, options=None) -> bytes:
    buf = io.BytesIO()
    write_file(records, buf, fmt, options)
    return buf.getvalue()


def read_text(tmp_path, name: str, text: str | bytes, **kw):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return read_file(path, **kw)


def problems_of(tmp_path, name, text, **kw) -> list[str]:
    with pytest.raises(CuratorError) as info:
        read_text(tmp_path, name, text, **kw)
    return [str(p).split("/")[-1] for p in info.value.problems]


@pytest.mark.parametrize("name,fmt", sorted(CANONICAL.items()))
def test_canonical_file_is_detected_and_written_back_byte_for_byte(name, fmt):
    path = FIXTURES / "formats" / name
    result = read_file(path)
    assert result.format == fmt
    assert written(result.records, fmt, result.options) == path.read_bytes()


def test_next_number_fixture_is_the_tutorial_dataset():
    result = read_file(FIXTURES / "next_number.json")
    assert result.format == "pairs-json"
    assert result.records.height == 15
    assert result.records.row(3, named=True)["text_input"] == "twenty two"
    assert result.records["src_line"].to_list()[:2] == [2, 3]
    assert written(result.records, "pairs-json") == (FIXTURES / "next_number.json").read_bytes()


def test_curator_fields_and_unknown_fields_survive_a_round_trip():
    records = read_file(FIXTURES / "formats" / "gemini.jsonl").records
    first = records.row(0, named=True)
    assert first["tags"] == ["hard"] and first["split"] == "train"
    assert json.loads(first["extra"]) == {"source": "tickets", "id": 17}
    second = records.row(1, named=True)
    assert (second["split"], second["note"]) == ("validation", "checked")


@pytest.mark.parametrize("target", ["gemini-jsonl", "vertex-jsonl", "openai-jsonl", "csv", "gemini-json"])
def test_conversion_keeps_input_output_and_metadata(target):
    source = read_file(FIXTURES / "formats" / "vertex.jsonl").records
    if target in ("gemini-jsonl", "gemini-json", "csv"):
        source = source.with_columns(system=None)
    if target == "csv":
        source = source.with_columns(extra=None)
    data = written(source, target)
    again = FORMATS[target].read(data, "x", FormatOptions())
    cols = ["text_input", "output", "system", "split", "tags", "note"]
    assert again.records.select(cols).to_dicts() == source.select(cols).to_dicts()


def test_vertex_system_instruction_maps_to_openai_system_message():
    source = read_file(FIXTURES / "formats" / "vertex.jsonl").records
    line = written(source.head(1), "openai-jsonl").decode().splitlines()[0]
    assert json.loads(line)["messages"][0] == {"role": "system", "content": "You are a classifier."}


def test_lossy_write_is_refused_unless_allowed():
    records = read_file(FIXTURES / "formats" / "gemini.jsonl").records
    with pytest.raises(CuratorError, match="pairs-json format cannot store split, tags, note"):
        written(records, "pairs-json")
    buf = io.BytesIO()
    write_file(records, buf, "pairs-json", allow_lossy=True)
    assert json.loads(buf.getvalue())[0] == ["Classify: I lost my card", "lost_card"]


def test_alpaca_join_rule_and_write_back(tmp_path):
    text = json.dumps(
        [
            {"instruction": "Translate", "input": "Hello", "output": "Bonjour"},
            {"instruction": "Name a colour", "input": "", "output": "red"},
        ],
        indent=4,
    )
    result = read_text(tmp_path, "a.json", text)
    assert result.format == "alpaca-json"
    assert result.records["text_input"].to_list() == ["Translate\n\nHello", "Name a colour"]
    assert result.records["src_line"].to_list() == [2, 7]
    back = json.loads(written(result.records, "alpaca-json"))
    assert back[0] == {"instruction": "Translate", "input": "Hello", "output": "Bonjour"}
    edited = result.records.with_columns(text_input=pl.Series(["Translate this please", "Name a colour"]))
    back = json.loads(written(edited, "alpaca-json"))
    assert back[0] == {"instruction": "Translate this please", "input": "", "output": "Bonjour"}


def test_csv_column_mapping_by_name_number_and_auto(tmp_path):
    auto = read_text(tmp_path, "b.csv", "text,category\nwhere is my card,card_arrival\n")
    assert auto.options == FormatOptions("text", "category", True)
    assert auto.records.row(0, named=True)["output"] == "card_arrival"
    assert written(auto.records, "csv", auto.options) == b"text,category\nwhere is my card,card_arrival\n"
    headerless = read_text(
        tmp_path, "s.tsv", "ham\thi there\nspam\tWIN now\n", options=FormatOptions("2", "1", header=False)
    )
    assert headerless.records["output"].to_list() == ["ham", "spam"]
    assert written(headerless.records, "tsv", headerless.options) == b"ham\thi there\nspam\tWIN now\n"


def test_csv_without_the_mapped_columns_names_the_columns_seen(tmp_path):
    msgs = problems_of(tmp_path, "c.csv", "alpha,beta\n1,2\n")
    assert msgs == [
        "c.csv:1:1: cannot tell which column holds the input; name it with --input-col. The columns are: alpha, beta"
    ]
    msgs = problems_of(tmp_path, "c.csv", "text,label\n1,2\n", options=FormatOptions(output_col="answer"))
    assert msgs == ["c.csv:1:1: no output column 'answer'; the columns are: text, label"]


def test_ragged_csv_rows_are_all_reported(tmp_path):
    msgs = problems_of(tmp_path, "r.csv", "text,label\na,b\nc\nd,e,f\ng,h\n")
    assert msgs == ["r.csv:3:1: expected 2 columns, found 1", "r.csv:4:1: expected 2 columns, found 3"]


def test_every_bad_jsonl_line_is_reported_with_line_and_column(tmp_path):
    text = "\n".join(
        [
            '{"text_input": "a", "output": "b"}',
            '{"text_input": "a", "output": 3}',
            '{"text_input": "a"',
            '{"output": "b", "text_input": null}',
            '["not", "an", "object"]',
            '{"text_input": "a", "output": "b", "split": "holdout"}',
        ]
    )
    msgs = problems_of(tmp_path, "d.jsonl", text, fmt="gemini-jsonl")
    assert msgs == [
        "d.jsonl:2:21: field 'output' must be a string, not a number",
        "d.jsonl:3:19: malformed JSON: Expecting ',' delimiter",
        "d.jsonl:4:17: field 'text_input' must be a string, not null",
        "d.jsonl:5:1: expected a JSON object for an example, found a list",
        "d.jsonl:6:36: field 'split' must be one of train, validation, test (or for validation: val, valid, dev, eval), not 'holdout'",
    ]


def test_missing_field_is_reported(tmp_path):
    assert problems_of(tmp_path, "m.jsonl", '{"text_input": "a"}\n') == ["m.jsonl:1:1: missing field 'output'"]


def test_non_utf8_bytes_are_located(tmp_path):
    data = b'{"text_input": "ok", "output": "b"}\n{"text_input": "caf\xe9", "output": "b"}\n'
    assert problems_of(tmp_path, "u.jsonl", data) == ["u.jsonl:2:20: not UTF-8: invalid byte 0xe9"]


@pytest.mark.parametrize("content,reason", [(b"", "empty file"), (b"  \n\n", "file holds only whitespace")])
def test_empty_files(tmp_path, content, reason):
    assert problems_of(tmp_path, "e.jsonl", content) == [f"e.jsonl: {reason}"]


def test_json_list_errors_point_into_the_list(tmp_path):
    assert problems_of(tmp_path, "o.json", '{"a": 1}', fmt="gemini-json") == [
        "o.json:1:1: expected a JSON list of examples at the top level, found an object"
    ]
    text = '[\n  {"text_input": "a", "output": "b"},\n  {"text_input": "a" "output": "b"}\n]'
    assert problems_of(tmp_path, "l.json", text, fmt="gemini-json") == [
        "l.json:3:22: malformed JSON: Expecting ',' delimiter"
    ]
    pairs = '[\n  ["a", "b"],\n  ["c"],\n  ["d", 4]\n]'
    assert problems_of(tmp_path, "p.json", pairs) == [
        "p.json:3:3: expected a pair [input, output], found a list of 1 items",
        "p.json:4:3: pair items must be strings, not a number",
    ]


MULTI_TURN = json.dumps(
    {
        "contents": [
            {"role": "user", "parts": [{"text": "hi"}]},
            {"role": "model", "parts": [{"text": "hello"}]},
            {"role": "user", "parts": [{"text": "and?"}]},
            {"role": "model", "parts": [{"text": "bye"}]},
        ]
    }
)
SINGLE = json.dumps(
    {"contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "a"}]}]}
)


def test_multi_turn_lines_are_reported_never_dropped_silently(tmp_path):
    text = "\n".join([SINGLE, MULTI_TURN, SINGLE])
    assert problems_of(tmp_path, "v.jsonl", text) == [
        "v.jsonl:2:1: unsupported: multi-turn conversation with 4 turns; curator handles single-turn pairs"
    ]
    result = read_text(tmp_path, "v.jsonl", text, allow_skipped=True)
    assert result.records.height == 2 and result.records["src_line"].to_list() == [1, 3]
    assert [(p.line, p.reason.split(":")[0]) for p in result.skipped] == [(2, "unsupported")]


def test_openai_roles_are_validated(tmp_path):
    bad = json.dumps({"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]})
    assert problems_of(tmp_path, "o.jsonl", bad) == [
        "o.jsonl:1:2: 'messages' must hold a user message then an assistant message, found ['assistant', 'user']"
    ]


def test_detection_and_save_as_extension():
    assert detect_format("x.jsonl", b'{"messages": []}\n') == "openai-jsonl"
    assert detect_format("x.jsonl", b'{"contents": []}\n') == "vertex-jsonl"
    assert detect_format("x.json", b'[["a","b"]]') == "pairs-json"
    assert detect_format("x.json", b'[{"instruction": "a", "input": "", "output": "b"}]') == "alpaca-json"
    assert detect_format("x.json", b'[{"instruction": "a", "response": "b"}]') == "json"
    assert detect_format("x.jsonl", b'{"conversations": []}\n') == "sharegpt-jsonl"
    assert detect_format("x.jsonl", b'{"meta": {"q": "a"}}\n') == "jsonl"  # fields to be named
    assert detect_format("noext", b'{"text_input": "a", "output": "b"}\n') == "gemini-jsonl"
    assert format_for_extension("out.parquet") == "parquet"
    with pytest.raises(CuratorError, match="cannot tell the format from the ending '.txt'"):
        format_for_extension("out.txt")
    with pytest.raises(CuratorError, match="cannot tell the format of this file"):
        detect_format("x.jsonl", b"hello\n")


def test_too_many_problems_are_capped_and_counted(tmp_path):
    text = "\n".join(['{"text_input": 1, "output": "b"}'] * 250)
    with pytest.raises(CuratorError) as info:
        read_text(tmp_path, "many.jsonl", text)
    assert len(info.value.problems) == 201
    assert info.value.problems[-1].reason == "... and 50 more problems"
    assert isinstance(info.value.problems[-1], MoreProblems) and info.value.total == 250
