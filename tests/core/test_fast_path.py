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


def outcome(data: bytes, fmt: str, options: FormatOptions, exact: bool, allow_skipped: bool = False):
    """What reading gives: the records (extras parsed), spans, options, skipped lines and the mapping said, or
    the problems."""
    try:
        result = read_data(data, "f", fmt, options, exact=exact, allow_skipped=allow_skipped)
    except CuratorError as e:
        return "error", [str(p) for p in e.problems]
    records = result.records.with_columns(result.records["extra"].map_elements(json.loads, return_dtype=object))
    rows = records.rows()
    source = result.source
    spans = None
    if source is not None and source.table is None:
        spans = [a.tolist() for a in source.spans()]
    return "ok", rows, spans, result.options, [str(p) for p in result.skipped], result.mapping


def assert_agree(data: bytes, fmt: str, options: FormatOptions = FormatOptions(), allow_skipped: bool = False) -> None:
    assert (outcome(data, fmt, options, exact=False, allow_skipped=allow_skipped)
            == outcome(data, fmt, options, exact=True, allow_skipped=allow_skipped))


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


def test_a_plain_csv_takes_the_fast_path_values_spanning_lines_too():
    plain = b'question,answer,note\n"a, b",c,\nd,"e ""f""",checked\n'
    result = read_fast(plain, "t.csv", "csv", FormatOptions())
    assert result is not None and result.records["text_input"].to_list() == ["a, b", "d"]
    assert result.records["note"].to_list() == [None, "checked"]
    spanning = b'question,answer\n"a\nb",c\n"d","e\n\n""f"",\ng"\nh,i\n'
    result = read_fast(spanning, "t.csv", "csv", FormatOptions())
    assert result.records["text_input"].to_list() == ["a\nb", "d", "h"]
    assert result.records["output"].to_list() == ["c", 'e\n\n"f",\ng', "i"]
    assert result.records["src_line"].to_list() == [2, 4, 8]
    assert_agree(spanning, "csv")


@pytest.mark.parametrize("body", ['"a"b,c', 'a"b,c', 'a,"b"c', '"a,b', 'a,b"', '"a"",b', ' "a",b', '"a" ,b',
                                  '"a\r\nb",c', '"a\nb",c\r', '"",""', '"a""",b', 'a,"b\n\nc"', '"a\nb","c,d,e"',
                                  '"a\nb",c,d', 'a\n"b', '"a\n', '"""",x', 'a,"b"\n\n', '"x""y" ,z'])
def test_csv_quotes_read_as_the_exact_reader_reads_them(body):
    data = ("question,answer\nq,r\n" + body + "\ns,t\n").encode()
    assert_agree(data, "csv")
    assert_agree(data.replace(b"\n", b"\r\n"), "csv")
    assert_agree(b"\xef\xbb\xbf" + data, "csv")
    assert_agree(data, "csv", FormatOptions("2", "1", header=False))


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
    b'[\n  {"a": "\\\\\\""},\n  {"b": "\\\\\\\\", "c": "{[,"}\n]\n', b'[[], {}, [[1], {"a": [2, "]"]}], ""]  ',
    '[{"é": "ü,]"}, "ß\\u00e9", {"k": ["]", "\\""]}]'.encode(),
])
@pytest.mark.parametrize("piece", [1 << 24, 1, 2, 3, 7])
def test_list_spans_cut_every_element_as_a_json_decoder_does(data, piece, monkeypatch):
    from curator.core.formats.source import list_spans

    monkeypatch.setattr("curator.core.formats.source.LIST_PIECE", piece)  # pieces cut strings, escapes, nesting
    body = data.removeprefix(b"\xef\xbb\xbf")
    starts, ends = list_spans(data)
    elements = json.loads(body)
    assert [json.loads(data[a:b]) for a, b in zip(starts.tolist(), ends.tolist())] == elements
    assert all(data[a:a + 1].strip() and data[b - 1:b].strip() for a, b in zip(starts.tolist(), ends.tolist()))


# -- chat and contents lines (OpenAI, ShareGPT, Vertex) and column-mapped objects ---------------------------------

