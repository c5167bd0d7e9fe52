"""Streaming a JSON list a batch of elements at a time: the same records as a whole read, whatever the layout
and wherever a chunk ends (inside a string, an escape, a run of backslashes); a broken element deep in the file
gets the place a whole read gives it; ``curator stats``, ``check --fast`` and ``convert`` stream such a file
with the same results."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curator.cli import main
from curator.core import loading, stream, stream_list
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.model import RECORD_FIELDS
from tests.core.test_stream import checked

COLS = list(RECORD_FIELDS)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(stream, "BATCH_BYTES", 4096)


def rows(n):
    """Examples whose texts hold what a scanner can trip on: quotes, escaped quotes, runs of backslashes, commas,
    brackets and braces, other scripts; every one with the same keys (a one-line list whose examples are read
    one by one in part comes back in another order from the whole read: not the streaming's doing)."""
    tricky = ['say "hi", then [go]', "a \\ b", 'ends with \\"', "{not, an: object}", "é, 漢字 ]", "\\\\\\\\"]
    return [{"text_input": f"q{i} {tricky[i % len(tricky)]}", "output": ["billing", "refund]", '"x"'][i % 3],
             "split": "validation" if i % 10 == 0 else "train"} for i in range(n)]


def json_list(items, layout):
    if layout == "compact":
        return json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    if layout == "spaced":
        return "\ufeff" + json.dumps(items)  # a byte-order mark, ASCII escapes
    if layout == "indented":
        return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    return "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in items) + "\n]\r\n"  # one per line


@pytest.mark.parametrize("layout", ["compact", "spaced", "indented", "lines"])
@pytest.mark.parametrize("batch", [61, 4096])
def test_a_json_list_streams_in_batches_holding_the_records_of_a_whole_read(tmp_path, monkeypatch, layout, batch):
    path = tmp_path / "d.json"
    path.write_text(json_list(rows(1500), layout), encoding="utf-8")
    monkeypatch.setattr(stream, "BATCH_BYTES", batch)  # 61: chunks end inside strings, escapes and backslash runs
    batches = list(stream.read_batches(path))
    assert len(batches) > 10
    whole = read_file(path)
    assert pl.concat([b.records for b in batches]).select(COLS).equals(whole.records.select(COLS))
    assert {b.format for b in batches} == {"gemini-json"}


@pytest.mark.parametrize("fmt", ["alpaca-json", "pairs-json", "openai-json"])
@pytest.mark.parametrize("indent", [None, 1])  # elements on one line each are read as the lines of a JSONL file
def test_other_json_list_formats_stream_through_their_own_readers(tmp_path, fmt, indent):
    items = {
        "alpaca-json": lambda i: {"instruction": f"do {i}, [now]", "input": "" if i % 2 else "ctx \"q\"",
                                  "output": "ok"},
        "pairs-json": lambda i: [f"in {i} \\", "out"],
        "openai-json": lambda i: {"messages": [{"role": "user", "content": f"u{i}"},
                                               {"role": "assistant", "content": "a]"}]},
    }[fmt]
    path = tmp_path / "d.json"
    path.write_text(json.dumps([items(i) for i in range(800)], indent=indent))
    batches = list(stream.read_batches(path))
    assert len(batches) > 3 and {b.format for b in batches} == {fmt}
    assert pl.concat([b.records for b in batches]).select(COLS).equals(read_file(path).records.select(COLS))


