"""The dedupe store: scans cached per dataset version, and "not a duplicate" marks that persist."""

from __future__ import annotations

from curator.core.checks import run_checks
from curator.core.dataset import Dataset
from curator.core.dedupe.store import DedupeStore
from curator.core.model import records_frame
from curator.core.ops import SetField
from curator.core.settings import Settings
from curator.core.storage.workspace import Workspace


def dataset() -> Dataset:
    texts = ["How do I reset my password?", "How do I reset my pasword?", "How do i reset my password??",
             "Where is my parcel right now?", "Where is my parcel right now", "Cancel my subscription today"]
    splits = ["train", "train", "validation", "train", "test", "train"]
    return Dataset.from_records(records_frame({"text_input": texts, "output": ["a"] * 6, "split": splits}))


def test_scan_is_cached_per_version(tmp_path):
    store = DedupeStore(Workspace(tmp_path))
    ds = dataset()
    first, cached = store.dedupe(ds)
    assert not cached
    assert {frozenset(c.ids) for c in first.clusters} == {frozenset({0, 1, 2}), frozenset({3, 4})}
    again, cached = store.dedupe(ds)
    assert cached and again.clusters == first.clusters
    ds.apply(SetField("edit", (5,), "text_input", ("Cancel my subscription today!",)))
    _, cached = store.dedupe(ds)
    assert not cached  # a new version is scanned again
    _, cached = DedupeStore(Workspace(tmp_path)).dedupe(ds)
    assert cached  # and the cache outlives the process's connection


def test_not_duplicate_marks_leave_clusters_and_leaks(tmp_path):
    ds = dataset()
    store = DedupeStore(Workspace(tmp_path))
    scan, _ = store.dedupe(ds)
    by_keeper = {c.keeper: c for c in store.clusters(ds, scan)}
    parcel = next(c for c in by_keeper.values() if 3 in c.ids)
    other = [i for i in parcel.ids if i != parcel.keeper][0]
    store.mark_not_duplicate(ds, parcel.keeper, other)
    again = DedupeStore(Workspace(tmp_path))  # the mark is remembered
    assert all(3 not in c.ids or len(c.ids) > 2 for c in again.clusters(ds, scan))
    assert not any(set(c.ids) == {3, 4} for c in again.clusters(ds, scan))
    leaks, _ = again.leakage(ds)
    assert 4 not in {leak.eval_id for leak in again.leaks(ds, leaks)}
    assert 2 in {leak.eval_id for leak in again.leaks(ds, leaks)}
    again.unmark(ds, parcel.keeper, other)
    assert any(set(c.ids) == {3, 4} for c in again.clusters(ds, scan))


def test_run_checks_uses_the_store(tmp_path):
    ds = dataset()
    store = DedupeStore(Workspace(tmp_path))
    rules = lambda fs: sorted(f.rule for f in fs if f.rule.startswith(("near-dup", "leakage")))  # noqa: E731
    plain = run_checks(ds, Settings())
    stored = run_checks(ds, Settings(), store=store)
    assert rules(plain) == rules(stored) and rules(plain)
    store.mark_not_duplicate(ds, 3, 4)
    after = run_checks(ds, Settings(), store=store)
    assert not any(f.rule == "leakage.train-twin" and 4 in f.ids for f in after)
    assert any(f.rule == "leakage.train-twin" and 4 in f.ids for f in plain)


def test_marks_go_with_a_save_into_another_folder(tmp_path):
    import json

    from curator.core.session import Session

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = tmp_path / "a" / "data.jsonl"
    texts = ["Where is my parcel right now?", "Where is my parcel right now", "Cancel my subscription today"]
    source.write_text("".join(json.dumps({"text_input": t, "output": "a"}) + "\n" for t in texts))
    session = Session.open(source)
    try:
        store = DedupeStore(session.workspace)
        store.mark_not_duplicate(session.dataset, 0, 1)
        session.save(tmp_path / "b" / "data.jsonl")
        assert session.workspace.folder == tmp_path / "b" / ".curator"
        moved = DedupeStore(session.workspace)
        assert moved.marked() == store.marked() != set()
        scan, _ = moved.dedupe(session.dataset)
        assert scan.clusters and not moved.clusters(session.dataset, scan)  # the marked pair is no cluster there
    finally:
        session.close()