def chat(fmt: str, *turns: tuple[str, str], **rest) -> str:
    """A line of ``fmt`` holding ``turns`` ((role, text), roles as curator names them) and other keys."""
    if fmt == "vertex-jsonl":
        obj = {} if turns[0][0] != "system" else {"systemInstruction": {"role": "system",
                                                                        "parts": [{"text": turns[0][1]}]}}
        obj["contents"] = [{"role": {"assistant": "model"}.get(r, r), "parts": [{"text": t}]}
                           for r, t in turns if r != "system"]
        return json.dumps(obj | rest)
    key, role, text = ("messages", "role", "content") if fmt == "openai-jsonl" else ("conversations", "from", "value")
    names = {} if fmt == "openai-jsonl" else {"user": "human", "assistant": "gpt"}
    return json.dumps({key: [{role: names.get(r, r), text: t} for r, t in turns]} | rest)


CHATS = ("openai-jsonl", "sharegpt-jsonl", "vertex-jsonl")
PAIR = (("user", "q"), ("assistant", "a"))


def plain_lines(fmt: str, n: int = 6) -> list[str]:
    lines = [chat(fmt, ("user", f"question {i}"), ("assistant", f"answer {i}")) for i in range(n)]
    lines[1] = chat(fmt, ("system", "be brief"), ("user", "q1"), ("assistant", "a1"), split="test")
    return lines


def odd_chat_lines(fmt: str) -> list[str]:
    """Lines of ``fmt`` the bulk read must not take at face value: other layouts, awkward texts and keys,
    broken records and broken JSON."""
    lines = [chat(fmt, ("system", "s"), *PAIR, split="dev", note=None, tags=["t"], n=1),
             chat(fmt, *PAIR, note="kept", extra={"a": [1, None]}, system="top-level system key"),
             chat(fmt, ("user", 'ends with a backslash \\\\'), ("assistant", 'a "quoted" \\\\" \\\\\\\\"')),
             chat(fmt, ("user", "ünï \\u00e9 😀"), ("assistant", "")), chat(fmt, ("user", "\t tab"), ("assistant", "a")),
             chat(fmt, *PAIR, *PAIR), chat(fmt, ("assistant", "a"), ("user", "q")), chat(fmt, ("user", "q")),
             chat(fmt, ("user", "q"), ("system", "s"), ("assistant", "a")),
             chat(fmt, ("system", "s"), ("system", "s"), *PAIR), chat(fmt, *PAIR, split=None), chat(fmt, *PAIR, n=None),
             chat(fmt, *PAIR, split="nowhere"), chat(fmt, *PAIR, tags="x")]
    plain = chat(fmt, *PAIR)
    lines += [plain.replace('": ', '":').replace(", ", ","), plain.replace('": ', '" :\t ').replace(", ", " , "),
              " " + plain, plain + " ", plain[:-1] + ', "split": "test"  }', plain[:-1] + ",}", plain[:-1] + ", 5}",
              plain[:-1] + ', "x": 1, }', plain.replace('"q"', "5"), plain.replace('"q"', "null"),
              plain.replace('"q"', '["q"]'), plain.replace('"q"', '{"q": 1}'), plain.replace('"a"', '"a\\x"'),
              plain.replace('"q"', '"\\ud800"'), plain[:-1] + ', "' + plain[2:], plain.replace("user", "tool"),
              plain.replace('"q"', '"q" ') + "", plain[:-1] + ', "__curator_in__": "x"}', plain.replace("q", "q\\/"),
              plain.replace('"q"', '"raw\ttab"'), plain.replace('"a"', '"raw\x01"')]
    if fmt == "vertex-jsonl":
        lines += [plain.replace('{"text": "q"}', '{"text": "q"}, {"text": " and more"}'),
                  plain.replace('{"text": "q"}', '{"inlineData": {"mimeType": "image/png"}}'),
                  plain.replace('"parts": [{"text": "q"}]', '"parts": []'),
                  plain.replace('{"role": "user", ', '{"parts": [{"text": "q"}], "role": "user"} , {"role": "x", '),
                  '{"systemInstruction": {"parts": [{"text": "no role"}]}, ' + plain[1:],
                  '{"systemInstruction": {"role": 5, "parts": [{"text": "s"}]}, ' + plain[1:],
                  *('{"systemInstruction": {"role": "%s", "parts": [{"text": "s"}]}, ' % role + plain[1:]
                    for role in ("sys\\u0074em", 'a\\"b', "\\\\", "\\x", "a role longer than sixteen bytes",
                                 "long and broken \\x")),
                  '{"systemInstruction": null, ' + plain[1:], '{"systemInstruction": "s", ' + plain[1:],
                  plain[:-1] + ', "systemInstruction": {"parts": [{"text": "after"}]}}']
    else:
        role, text = ("role", "content") if fmt == "openai-jsonl" else ("from", "value")
        swapped = plain.replace(f'{{"{role}": "user", "{text}": "q"}}', f'{{"{text}": "q", "{role}": "user"}}')
        lines += [swapped, plain.replace('"a"}', '"a", "weight": 0}'), '{"id": 3, ' + plain[1:],
                  plain.replace('"q"', '[{"type": "text", "text": "q"}]'),
                  plain.replace('"q"', '[{"type": "image_url", "image_url": "u"}]'),
                  plain.replace('"system"', '"developer"'), plain.replace(f'"{text}": "q"', f'"{text}": "q", "name": "x"')]
        lines.append(plain.replace("user", "human").replace("assistant", "gpt") if fmt == "openai-jsonl"
                     else plain.replace("human", "user"))
    return lines


