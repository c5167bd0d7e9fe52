"""CSV, TSV and Parquet files compose several input columns through a template, as JSON files do: recognised
shapes without flags, --input-col a,b, or the settings' columns; saved back column by column, untouched rows
byte-identical, and an edited input that no longer splits through the template refused, never written wrong."""

from __future__ import annotations

import polars as pl
import pytest

from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import read_file
from curator.core.ops import AddRows, SetField
from curator.core.session import Session
from curator.core.settings import Columns, dataset_settings_path, load_settings, remember_columns

ROWS = [("Classify the sentiment.", "I love it", "positive"), ("Say hello.", "", "hello"),
        ("Translate to French.", "good night", "bonne nuit")]
TABLE = pl.DataFrame({"instruction": [r[0] for r in ROWS], "input": [r[1] for r in ROWS],
                      "output": [r[2] for r in ROWS], "id": [1, 2, 3]})


def write_table(path) -> None:
    if path.suffix == ".parquet":
        TABLE.write_parquet(path)
    elif path.suffix == ".tsv":  # TSV has no quoting: an empty value is nothing between two tabs
        path.write_text("".join("\t".join(map(str, row)) + "\n" for row in [TABLE.columns, *TABLE.rows()]))
    else:
        TABLE.write_csv(path)


def read_table(path) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, separator="\t" if path.suffix == ".tsv" else ",", infer_schema=False).with_columns(
        pl.col("input").fill_null(""), pl.col("id").cast(pl.Int64))


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.parquet"])
def test_a_table_of_a_common_shape_composes_its_inputs_and_saves_back_column_by_column(tmp_path, name):
    path = tmp_path / name
    write_table(path)
    before = path.read_bytes()
    with Session.open(path) as session:
        assert session.mapping == ("recognised instruction/input/output: input ← instruction + input "
                                   "(as '{instruction}\\n\\n{input?}'), output ← output")
        ds = session.dataset
        assert ds.get(0)["text_input"] == "Classify the sentiment.\n\nI love it"
        assert ds.get(1)["text_input"] == "Say hello."
        session.save()
        if name != "d.parquet":
            assert path.read_bytes() == before  # nothing touched: the same bytes
        session.apply(SetField("edit", (0,), "text_input", ("Classify the sentiment, in one word.\n\nI love it",)))
        session.apply(SetField("edit", (1,), "output", ("hi",)))
        session.apply(SetField("edit", (2,), "text_input", ("Translate to German.\n\ngood morning",)))
        session.apply(AddRows("add", (ds.new_row(ds.reserve_ids(1)[0], text_input="Spell it.\n\ncat",
                                                 output="c-a-t"),)))
        session.save()
    saved = read_table(path)
    assert saved.columns == ["instruction", "input", "output", "id"]
    assert saved.rows()[:3] == [("Classify the sentiment, in one word.", "I love it", "positive", 1),
                                ("Say hello.", "", "hi", 2), ("Translate to German.", "good morning", "bonne nuit", 3)]
    assert saved.row(3)[:3] == ("Spell it.", "cat", "c-a-t")
    again = read_file(path)
    assert again.records["text_input"][3] == "Spell it.\n\ncat"


def test_an_input_rewritten_whole_goes_into_the_first_column(tmp_path):
    path = tmp_path / "d.csv"
    write_table(path)
    with Session.open(path) as session:
        session.apply(SetField("edit", (0,), "text_input", ("Is this positive: I love it",)))
        session.save()
    assert read_table(path).row(0)[:2] == ("Is this positive: I love it", "")
    assert read_file(path).records["text_input"][0] == "Is this positive: I love it"  # reads back as edited


