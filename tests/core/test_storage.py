"""Storage: atomic saves, the journal and recovery, and the lock, proven with real processes killed by SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.ops import AddRows, Batch, SetField
from curator.core.session import Session
from curator.core.storage.atomic import atomic_write, backup_path
from curator.core.storage.workspace import MIGRATIONS, Workspace

ROOT = Path(__file__).parents[2]


def write_jsonl(path: Path, n: int, text: str = "question") -> None:
    lines = (json.dumps({"text_input": f"{text} {i} " + "x" * 40, "output": f"label {i % 5}"}) for i in range(n))
    path.write_text("\n".join(lines) + "\n")


def child(code: str) -> subprocess.Popen:
    """Run python code in a child process with the project importable."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE, text=True)


def wait_for(path: Path, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > end:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)


# -- atomic ------------------------------------------------------------------------------------


def test_atomic_write_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "d.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    with atomic_write(target) as out:
        out.write(b"new\n")
        assert target.read_text() == "old\n"  # nothing visible until the end
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert not backup_path(target).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]


def test_atomic_write_error_leaves_the_original_untouched(tmp_path):
    target = tmp_path / "d.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as out:
            out.write(b"half")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]


def test_sigkill_in_the_middle_of_saving_a_large_file_leaves_it_intact(tmp_path):
    data = tmp_path / "big.jsonl"
    write_jsonl(data, 200_000)
    original = data.read_bytes()
    for delay in (0.05, 0.3, 0.8):
        flag = tmp_path / f"saving-{delay}"
        proc = child(
            f"""
            from pathlib import Path
            from curator.core.session import Session
            from curator.core.ops import SetField
            s = Session.open({str(data)!r})
            for i in range(1000):
                s.apply(SetField.broadcast("edit", [i], "output", "changed"))
                Path({str(flag)!r}).touch()
                s.save()
            """
        )
        wait_for(flag)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        records = read_file(data).records  # parses: never half-written
        assert records.height == 200_000
        assert records["text_input"].to_list() == read_file_bytes_inputs(original)
    stray = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert all(name.startswith(".big.jsonl.") for name in stray)


def read_file_bytes_inputs(data: bytes) -> list[str]:
    return [json.loads(line)["text_input"] for line in data.decode().splitlines()]


# -- workspace ---------------------------------------------------------------------------------


def test_workspace_is_beside_the_dataset_with_wal_and_current_schema(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 3)
    ws = Workspace.for_dataset(data)
    assert ws.folder == tmp_path / ".curator"
    assert ws.query("PRAGMA journal_mode")[0][0] == "wal"
    assert ws.schema_version == len(MIGRATIONS)
    ws.close()
    assert Workspace.for_dataset(data).schema_version == len(MIGRATIONS)  # reopening migrates nothing twice


def test_read_only_folder_gets_a_workspace_in_the_user_data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "share"
    folder.mkdir()
    data = folder / "d.jsonl"
    write_jsonl(data, 3)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == folder else real_access(p, mode))
    ws = Workspace.for_dataset(data)
    assert folder not in ws.folder.parents and ws.folder.name.startswith("d.jsonl-")
    assert not (folder / ".curator").exists()


# -- session, journal, recovery ----------------------------------------------------------------

OPS_SCRIPT = """
from curator.core.ops import AddRows, Batch, SetField
def run(s):
    s.apply(SetField.broadcast("edit", [1], "output", "edited one"))
    s.apply(SetField.broadcast("delete", [2, 3], "deleted", True))
    s.apply(SetField.broadcast("tag", list(range(0, 50)), "tags", ["bulk"]))
    (nid,) = s.dataset.reserve_ids(1)
    s.apply(AddRows("add", (s.dataset.new_row(nid, text_input="new q", output="new a"),)))
    s.apply(SetField.broadcast("move-to-test", [4], "split", "test"))
    s.undo()
    s.apply(Batch("fix", (SetField.broadcast("fix", [5], "text_input", "fixed"), SetField.broadcast("fix", [5], "note", "n"))))
    s.undo()
    s.redo()
"""