@pytest.mark.parametrize("fmt", CHATS)
def test_plain_chat_lines_are_read_in_bulk(fmt, monkeypatch):
    data = ("\n".join(plain_lines(fmt, 50)) + "\n").encode()
    monkeypatch.setattr("curator.core.formats.fast._decoded", None)  # one line decoded on its own would fail
    assert read_fast(data, "f", fmt, FormatOptions()) is not None
    monkeypatch.undo()
    assert_agree(data, fmt)


@pytest.mark.parametrize("fmt", CHATS)
@pytest.mark.parametrize("allow_skipped", [False, True])
def test_every_awkward_chat_line_reads_as_the_exact_reader_reads_it(fmt, allow_skipped, monkeypatch):
    monkeypatch.setattr("curator.core.formats.fast.SAMPLE_LINES", 3)
    plain = plain_lines(fmt)
    for line in odd_chat_lines(fmt):
        data = ("\n".join([*plain, line, *plain]) + "\n").encode()
        assert_agree(data, fmt, allow_skipped=allow_skipped)


@pytest.mark.parametrize("fmt", CHATS)
def test_chat_lines_read_in_small_chunks_read_as_one_piece(fmt, monkeypatch):
    small_chunks(monkeypatch, 300)
    lines = [line for pair in zip(plain_lines(fmt, 14), odd_chat_lines(fmt)) for line in pair]
    assert_agree(("\n".join(lines) + "\r\n\n").encode(), fmt, allow_skipped=True)


def test_multi_turn_chats_are_skipped_in_bulk_as_the_exact_reader_skips_them():
    lines = plain_lines("openai-jsonl", 40)
    lines[30] = chat("openai-jsonl", *PAIR, *PAIR)
    data = ("\n".join(lines) + "\n").encode()
    result = read_fast(data, "f", "openai-jsonl", FormatOptions(), allow_skipped=True)
    assert [str(p) for p in result.skipped] == ["f:31:1: unsupported: multi-turn conversation with 4 turns; curator "
                                                "handles single-turn pairs"]
    assert 31 not in result.records["src_line"].to_list() and result.records.height == 39
    assert read_fast(data, "f", "openai-jsonl", FormatOptions()) is None  # the exact reader lists it as a problem
    assert_agree(data, "openai-jsonl", allow_skipped=True)


MAPPED = [
    [{"prompt": f"p{i}", "completion": f"c{i}"} for i in range(5)],
    [{"instruction": f"i{i}", "input": "" if i % 2 else f"x{i}", "output": f"o{i}", "system": "s"} for i in range(5)],
    [{"question": "q", "answer": 3}, {"question": "q", "answer": "a", "split": "dev"}, {"question": "q"}],
    [{"question": "q", "answer": "a", "system": None}, {"question": "q", "answer": "a", "system": 5}],
    [{"text": "t", "label": "l", "meta": {"a": 1}}, {"text": None, "label": "l"}, {"text": "t", "label": "l", "x": 1}],
    [{"document": "d", "summary": "s"}, {"document": "d", "summary": "s", "document ": "other"}],
]


