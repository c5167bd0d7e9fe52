"""Files of the common public shapes open without flags, say which fields were used, and save in their own
shape; fields of any JSON file can be named (nested ones too), and the mapping is kept in the settings."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from curator.cli import main
from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import read_file, write_file
from curator.core.ops import SetField
from curator.core.session import Session
from curator.core.settings import Columns, dataset_settings_path, load_settings, remember_columns

SHAPES = Path(__file__).parents[2] / "fixtures" / "shapes"


@pytest.mark.parametrize(
    "name,fmt,mapping,first_input,first_output",
    [
        ("question_answer.jsonl", "jsonl", "recognised question/answer: input ← question, output ← answer",
         "What is the capital of France?", "Paris"),
        ("instruction_input_response.json", "json", "recognised instruction/input/response: input ← instruction + "
         "input (as '{instruction}\\n\\n{input?}'), output ← response",
         "Summarise the text in one sentence.\n\nThe meeting moved to Thursday because the room was booked on "
         "Wednesday.", "The meeting is now on Thursday."),
        ("instruction_input_output.jsonl", "alpaca-jsonl", None, "Classify the sentiment.\n\nI love this phone!",
         "positive"),
        ("prompt_completion.jsonl", "jsonl", "recognised prompt/completion: input ← prompt, output ← completion",
         "Write a subject line for a password reset email.", "Reset your password"),
        ("text_label.jsonl", "jsonl", "recognised text/label: input ← text, output ← label",
         "Great value, arrived early.", "1"),
        ("dialogue_summary.jsonl", "jsonl", "recognised dialogue/summary: input ← dialogue, output ← summary",
         "Amy: Are you coming tonight?\nBen: Yes, at 8.\nAmy: Great, see you.", "Ben will come at 8 tonight."),
        ("chat_messages.jsonl", "openai-jsonl", None, "My card was declined.", "billing"),
        ("chat_messages.json", "openai-json", None, "My card was declined.", "billing"),
        ("instruction_input_output.csv", "csv", "recognised instruction/input/output: input ← instruction + input "
         "(as '{instruction}\\n\\n{input?}'), output ← output", "Classify the sentiment.\n\nI love this phone!",
         "positive"),
        ("instruction_context_response.jsonl", "jsonl", "recognised instruction/context/response: input ← "
         "instruction + context (as '{instruction}\\n\\n{context?}'), output ← response",
         "When did the first Moon landing happen?\n\nApollo 11 landed on the Moon on 20 July 1969.",
         "On 20 July 1969."),
        ("system_question_response.jsonl", "jsonl", "recognised question/response: input ← question, output ← "
         "response, system ← system_prompt", "What is the boiling point of water at sea level?", "100 °C."),
        ("sharegpt.json", "sharegpt-json", None, "What is a haiku?",
         "A three-line Japanese poem of 5, 7 and 5 syllables."),
    ],
)
def test_common_shapes_open_without_flags(name, fmt, mapping, first_input, first_output):
    result = read_file(SHAPES / name)
    assert (result.format, result.mapping) == (fmt, mapping)
    first = result.records.row(0, named=True)
    assert (first["text_input"], first["output"]) == (first_input, first_output)


@pytest.mark.parametrize("name", ["question_answer.jsonl", "prompt_completion.jsonl", "text_label.jsonl",
                                  "dialogue_summary.jsonl", "chat_messages.jsonl", "instruction_input_output.jsonl",
                                  "instruction_context_response.jsonl", "system_question_response.jsonl"])
def test_a_shape_is_written_back_in_its_own_keys(name):
    """Every example edited, so every object is written anew: the file's own keys, in its own order."""
    result = read_file(SHAPES / name)
    untouched = io.BytesIO()
    write_file(result.records, untouched, result.format, source=result.source)
    assert untouched.getvalue() == (SHAPES / name).read_bytes()
    edited = result.records.with_columns(output=result.records["output"] + "!", changed=True)
    out = io.BytesIO()
    write_file(edited, out, result.format, source=result.source)
    written = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    original = [json.loads(line) for line in (SHAPES / name).read_text().splitlines()]
    assert [list(o) for o in written] == [list(o) for o in original]
    assert written != original


