"""The fast path (polars' readers) and the exact reader agree: same records, same source spans, same errors;
and a broken line deep in a large file still gets its exact location."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions
from curator.core.formats.fast import read_fast
from curator.core.formats.registry import FORMATS, read_data, read_file
from tests.core.test_formats_fuzz import mutated
from tests.core.test_roundtrip import CORPUS

FIXTURES = Path(__file__).parents[2] / "fixtures"


def outcome(data: bytes, fmt: str, options: FormatOptions, exact: bool):
    """What reading gives: the records (extras parsed) and spans, or the problems."""
    try:
        result = read_data(data, "f", fmt, options, exact=exact)
    except CuratorError as e:
        return "error", [str(p) for p in e.problems]
    records = result.records.with_columns(result.records["extra"].map_elements(json.loads, return_dtype=object))
    rows = records.rows()
    source = result.source
    spans = None
    if source is not None and source.table is None:
        spans = [a.tolist() for a in source.spans()]
    return "ok", rows, spans, result.options


def assert_agree(data: bytes, fmt: str, options: FormatOptions = FormatOptions()) -> None:
    assert outcome(data, fmt, options, exact=False) == outcome(data, fmt, options, exact=True)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_fast_path_reads_every_valid_fixture_and_agrees_with_the_exact_reader(name):
    data = CORPUS[name]
    fmt = read_file(FIXTURES / name).format if (FIXTURES / name).exists() else {
        ".jsonl": "gemini-jsonl", ".json": "alpaca-json", ".csv": "csv", ".tsv": "tsv"}[Path(name).suffix]
    assert_agree(data, fmt)


@pytest.mark.parametrize("name", ["clean.jsonl", "formats/gemini.jsonl", "formats/alpaca.json", "formats/gemini.json",
                                  "formats/table.tsv"])
def test_plain_files_take_the_fast_path(name):
    fmt = read_file(FIXTURES / name).format
    assert read_fast((FIXTURES / name).read_bytes(), name, fmt, FormatOptions()) is not None


def test_a_plain_csv_takes_the_fast_path_and_a_value_spanning_lines_the_exact_one():
    plain = b'question,answer,note\n"a, b",c,\nd,"e ""f""",checked\n'
    result = read_fast(plain, "t.csv", "csv", FormatOptions())
    assert result is not None and result.records["text_input"].to_list() == ["a, b", "d"]
    assert result.records["note"].to_list() == [None, "checked"]
    assert read_fast(b'question,answer\n"a\nb",c\n', "t.csv", "csv", FormatOptions()) is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fast_path_and_exact_reader_agree_on_mutated_files(data):
    for fmt in FORMATS:
        if fmt == "parquet":
            continue
        for options in (FormatOptions(), FormatOptions("2", "1", header=False)):
            assert_agree(data, fmt, options)


@pytest.mark.parametrize("extra", ['"n": 1', '"n": null', '"n": [1, 2]', '"n": {"a": 1}', '"split": "test"',
                                   '"split": null', '"tags": ["a"]', '"tags": [null]', '"note": null', '"n": 1e400',
                                   '"n": NaN', '"n": "\\ud800"', '"x": "3"', '"x": "{}"'])
def test_agreement_on_awkward_values(extra):
    lines = [json.dumps({"text_input": f"q{i}", "output": "a"}) for i in range(3)]
    lines[1] = lines[1][:-1] + ", " + extra + "}"
    assert_agree(("\n".join(lines) + "\n").encode(), "gemini-jsonl")


@pytest.mark.parametrize("extra", ['"n": "1"', '"n": 1', '"n": {"a": "b"}', '"n": null', '"tags": ["a"]',
                                   '"output2": "x"'])
@pytest.mark.parametrize("first", ['{"text_input": "q", "output": "a"}',
                                   '{"text_input": "q", "output": "a", "note": "kept"}'])
def test_a_key_the_first_lines_lack_is_read_as_the_exact_reader_reads_it(monkeypatch, first, extra):
    """Lines after the sample are read with the sample's keys (polars drops other keys without a word): a line
    with another key, or another key in place of a missing one, is read on its own."""
    monkeypatch.setattr("curator.core.formats.fast.SAMPLE_LINES", 2)
    lines = [first] * 4 + [first[:-1] + ", " + extra + "}", '{"text_input": "q", "output": "a", ' + extra + "}"]
    data = ("\n".join(lines) + "\n").encode()
    assert_agree(data, "gemini-jsonl")
    assert read_fast(data, "f", "gemini-jsonl", FormatOptions()) is not None


@pytest.mark.parametrize("text", [r"ends with a backslash \\", r"a quote \" inside", r"both \\\" here",
                                  r"C:\\temp\\"])