@pytest.mark.parametrize("objects", MAPPED)
@pytest.mark.parametrize("options", [FormatOptions(), FormatOptions("meta.a,text", "label"),
                                     FormatOptions("question", "answer", system_col="system"),
                                     FormatOptions("instruction,input", "output", template="{input} / {instruction}")])
def test_column_mapped_objects_read_as_the_exact_reader_reads_them(objects, options, monkeypatch):
    monkeypatch.setattr("curator.core.formats.fast.SAMPLE_LINES", 2)
    data = ("\n".join(json.dumps(o) for o in objects * 3) + "\n").encode()
    assert_agree(data, "jsonl", options)


def test_a_recognised_shape_is_read_in_bulk_with_its_mapping_said(monkeypatch):
    data = ("\n".join(json.dumps(o) for o in MAPPED[1] * 20) + "\n").encode()
    monkeypatch.setattr("curator.core.formats.fast._decoded", None)
    result = read_fast(data, "f", "jsonl", FormatOptions())
    assert result.mapping.startswith("recognised instruction/input/output")
    assert result.records["system"].to_list()[:2] == ["s", "s"]
    assert result.records["text_input"].to_list()[:2] == ["i0\n\nx0", "i1"]


@pytest.mark.parametrize("fmt", CHATS)
def test_chat_lines_of_several_spacings_are_read_in_bulk_as_the_exact_reader_reads_them(fmt, monkeypatch):
    lines = plain_lines(fmt, 80)
    for k in range(0, 80, 3):  # punctuation spaced three ways, each way on many lines or on few
        lines[k] = lines[k].replace('": ', '":').replace(", ", ",")
    for k in range(1, 80, 17):
        lines[k] = lines[k].replace('": ', '" :  ').replace(", ", " ,\t")
    data = ("\n".join(lines) + "\n").encode()
    monkeypatch.setattr("curator.core.formats.fast._decoded", None)  # every line is read in bulk
    assert read_fast(data, "f", fmt, FormatOptions()) is not None
    monkeypatch.undo()
    assert_agree(data, fmt)


def test_a_csv_header_with_bytes_that_are_not_utf8_reads_as_the_exact_reader_reads_it():
    assert_agree(b"text_input,output,\x80plit\nq,a,train\n", "csv")


# -- chat lists (OpenAI, ShareGPT JSON) ---------------------------------------------------------------------------

def listed(elements: list[str], layout: str) -> bytes:
    """A JSON list of ``elements`` (JSON texts): one a line as curator writes a list, all on one line, or
    indented as json.dump(..., indent=2) writes it (an element that is not JSON stays as it is)."""
    if layout == "indented":
        def indent(text: str) -> str:
            try:
                value = json.loads(text)
            except ValueError:
                return text
            pretty = json.dumps(value, indent=2, ensure_ascii=False)
            try:
                pretty.encode()
            except UnicodeEncodeError:  # a lone surrogate: written escaped
                pretty = json.dumps(value, indent=2)
            return pretty.replace("\n", "\n  ")
        elements = [indent(e) for e in elements]
    if layout == "one line":
        return ("[" + ", ".join(elements) + "]").encode()
    return ("[\n  " + ",\n  ".join(elements) + "\n]\n").encode()


LIST_CHATS = {"openai-json": "openai-jsonl", "sharegpt-json": "sharegpt-jsonl"}
LAYOUTS = ("one a line", "one line", "indented")


@pytest.mark.parametrize("fmt", LIST_CHATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_plain_chat_lists_are_read_in_bulk(fmt, layout, monkeypatch):
    data = listed(plain_lines(LIST_CHATS[fmt], 50), layout)
    monkeypatch.setattr("curator.core.formats.fast._decoded", None)  # one element decoded on its own would fail
    result = read_fast(data, "f", fmt, FormatOptions())
    assert result is not None and result.records.height == 50
    monkeypatch.undo()
    assert_agree(data, fmt)
    assert_agree(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), fmt)


