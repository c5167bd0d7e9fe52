"""Views (filter, sort, search), the train/validation/test split and frequencies, on small datasets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.frequency import length_histogram, output_counts, split_counts, tag_counts
from curator.core.model import records_frame
from curator.core.ops import SetField
from curator.core.split import plan_split, split_op, write_split_files
from curator.core.view import Filter, ViewSpec, compute_view, match_spans, search


def make(rows: list[tuple[str, str, str]]) -> Dataset:
    return Dataset.from_records(records_frame({
        "text_input": [r[0] for r in rows], "output": [r[1] for r in rows], "split": [r[2] for r in rows]}))


@pytest.fixture
def ds() -> Dataset:
    return make([("Hello world", "greeting", "train"), ("What is 2+2?", "4", "validation"),
                 ("Say HELLO politely", "Hello there, friend", "train"), ("a\nb", "", "test"),
                 ("Long " * 20, "x", "train")])


def test_filter_conditions_combine(ds):
    spec = ViewSpec(Filter(splits=frozenset({"train"})))
    assert compute_view(ds, spec).tolist() == [0, 2, 4]
    spec = ViewSpec(Filter(splits=frozenset({"train"}), text="hello"))
    assert compute_view(ds, spec).tolist() == [0, 2]
    spec = ViewSpec(Filter(length_field="input", min_length=10, max_length=20))
    assert compute_view(ds, spec).tolist() == [0, 1, 2]
    spec = ViewSpec(Filter(output_equals="4"))
    assert compute_view(ds, spec).tolist() == [1]
    ds.apply(SetField("tag", (3,), "tags", (["hard"],)))
    assert compute_view(ds, ViewSpec(Filter(tag="hard"))).tolist() == [3]
    assert compute_view(ds, ViewSpec(Filter(rule="r")), finding_ids={"r": {4, 1}}).tolist() == [1, 4]
    assert "split=train" in Filter(splits=frozenset({"train"}), tag="x").describe()


def test_sort_by_lengths_and_findings(ds):
    by_len = compute_view(ds, ViewSpec(sort="input length", descending=True)).tolist()
    assert by_len[0] == 4 and by_len[-1] == 3
    by_findings = compute_view(ds, ViewSpec(sort="findings", descending=True), finding_counts={2: 3, 0: 1})
    assert by_findings.tolist()[:2] == [2, 0]
    with pytest.raises(CuratorError):
        compute_view(ds, ViewSpec(sort="nope"))


def test_search_plain_and_regex(ds):
    ids = compute_view(ds, ViewSpec())
    assert search(ds, ids, "hello").tolist() == [0, 2]  # case-insensitive, input or output
    assert search(ds, ids, r"\d\+\d", regex=True).tolist() == [1]
    assert search(ds, ids, "?").tolist() == [1]  # plain text is literal
    with pytest.raises(CuratorError, match="regular expression"):
        search(ds, ids, "(", regex=True)
    assert match_spans("Hello hello", "HELLO") == [(0, 5), (6, 11)]


def labelled(n_per_label: dict[str, int]) -> Dataset:
    rows = [(f"text {label} {i}", label, "train") for label, n in n_per_label.items() for i in range(n)]
    return make(rows)


def test_stratified_split_keeps_label_shares_and_is_reproducible():
    ds = labelled({"a": 600, "b": 300, "c": 100, "rare": 2})
    plan = plan_split(ds, 0.1, 0.1, seed=3)
    assert plan.stratified
    counts = plan.counts()
    assert counts["validation"] == pytest.approx(100, abs=2) and counts["test"] == pytest.approx(100, abs=2)
    labels = dict(zip(ds.frame["id"].to_list(), ds.frame["output"].to_list()))
    val = Counter(labels[i] for i, s in plan.assignment.items() if s == "validation")
    assert val["a"] == pytest.approx(60, abs=1) and val["b"] == pytest.approx(30, abs=1) and val["c"] == pytest.approx(10, abs=1)
    assert all(plan.assignment[i] == "train" for i, lab in labels.items() if lab == "rare")
    assert plan_split(ds, 0.1, 0.1, seed=3).assignment == plan.assignment
    assert plan_split(ds, 0.1, 0.1, seed=4).assignment != plan.assignment


def test_split_op_is_one_undoable_step(tmp_path):
    ds = labelled({"a": 30, "b": 30})
    before = ds.frame["split"].to_list()
    plan = plan_split(ds, 0.2, 0.0, seed=0, stratify=False)
    inverse = ds.apply(split_op(plan))
    assert Counter(ds.frame["split"].to_list()) == {"train": 48, "validation": 12}
    ds.apply(inverse, undoing=True)
    assert ds.frame["split"].to_list() == before
    with pytest.raises(CuratorError):
        plan_split(ds, 0.6, 0.5)


def test_a_split_can_keep_the_files_test_examples():
    rows = [(f"q {i}", "a" if i % 2 else "b", "test" if i < 10 else "train") for i in range(50)]
    ds = make(rows)
    plan = plan_split(ds, 0.25, 0.0, seed=1, keep=("test",))
    assert sorted(i for i, s in plan.assignment.items() if s == "test") == list(range(10))
    assert plan.counts() == {"test": 10, "validation": 10, "train": 30}
    again = plan_split(ds, 0.2, 0.2, seed=1)  # everything split again: the file's test examples move too
    assert sorted(i for i, s in again.assignment.items() if s == "test") != list(range(10))


def test_write_split_files(tmp_path):
    ds = labelled({"a": 10, "b": 10})
    ds.apply(split_op(plan_split(ds, 0.25, 0.25, seed=1)))
    written = write_split_files(ds, tmp_path, "data", "gemini-jsonl")
    assert [p.name for p in written] == ["data.train.jsonl", "data.validation.jsonl", "data.test.jsonl"]
    total = sum(read_file(p).records.height for p in written)
    assert total == 20
    assert all(json.loads(line)["split"] == "test" for line in written[2].read_text().splitlines())


def test_frequencies():
    ds = labelled({"a": 5, "b": 3})
    ds.apply(SetField("tag", (0, 1), "tags", (["x"], ["x", "y"])))
    active = ds.active()
    assert [(c.value, c.count) for c in output_counts(active)] == [("a", 5), ("b", 3)]
    assert [(c.value, c.count) for c in split_counts(active)] == [("train", 8)]
    assert [(c.value, c.count) for c in tag_counts(active)] == [("x", 2), ("y", 1)]
    bins = length_histogram(active, "text_input")
    assert sum(b.count for b in bins) == 8
    lengths = active["text_input"].str.len_chars().to_list()
    for b in bins:
        assert b.count == sum(b.low <= n <= b.high for n in lengths)


@pytest.mark.parametrize("name,ext", [("question_answer.jsonl", ".jsonl"), ("instruction_input_output.csv", ".csv"),
                                      ("sharegpt.json", ".json")])
def test_split_files_of_a_shape_keep_its_fields(tmp_path, name, ext):
    import shutil

    from curator.core.session import Session

    path = tmp_path / name
    shutil.copyfile(Path(__file__).parents[2] / "fixtures" / "shapes" / name, path)
    with Session.open(path, read_only=True) as session:
        ds = session.dataset
        ds.apply(split_op(plan_split(ds, 0.34, 0.0, seed=1)))
        written = write_split_files(ds, tmp_path, "part", session.format, session.options)
        first = read_file(written[0])
        assert [p.suffix for p in written] == [ext, ext]
        assert first.format == session.format and first.mapping == session.mapping
        assert sum(read_file(p).records.height for p in written) == len(ds)
