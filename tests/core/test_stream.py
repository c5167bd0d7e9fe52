"""Streaming a large file in batches: the same records as a whole read, exact places for bad lines, and
``curator stats`` over batches equal to the in-memory figures."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curator.cli import main
from curator.core import loading, stream
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.model import RECORD_FIELDS


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


def test_a_bad_line_deep_in_the_file_keeps_its_place(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", 2000, broken_at=1733)
    with pytest.raises(CuratorError) as caught:
        list(stream.record_batches(path))
    assert caught.value.problems[0].line == 1734
    assert str(caught.value.problems[0]).startswith(f"{path}:1734:")


def test_only_jsonl_streams(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("input,output\nq,a\n")
    with pytest.raises(CuratorError, match="only JSONL"):
        list(stream.record_batches(path))


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
