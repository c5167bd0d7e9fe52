"""Streaming a large file in batches: the same records as a whole read, exact places for bad lines, and
``curator stats`` over batches equal to the in-memory figures."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curator.cli import main
from curator.core import loading, stream
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_data, read_file
from curator.core.checks import RULES
from curator.core.model import RECORD_FIELDS
from curator.core.settings import dataset_settings_path


def write_jsonl(path, n, broken_at=None):
    labels = ["billing", "shipping", "refund"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            if i == broken_at:
                f.write('{"text_input": "cut", "output": \n')
            elif i % 50 == 7:
                f.write("\n")  # blank lines count as lines
            else:
                row = {"text_input": f"ticket {i} " + "é" * (i % 13), "output": labels[i % 3],
                       "split": "validation" if i % 10 == 0 else "train", "tags": ["a"] if i % 4 == 0 else []}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(stream, "BATCH_BYTES", 4096)


def test_batches_hold_the_records_of_a_whole_read(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", 2000)
    batches = list(stream.record_batches(path))
    assert len(batches) > 10
    cols = list(RECORD_FIELDS)
    assert pl.concat(batches).select(cols).equals(read_file(path).records.select(cols))


def test_a_line_longer_than_a_batch_and_a_file_without_a_last_line_break_read_whole(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", 300)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[150] = json.dumps({"text_input": "long " * 3000, "output": "x"})  # 15,000 bytes, batches of 4,096
    path.write_text("\n".join(lines), encoding="utf-8")
    cols = list(RECORD_FIELDS)
    assert pl.concat(stream.record_batches(path)).select(cols).equals(read_file(path).records.select(cols))


def test_a_bad_line_deep_in_the_file_keeps_its_place(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", 2000, broken_at=1733)
    with pytest.raises(CuratorError) as caught:
        list(stream.record_batches(path))
    assert caught.value.problems[0].line == 1734
    assert str(caught.value.problems[0]).startswith(f"{path}:1734:")


def write_table(path, n, broken_at=None):
    """A CSV (quoted commas, quotes and line breaks in values), TSV or Parquet file of ``n`` examples."""
    labels = ["billing", "shipping", "refund"]
    rows = [{"question": f"ticket {i}, " + ('said "hi"\nthen left' if i % 7 == 0 else "é" * (i % 13)),
             "answer": labels[i % 3], "split": "validation" if i % 10 == 0 else "train", "n": str(i)}
            for i in range(n)]
    frame = pl.DataFrame(rows)
    if path.suffix == ".parquet":
        frame.write_parquet(path, row_group_size=100)
    elif path.suffix == ".tsv":
        frame.with_columns(pl.col("question").str.replace_all("\n", " ")).write_csv(path, separator="\t",
                                                                                    quote_style="never")
    else:
        frame.write_csv(path)
    if broken_at is not None:
        lines = path.read_bytes().split(b"\n")
        lines[broken_at] = lines[broken_at] + b",one too many"
        path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.parquet"])
def test_tables_stream_in_batches_holding_the_records_of_a_whole_read(tmp_path, name):
    path = write_table(tmp_path / name, 3000)
    batches = list(stream.read_batches(path))
    assert len(batches) > 10
    cols = list(RECORD_FIELDS)
    whole = read_file(path)
    assert pl.concat([b.records for b in batches]).select(cols).equals(whole.records.select(cols))
    last = {"d.csv": 3000 + 3000 // 7 + 2, "d.tsv": 3001, "d.parquet": 3000}[name]  # CSV values span lines
    assert whole.records["src_line"].max() == last
    assert {b.options for b in batches} == {whole.options}


def test_a_bad_row_deep_in_a_streamed_csv_keeps_its_place(tmp_path):
    path = write_table(tmp_path / "d.csv", 3000, broken_at=2900)
    with pytest.raises(CuratorError) as whole:
        read_file(path)
    with pytest.raises(CuratorError) as caught:
        list(stream.record_batches(path))
    assert [str(p) for p in caught.value.problems] == [str(p) for p in whole.value.problems]
    assert caught.value.problems[0].line == 2901


def test_stats_of_a_large_file_stream_with_the_same_figures(tmp_path, monkeypatch, capsys):
    path = write_jsonl(tmp_path / "d.jsonl", 3000)
    assert main(["stats", str(path), "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["stats", str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == whole
    assert whole["labels"]["distinct"] == 3 and whole["tags"][0][0] == "a"
    assert "100%" in out.err  # progress on stderr


def checked(path, monkeypatch, capsys, *args, large: bool):
    """``curator check --json`` of ``path``: read whole, or streamed in small batches."""
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000 if large else 10**12)
    code = main(["check", *args, str(path), "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out else None, out.err


def varied_jsonl(path, n, json_from=None):
    """Examples with something for every fast check: label variants, stray spaces, empty outputs, exact
    duplicates, conflicts; outputs that are JSON from example ``json_from`` on."""
    labels = ["billing", "shipping", "refund", "Billing ", "refund!"]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            output = labels[i % 5] if i % 97 else labels[3 + i % 2]
            if json_from is not None and i >= json_from:
                output = json.dumps({"label": output} if i % 41 else {"other": 1}) if i % 53 else "{cut"
            row = {"text_input": f"order {i % 700}: where is it?" + (" " if i % 89 == 0 else ""),
                   "output": "" if i % 301 == 0 else output, "split": "test" if i % 9 == 0 else "train"}
            f.write(json.dumps(row) + "\n")
    return path


@pytest.mark.parametrize("json_from", [None, 300])
def test_check_of_a_large_file_streams_with_the_same_findings(tmp_path, monkeypatch, capsys, json_from):
    path = varied_jsonl(tmp_path / "d.jsonl", 3000, json_from)
    code, whole, _ = checked(path, monkeypatch, capsys, "--fast", large=False)
    rules = {f["rule"] for f in whole["findings"]}
    expected = {"basic.empty", "basic.whitespace", "basic.exact-duplicate", "basic.conflicting-outputs"}
    expected |= {"output.not-json", "output.json-keys"} if json_from else {"labels.variant"}
    assert expected <= rules
    streamed_code, streamed, err = checked(path, monkeypatch, capsys, "--fast", large=True)
    assert (streamed_code, streamed) == (code, whole)
    assert len(list(stream.record_batches(path))) > 10  # the small batches of the fixture above


def test_check_streams_with_a_set_template_and_says_the_slow_checks_are_skipped(tmp_path, monkeypatch, capsys):
    path = varied_jsonl(tmp_path / "d.jsonl", 2000)
    (tmp_path / "curator.toml").write_text('template = "order {n}: where is it?"\n')
    _, whole, _ = checked(path, monkeypatch, capsys, "--fast", large=False)
    assert any(f["rule"].startswith("template.") for f in whole["findings"])
    _, streamed, _ = checked(path, monkeypatch, capsys, "--fast", large=True)
    assert streamed == whole
    _, slow, _ = checked(path, monkeypatch, capsys, large=True)
    skipped = [f for f in slow["findings"] if f["rule"] == "near-dup.not-run"]
    assert len(skipped) == 1 and "streams" in skipped[0]["message"]


def test_a_streamed_check_names_a_bad_line_deep_in_the_file(tmp_path, monkeypatch, capsys):
    path = write_jsonl(tmp_path / "d.jsonl", 2000, broken_at=1733)
    code, out, err = checked(path, monkeypatch, capsys, "--fast", large=True)
    assert code == 2 and out is None
    assert err.strip().splitlines()[-1].startswith(f"{path}:1734:")
    _, _, whole_err = checked(path, monkeypatch, capsys, "--fast", large=False)
    assert err.strip().splitlines()[-1] == whole_err.strip().splitlines()[-1]


@pytest.mark.parametrize("to", ["out.jsonl", "out.openai.jsonl", "out.parquet"])
def test_convert_of_a_large_file_streams_to_the_same_file(tmp_path, monkeypatch, capsys, to):
    path = write_jsonl(tmp_path / "d.jsonl", 2000)
    extra = ["--to", "openai-jsonl"] if "openai" in to else []
    monkeypatch.setattr(loading, "LARGE_SIZE", 10**12)
    assert main(["convert", str(path), str(tmp_path / f"whole-{to}"), *extra]) == 0
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["convert", str(path), str(tmp_path / to), *extra]) == 0
    assert "wrote 1,960 examples" in capsys.readouterr().out
    whole, streamed = (tmp_path / f"whole-{to}"), (tmp_path / to)
    if to.endswith(".parquet"):
        assert pl.read_parquet(streamed).equals(pl.read_parquet(whole))
    else:
        assert streamed.read_bytes() == whole.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["d.jsonl", f"whole-{to}", to])  # no batch files left


def test_a_large_file_is_not_converted_to_a_format_that_needs_it_whole(tmp_path, monkeypatch, capsys):
    path = write_jsonl(tmp_path / "d.jsonl", 200)
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["convert", str(path), str(tmp_path / "out.csv")]) == 2
    assert "JSONL format, a JSON list or Parquet, not csv" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_a_lossy_streamed_conversion_stops_and_leaves_no_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "d.jsonl"
    system = [{"role": "system", "content": "be brief"}]
    rows = [{"messages": [*system * (i == 150), {"role": "user", "content": f"q{i}"},
                          {"role": "assistant", "content": "a"}]} for i in range(200)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["convert", str(path), str(tmp_path / "out.jsonl")]) == 2
    assert "cannot store system" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl"]


@pytest.mark.parametrize("items", [[], [{"ids": [1, 2], "text": "é\n\"q\"", "none": None}, {"ids": []}]])
def test_a_listing_is_written_as_json_dump_writes_it(items):
    import io

    from curator.cli.check import dump_listing

    out = io.StringIO()
    head = {"file": "d.jsonl", "settings": {"target": "vertex", "task_type": None}}
    dump_listing(head, "findings", iter(items), out)
    assert out.getvalue() == json.dumps(dict(head, findings=items), ensure_ascii=False, indent=2) + "\n"


def test_stats_of_a_large_file_read_its_fields_through_the_settings_mapping(tmp_path, monkeypatch, capsys):
    """A file whose examples are "question"/"answer" records, mapped by its settings: streamed, the stats count
    the mapped fields as a whole read does, and say the mapping."""
    path = tmp_path / "qa.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i in range(2000):
            f.write(json.dumps({"question": "q" * (i % 40 + 1), "answer": ["yes", "no"][i % 2]}) + "\n")
    dataset_settings_path(path).write_text('[columns]\ninput = "question"\noutput = "answer"\n')
    assert main(["stats", str(path), "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    assert whole["chars"]["input"]["max"] == 40 and whole["labels"]["distinct"] == 2
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["stats", str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == whole
    assert "question" in out.err and "(streamed)" not in out.out
    _, whole_check, _ = checked(path, monkeypatch, capsys, "--fast", large=False)
    streamed_code, streamed_check, _ = checked(path, monkeypatch, capsys, "--fast", large=True)
    assert streamed_check == whole_check and whole_check["examples"] == 2000


@pytest.mark.parametrize("json_from", [None, 300])
def test_a_streamed_check_lists_the_first_findings_of_each_rule_and_counts_them_all(
        tmp_path, monkeypatch, capsys, json_from):
    """At 10M examples a finding for each example that has one grows without bound: a streamed check lists the
    first ``KEEP`` of each rule (those of the first examples, as the whole read lists them) and counts them all."""
    path = varied_jsonl(tmp_path / "d.jsonl", 2000, json_from)
    (tmp_path / "curator.toml").write_text('template = "order {n}: where is it?"\n')
    _, whole, _ = checked(path, monkeypatch, capsys, "--fast", large=False)
    monkeypatch.setattr("curator.core.checks.streamed.KEEP", 5)
    _, streamed, _ = checked(path, monkeypatch, capsys, "--fast", large=True)

    def by_rule(report):
        out = {}
        for f in report["findings"]:
            out.setdefault(f["rule"], []).append(f)
        return out

    whole_rules, streamed_rules = by_rule(whole), by_rule(streamed)
    notes = streamed_rules.pop("check.listed-in-part")
    over = {rule for rule, found in whole_rules.items() if len(found) > 5}
    assert {"basic.whitespace", "basic.exact-duplicate", "basic.conflicting-outputs"} <= over
    assert any(rule.startswith("template.") for rule in over)
    assert json_from is None or {"output.not-json", "output.json-keys"} <= over
    listed = {"labels.variant"}  # a finding for each spelling of a label: a few, never one for each example
    for rule, found in whole_rules.items():
        assert streamed_rules[rule] == (found if rule in listed else found[:5])  # the first five, in file order
    assert sorted(f["message"] for f in notes) == sorted(
        f"{len(whole_rules[rule]):,} findings: {RULES[rule].title} ({rule}); the first 5 are listed (a file read "
        "in batches keeps no more of each rule)" for rule in over - listed)


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.parquet"])
def test_stats_and_check_of_a_large_table_stream_with_the_same_figures(tmp_path, monkeypatch, capsys, name):
    path = write_table(tmp_path / name, 3000)
    assert main(["stats", str(path), "--json"]) == 0
    whole = json.loads(capsys.readouterr().out)
    code, checks, _ = checked(path, monkeypatch, capsys, "--fast", large=False)
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["stats", str(path), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == whole and "100%" in out.err
    assert whole["examples"] == 3000 and whole["labels"]["distinct"] == 3
    read = []
    monkeypatch.setattr(stream, "read_data", lambda *a, **k: read.append(a[0]) or read_data(*a, **k))
    streamed_code, streamed, _ = checked(path, monkeypatch, capsys, "--fast", large=True)
    assert (streamed_code, streamed) == (code, checks)
    assert name == "d.parquet" or len(read) > 10  # read in batches


@pytest.mark.parametrize(("name", "to"), [("d.csv", "out.jsonl"), ("d.parquet", "out.parquet"),
                                          ("d.tsv", "out.parquet"), ("d.parquet", "out.jsonl")])
def test_convert_of_a_large_table_streams_to_the_same_file(tmp_path, monkeypatch, capsys, name, to):
    path = write_table(tmp_path / name, 3000)
    monkeypatch.setattr(loading, "LARGE_SIZE", 10**12)
    assert main(["convert", str(path), str(tmp_path / f"whole-{to}")]) == 0
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["convert", str(path), str(tmp_path / to)]) == 0
    assert "wrote 3,000 examples" in capsys.readouterr().out
    whole, streamed = (tmp_path / f"whole-{to}"), (tmp_path / to)
    if to.endswith(".parquet"):
        assert pl.read_parquet(streamed).equals(pl.read_parquet(whole))
    else:
        assert streamed.read_bytes() == whole.read_bytes()


def test_a_column_mapped_jsonl_file_streams_through_the_first_batch_s_fields(tmp_path, monkeypatch, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"p{i}", "completion": f"c{i}", "system": "s"}) + "\n"
                            for i in range(2000)))
    monkeypatch.setattr(loading, "LARGE_SIZE", 10**12)
    assert main(["convert", str(path), str(tmp_path / "whole.jsonl"), "--to", "openai-jsonl"]) == 0
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    assert main(["convert", str(path), str(tmp_path / "streamed.jsonl"), "--to", "openai-jsonl"]) == 0
    assert "recognised prompt/completion: input ← prompt, output ← completion, system ← system" in (
        capsys.readouterr().err)
    assert (tmp_path / "streamed.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()
