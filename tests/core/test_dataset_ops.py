"""Dataset + History: every op applies, undoes and redoes exactly, marks follow, and ops survive JSON."""

import polars as pl
import pytest

from curator.core.dataset import Dataset
from curator.core.history import History
from curator.core.model import records_frame
from curator.core.ops import AddRows, Batch, RemoveRows, SetField, op_from_json, op_to_json


def make(n=5) -> Dataset:
    return Dataset.from_records(
        records_frame({"text_input": [f"in {i}" for i in range(n)], "output": [f"out {i}" for i in range(n)]})
    )


def snapshot(ds: Dataset) -> list[dict]:
    return ds.frame.to_dicts()


def test_ids_follow_record_order_and_rows_are_found_by_id():
    ds = make(4)
    assert ds.ids.to_list() == [0, 1, 2, 3]
    assert ds.get(2)["text_input"] == "in 2"
    with pytest.raises(KeyError):
        ds.get(99)
    assert 3 in ds and 4 not in ds


def test_set_field_undo_redo_restores_values_and_edit_marks():
    ds = make()
    h = History(ds)
    before = snapshot(ds)
    h.do(SetField.broadcast("edit", [1, 3], "output", "changed"))
    assert ds.get(1)["output"] == "changed" and ds.get(3)["output"] == "changed"
    assert ds.edited_ids() == {1, 3}
    assert h.undo().label == "edit"
    assert snapshot(ds) == before and ds.edited_ids() == set()
    h.redo()
    assert ds.get(3)["output"] == "changed" and ds.edited_ids() == {1, 3}


def test_tags_split_and_delete_marks():
    ds = make()
    h = History(ds)
    h.do(SetField.broadcast("tag", [0, 2], "tags", ["hard", "new"]))
    h.do(SetField.broadcast("move-to-validation", [2], "split", "validation"))
    h.do(SetField.broadcast("delete", [4], "deleted", True))
    assert ds.get(2)["tags"] == ["hard", "new"] and ds.get(2)["split"] == "validation"
    assert ds.records().height == 4  # the deleted one is not written
    assert 4 not in ds.edited_ids()  # deletion is a mark of its own, not an edit
    assert h.labels() == ["tag", "move-to-validation", "delete"]
    while h.undo():
        pass
    assert snapshot(ds) == snapshot(make())


def test_unknown_split_is_refused_and_changes_nothing():
    ds = make()
    with pytest.raises(ValueError, match="unknown split"):
        ds.apply(SetField.broadcast("move", [0], "split", "holdout"))
    assert ds.get(0)["split"] == "train"


def test_add_rows_then_undo_removes_them_and_ids_are_never_reused():
    ds = make(3)
    h = History(ds)
    (new_id,) = ds.reserve_ids(1)
    h.do(AddRows("add", (ds.new_row(new_id, text_input="q", output="a"),)))
    assert ds.get(new_id)["text_input"] == "q" and ds.is_added(new_id)
    h.undo()
    assert new_id not in ds
    (next_id,) = ds.reserve_ids(1)
    assert next_id > new_id
    h.redo()
    assert ds.get(new_id)["output"] == "a"


def test_batch_is_one_undo_step():
    ds = make()
    h = History(ds)
    (nid,) = ds.reserve_ids(1)
    h.do(
        Batch(
            "fix-whitespace",
            (
                SetField.broadcast("x", [0], "text_input", "A"),
                SetField.broadcast("x", [0], "output", "B"),
                AddRows("x", (ds.new_row(nid, text_input="c", output="d"),)),
            ),
        )
    )
    assert (ds.get(0)["text_input"], ds.get(0)["output"]) == ("A", "B") and nid in ds
    h.undo()
    assert snapshot(ds) == snapshot(make())


def test_mark_saved_drops_deleted_rows_and_clears_marks():
    ds = make()
    h = History(ds)
    h.do(SetField.broadcast("delete", [1], "deleted", True))
    h.do(SetField.broadcast("edit", [2], "output", "z"))
    ds.mark_saved()
    h.mark_clean()
    assert 1 not in ds and ds.edited_ids() == set() and not h.dirty


def test_ops_round_trip_through_json():
    ops = [
        SetField("edit", (1, 2), "output", ("a", None)),
        SetField.broadcast("tag", [3], "tags", ["x"]),
        AddRows("add", ({"id": 9, "text_input": "é", "output": "o"},)),
        RemoveRows("remove", (9,)),
        Batch("b", (SetField.broadcast("d", [1], "deleted", True),)),
    ]
    for op in ops:
        assert op_from_json(op_to_json(op)) == op


def test_view_filters_and_sorts_by_expression():
    ds = make()
    ds.apply(SetField("edit", (0, 1, 2, 3, 4), "output", ("bb", "a", "ccc", "a", "dddd")))
    ids = ds.view(pl.col("output").str.len_chars() > 1, sort_by=pl.col("output").str.len_chars(), descending=True)
    assert ids.to_list() == [4, 2, 0]


def test_version_hash_follows_content_not_ids_or_marks():
    a, b = make(), make()
    assert a.version_hash() == b.version_hash()
    b.apply(SetField.broadcast("edit", [0], "output", "other"))
    assert a.version_hash() != b.version_hash()


def test_version_hash_is_taken_once_per_version_and_follows_every_change():
    ds = make()

    def fresh() -> str:  # the digest of the same content, never computed before
        return Dataset.from_records(ds.records()).version_hash()

    first = ds.version_hash()
    assert ds.version_hash() == first == fresh()
    (new_id,) = ds.reserve_ids(1)
    steps = [SetField.broadcast("edit", [0], "output", "other"), SetField.broadcast("delete", [1], "deleted", True),
             AddRows("add", (ds.new_row(new_id, text_input="new", output="x"),))]
    for op in steps:
        before = ds.version_hash()
        undo = ds.apply(op)
        assert ds.version_hash() == fresh() != before
        ds.apply(undo, undoing=True)
        assert ds.version_hash() == before == fresh()
        ds.apply(op)
    changed = ds.version_hash()
    ds.mark_saved()
    assert ds.version_hash() == changed == fresh()


def test_ops_are_described_in_the_users_words():
    from curator.core.ops import AddRows, Batch, RemoveRows, SetField, describe

    assert describe(SetField.broadcast("move-split", [1, 2, 3], "split", "test")) == "moved 3 examples to test"
    assert describe(SetField.broadcast("keep-one-delete-others", [4], "deleted", True)) == "deleted example #4"
    assert describe(SetField.broadcast("delete", [4, 5], "deleted", False)) == "restored 2 examples"
    assert describe(SetField("split-dataset", (1, 2, 3), "split", ("train", "test", "train"))) == \
        "split 3 examples into test / train"
    edit = Batch("edit", (SetField("edit", (5,), "text_input", ("a",)), SetField("edit", (5,), "output", ("b",))))
    assert describe(edit) == "edited example #5"
    assert describe(SetField("edit", (5,), "output", ("b",))) == "changed the output of example #5"
    fixes = Batch("fix-all", (SetField.broadcast("d", [5], "deleted", True), SetField("s", (6,), "text_input", ("b",))))
    assert describe(fixes) == "2 changes to 2 examples"
    assert describe(Batch("fix-all", tuple(SetField.broadcast("d", [i], "deleted", True) for i in (1, 2)))) == \
        "deleted 2 examples"
    assert describe(AddRows("add", ({"id": 7},))) == "added example #7"
    assert describe(RemoveRows("undo-add", (1, 2))) == "removed 2 examples"
    assert describe(SetField("tag", (1, 2), "tags", (["a"], ["b"]))) == "changed the tags of 2 examples"
