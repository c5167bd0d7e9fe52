"""A source read from a file keeps the file open instead of its bytes: saves copy untouched records from the file
as it was read, even once it was replaced, and never from a file changed in place since."""

from __future__ import annotations

import io
import json
import os

from curator.core.formats.registry import read_file, write_file
from curator.core.formats.source import FileBytes
from curator.core.ops import SetField
from curator.core.session import Session

LINES = [{"text_input": f"q{i}", "output": f"a{i}", "n": 1.0e3} for i in range(5)]


def styled(rows) -> bytes:
    # a spelling only the source bytes keep (1.0e3 would be written back as 1000.0)
    return b"".join(json.dumps(r, separators=(",", ":")).replace("1000.0", "1.0e3").encode() + b"\n" for r in rows)


def test_a_read_source_holds_the_file_not_its_bytes(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(styled(LINES))
    result = read_file(path)
    assert isinstance(result.source.data, FileBytes)
    out = io.BytesIO()
    write_file(result.records, out, result.format, source=result.source)
    assert out.getvalue() == path.read_bytes()


def test_untouched_records_come_from_the_file_as_read_after_it_was_replaced(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(styled(LINES))
    result = read_file(path)
    replaced = tmp_path / "other"
    replaced.write_bytes(b'{"text_input": "new", "output": "x"}\n')
    os.replace(replaced, path)  # an editor's save: a new file under the old name
    out = io.BytesIO()
    write_file(result.records, out, result.format, source=result.source)
    assert out.getvalue() == styled(LINES)


def test_a_file_changed_in_place_is_not_copied_from(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(styled(LINES))
    result = read_file(path)
    with path.open("r+b") as f:  # same inode, other bytes (and a later modification time)
        f.write(b"X" * 10)
        os.utime(f.fileno(), ns=(0, 0))
    out = io.BytesIO()
    write_file(result.records, out, result.format, source=result.source)
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert written == [{"text_input": r["text_input"], "output": r["output"], "n": 1000.0} for r in LINES]


def test_saves_in_a_row_copy_from_the_file_each_save_wrote(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(styled(LINES))
    with Session.open(path) as s:
        s.apply(SetField.broadcast("delete", [1], "deleted", True))
        s.save()
        assert isinstance(s.source.data, FileBytes)
        s.apply(SetField("edit", (3,), "output", ("changed",)))
        s.save()
    expected = styled(LINES).splitlines(keepends=True)
    expected[3] = json.dumps({**LINES[3], "output": "changed"}, separators=(",", ":")).encode() + b"\n"  # serialised
    del expected[1]
    assert path.read_bytes() == b"".join(expected)
    with Session.open(path) as s:  # the lock ended with the session (the source's descriptor is not the lock's)
        assert len(s.dataset) == 4
