"""The headless CLI: check, stats, convert and help, through ``curator.cli.main`` and as a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from curator.cli import main

FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_check_exit_codes_follow_the_worst_finding(capsys):
    assert main(["check", str(FIXTURES / "clean.jsonl")]) == 0
    assert main(["check", str(FIXTURES / "json_output.jsonl")]) == 1
    assert main(["check", str(FIXTURES / "classification.jsonl"), "--fast"]) == 2
    out = capsys.readouterr().out
    assert "ERROR    basic.empty  empty field (1, 1 fixable)" in out
    assert "output is empty  [line 30]" in out


def test_check_json_lists_findings_with_source_lines(capsys):
    assert main(["check", str(FIXTURES / "json_output.jsonl"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["examples"] == 26 and report["format"] == "gemini-jsonl"
    assert [(f["rule"], f["lines"]) for f in report["findings"]] == [
        ("output.json-keys", [26]),
        ("output.not-json", [25]),
    ]


def test_check_reports_every_load_problem_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text_input": "a", "output": 1}\n{"text_input": "b"\n')
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{bad}:1:21: field 'output' must be a string, not a number",
        f"{bad}:2:19: malformed JSON: Expecting ',' delimiter",
    ]


def test_check_flags_override_settings(tmp_path, capsys):
    (tmp_path / "curator.toml").write_text('target = "vertex"\n')
    data = tmp_path / "qa.jsonl"
    data.write_bytes((FIXTURES / "qa_context.jsonl").read_bytes())
    assert main(["check", str(data), "--fast"]) == 1  # vertex: the long output is within limits
    assert main(["check", str(data), "--fast", "--target", "gemini-api"]) == 2


def test_stats_json(capsys):
    assert main(["stats", str(FIXTURES / "clean.jsonl"), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["examples"] == 24 and stats["splits"] == {"train": 24}
    assert stats["labels"] == {"distinct": 3, "top": [["negative", 8], ["neutral", 8], ["positive", 8]]}


def test_convert_between_formats_and_refuse_lossy(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["convert", str(FIXTURES / "next_number.json"), str(out)]) == 0
    assert out.read_text().splitlines()[:2] == ["text_input,output", "1,2"]
    back = tmp_path / "back.json"
    assert main(["convert", str(out), str(back), "--to", "pairs-json"]) == 0
    assert back.read_bytes() == (FIXTURES / "next_number.json").read_bytes()
    lossy = tmp_path / "lossy.json"
    assert main(["convert", str(FIXTURES / "formats" / "gemini.jsonl"), str(lossy), "--to", "pairs-json"]) == 2
    assert "cannot store split, tags, note" in capsys.readouterr().err
    assert not lossy.exists()


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["stats", "--help"], ["convert", "--help"]])
def test_help_runs_as_a_module(args):
    proc = subprocess.run([sys.executable, "-m", "curator", *args], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "usage: curator" in proc.stdout


def _help_of(command: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


def test_every_commands_help_names_only_what_it_takes(capsys):
    """A word like NAME or FILE in a command's help is an argument that command has (jobs has no NAME)."""
    from curator.cli import COMMANDS

    helps = {name: _help_of(name, capsys) for name in COMMANDS}
    usage = {name: text.split("\n\n")[0] for name, text in helps.items()}
    metavars = {word for text in usage.values() for word in re.findall(r"\b[A-Z][A-Z_]{2,}\b", text)}
    for name, text in helps.items():
        rest = re.sub(r"`curator [^`]*`", "", text[len(usage[name]):])  # another command's words are its own
        for word in set(re.findall(r"\b[A-Z][A-Z_]{2,}\b", rest)) & metavars:
            assert re.search(rf"\b{word}\b", usage[name]), f"curator {name} --help speaks of {word} it does not take"
    assert "NAME" not in helps["jobs"] and "NAME" in usage["job"]
    assert "answered no" in helps["cancel"] and "answered no" not in helps["jobs"]