def test_columns_named_with_flags_or_settings_compose_through_the_production_template(tmp_path):
    path = tmp_path / "q.csv"
    pl.DataFrame({"q": ["2+2?", "3+3?"], "ctx": ["maths", "sums"], "a": ["4", "6"]}).write_csv(path)
    flagged = read_file(path, options=FormatOptions("q,ctx", "a"))
    assert flagged.mapping == "mapped input ← q + ctx (as '{q}\\n\\n{ctx?}'), output ← a"
    assert flagged.records["text_input"].to_list() == ["2+2?\n\nmaths", "3+3?\n\nsums"]
    with Session.open(path, options=FormatOptions("q,ctx", "a"), read_only=True) as session:
        remember_columns(path, session.options)
    assert load_settings(path).columns == Columns(("q", "ctx"), "a")
    dataset_settings_path(path).write_text(
        'template = "Question: {q}\\nContext: {ctx}"\n[columns]\ninput = ["q", "ctx"]\noutput = "a"\n')
    with Session.open(path) as session:  # the settings' columns and template, no flags
        assert session.dataset.get(0)["text_input"] == "Question: 2+2?\nContext: maths"
        session.apply(SetField("edit", (0,), "text_input", ("Question: 2+3?\nContext: maths",)))
        session.save()
        assert read_table_plain(path).row(0) == ("2+3?", "maths", "4")
        before = path.read_bytes()
        session.apply(SetField("edit", (1,), "text_input", ("What is 3+3?",)))
        with pytest.raises(CuratorError, match="cannot save the example read from line 3: its input no longer "
                                               "follows the template 'Question: {q}\\\\nContext: {ctx}' that "
                                               "composes q, ctx, so it cannot be split back into them"):
            session.save()
        assert path.read_bytes() == before and session.dirty  # nothing written, the edit kept


def read_table_plain(path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def test_parquet_struct_fields_are_mapped_with_dots_and_go_back_inside(tmp_path):
    path = tmp_path / "n.parquet"
    original = pl.DataFrame({"id": [1, 2], "q": [{"text": "hi", "lang": "en"}, {"text": "salut", "lang": "fr"}],
                             "a": [{"reply": "hello", "score": 1.0}, {"reply": "bonjour", "score": 0.5}]})
    original.write_parquet(path)
    options = FormatOptions("q.text", "a.reply")
    with Session.open(path, options=options) as session:
        ds = session.dataset
        assert session.mapping == "mapped input ← q.text, output ← a.reply"
        assert [ds.get(i)["text_input"] for i in (0, 1)] == ["hi", "salut"]
        session.apply(SetField("edit", (1,), "output", ("bonjour !",)))
        session.apply(AddRows("add", (ds.new_row(ds.reserve_ids(1)[0], text_input="hola", output="hola"),)))
        session.save()
    saved = pl.read_parquet(path)
    assert saved.schema == original.schema
    assert saved.rows() == [(1, {"text": "hi", "lang": "en"}, {"reply": "hello", "score": 1.0}),
                            (2, {"text": "salut", "lang": "fr"}, {"reply": "bonjour !", "score": 0.5}),
                            (None, {"text": "hola", "lang": None}, {"reply": "hola", "score": None})]
    with pytest.raises(CuratorError, match="no input column 'q.text.x' \\(a Parquet struct's field is named "
                                           "COLUMN.FIELD, one level deep\\); the columns are: id, q, a"):
        read_file(path, options=FormatOptions("q.text.x", "a.reply"))


def test_other_common_shapes_are_recognised_in_tables_too(tmp_path):
    path = tmp_path / "s.csv"
    pl.DataFrame({"id": [1], "Dialogue": ["A: hi\nB: hey"], "Summary": ["They greet."]}).write_csv(path)
    result = read_file(path)
    assert result.mapping == "recognised columns: input ← Dialogue, output ← Summary"
    assert result.records.row(0, named=True)["output"] == "They greet."


def test_two_columns_composed_by_the_default_template_are_read_in_bulk_as_the_exact_reader_reads_them():
    from curator.core.formats.fast import read_fast
    from tests.core.test_fast_path import assert_agree

    data = TABLE.write_csv().encode()
    assert read_fast(data, "d.csv", "csv", FormatOptions()) is not None
    assert_agree(data, "csv")
    custom = FormatOptions("instruction,input", "output", template="Do: {instruction}\nOn: {input}")
    assert read_fast(data, "d.csv", "csv", custom) is None  # another template: the exact reader composes
    assert_agree(data, "csv", custom)