def test_edits_lost_to_a_crash_are_offered_and_restored_exactly(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 100)
    before = data.read_bytes()
    done = tmp_path / "done"
    proc = child(
        OPS_SCRIPT
        + f"""
from pathlib import Path
import time
s = __import__("curator.core.session", fromlist=["Session"]).Session.open({str(data)!r})
run(s)
Path({str(done)!r}).touch()
time.sleep(60)
"""
    )
    wait_for(done)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert data.read_bytes() == before  # nothing was saved

    expected = Session.open(data, read_only=True)
    namespace: dict = {}
    exec(OPS_SCRIPT, namespace)
    reference = _in_memory_copy(expected)
    namespace["run"](reference)

    with Session.open(data) as s:
        pending = s.recoverable()
        assert pending is not None and not pending.stale
        assert pending.labels == ["edit", "delete", "tag", "add", "fix"]
        assert s.recover() == 5
        assert s.dataset.frame.to_dicts() == reference.dataset.frame.to_dicts()
        assert s.dataset.edited_ids() == reference.dataset.edited_ids()
        assert s.dirty
        s.save()
    with Session.open(data) as s:
        assert s.recoverable() is None
        frame = s.dataset.frame  # ids follow the saved file's order now
        assert frame.height == 99 and frame["output"][1] == "edited one"
        inputs = frame["text_input"].to_list()
        assert not any(t.startswith(("question 2 ", "question 3 ")) for t in inputs)
        assert inputs[3] == "fixed" and frame["note"][3] == "n" and inputs[-1] == "new q"


class _Memory:
    """A session-like object over an in-memory dataset, to compute what recovery must restore."""

    def __init__(self, dataset):
        from curator.core.history import History

        self.dataset = dataset
        self.history = History(dataset)
        self.apply, self.undo, self.redo = self.history.do, self.history.undo, self.history.redo


def _in_memory_copy(session: Session) -> _Memory:
    from curator.core.dataset import Dataset

    return _Memory(Dataset(session.dataset.frame.clone()))


def test_recovery_is_refused_when_the_file_changed_outside(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 10)
    s = Session.open(data)
    s.apply(SetField.broadcast("edit", [1], "output", "x"))
    s.close()  # closed without saving: edits stay journalled
    write_jsonl(data, 10, text="changed outside")
    with Session.open(data) as s:
        pending = s.recoverable()
        assert pending.stale
        with pytest.raises(CuratorError, match="earlier version of this file"):
            s.recover()
        s.discard_recovery()
        assert s.recoverable() is None
    with Session.open(data) as s:
        assert s.recoverable() is None


def test_save_writes_atomically_drops_deleted_and_resets_the_journal(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 5)
    with Session.open(data) as s:
        s.apply(SetField.broadcast("delete", [0], "deleted", True))
        s.apply(SetField.broadcast("edit", [1], "output", "new"))
        assert data.read_bytes().count(b"\n") == 5  # the file changes only on save
        s.save()
        assert not s.dirty and s.recoverable() is None
    records = read_file(data).records
    assert records.height == 4 and records["output"][0] == "new"


def test_save_as_picks_the_format_from_the_extension_and_moves_the_session(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 3)
    with Session.open(data) as s:
        s.apply(SetField.broadcast("move", [0], "split", "validation"))
        out = s.save(tmp_path / "d.csv")
        assert s.path == out and s.format == "csv"
        s.apply(SetField.broadcast("edit", [1], "output", "z"))
        s.save()
    table = pl.read_csv(tmp_path / "d.csv")
    assert table.columns == ["text_input", "output", "split"]
    assert table["output"][1] == "z"
    assert read_file(data).records["split"][0] == "train"  # the original is untouched


