"""curator dedupe: clusters and leakage as text and JSON, exit codes, the cache and remembered marks."""

from __future__ import annotations

import json

from curator.cli import main
from curator.core.dataset import Dataset
from curator.core.dedupe.store import DedupeStore
from curator.core.formats.registry import read_file
from curator.core.storage.workspace import Workspace

ROWS = [
    ("How do I reset my password?", "train"), ("How do I reset my pasword?", "train"),
    ("Where is my parcel right now?", "train"), ("Where is my parcel right now", "validation"),
    ("Cancel my subscription today", "train"), ("Completely different words here", "test"),
]


def write(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"text_input": t, "output": "x", "split": s}) + "\n" for t, s in ROWS))
    return path


def test_dedupe_prints_clusters_and_exits_1(tmp_path, capsys):
    path = write(tmp_path)
    assert main(["dedupe", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2 clusters, 2 examples could go (ratio ≥ 90 on text_input, whole inputs)" in out
    assert "   keep      line 1  How do I reset my password?\n   98.1      line 2  How do I reset my pasword?" in out
    assert main(["dedupe", str(path), "--threshold", "99.5"]) == 0
    assert "0 clusters" in capsys.readouterr().out


def test_dedupe_json_and_leakage(tmp_path, capsys):
    path = write(tmp_path)
    assert main(["dedupe", str(path), "--json", "--scorer", "token_set_ratio"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["settings"]["scorer"] == "token_set_ratio"
    assert sorted(sorted(m["line"] for m in c["members"]) for c in report["clusters"]) == [[1, 2], [3, 4]]
    assert main(["dedupe", str(path), "--leakage", "--json"]) == 1
    leaks = json.loads(capsys.readouterr().out)["leakage"]
    assert [(leak["eval"]["line"], [t["line"] for t in leak["twins"]]) for leak in leaks] == [(4, [3])]


def test_dedupe_uses_the_cache_and_remembered_marks(tmp_path, capsys):
    path = write(tmp_path)
    assert main(["dedupe", str(path)]) == 1
    capsys.readouterr()
    workspace = Workspace.for_dataset(path)
    assert workspace.query("SELECT count(*) FROM scan_cache")[0][0] == 1
    ds = Dataset.from_records(read_file(path).records)
    DedupeStore(workspace).mark_not_duplicate(ds, 2, 3)
    assert main(["dedupe", str(path)]) == 1
    assert "1 clusters" in capsys.readouterr().out
    assert main(["dedupe", str(path), "--leakage"]) == 0
