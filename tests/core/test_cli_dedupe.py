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


def test_texts_over_max_chars_are_said_and_only_grouped_when_identical(tmp_path, capsys):
    long = "please refund the order I placed last week, " * 6  # 264 characters
    rows = [(long, "train"), (long.upper(), "train"), (long + "now", "train"), *ROWS]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"text_input": t, "output": "x", "split": s}) + "\n" for t, s in rows))
    assert main(["dedupe", str(path), "--max-chars", "200"]) == 1
    out = capsys.readouterr().out
    assert "3 clusters" in out  # the identical long pair, not its near copy
    assert "3 inputs over 200 characters not compared for near-duplicates (--max-chars)" in out
    assert main(["dedupe", str(path), "--max-chars", "200", "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["not_compared"] == {"examples": 3, "max_chars": 200, "reason": "3 inputs over 200 characters not "
                                      "compared for near-duplicates (--max-chars)"}
    assert "3 inputs over 200 characters" in captured.err
    assert [1, 2] in [sorted(m["line"] for m in c["members"]) for c in report["clusters"]]
    # the cap is part of the cached scan's key: without it the near copy joins
    assert main(["dedupe", str(path), "--max-chars", "0", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [1, 2, 3] in [sorted(m["line"] for m in c["members"]) for c in report["clusters"]]
    assert report["not_compared"]["examples"] == 0
    assert main(["dedupe", str(path), "--max-chars", "200", "--leakage"]) == 1
    assert "3 inputs over 200 characters not compared for near-duplicates (--max-chars)" in capsys.readouterr().out
    assert main(["check", str(path), "--max-chars", "200", "--json"]) in (1, 2)
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f["message"] for f in findings if f["rule"] == "near-dup.uncompared"] == [
        "3 inputs over 200 characters not compared for near-duplicates (--max-chars)"]


def test_clusters_are_written_as_the_json_encoder_writes_them(monkeypatch):
    """Clusters formatted directly, in batches, are the bytes the encoder writes for their dicts (a line missing,
    members joined via another; a cluster with a score that is not finite is left to the encoder)."""
    import polars as pl

    from curator.cli import dedupe
    from curator.core.dedupe.clusters import Cluster, Member

    monkeypatch.setattr(dedupe, "JSON_BATCH", 3)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    frame = pl.DataFrame({"id": [3, 7, 12, 40], "src_line": [4, 8, None, 41]})
    line_of = dict(zip(frame["id"].to_list(), frame["src_line"].to_list()))
    clusters = [
        Cluster((Member(7, 100.0), Member(12, 96.42857142857143), Member(3, 88.5, 12, 90.0))),
        Cluster((Member(40, 100.0), Member(3, 1e-05, 7, 100.0))),
        Cluster((Member(12, 100.0), Member(40, float("nan")))),
        Cluster((Member(3, 100.0), Member(7, 91.0), Member(40, 90.0, 7, 92.5), Member(12, 90.0))),
        Cluster((Member(7, 100), Member(3, 90, 40, 91))),  # ints, written as ints though equal floats came before
    ]
    got = list(dedupe._cluster_texts(clusters, frame))
    assert [isinstance(g, dict) for g in got] == [False, False, True, False, False]
    assert got[2] == dedupe._cluster_json(clusters[2], line_of)
    for k in (0, 1, 3, 4):
        assert got[k] == encode(dedupe._cluster_json(clusters[k], line_of))
