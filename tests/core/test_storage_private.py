"""What curator keeps beside a dataset (prompts, outputs, edits) is created readable by its owner only."""

from __future__ import annotations

import os
import stat

from curator.core.ops import SetField
from curator.core.session import Session
from curator.core.storage.atomic import make_private_folder
from curator.core.storage.workspace import Workspace


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_workspace_folder_and_database_are_the_owners_only(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text_input": "q", "output": "a"}\n')
    old_umask = os.umask(0o022)
    try:
        with Session.open(data) as session:
            session.apply(SetField.broadcast("edit", [0], "output", "b"))  # the journal: the WAL is written
            folder = session.workspace.folder
            made = sorted(p.name for p in folder.iterdir() if p.is_file())
            modes = {p.name: mode(p) for p in folder.iterdir() if p.is_file()}
    finally:
        os.umask(old_umask)
    assert mode(folder) == 0o700
    assert "curator.db" in made and "curator.db-wal" in made
    assert set(modes.values()) == {0o600}, modes
    assert mode(data) == 0o644  # the dataset itself is the user's: its mode is left alone


def test_private_folders_are_private_at_every_level_created_and_existing_ones_are_left_alone(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    make_private_folder(shared / "a" / "b")
    assert (mode(shared), mode(shared / "a"), mode(shared / "a" / "b")) == (0o755, 0o700, 0o700)
    Workspace(shared / "a" / "b").close()
    assert mode(shared / "a" / "b" / "curator.db") == 0o600