def test_saving_over_a_file_with_skipped_lines_is_refused(tmp_path):
    data = tmp_path / "v.jsonl"
    single = {"contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "a"}]}]}
    multi = {"contents": single["contents"] * 2}
    data.write_text(json.dumps(single) + "\n" + json.dumps(multi) + "\n")
    with Session.open(data, allow_skipped=True) as s:
        assert [p.line for p in s.skipped] == [2]
        with pytest.raises(CuratorError, match="1 lines of this file could not be loaded"):
            s.save()
        s.save(tmp_path / "out.jsonl")
    assert data.read_text().count("\n") == 2


def test_read_only_sessions_take_no_lock_and_refuse_edits(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 3)
    with Session.open(data) as writer, Session.open(data, read_only=True) as reader:
        assert reader.dataset.frame.height == 3 and writer.dataset.frame.height == 3
        with pytest.raises(CuratorError, match="read-only"):
            reader.apply(SetField.broadcast("edit", [0], "output", "x"))


def test_a_second_process_is_told_the_file_is_in_use_and_cannot_corrupt_it(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 3)
    ready = tmp_path / "ready"
    proc = child(
        f"""
        from pathlib import Path
        import time
        from curator.core.session import Session
        s = Session.open({str(data)!r})
        Path({str(ready)!r}).touch()
        time.sleep(60)
        """
    )
    wait_for(ready)
    try:
        with pytest.raises(CuratorError, match=rf"in use by another curator \(pid {proc.pid} on "):
            Session.open(data)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with Session.open(data) as s:  # the dead holder's lock is gone with it
        assert s.dataset.frame.height == 3


def test_journal_keeps_bulk_ops_adds_and_batches(tmp_path):
    data = tmp_path / "d.jsonl"
    write_jsonl(data, 20_000)
    s = Session.open(data)
    s.apply(SetField.broadcast("move", list(range(20_000)), "split", "validation"))
    (nid,) = s.dataset.reserve_ids(1)
    s.apply(Batch("b", (AddRows("b", (s.dataset.new_row(nid, text_input="q", output="a"),)),)))
    s.workspace.close()  # simulate a crash: nothing saved, nothing cleaned up
    s._lock.release()
    with Session.open(data) as again:
        assert again.recover() == 2
        old = again.dataset.frame.filter(pl.col("id") != nid)
        assert old.height == 20_000 and set(old["split"].to_list()) == {"validation"}
        assert again.dataset.get(nid)["text_input"] == "q"


def test_an_old_workspace_is_upgraded_and_its_vertex_jobs_learn_where_they_run(tmp_path):
    import sqlite3

    from curator.core.tuning import Jobs

    before = next(i for i, script in enumerate(MIGRATIONS) if "ADD COLUMN location" in script)
    folder = tmp_path / ".curator"
    folder.mkdir()
    db = sqlite3.connect(folder / "curator.db", isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:before], start=1):
        for statement in script.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute(f"PRAGMA user_version={number}")
    status = '{"job_id": "%s", "backend": "%s", "state": "running"}'
    for job_id, backend in (("projects/acme-ml/locations/europe-west4/tuningJobs/4242", "vertex"),
                            ("local-job-1", "local")):
        db.execute("INSERT INTO jobs (id, backend, base_model, hyperparameters, created, updated, state, status) "
                   "VALUES (?, ?, 'm', '{}', 1, 1, 'running', ?)", (job_id, backend, status % (job_id, backend)))
    db.close()

    ws = Workspace(folder)
    assert ws.schema_version == len(MIGRATIONS)
    records = {r.backend: r for r in Jobs(ws, lambda name: None).list()}
    assert (records["vertex"].project, records["vertex"].location) == ("acme-ml", "europe-west4")
    assert (records["local"].project, records["local"].location) == (None, None)
    assert records["vertex"].status.state.value == "running"  # the rest of the row is untouched
