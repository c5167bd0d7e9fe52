"""Untouched stays byte-identical: saving (or converting to the same format) rewrites only what changed.

Any valid file of any format, k random edits, save: exactly the records edited, added or deleted differ; every
other record keeps its bytes (explicit default fields, key order, escapes, number spelling, line endings).
"""

from __future__ import annotations

import difflib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.ops import AddRows, SetField
from curator.core.session import Session

FIXTURES = Path(__file__).parents[2] / "fixtures"

STYLED = {
    # explicit defaults, key orders, escapes, number spellings, a BOM, CRLF, no final newline
    "styled.jsonl": (
        b'\xef\xbb\xbf{"split": "train", "output": "a", "text_input": "caf\\u00e9", "n": 1.0e3, "tags": []}\r\n'
        b'{"text_input":"x\\/y","output":"b","note":null,"k":1E5,"split":"train"}\r\n'
        b'{"text_input": "\\ud83d\\ude00 emoji", "output": "c", "split": "test", "w": -0.0}\r\n'
        b"\r\n"
        b'{"text_input": "tab\\there", "output": "d", "deep": {"b": [1, 2.50], "a": null}}'
    ),
    "styled.json": (
        b'[\n    {\n        "instruction": "Say hi",\n        "input": "",\n        "output": "hi",\n'
        b'        "split": "train"\n    },\n    {\n        "instruction": "Add",\n        "input": "1 2",\n'
        b'        "output": "3"\n    },\n    {"instruction": "x", "output": "y", "score": 0.10}\n]'
    ),
    "styled.csv": (
        b'question,answer,split,source\r\n"what, now",yes,train,web\r\nhow?,"multi\r\nline",test,\r\n'
        b"plain,text,train,x\r\n"
    ),
    "styled.tsv": b"prompt\tcompletion\tsplit\nq1\ta1\ttrain\nq2\ta2\tvalidation\nq3\ta3\ttrain\n",
}


def corpus() -> dict[str, bytes]:
    """Every fixture that reads as a dataset, and the styled files above."""
    files = {}
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file():
            try:
                read_file(path)
            except CuratorError:
                continue
            files[str(path.relative_to(FIXTURES))] = path.read_bytes()
    files.update(STYLED)
    return files


CORPUS = corpus()
NAMES = sorted(CORPUS)


def record_bytes(path: Path, holder) -> list[bytes]:
    source = holder.source
    if source.table is not None:
        return []
    starts, ends = source.spans()
    return [source.data[s:e] for s, e in zip(starts.tolist(), ends.tolist())]


@st.composite
def edits(draw, n: int):
    """(ids to edit, ids to delete, how many to add, ids to move to another split)."""
    ids = st.sets(st.integers(0, max(n - 1, 0)), max_size=min(n, 4)) if n else st.just(set())
    edited, deleted, moved = draw(ids), draw(ids), draw(ids)
    return sorted(edited), sorted(deleted - edited), draw(st.integers(0, 2)), sorted(moved - deleted)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.data())
def test_a_save_after_k_edits_changes_exactly_the_edited_added_and_deleted_records(name, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(CORPUS[name])
        with Session.open(path) as s:
            n = len(s.dataset)
            before = record_bytes(path, s)
            edited, deleted, added, moved = data.draw(edits(n))
            if s.format not in ("csv", "tsv", "parquet", "pairs-json"):
                split_moves = moved  # tables gain a column for a split they lack; pair lists cannot hold one
            else:
                split_moves = []
            for i in edited:
                s.apply(SetField.broadcast("edit", [i], "output", f"edited {i} ✓"))
            for i in split_moves:
                s.apply(SetField.broadcast("move", [i], "split", "validation"))
            if deleted:
                s.apply(SetField.broadcast("delete", deleted, "deleted", True))
            if added:
                ids = s.dataset.reserve_ids(added)
                s.apply(AddRows("add", tuple(s.dataset.new_row(i, text_input=f"new {i}", output="n") for i in ids)))
            old_bytes = path.read_bytes()
            s.save()
            changed = set(edited) | set(split_moves)
            kept = [i for i in range(n) if i not in changed and i not in deleted]
        if n - len(deleted) + added == 0:
            return  # nothing left to compare (an empty JSONL is an empty file)
        after = read_file(path)
        assert after.records.height == n - len(deleted) + added
        if after.source.table is not None:  # Parquet: rows, not bytes
            old = pl.read_parquet(io.BytesIO(old_bytes))
            new = after.source.table
            survivors = [i for i in range(n) if i not in deleted]
            for row_new, i in enumerate(survivors):
                if i in kept:
                    assert new.row(row_new, named=True) == old.row(i, named=True)
            return
        now = record_bytes(path, after)
        survivors = [i for i in range(n) if i not in deleted]
        for position, i in enumerate(survivors):
            if i in kept:
                assert now[position] == before[i], (name, i)
            else:
                assert now[position] != before[i] or i in split_moves, (name, i)
        if path.suffix in (".jsonl", ".csv", ".tsv"):
            old_lines, new_lines = old_bytes.splitlines(), path.read_bytes().splitlines()
            diff = [d for d in difflib.ndiff([x.decode() for x in old_lines], [x.decode() for x in new_lines])
                    if d[:1] in "+-" and d[2:].strip()]  # a blank line after a deleted record may go with it
            touched = {i for i in range(n) if i not in kept}
            most = sum(before[i].count(b"\n") + 1 for i in touched) + sum(
                now[p].count(b"\n") + 1 for p, i in enumerate(survivors) if i not in kept
            ) + added * 2 + 2 * old_bytes.startswith(b"\xef\xbb\xbf")  # the BOM stays first, on another line
            assert len(diff) <= most, diff


def test_explicit_default_split_survives_a_save_with_three_edits(tmp_path):
    """The case of issue 12: 1,000 rows all carrying "split": "train", 3 edits, a 3-line diff."""
    path = tmp_path / "d.jsonl"
    lines = [json.dumps({"text_input": f"q{i}", "output": f"a{i}", "split": "train"}) for i in range(1000)]
    path.write_text("\n".join(lines) + "\n")
    with Session.open(path) as s:
        s.apply(SetField("edit", (3, 500, 999), "output", ("x", "y", "z")))
        s.save()
        s.apply(SetField.broadcast("edit", [4], "output", "again"))  # a second save copies from the first
        s.save()
    new = path.read_text().splitlines()
    differ = [i for i, (a, b) in enumerate(zip(lines, new)) if a != b]
    assert differ == [3, 4, 500, 999]
    assert new[3] == '{"text_input": "q3", "output": "x", "split": "train"}'


def test_undoing_an_edit_writes_the_record_back_as_it_was(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"output":"a", "text_input":"q",   "split":"train"}\n')
    with Session.open(path) as s:
        s.apply(SetField.broadcast("edit", [0], "output", "b"))
        s.undo()
        s.save()
    assert path.read_bytes() == b'{"output":"a", "text_input":"q",   "split":"train"}\n'


@pytest.mark.parametrize("name", NAMES)
def test_convert_to_the_same_format_is_byte_identical(tmp_path, name):
    source = tmp_path / Path(name).name
    source.write_bytes(CORPUS[name])
    target = tmp_path / ("out" + source.suffix)
    fmt = read_file(source).format
    done = subprocess.run([sys.executable, "-m", "curator", "convert", str(source), str(target), "--to", fmt],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    if fmt == "parquet":
        assert pl.read_parquet(target).equals(pl.read_parquet(source))
    else:
        assert target.read_bytes() == source.read_bytes()
