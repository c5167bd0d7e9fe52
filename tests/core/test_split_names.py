"""Split names files use (val, valid, dev, eval for validation) are read as the split they mean and written back
in the file's own spelling, so untouched rows stay byte-identical and edited ones keep their name."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file, write_file
from curator.core.ops import SetField
from curator.core.session import Session

ROWS = [("a", "1", "train"), ("b", "2", "dev"), ("c", "3", "val"), ("d", "4", "test"), ("e", "5", "eval"),
        ("f", "6", "train")]


def jsonl(path):
    path.write_text("".join(json.dumps({"text_input": i, "output": o, "split": s}) + "\n" for i, o, s in ROWS))


def csv(path):
    path.write_text("text_input,output,split\n" + "".join(f"{i},{o},{s}\n" for i, o, s in ROWS))


def alpaca(path):
    path.write_text(json.dumps([{"instruction": i, "input": "", "output": o, "split": s} for i, o, s in ROWS],
                               indent=2) + "\n")


def parquet(path):
    pl.DataFrame({"text_input": [r[0] for r in ROWS], "output": [r[1] for r in ROWS],
                  "split": [r[2] for r in ROWS]}).write_parquet(path)


def splits_on_disk(path) -> list[str]:
    return read_raw(path)["split"].to_list()


def read_raw(path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return pl.read_csv(path)
    if path.suffix == ".json":
        return pl.DataFrame(json.loads(path.read_text()))
    return pl.read_ndjson(path)


@pytest.mark.parametrize("make,name", [(jsonl, "d.jsonl"), (csv, "d.csv"), (alpaca, "d.json"),
                                       (parquet, "d.parquet")])
def test_split_aliases_load_as_validation_and_keep_their_spelling(tmp_path, make, name):
    path = tmp_path / name
    make(path)
    before = path.read_bytes() if name != "d.parquet" else read_raw(path)  # Parquet: the same values
    with Session.open(path) as session:
        ds = session.dataset
        assert ds.frame["split"].to_list() == ["train", "validation", "validation", "test", "validation", "train"]
        session.save()
        if name == "d.parquet":
            assert read_raw(path).equals(before)
        else:
            assert path.read_bytes() == before  # nothing touched: the same bytes
        session.apply(SetField("edit", (1, 2), "output", ("two", "three")))  # a dev and a val row edited
        session.apply(SetField("move", (0,), "split", ("validation",)))  # a train row moved to validation
        session.apply(SetField("move", (4,), "split", ("test",)))  # an eval row moved to test
        session.save()
    on_disk = splits_on_disk(path)
    if name in ("d.csv", "d.parquet"):  # a table row is written from the example: the file's first name for validation
        assert on_disk == ["dev", "dev", "dev", "test", "test", "train"]
    else:  # an object keeps its own name of its split
        assert on_disk[1:] == ["dev", "val", "test", "test", "train"] and on_disk[0] == "dev"
    assert read_raw(path)["output"].cast(pl.String).to_list() == ["1", "two", "three", "4", "5", "6"]


def test_untouched_lines_stay_byte_identical_with_an_edit(tmp_path):
    path = tmp_path / "d.jsonl"
    jsonl(path)
    before = path.read_text().splitlines()
    with Session.open(path) as session:
        session.apply(SetField("edit", (2,), "output", ("x",)))
        session.save()
    after = path.read_text().splitlines()
    assert [k for k, (a, b) in enumerate(zip(before, after)) if a != b] == [2]
    assert json.loads(after[2]) == {"text_input": "c", "output": "x", "split": "val"}


def test_another_format_gets_the_split_names_curator_uses(tmp_path):
    path = tmp_path / "d.jsonl"
    jsonl(path)
    result = read_file(path)
    out = io.BytesIO()
    write_file(result.records, out, "csv")
    assert pl.read_csv(out.getvalue())["split"].to_list() == ["train", "validation", "validation", "test",
                                                              "validation", "train"]


def test_an_unknown_split_name_says_which_names_are_known(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text_input": "a", "output": "b", "split": "holdout"}\n')
    with pytest.raises(CuratorError, match="field 'split' must be one of train, validation, test \\(or for "
                                           "validation: val, valid, dev, eval\\), not 'holdout'"):
        read_file(path)
