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
        ('[dedupe]\nmax_chars = "long"\n', "\\[dedupe\\] max_chars must be a whole number"),
        ('[dedupe]\nmax_chars = -1\n', "\\[dedupe\\] max_chars must be 0 \\(no cap\\) or more"),
        ('[dedupe]\nlimit = 3\n', "unknown key 'limit' in \\[dedupe\\]"),
        ('near_dup_max_chars = 3\n', "unknown setting 'near_dup_max_chars'"),
        ('[dedupe]\nscorer = "bogus"\n', "\\[dedupe\\] scorer: unknown scorer 'bogus'; choose one of ratio"),
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


def old_workspace(folder, rows) -> None:
    """A workspace database as an earlier curator left it: settings kept in its dataset_settings table."""
    import json
    import sqlite3

    from curator.core.storage.workspace import MIGRATIONS

    folder.mkdir(exist_ok=True)
    version = MIGRATIONS.index("")  # the step that once dropped the table
    db = sqlite3.connect(folder / "curator.db", isolation_level=None)
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version={version}")
    db.executemany("INSERT INTO dataset_settings (file, key, value) VALUES (?, ?, ?)",
                   [(str(file), key, json.dumps(value)) for file, key, value in rows])
    db.close()


def test_settings_an_earlier_curator_kept_in_the_workspace_move_to_the_settings_file_once(tmp_path, caplog):
    from curator.core.storage.workspace import Workspace

    data, other, gone = tmp_path / "d.jsonl", tmp_path / "e.jsonl", tmp_path / "gone.jsonl"
    data.write_text("")
    other.write_text("")
    dataset_settings_path(other).write_text("near_dup_threshold = 70\n")
    old_workspace(tmp_path / ".curator", [
        (data, "template", "Q: {question}"), (data, "near_dup_threshold", 80), (data, "near_dup_field", "nope"),
        (other, "near_dup_threshold", 95), (other, "near_dup_field", "output"), (gone, "template", "x {y}"),
    ])
    workspace = Workspace(tmp_path / ".curator")
    assert workspace.moved_settings == [
        "d.jsonl: moved near_dup_threshold, template from the workspace into d.jsonl.curator.toml; "
        "left out near_dup_field (not a valid setting)",
        "e.jsonl: moved near_dup_field from the workspace into e.jsonl.curator.toml; e.jsonl.curator.toml already "
        "sets near_dup_threshold: its value stays",
        "gone.jsonl: no longer there; the settings the workspace kept for it are left out",
    ]
    assert caplog.messages == workspace.moved_settings  # the command line prints them on stderr
    s, t = load_settings(data), load_settings(other)
    assert (s.template, s.near_dup_threshold, s.near_dup_field) == ("Q: {question}", 80, "text_input")
    assert (t.near_dup_threshold, t.near_dup_field) == (70, "output")
    assert "# moved from the workspace" in dataset_settings_path(data).read_text()
    assert workspace.query("SELECT name FROM sqlite_master WHERE name = 'dataset_settings'") == []
    workspace.close()
    again = Workspace(tmp_path / ".curator")  # once: nothing more to move
    assert again.moved_settings == [] and load_settings(data).template == "Q: {question}"
    again.close()


def test_settings_that_cannot_be_written_yet_stay_in_the_workspace(tmp_path, monkeypatch):
    import curator.core.settings as settings
    from curator.core.storage.workspace import Workspace

    data = tmp_path / "d.jsonl"
    data.write_text("")
    old_workspace(tmp_path / ".curator", [(data, "template", "Q: {question}")])

    def refuse(*args, **kwargs):
        raise CuratorError("cannot write the settings: Permission denied", dataset_settings_path(data))

    monkeypatch.setattr(settings, "save_dataset_settings", refuse)
    workspace = Workspace(tmp_path / ".curator")
    assert workspace.moved_settings == ["d.jsonl: the settings kept in the workspace were not moved (cannot write "
                                        "the settings: Permission denied); kept for the next open"]
    workspace.close()
    monkeypatch.undo()
    workspace = Workspace(tmp_path / ".curator")
    assert workspace.moved_settings == ["d.jsonl: moved template from the workspace into d.jsonl.curator.toml"]
    assert load_settings(data).template == "Q: {question}"
    workspace.close()


def test_the_near_duplicate_length_cap_is_read_from_the_dedupe_table(tmp_path):
    from curator.core.dedupe.scan import MAX_CHARS

    data = tmp_path / "d.jsonl"
    assert load_settings(data).near_dup_max_chars == MAX_CHARS == 10_000
    dataset_settings_path(data).write_text("near_dup_threshold = 80\n[dedupe]\nmax_chars = 0\n")
    settings = load_settings(data)
    assert (settings.near_dup_threshold, settings.near_dup_max_chars) == (80, 0)
    assert settings.with_overrides(near_dup_max_chars=500).near_dup_max_chars == 500


def test_the_scan_options_are_saved_in_the_dedupe_table_and_read_back(tmp_path):
    from curator.core.settings import save_dataset_settings

    data = tmp_path / "d.jsonl"
    own = dataset_settings_path(data)
    own.write_text("# ours\nnear_dup_threshold = 80  # an earlier curator wrote it flat\n[dedupe]\nmax_chars = 300\n")
    assert load_settings(data).near_dup_threshold == 80  # an earlier file still reads
    chosen = {"near_dup_scorer": "token_set_ratio", "near_dup_threshold": 75.5, "near_dup_field": "both",
              "near_dup_compare": "whole", "near_dup_max_chars": 0}
    save_dataset_settings(data, chosen)
    s = load_settings(data)
    assert {key: getattr(s, key) for key in chosen} == chosen
    text = own.read_text()
    assert text.startswith("# ours\n") and "near_dup_" not in text  # said once, in the table
    import tomllib

    assert tomllib.loads(text)["dedupe"] == {"max_chars": 0, "scorer": "token_set_ratio", "threshold": 75.5,
                                             "field": "both", "compare": "whole"}
    save_dataset_settings(data, dict.fromkeys(chosen))  # None: the project's or default value applies again
    assert "dedupe" not in own.read_text() and load_settings(data).near_dup_max_chars == 10_000


def test_the_dedupe_table_wins_over_a_flat_key_and_names_bad_values(tmp_path):
    data = tmp_path / "d.jsonl"
    own = dataset_settings_path(data)
    own.write_text("near_dup_threshold = 80\n[dedupe]\nthreshold = 95\n")
    assert load_settings(data).near_dup_threshold == 95
    own.write_text('[dedupe]\nscorer = 3\n')
    with pytest.raises(CuratorError, match="\\[dedupe\\] scorer must be text, not 3"):
        load_settings(data)
    own.write_text('[dedupe]\ncompare = "halves"\n')
    with pytest.raises(CuratorError, match="\\[dedupe\\] compare must be slots or whole"):
        load_settings(data)
