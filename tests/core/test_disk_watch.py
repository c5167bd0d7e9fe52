"""An open session notices, when polled, that something else changed its file on disk: once per change, not for
a touch, not for its own saves; a read-only session too."""

from __future__ import annotations

import os

from curator.core.ops import SetField
from curator.core.session import Session

ROWS = '{"text_input": "q", "output": "a"}\n{"text_input": "r", "output": "b"}\n'


def test_a_change_made_elsewhere_is_said_once(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(ROWS)
    with Session.open(path) as session:
        assert session.disk_change() is None
        os.utime(path, ns=(1, 1))  # touched: the same bytes
        assert session.disk_change() is None
        path.write_text(ROWS + '{"text_input": "s", "output": "c"}\n')
        change = session.disk_change()
        assert change is not None and change.startswith("modified ") and change.endswith("70 → 105 bytes")
        assert session.disk_change() is None  # said once
        path.unlink()
        assert session.disk_change() == "deleted or moved away"
        assert session.disk_change() is None


def test_our_own_saves_are_not_changes(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(ROWS)
    with Session.open(path) as session:
        session.apply(SetField.broadcast("edit", [0], "output", "longer answer"))
        session.save()
        assert session.disk_change() is None
        session.save(tmp_path / "e.jsonl")  # save as: the new file is watched
        assert session.disk_change() is None
        (tmp_path / "e.jsonl").write_text(ROWS)
        assert session.disk_change() is not None


def test_a_read_only_session_notices_too(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(ROWS)
    with Session.open(path, read_only=True) as session:
        assert session.disk_change() is None
        path.write_text(ROWS.replace("a", "z"))
        os.utime(path, ns=(2, 2))
        assert session.disk_change() is not None
