"""Opening in two steps: the first examples of a line-based file, a sample of a large one."""

from __future__ import annotations

import json
import os
import threading

import polars as pl
import pytest

from curator.core import loading
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.opening import Opening, core_to_spare
from curator.core.session import Session
from curator.core.storage.lock import DatasetLock, InUse


def write_jsonl(path, n, broken_at=None):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            if i == broken_at:
                f.write('{"text_input": "broken", "output": \n')
            else:
                f.write(json.dumps({"text_input": f"question {i} " + "x" * 40, "output": f"answer {i}"}) + "\n")
    return path


@pytest.fixture
def small_head(monkeypatch):
    monkeypatch.setattr(loading, "HEAD_SIZE", 2048)


def test_head_is_the_first_examples_of_the_file_exactly(tmp_path, small_head):
    path = write_jsonl(tmp_path / "d.jsonl", 500)
    head = loading.read_head(path)
    whole = read_file(path).records
    n = head.records.height
    assert 10 < n < 500
    assert head.records.equals(whole.head(n))  # same fields, same source lines
    assert head.format == "gemini-jsonl"


def test_head_of_a_csv_keeps_the_header(tmp_path, small_head):
    path = tmp_path / "d.csv"
    path.write_text("prompt,answer\n" + "".join(f"question {i} {'y' * 30},answer {i}\n" for i in range(400)))
    head = loading.read_head(path)
    assert head.format == "csv"
    assert head.records["text_input"][0].startswith("question 0 ")
    assert head.records["src_line"][0] == 2


def test_no_head_for_small_files_json_lists_or_a_head_that_does_not_read(tmp_path, small_head):
    assert loading.read_head(write_jsonl(tmp_path / "small.jsonl", 5)) is None  # reading it all is as quick
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([{"text_input": f"q {i} " + "z" * 40, "output": "a"} for i in range(300)], indent=1))
    assert loading.read_head(listing) is None  # a JSON list cannot be cut at a line break
    broken = write_jsonl(tmp_path / "broken.jsonl", 500, broken_at=3)
    assert loading.read_head(broken) is None  # the whole read reports the problem with its place


def test_sample_reads_the_first_lines(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", 1000)
    sample = loading.read_sample(path, 250)
    assert sample.records.height == 250
    assert sample.records["src_line"].to_list() == list(range(1, 251))
    assert loading.read_sample(path, 5000).records.height == 1000  # fewer lines than asked: all of them


def test_sample_of_a_parquet_file_reads_its_first_rows(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"text_input": [f"q {i}" for i in range(300)], "output": ["a"] * 300}).write_parquet(path)
    sample = loading.read_sample(path, 120)
    assert sample.records["text_input"].to_list() == [f"q {i}" for i in range(120)]
    assert sample.format == "parquet"


def test_sample_of_a_json_list_reads_its_first_elements(tmp_path):
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([{"text_input": f"q {i}", "output": "a"} for i in range(300)], indent=1))
    sample = loading.read_sample(listing, 40)
    assert sample.records["text_input"].to_list() == [f"q {i}" for i in range(40)]


def test_large_means_above_the_limit(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "d.jsonl", 100)
    assert not loading.is_large(path)
    monkeypatch.setattr(loading, "LARGE_SIZE", path.stat().st_size - 1)
    assert loading.is_large(path)
    assert not loading.is_large(tmp_path / "missing.jsonl")


def test_a_parquet_file_counts_as_large_by_the_text_it_holds(tmp_path, monkeypatch):
    """Its pages are compressed: a 10M-example file of 580 MB holds 3.8 GB of JSONL."""
    path = tmp_path / "d.parquet"
    pl.DataFrame({"text_input": ["q"] * 100, "output": ["a"] * 100}).write_parquet(path)
    monkeypatch.setattr(loading, "LARGE_SIZE", path.stat().st_size * loading.PARQUET_RATIO - 1)
    assert loading.is_large(path)
    monkeypatch.setattr(loading, "LARGE_SIZE", path.stat().st_size * loading.PARQUET_RATIO)
    assert not loading.is_large(path)


def test_an_opening_started_in_a_thread_gives_the_head_then_the_session(tmp_path, small_head):
    path = write_jsonl(tmp_path / "d.jsonl", 500)
    heard = []
    opening = Opening(path).start()
    opening.listen(heard.append)
    head = opening.head()
    with opening.session() as session:
        assert 10 < head.records.height < 500 and session.dataset.frame.height == 500
        assert session.workspace is not None and not session.read_only  # locked, as the app opens it
    assert opening.fraction == heard[-1] == 1.0


def test_an_opening_hands_over_the_error_and_declines_a_large_file(tmp_path, small_head, monkeypatch):
    broken = write_jsonl(tmp_path / "broken.jsonl", 500, broken_at=300)
    opening = Opening(broken).start()
    with pytest.raises(CuratorError, match=":301"):
        opening.session()
    monkeypatch.setattr(loading, "LARGE_SIZE", 1000)
    large = Opening(write_jsonl(tmp_path / "large.jsonl", 500)).start()
    assert large.head() is None and large.session() is None and large.declined  # the app offers a sample


def test_an_opening_of_a_file_in_use_reads_none_of_it_and_a_read_only_one_does(tmp_path, small_head):
    path = write_jsonl(tmp_path / "d.jsonl", 500)
    other = DatasetLock(path)  # another curator holds it
    other.acquire()
    try:
        opening = Opening(path).start()
        assert opening.head() is None
        with pytest.raises(InUse, match="in use by another curator"):
            opening.session()
        with Opening(path, read_only=True).start().session() as session:
            assert session.dataset.frame.height == 500
    finally:
        other.release()
    with Opening(path).start().session() as session:  # the lock of the opening that failed was let go
        assert not session.read_only


def test_an_opening_not_started_reads_when_asked(tmp_path, small_head):
    path = write_jsonl(tmp_path / "d.jsonl", 500)
    opening = Opening(path, read_only=True)
    assert opening.head().records.height < 500  # read here, head first
    with opening.session() as session:
        assert session.dataset.frame.height == 500 and session.read_only


def test_waiting_for_an_opening_stops_when_told_and_a_session_not_wanted_is_closed(tmp_path, monkeypatch):
    release, closed = threading.Event(), threading.Event()

    class Late:
        def close(self):
            closed.set()

    monkeypatch.setattr(Session, "open", classmethod(lambda cls, *a, **k: release.wait(10) and Late()))
    opening = Opening(write_jsonl(tmp_path / "d.jsonl", 5)).start()
    assert opening.session(stop=lambda: True) is None  # the app quit while the file was read
    release.set()
    assert closed.wait(10)
    closed.clear()
    # e.g. too large to hold after all (another file: the stand-in session above does not release its lock)
    Opening(write_jsonl(tmp_path / "e.jsonl", 5)).start().discard()
    assert closed.wait(10)


def test_large_also_means_needing_more_memory_than_is_available(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "d.jsonl", 100)
    size = path.stat().st_size
    monkeypatch.setattr(loading, "available_memory", lambda: loading.estimated_memory(size) - 1)
    assert loading.is_large(path)
    monkeypatch.setattr(loading, "available_memory", lambda: loading.estimated_memory(size))
    assert not loading.is_large(path)
    monkeypatch.setattr(loading, "available_memory", lambda: None)  # not told: the size alone decides
    assert not loading.is_large(path)


def test_a_file_is_read_beside_the_import_only_with_a_core_to_spare(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.8, 3.0, 3.0))  # the last minute counts
    assert core_to_spare()
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 0.2, 0.2))  # both cores mostly busy
    assert not core_to_spare()