def test_escaped_quotes_and_backslashes_beyond_the_sample_read_as_the_exact_reader_reads_them(monkeypatch, text):
    monkeypatch.setattr("curator.core.formats.fast.SAMPLE_LINES", 1)
    plain = '{"text_input": "q", "output": "a"}'
    lines = [plain, plain, '{"text_input": "' + text + '", "output": "a"}',
             '{"text_input": "' + text + '", "output": "a", "n": "' + text + '"}', plain]
    assert_agree(("\n".join(lines) + "\n").encode(), "gemini-jsonl")


@pytest.mark.parametrize("chunk", [None, 1 << 20])
def test_a_broken_line_deep_in_a_large_file_is_located_exactly(tmp_path, monkeypatch, chunk):
    if chunk:  # the broken line in the sixth chunk read
        monkeypatch.setattr("curator.core.formats.fast.CHUNK_BYTES", chunk)
    path = tmp_path / "big.jsonl"
    lines = [json.dumps({"text_input": f"question {i}", "output": f"answer {i}", "split": "train"})
             for i in range(100_000)]
    lines[98_764] = '{"text_input": "question", "output": "answer" "split": "train"}'
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CuratorError) as info:
        read_file(path)
    assert [str(p) for p in info.value.problems] == [f"{path}:98765:47: malformed JSON: Expecting ',' delimiter"]


def small_chunks(monkeypatch, size: int = 64) -> None:
    monkeypatch.setattr("curator.core.formats.fast.CHUNK_BYTES", size)


@pytest.mark.parametrize("name", sorted(n for n in CORPUS if n.endswith(".jsonl")))
def test_a_jsonl_file_read_in_small_chunks_reads_as_one_piece(name, monkeypatch):
    small_chunks(monkeypatch)
    fmt = read_file(FIXTURES / name).format if (FIXTURES / name).exists() else "gemini-jsonl"
    assert_agree(CORPUS[name], fmt)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(mutated())
def test_chunk_edges_change_nothing_on_mutated_files(monkeypatch, data):
    small_chunks(monkeypatch, 48)
    for fmt in ("gemini-jsonl", "alpaca-jsonl"):
        assert_agree(data, fmt)


def test_reading_a_jsonl_file_reports_how_much_is_read(monkeypatch):
    small_chunks(monkeypatch, 1000)
    data = "".join(json.dumps({"text_input": f"q{i}", "output": "a"}) + "\n" for i in range(500)).encode()
    seen = []
    result = read_data(data, "f.jsonl", "gemini-jsonl", FormatOptions(), progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert result.records.height == 500 and result.records["src_line"].to_list() == list(range(1, 501))
    assert len(fractions) > 10 and fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize(("text", "fast"), [
    (r"emoji \ud83d\ude00 and \uD83D\uDE01", True),  # pairs: polars reads them as the exact reader does
    (r"lone high \ud83d then text", False),  # polars would read U+0000 without a word: the exact reader says it
    (r"lone low \ude00", False),
    (r"two highs \ud83d\ud83d", False),
    (r"an escaped backslash \\ud83d\ude00", False),  # the pairing is unsure
])
def test_surrogate_pairs_take_the_fast_path_and_lone_ones_the_exact_one(text, fast):
    data = ('[{"instruction": "' + text + '", "input": "", "output": "a"},\n'
            ' {"instruction": "b", "input": "", "output": "c"}]\n').encode()
    assert (read_fast(data, "a.json", "alpaca-json", FormatOptions()) is not None) == fast
    assert_agree(data, "alpaca-json")


@pytest.mark.parametrize("data", [
    b"[]", b" [ ]\n", b'["x"]', b'[1, 2.5e3 ,null,true]',
    b'\xef\xbb\xbf[{"a": "x,]\\"y"}, 1 , "s\\\\", [1,[2]] ,{"b":{}} ]',
    b'[\n  {"a": "\\\\\\""},\n  {"b": "\\\\\\\\", "c": "{[,"}\n]\n',
    '[{"é": "ü,]"}, "ß\\u00e9", {"k": ["]", "\\""]}]'.encode(),
])
def test_list_spans_cut_every_element_as_a_json_decoder_does(data):
    from curator.core.formats.source import list_spans

    body = data.removeprefix(b"\xef\xbb\xbf")
    starts, ends = list_spans(data)
    elements = json.loads(body)
    assert [json.loads(data[a:b]) for a, b in zip(starts.tolist(), ends.tolist())] == elements
    assert all(data[a:a + 1].strip() and data[b - 1:b].strip() for a, b in zip(starts.tolist(), ends.tolist()))