def broken(layout, how):
    """A JSON list of 1,500 examples broken at example 1,233 (or after its end), and where that example starts."""
    items = [json.dumps(r, ensure_ascii=False, indent=2 if layout == "indented" else None) for r in rows(1500)]
    bad = items[1233]
    if how == "field":
        bad = bad.replace('"output": "', '"output": 7, "x": "', 1)
    elif how == "syntax":
        bad = bad.replace('"output": "', '"output": "a" "', 1)
    elif how == "nan":
        bad = bad.replace('"output": "', '"output": NaN, "x": "', 1)
    elif how == "unclosed string":
        bad = bad.replace('",', ",", 1)
    items[1233] = bad
    text = "[" + (",\n" if layout == "indented" else ", ").join(items) + "]\n"
    start = text.index(bad)
    if how == "truncated":
        text = text[: start + len(bad) // 2]
    elif how == "extra data":
        text += "  [1]\n"
    return text, start


def place(text, offset):
    """The 1-based line and column (in characters) of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


@pytest.mark.parametrize("layout", ["compact", "indented"])
@pytest.mark.parametrize("how", ["field", "syntax", "nan", "unclosed string", "truncated", "extra data"])
def test_a_broken_element_deep_in_a_streamed_json_list_keeps_its_place(tmp_path, layout, how):
    path = tmp_path / "d.json"
    text, start = broken(layout, how)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CuratorError) as whole:
        read_file(path)
    with pytest.raises(CuratorError) as streamed:
        list(stream.record_batches(path))
    assert [str(p) for p in streamed.value.problems] == [str(p) for p in whole.value.problems]
    first = streamed.value.problems[0]
    if how == "field":  # a record's problem is placed where the element starts
        expected = place(text, start)
    elif how == "nan":
        expected = place(text, text.index("NaN"))
    else:  # where Python's JSON parser, reading the whole text, stops
        with pytest.raises(json.JSONDecodeError) as stop:
            json.loads(text)
        expected = stop.value.lineno, stop.value.colno
    assert (first.line, first.column) == expected, str(first)
    line, column = place(text, start)
    assert line > 6000 if layout == "indented" else column > 50_000  # deep in the file


def test_a_json_file_that_is_not_a_list_is_refused_as_a_whole_read_refuses_it(tmp_path):
    path = tmp_path / "d.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows(300)))
    with pytest.raises(CuratorError) as whole:
        read_file(path, "gemini-json")
    with pytest.raises(CuratorError) as streamed:
        list(stream.read_batches(path, "gemini-json"))
    assert [str(p) for p in streamed.value.problems] == [str(p) for p in whole.value.problems]
    assert "expected a JSON list of examples" in str(streamed.value)


def test_stats_check_and_convert_of_a_large_json_list_stream_with_the_same_results(tmp_path, monkeypatch, capsys):
    path = tmp_path / "d.json"
    items = rows(3000)
    for i in range(0, 3000, 97):
        items[i]["output"] = " refund "  # stray spaces
    items[2500] = dict(items[7])  # a duplicate
    path.write_text(json_list(items, "indented"), encoding="utf-8")
    monkeypatch.setattr(loading, "LARGE_SIZE", 10**12)
    assert main(["stats", str(path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    code, findings, _ = checked(path, monkeypatch, capsys, "--fast", large=False)
    assert main(["convert", str(path), str(tmp_path / "whole.jsonl")]) == 0
    assert {"basic.whitespace", "basic.exact-duplicate"} <= {f["rule"] for f in findings["findings"]}
    capsys.readouterr()

    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["stats", str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == stats and "100%" in out.err
    assert checked(path, monkeypatch, capsys, "--fast", large=True)[:2] == (code, findings)
    assert main(["convert", str(path), str(tmp_path / "streamed.jsonl")]) == 0
    assert "wrote 3,000 examples" in capsys.readouterr().out
    assert (tmp_path / "streamed.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


def test_a_streamed_check_names_a_broken_element_deep_in_a_json_list(tmp_path, monkeypatch, capsys):
    path = tmp_path / "d.json"
    path.write_text(broken("compact", "syntax")[0], encoding="utf-8")
    code, out, err = checked(path, monkeypatch, capsys, "--fast", large=True)
    _, _, whole_err = checked(path, monkeypatch, capsys, "--fast", large=False)
    assert code == 2 and out is None and "Traceback" not in err
    assert err.strip().splitlines()[-1] == whole_err.strip().splitlines()[-1]
    assert err.strip().splitlines()[-1].startswith(f"{path}:1:")


@pytest.mark.parametrize(("layout", "to"), [("lines", "out.json"), ("indented", "out.json"), ("compact", "out.json"),
                                            ("lines", "out.pairs.json"), ("jsonl", "out.json")])
def test_convert_of_a_large_file_to_a_json_list_streams_to_the_same_file(tmp_path, monkeypatch, capsys, layout, to):
    """Written a batch at a time, a JSON list is the whole write's bytes: its elements copied from their source
    when it is one of the same format (the file's own layout kept), else laid out as a whole write lays them."""
    items = rows(2000)
    path = tmp_path / ("d.jsonl" if layout == "jsonl" else "d.json")
    text = "".join(json.dumps(r) + "\n" for r in items) if layout == "jsonl" else json_list(items, layout)
    path.write_text(text, encoding="utf-8")
    extra = ["--to", "pairs-json", "--lossy"] if "pairs" in to else []
    monkeypatch.setattr(loading, "LARGE_SIZE", 10**12)
    assert main(["convert", str(path), str(tmp_path / f"whole-{to}"), *extra]) == 0
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["convert", str(path), str(tmp_path / to), *extra]) == 0
    assert "wrote 2,000 examples" in capsys.readouterr().out
    assert (tmp_path / to).read_bytes() == (tmp_path / f"whole-{to}").read_bytes()
    if to == "out.json" and layout != "jsonl":
        assert (tmp_path / to).read_bytes() == path.read_bytes()  # every element copied: the file as it was


def test_a_string_left_open_early_is_placed_without_holding_the_rest_of_the_file(tmp_path, monkeypatch):
    """An open string turns the scanner's view of strings inside out: no element seems to end. After a few
    batches' bytes, what is held is read, and the JSON breaks where it breaks in the whole file."""
    from curator.core.formats import registry

    items = [json.dumps(r, ensure_ascii=False) for r in rows(1500)]
    items[5] = items[5].replace('", "split"', ', "split"', 1)  # the output's closing quote lost
    path = tmp_path / "d.json"
    path.write_text("[" + ", ".join(items) + "]", encoding="utf-8")
    with pytest.raises(CuratorError) as whole:
        read_file(path)
    sizes, real = [], registry.read_data
    monkeypatch.setattr(registry, "read_data", lambda data, *a, **k: sizes.append(len(data)) or real(data, *a, **k))
    with pytest.raises(CuratorError) as streamed:
        list(stream.record_batches(path))
    assert [str(p) for p in streamed.value.problems] == [str(p) for p in whole.value.problems]
    assert "Expecting ',' delimiter" in str(streamed.value)
    assert max(sizes) <= (stream_list.HELD_BATCHES + 1) * 4096 < path.stat().st_size / 5