@pytest.mark.parametrize("fmt", LIST_CHATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_awkward_chat_element_reads_as_the_exact_reader_reads_it(fmt, layout, monkeypatch):
    monkeypatch.setattr("curator.core.formats.fast.SAMPLE_LINES", 3)
    plain = plain_lines(LIST_CHATS[fmt])
    for element in odd_chat_lines(LIST_CHATS[fmt]):
        assert_agree(listed([*plain, element, *plain], layout), fmt)


@pytest.mark.parametrize("fmt", LIST_CHATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_chat_lists_read_in_small_chunks_read_as_one_piece(fmt, layout, monkeypatch):
    small_chunks(monkeypatch, 300)
    elements = [e for pair in zip(plain_lines(LIST_CHATS[fmt], 14), odd_chat_lines(LIST_CHATS[fmt])) for e in pair]
    assert_agree(listed(elements, layout), fmt)


@pytest.mark.parametrize("broken", [
    b'[{A} {A}]', b'[{A},, {A}]', b'[{A}, {A},]', b'[{A}, {A}] x', b'x [{A}]', b'[{A}, {A}', b'[{A}, 5]',
    b'[{A}, "s"]', b'[{A}, [{A}]]', b'[]', b'[ {A} , {A} ]\n\n', b'{A}', b'[{A}]]', b'[{A}, {A}}, {A}]',
    b'[{A},\n {"messages": [{"role": "user", "content": "a\nb"}, {"role": "assistant", "content": "c"}]}]',
    b'[{A},\n {"messages": [{"role": "user", "content": "a\rb"}, {"role": "assistant", "content": "c"}]}]',
    b'[{A},\n {"messages": [{"role": "user", "content": "a\\\\"}, {"role": "assistant",\n "content": "c"}]}]',
    b'[{A}, {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "\\"]"}]}]',
])
def test_broken_or_odd_chat_lists_read_as_the_exact_reader_reads_them(broken):
    plain = chat("openai-jsonl", *PAIR)[1:-1].encode()
    assert_agree(broken.replace(b"A", plain), "openai-json")


@pytest.mark.parametrize("options", [FormatOptions(), FormatOptions(system_col="persona"),
                                     FormatOptions("question,context", "answer", system_col="persona")])
@pytest.mark.parametrize("body", ['q,a,be brief,c,ctx', 'q,a,,,', '"q\nr","a, b","be ""brief""\nplease",,x',
                                  'q,a,be brief', 'q,a,s,c,d,e', 'q,,,,', ',a,s,,'])
def test_a_table_with_a_system_column_reads_in_bulk_as_the_exact_reader_reads_it(options, body):
    header = "question,answer,persona,note,context" if options.system_col else "question,answer,system,note,context"
    data = f"{header}\nq1,a1,s1,,c1\n{body}\nq2,a2,,n,\n".encode()
    assert_agree(data, "csv", options)
    assert_agree(data.replace(b",", b"\t"), "tsv", options)
    plain = f"{header}\nq1,a1,s1,,c1\nq2,a2,,n,\n".encode()
    assert read_fast(plain, "t.csv", "csv", options).records["system"].to_list() == ["s1", None]


@pytest.mark.parametrize("fmt", ["alpaca-json", "gemini-json"])
def test_a_one_line_list_keeps_its_order_when_some_elements_are_read_one_by_one(fmt):
    # every element of a one-line list is on line 1: the records read in bulk and the ones read one by one (a key
    # left out) must come back in the file's order, or an edit lands on another element
    elements = []
    for k in range(8):
        element = {"instruction": f"question {k}", "input": "", "output": f"answer {k}"} if fmt == "alpaca-json" \
            else {"text_input": f"question {k}", "output": f"answer {k}", "split": "train"}
        if k in (1, 4):
            element.pop("input" if fmt == "alpaca-json" else "split")
        elements.append(element)
    data = json.dumps(elements).encode()
    assert b"\n" not in data
    assert_agree(data, fmt)
    assert outcome(data, fmt, FormatOptions(), exact=False)[0] == "ok"
