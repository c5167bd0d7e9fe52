"""Other writers and other tools: the lock belongs to the file (hard links, symlinks), every command that writes
a dataset honours it, a change made on disk since the file was read is never silently overwritten, saving through
a symlink keeps the link, and what a killed save left behind is cleaned at the next open."""

from __future__ import annotations

import json
import os
import signal

import pytest

from curator.cli import main
from curator.core.formats.registry import read_file
from curator.core.ops import SetField
from curator.core.session import Session
from curator.core.split import write_split_files
from curator.core.storage.lock import InUse
from curator.core.storage.stamp import ChangedOnDisk
from tests.core.test_storage import child, wait_for, write_jsonl


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "d.jsonl"
    write_jsonl(path, 5)
    return path


def outputs(path) -> list[str]:
    return read_file(path).records["output"].to_list()


def rewrite_outside(path, output: str) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["output"] = output
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


# -- the lock belongs to the file ------------------------------------------------------------------


def test_a_hard_link_or_a_symlink_to_an_open_file_is_the_same_lock(data, tmp_path):
    hard = tmp_path / "elsewhere" / "hard.jsonl"
    hard.parent.mkdir()
    os.link(data, hard)
    soft = tmp_path / "soft.jsonl"
    soft.symlink_to(data)
    with Session.open(data):
        for other in (hard, soft):
            with pytest.raises(InUse, match=rf"in use by another curator \(pid {os.getpid()} on "):
                Session.open(other)
    with Session.open(hard):
        with pytest.raises(InUse):
            Session.open(data)


def test_the_lock_follows_the_file_through_saves(data):
    with Session.open(data) as s:
        for n in range(3):
            s.apply(SetField.broadcast("edit", [0], "output", f"v{n}"))
            s.save()  # a new file takes the old one's place: it is locked before it does
            with pytest.raises(InUse):
                Session.open(data)
    with Session.open(data) as again:
        assert again.dataset.get(0)["output"] == "v2"


def test_every_command_that_writes_a_dataset_honours_the_lock(data, tmp_path, capsys):
    source = tmp_path / "source.csv"
    source.write_text("text_input,output\nq,a\n")
    hard = tmp_path / "hard.jsonl"
    os.link(data, hard)
    before = data.read_bytes()
    with Session.open(data) as s:
        for target in (data, hard):
            assert main(["convert", str(source), str(target)]) == 2
            assert "in use by another curator" in capsys.readouterr().err
        train = tmp_path / "d.train.jsonl"
        write_jsonl(train, 2)
        with Session.open(train), pytest.raises(InUse):
            write_split_files(s.dataset, tmp_path, "d", "gemini-jsonl")  # the split screen's "one file per split"
        assert len(outputs(train)) == 2
        other = tmp_path / "other.jsonl"
        write_jsonl(other, 2)
        with Session.open(other) as o, pytest.raises(InUse):
            o.save(data)  # save as over a file open elsewhere
    assert data.read_bytes() == before


# -- changed on disk since it was read ------------------------------------------------------------------


def test_saving_over_a_change_made_on_disk_is_refused_unless_forced(data):
    with Session.open(data) as s:
        s.apply(SetField.broadcast("edit", [1], "output", "mine"))
        rewrite_outside(data, "theirs")
        with pytest.raises(ChangedOnDisk, match="changed on disk since it was read .*saving would overwrite"):
            s.save()
        assert outputs(data)[:2] == ["theirs", "label 1"] and s.dirty
        assert [p.name for p in data.parent.iterdir() if p.name.startswith(".d.jsonl")] == []
        s.save(force=True)
        assert outputs(data)[:2] == ["label 0", "mine"]
        s.apply(SetField.broadcast("edit", [2], "output", "again"))
        s.save()  # after a save the file on disk is the session's own again


def test_a_file_only_touched_or_deleted_is_no_conflict(data):
    with Session.open(data) as s:
        s.apply(SetField.broadcast("edit", [0], "output", "mine"))
        os.utime(data, (1, 1))  # same bytes, another time
        s.save()
        s.apply(SetField.broadcast("edit", [1], "output", "mine too"))
        data.unlink()  # deleted meanwhile: saving writes it back
        s.save()
    assert outputs(data)[:2] == ["mine", "mine too"]


def test_convert_leaves_an_out_changed_while_converting_unless_forced(data, tmp_path, monkeypatch, capsys):
    import curator.core.formats.registry as registry

    out = tmp_path / "out.jsonl"
    write_jsonl(out, 2)
    real = registry.write_file

    def slow_write(records, stream, *args, **kwargs):
        rewrite_outside(out, "written meanwhile")  # another program, while curator converts
        return real(records, stream, *args, **kwargs)

    monkeypatch.setattr(registry, "write_file", slow_write)
    assert main(["convert", str(data), str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{out}: changed by another program while converting (modified ")
    assert err.endswith("left as it is (--force replaces it)\n")
    assert outputs(out)[0] == "written meanwhile"
    assert main(["convert", str(data), str(out), "--force"]) == 0
    assert outputs(out) == outputs(data)


# -- symlinks -----------------------------------------------------------------------------------


def test_saving_through_a_symlink_writes_the_target_and_keeps_the_link(data, tmp_path):
    link = tmp_path / "link.jsonl"
    link.symlink_to(data.name)  # relative, as people make them
    with Session.open(link) as s:
        s.apply(SetField.broadcast("edit", [0], "output", "through the link"))
        s.save()
    assert link.is_symlink() and os.readlink(link) == data.name
    assert outputs(data)[0] == "through the link"
    converted = tmp_path / "c.csv"
    converted_link = tmp_path / "c-link.csv"
    converted.write_text("text_input,output\nold,old\n")
    converted_link.symlink_to(converted)
    assert main(["convert", str(data), str(converted_link)]) == 0
    assert converted_link.is_symlink() and converted.read_text().startswith("text_input,output\nquestion 0")


# -- what a killed save leaves behind ------------------------------------------------------------------


def test_temp_files_of_a_killed_save_are_removed_at_the_next_open(data, tmp_path):
    flag = tmp_path / "writing"
    proc = child(
        f"""
        import time
        from pathlib import Path
        from curator.core.ops import SetField
        from curator.core.session import Session
        import curator.core.session as session_module
        s = Session.open({str(data)!r})
        s.apply(SetField.broadcast("edit", [0], "output", "never saved"))
        real = session_module.write_file
        def stuck(records, out, *args, **kwargs):
            out.write(b"x" * 5_000_000)
            out.flush()
            Path({str(flag)!r}).touch()
            time.sleep(60)
        session_module.write_file = stuck
        s.save()
        """
    )
    wait_for(flag)
    stray = [p for p in tmp_path.iterdir() if p.name.startswith(".d.jsonl.") and p.name.endswith(".tmp")]
    assert len(stray) == 1 and stray[0].stat().st_size == 5_000_000
    with pytest.raises(InUse):
        Session.open(data)  # a save under way: its temp file is not touched
    assert stray[0].exists()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (tmp_path / ".d.jsonl.curator-backup").write_text("a backup link left by a kill")
    keep = [tmp_path / ".d.jsonl.notes.tmp", tmp_path / ".other.jsonl.abcdefgh.tmp", tmp_path / "d.jsonl.bak"]
    for path in keep:
        path.write_text("not curator's")
    with Session.open(data) as s:
        assert s.dataset.get(0)["output"] == "label 0"
    left = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert left == sorted(["d.jsonl", "writing", *(p.name for p in keep)])
