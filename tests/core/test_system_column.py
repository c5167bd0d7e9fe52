"""The system instruction from a column or field: named with --system-col (or the settings' columns.system), or
a ``system`` / ``system_prompt`` one beside a recognised shape; read, edited and written back in its place."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

from curator.cli import main
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import lossy_fields, read_file, write_file
from curator.core.ops import SetField
from curator.core.session import Session


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.parquet", "d.jsonl"])
def test_a_system_column_beside_a_shape_is_the_system_and_goes_back_there(tmp_path, name):
    path = tmp_path / name
    frame = pl.DataFrame({"system_prompt": ["Be brief.", ""], "question": ["2+2?", "Hi?"], "response": ["4", "Hello"]})
    if name == "d.parquet":
        frame.write_parquet(path)
    elif name == "d.jsonl":
        frame.write_ndjson(path)
    else:
        path.write_text("".join("\t".join(r) + "\n" for r in [frame.columns, *frame.rows()]) if name == "d.tsv"
                        else frame.write_csv())
    with Session.open(path) as session:
        ds = session.dataset
        assert "system ← system_prompt" in session.mapping
        assert ds.get(0)["system"] == "Be brief." and ds.get(0)["text_input"] == "2+2?"
        session.apply(SetField("edit", (0, 1), "system", ("Answer in one word.", "Be kind.")))
        session.save()
    again = read_file(path)
    assert again.records["system"].to_list() == ["Answer in one word.", "Be kind."]
    assert again.records["text_input"].to_list() == ["2+2?", "Hi?"]


def test_the_system_column_is_named_with_a_flag(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_text("persona,prompt,completion\nYou are terse.,Say hi,hi\n")
    assert read_file(path).records["system"].to_list() == [None]  # an unknown column is kept, not guessed
    result = read_file(path, options=FormatOptions(system_col="persona"))
    assert result.records.row(0, named=True)["system"] == "You are terse."
    assert lossy_fields(result.records, "tsv", result.options) == []  # it has a column to go to
    assert lossy_fields(result.records, "tsv") == ["system"]
    out = io.BytesIO()
    write_file(result.records, out, "csv", result.options, source=result.source)
    assert out.getvalue() == path.read_bytes()
    assert main(["stats", str(path), "--system-col", "persona"]) == 0
    assert "system ← persona" in capsys.readouterr().err


def test_a_json_system_field_is_named_with_a_flag(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"ctx": "Be brief.", "question": "2+2?", "answer": "4"}) + "\n")
    result = read_file(path, options=FormatOptions(system_col="ctx"))
    assert (result.mapping, result.records["system"][0]) == (
        "recognised question/answer: input ← question, output ← answer, system ← ctx", "Be brief.")


def test_a_system_flag_goes_with_the_columns_the_settings_name(tmp_path):
    from curator.core.settings import Columns, read_options, save_dataset_setting

    path = tmp_path / "d.csv"
    path.write_text("persona,ticket,team\nBe terse.,Card declined,billing\n")
    save_dataset_setting(path, "columns", Columns(("ticket",), "team"))
    options = read_options(path, FormatOptions(system_col="persona"))
    assert (options.input_col, options.output_col, options.system_col) == ("ticket", "team", "persona")
    assert read_file(path, options=options).records.row(0, named=True)["system"] == "Be terse."