@pytest.mark.parametrize("name", ["chat_messages.jsonl", "chat_messages.json", "sharegpt.json"])
def test_chats_keep_their_system_messages_through_edits(name):
    """A chat's system message is the example's system instruction; edited or not, it is written back as the
    chat's first message, in the file's own role names, and a system added to a chat without one goes first."""
    result = read_file(SHAPES / name)
    records = result.records
    had = records["system"].to_list()
    assert any(had) and None in had
    untouched = io.BytesIO()
    write_file(records, untouched, result.format, source=result.source)
    assert untouched.getvalue() == (SHAPES / name).read_bytes()
    edited = records.with_columns(output=records["output"] + "!", system=pl.Series([s or "Be brief." for s in had]),
                                  changed=True)
    out = io.BytesIO()
    write_file(edited, out, result.format, source=result.source)
    again = read_file_bytes(out.getvalue(), name, result.format)
    assert again["system"].to_list() == [s or "Be brief." for s in had]
    assert again["output"].to_list() == (records["output"] + "!").to_list()
    assert again["text_input"].to_list() == records["text_input"].to_list()
    original = (SHAPES / name).read_text()
    role = "human" if "sharegpt" in name else "user"
    assert out.getvalue().decode().count(f'"{role}"') == original.count(f'"{role}"')


def read_file_bytes(data: bytes, name: str, fmt: str):
    from curator.core.formats.registry import read_data

    return read_data(data, name, fmt, FormatOptions()).records


def test_edited_examples_go_back_to_their_fields(tmp_path):
    path = tmp_path / "iir.json"
    shutil.copyfile(SHAPES / "instruction_input_response.json", path)
    with Session.open(path) as session:
        ds = session.dataset
        session.apply(SetField("edit", (0,), "text_input", ("Summarise in one sentence.\n\nThe meeting moved.",)))
        session.apply(SetField("edit", (2,), "text_input", ("Translate to German: good night",)))
        session.apply(SetField("edit", (1,), "output", ("Glad, cheerful, content.",)))
        assert ds.get(3)["text_input"] == "Fix the grammar.\n\nShe go to school every days."
        session.save()
    saved = json.loads(path.read_text())
    assert saved[0] == {"instruction": "Summarise in one sentence.", "input": "The meeting moved.",
                        "response": "The meeting is now on Thursday."}
    assert saved[1] == {"instruction": "Give three synonyms for happy.", "input": "",
                        "response": "Glad, cheerful, content."}
    assert saved[2] == {"instruction": "Translate to German: good night", "input": "", "response": "Guten Morgen"}
    assert saved[3:] == json.loads((SHAPES / "instruction_input_response.json").read_text())[3:]


def test_an_input_holding_the_separator_splits_back_as_it_was_read(tmp_path):
    path = tmp_path / "d.jsonl"
    row = {"instruction": "Read this.\n\nThen answer.", "input": "Some\n\ntext", "response": "ok"}
    path.write_text(json.dumps(row) + "\n")
    with Session.open(path) as session:
        assert session.dataset.get(0)["text_input"] == "Read this.\n\nThen answer.\n\nSome\n\ntext"
        session.apply(SetField("edit", (0,), "output", ("fine",)))
        session.save()
    assert json.loads(path.read_text()) == dict(row, response="fine")


def test_numbers_read_as_labels_are_written_as_numbers(tmp_path):
    result = read_file(SHAPES / "text_label.jsonl")
    records = result.records.with_columns(output=result.records["output"].replace({"0": "2"}))
    out = io.BytesIO()
    write_file(records, out, result.format, result.options)
    assert [json.loads(line)["label"] for line in out.getvalue().decode().splitlines()] == [1, 2, 1, 2, 1]


