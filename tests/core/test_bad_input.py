"""Bad input gets a clear error, never a traceback: each case of issue 12 either loads correctly or says
``path:line:column: reason`` (``path: reason`` when the file cannot be read at all)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.ops import SetField
from curator.core.session import Session

ROW = '{"text_input": "q", "output": "a"}'


def _deep(tmp: Path) -> Path:
    path = tmp / "deep.jsonl"
    path.write_text('{"text_input": "q", "output": "a", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    return path


def _loop(tmp: Path) -> Path:
    (tmp / "a.jsonl").symlink_to(tmp / "b.jsonl")
    (tmp / "b.jsonl").symlink_to(tmp / "a.jsonl")
    return tmp / "a.jsonl"


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe.jsonl"
    os.mkfifo(path)
    return path


def _file(name: str, data: bytes):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make


long_line = json.dumps({"text_input": "x" * 70_000, "output": "long"}) + "\n" + ROW + "\n"

# name: (make the file, the expected error as a regex after "path:", or None when it loads)
CASES = {
    "symlink loop": (_loop, r": symbolic link loop"),
    "nesting 100,000 deep": (_deep, r":1:\d+: malformed JSON: nested too deeply"),
    "lone surrogate": (_file("s.jsonl", b'{"text_input": "a\\ud800", "output": "b"}\n'),
                       r":1:\d+: a lone surrogate escape \\ud800 is not Unicode text"),
    "5,000-digit integer": (_file("i.jsonl", ('{"text_input": "q", "output": "a", "n": ' + "9" * 5000 + "}\n").encode()),
                            r":1:\d+: an integer of 5000 digits is too long to hold"),
    "FIFO": (_fifo, r": not a regular file \(a named pipe\)"),
    "first line over 64 KiB": (_file("long.jsonl", long_line.encode()), None),
    "UTF-16": (_file("u.jsonl", (ROW + "\n").encode("utf-16")),
               r":1:1: the file is UTF-16 text; curator reads UTF-8 \(save it as UTF-8\)"),
    "CR-only line endings": (_file("cr.jsonl", (ROW + "\r" + ROW + "\r").encode()),
                             r":1:\d+: lines end with a lone CR \(classic Mac\); save the file with LF or CRLF line endings"),
    "BOM only": (_file("bom.jsonl", b"\xef\xbb\xbf"), r":1:1: empty file \(only a byte-order mark\)"),
    "empty list": (_file("e.json", b"[]"), None),
    "NaN in an extra field": (_file("nan.jsonl", (ROW[:-1] + ', "x": NaN}\n').encode()),
                              r":1:\d+: NaN is not valid JSON \(use null or a string\)"),
    "1e999 in an extra field": (_file("inf.jsonl", (ROW[:-1] + ', "x": 1e999}\n').encode()),
                                r":1:\d+: the number 1e999 is too large to hold"),
    "a folder": (lambda tmp: tmp, r": is a folder, not a file"),
}


def outcome(path: Path) -> str | None:
    """None when the file loads, else the first problem with the path cut off."""
    result: list = []

    def read() -> None:
        try:
            read_file(path)
            result.append(None)
        except CuratorError as e:
            result.append(str(e.problems[0]))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(60)
    assert result, "the read hung"
    if result[0] is None:
        return None
    assert result[0].startswith(str(path)), result[0]
    return result[0][len(str(path)) :]


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_a_located_reason_or_loads(tmp_path, name):
    make, expected = CASES[name]
    got = outcome(make(tmp_path))
    if expected is None:
        assert got is None
    else:
        assert got is not None and re.fullmatch(expected + ".*", got), got


@pytest.mark.parametrize("name", ["symlink loop", "FIFO", "nesting 100,000 deep", "lone surrogate", "UTF-16"])
def test_the_command_line_says_the_reason_without_a_traceback(tmp_path, name):
    path = CASES[name][0](tmp_path)
    done = subprocess.run([sys.executable, "-m", "curator", "check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.startswith(str(path)), done.stderr


def test_an_empty_list_loads_as_an_empty_dataset_and_saves_back(tmp_path):
    path = tmp_path / "e.json"
    path.write_bytes(b"[]\n")
    with Session.open(path) as s:
        assert len(s.dataset) == 0
        s.save()
    assert path.read_bytes() == b"[]\n"


def test_saving_into_a_read_only_folder_is_an_error_and_the_original_stays(tmp_path, monkeypatch):
    path = tmp_path / "d.jsonl"
    path.write_text(ROW + "\n")
    with Session.open(path) as s:
        s.apply(SetField.broadcast("edit", [0], "output", "b"))

        def read_only(*args, **kwargs):  # what a folder without write permission does (root ignores chmod)
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
        with pytest.raises(CuratorError, match="cannot save: Permission denied; the file on disk is unchanged"):
            s.save()
        monkeypatch.undo()
        assert s.dirty
        s.save()  # and once the folder is writable again, the save goes through
    assert path.read_text() == '{"text_input": "q", "output": "b"}\n'


def test_a_full_disk_during_save_is_an_error_and_the_original_stays(tmp_path, monkeypatch):
    path = tmp_path / "d.jsonl"
    path.write_text(ROW + "\n")
    with Session.open(path) as s:
        s.apply(SetField.broadcast("edit", [0], "output", "b"))

        def full(fd):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(CuratorError, match="cannot save: No space left on device"):
            s.save()
        monkeypatch.undo()
        assert s.dirty
    assert path.read_text() == ROW + "\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_save_as_into_a_folder_that_cannot_be_written_stays_on_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "d.jsonl"
    path.write_text(ROW + "\n")
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    with Session.open(path) as s:
        s.apply(SetField.broadcast("edit", [0], "output", "b"))

        def read_only(*args, **kwargs):  # what a folder without write permission does (root ignores chmod)
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
        with pytest.raises(CuratorError, match="cannot save: Permission denied; the file on disk is unchanged"):
            s.save(elsewhere / "d.jsonl")
        monkeypatch.undo()
        assert s.path == path and s.dirty  # still the old file, edits kept
        assert list(elsewhere.iterdir()) == []  # no workspace, no settings, no file made there
        with pytest.raises(CuratorError, match="in use"):
            Session.open(path)  # the old file's lock is still held
        s.save()
    assert path.read_text() == '{"text_input": "q", "output": "b"}\n'


def test_converting_to_a_symbolic_link_loop_says_so(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(ROW + "\n")
    out = _loop(tmp_path)
    done = subprocess.run([sys.executable, "-m", "curator", "convert", str(source), str(out)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"{out}: symbolic link loop: the link leads back to itself\n"
