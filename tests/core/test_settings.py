"""Settings layers: defaults, the project's curator.toml, the dataset's own settings file, flags; and the
dataset's file written by the app keeps what a person wrote in it."""

from __future__ import annotations

import pytest

from curator.core.errors import CuratorError
from curator.core.settings import Columns, dataset_settings_path, load_settings, save_dataset_setting


def test_the_dataset_file_is_over_the_project_file(tmp_path):
    (tmp_path / "curator.toml").write_text('target = "vertex"\nnear_dup_threshold = 85\ntemplate = "Q: {q}"\n')
    data = tmp_path / "sub" / "d.jsonl"
    data.parent.mkdir()
    data.write_text("")
    dataset_settings_path(data).write_text('near_dup_threshold = 70\n[columns]\ninput = ["q", "ctx"]\noutput = "a"\n')
    s = load_settings(data)
    assert (s.target, s.near_dup_threshold, s.template) == ("vertex", 70, "Q: {q}")
    assert s.columns == Columns(("q", "ctx"), "a")
    assert s.source == str(data.parent / "d.jsonl.curator.toml")


def test_saving_a_setting_keeps_comments_and_other_keys(tmp_path):
    data = tmp_path / "d.jsonl"
    own = dataset_settings_path(data)
    own.write_text("# chosen with the team\nnear_dup_threshold = 80  # strict\n")
    save_dataset_setting(data, "template", "Classify.\nquestion: {question}")
    save_dataset_setting(data, "columns", Columns(("question",), "answer"))
    text = own.read_text()
    assert text.startswith("# chosen with the team\nnear_dup_threshold = 80  # strict\n")
    s = load_settings(data)
    assert (s.near_dup_threshold, s.template) == (80, "Classify.\nquestion: {question}")
    assert s.columns == Columns(("question",), "answer")
    save_dataset_setting(data, "template", None)
    assert load_settings(data).template is None and "template" not in own.read_text()


def test_a_new_settings_file_says_what_it_is(tmp_path):
    save_dataset_setting(tmp_path / "d.jsonl", "task_type", "classification")
    text = dataset_settings_path(tmp_path / "d.jsonl").read_text()
    assert text.startswith("# curator settings for d.jsonl") and 'task_type = "classification"' in text


@pytest.mark.parametrize(
    "content,message",
    [
        ('[columns]\ninput = 3\n', "columns.input must be a field name or a list of field names"),
        ('[columns]\ninput = "q"\nanswer = "a"\n', "unknown key 'answer' in \\[columns\\]"),
        ('columns = "q"\n', "\\[columns\\] must be a table"),
        ('target = "openai"\n', "target must be one of gemini-api, vertex"),
    ],
)
def test_bad_dataset_settings_name_the_file(tmp_path, content, message):
    data = tmp_path / "d.jsonl"
    dataset_settings_path(data).write_text(content)
    with pytest.raises(CuratorError, match=message) as info:
        load_settings(data)
    assert "d.jsonl.curator.toml" in str(info.value)


def test_a_bad_value_is_never_written(tmp_path):
    with pytest.raises(CuratorError, match="target must be one of"):
        save_dataset_setting(tmp_path / "d.jsonl", "target", "openai")
    with pytest.raises(CuratorError, match="unknown setting"):
        save_dataset_setting(tmp_path / "d.jsonl", "colour", "blue")