def test_nested_fields_are_named_with_dots_and_go_back_inside(tmp_path):
    path = tmp_path / "nested.jsonl"
    shutil.copyfile(SHAPES / "nested.jsonl", path)
    with pytest.raises(CuratorError, match="cannot tell which fields hold the input and the output; name them with "
                       "--input-col and --output-col .* The fields are: id, meta, reply"):
        read_file(path)
    options = FormatOptions("meta.question", "reply.text")
    with Session.open(path, options=options) as session:
        assert session.mapping == "mapped input ← meta.question, output ← reply.text"
        assert session.dataset.get(2)["text_input"] == "Is there a dark mode?"
        session.apply(SetField("edit", (2,), "output", ("Yes: Settings > Appearance.",)))
        session.save()
    lines = path.read_text().splitlines()
    assert lines[:2] == (SHAPES / "nested.jsonl").read_text().splitlines()[:2]
    assert json.loads(lines[2]) == {"id": 3, "meta": {"source": "chat", "question": "Is there a dark mode?"},
                                    "reply": {"text": "Yes: Settings > Appearance."}}


def test_naming_fields_is_never_ignored(tmp_path):
    gemini = tmp_path / "g.jsonl"
    gemini.write_text('{"text_input": "q", "output": "a", "alt": "other"}\n')
    assert read_file(gemini, options=FormatOptions("alt", "text_input")).records.row(0, named=True)["output"] == "q"
    with pytest.raises(CuratorError, match="no field 'nope' in the file; the fields are: text_input, output, alt"):
        read_file(gemini, options=FormatOptions("nope"))
    pairs = tmp_path / "p.json"
    pairs.write_text('[["q", "a"]]')
    with pytest.raises(CuratorError, match="do not apply to pairs-json"):
        read_file(pairs, options=FormatOptions("question"))


def test_the_mapping_is_kept_in_the_settings_and_used_by_every_command(tmp_path, capsys):
    path = tmp_path / "nested.jsonl"
    shutil.copyfile(SHAPES / "nested.jsonl", path)
    remember_columns(path, FormatOptions("meta.question", "reply.text"))
    assert load_settings(path).columns == Columns(("meta.question",), "reply.text")
    assert main(["stats", str(path)]) == 0
    captured = capsys.readouterr()
    assert "3 examples" in captured.out and "mapped input ← meta.question, output ← reply.text" in captured.err


def test_several_inputs_make_the_production_template(tmp_path):
    path = tmp_path / "iir.json"
    shutil.copyfile(SHAPES / "instruction_input_response.json", path)
    with Session.open(path, read_only=True) as session:
        remember_columns(path, session.options)
    settings = load_settings(path)
    assert settings.columns == Columns(("instruction", "input"), "response")
    assert settings.template == "{instruction}\n\n{input?}"
    assert 'template = "{instruction}\\n\\n{input?}"' in dataset_settings_path(path).read_text()
    assert main(["check", str(path), "--fast", "--json"]) == 2  # too few examples, and nothing about the template


def test_save_as_takes_the_settings_along(tmp_path):
    path = tmp_path / "iir.json"
    shutil.copyfile(SHAPES / "instruction_input_response.json", path)
    with Session.open(path) as session:
        remember_columns(path, session.options)
        session.save(tmp_path / "copy.json", fmt="json")  # the same shape: the mapping still applies
        session.save(tmp_path / "pairs.jsonl")  # another shape: gemini-jsonl, no mapping
    same, other = load_settings(tmp_path / "copy.json"), load_settings(tmp_path / "pairs.jsonl")
    assert same.columns == Columns(("instruction", "input"), "response") and same.template == "{instruction}\n\n{input?}"
    assert other.columns is None and other.template == "{instruction}\n\n{input?}"
    assert read_file(tmp_path / "pairs.jsonl").format == "gemini-jsonl"
    assert json.loads((tmp_path / "copy.json").read_text())[0]["response"] == "The meeting is now on Thursday."
