"""The whole offline loop on a fixture built for it: check → split → local tune → evaluate base vs tuned →
report, with the tuned model measurably better; then the kept runs, a re-run from the cache, and compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from curator.cli import main
from curator.core.evaluation.runs import Runs
from curator.core.session import Session
from curator.core.split import plan_split, split_op
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_check_split_tune_evaluate_report(tmp_path, capsys):
    data = tmp_path / "tickets.jsonl"
    shutil.copy(FIXTURES / "tickets.jsonl", data)
    assert main(["check", str(data)]) == 1  # warnings only: near-duplicate inputs, kept on purpose

    with Session.open(data) as session:
        session.apply(split_op(plan_split(session.dataset, 0.0, 0.3, seed=3)))
        session.save()
    assert main(["tune", str(data), "--epochs", "15", "--learning-rate", "0.1", "--yes", "--fast"]) == 0
    capsys.readouterr()

    report = tmp_path / "report"
    assert main(["eval", str(data), "--report", str(report), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    metrics = out["metrics"]
    assert metrics["task"] == "classification" and metrics["n"] == 36  # the test split
    acc_a = metrics["a"]["classification"]["accuracy"]
    acc_b = metrics["b"]["classification"]["accuracy"]
    assert acc_a == 0.0  # the untuned local base answers with the prompt
    assert acc_b >= 0.8
    assert metrics["paired"]["mcnemar"]["correct"]["p_value"] < 0.001
    assert metrics["paired"]["bootstrap"]["correct"]["low"] > 0.5
    leaked = metrics["subsets"]["leaked"]["n"]  # test inputs with a near-twin in train, reported apart
    assert leaked > 0 and metrics["subsets"]["clean"]["n"] == 36 - leaked
    text = (report / "report.md").read_text()
    assert "## Leaked examples apart" in text
    assert "# Evaluation: local:local-echo vs local:local-model-" in text
    assert "| accuracy | 0.0 |" in text and "Confusion matrix of B" in text
    assert json.loads((report / "metrics.json").read_text())["metrics"]["n"] == 36
    assert len((report / "predictions.csv").read_text().splitlines()) == 37

    workspace = Workspace.for_dataset(data)
    tuned = Jobs(workspace).list()[0].status.tuned_model
    runs = Runs(workspace).list()
    assert len(runs) == 1 and runs[0].model_b == f"local:{tuned}" and runs[0].state == "done"

    # the same evaluation again: every answer from the cache, a second run kept; then the two compared
    assert main(["eval", str(data)]) == 0
    err = capsys.readouterr().err
    assert "0 requests, 72 answers from the cache" in err
    first, second = (r.id for r in Runs(workspace).list())
    assert main(["runs", str(data)]) == 0
    listing = capsys.readouterr().out
    assert first in listing and second in listing and "accuracy A 0.0" in listing
    assert main(["runs", str(data), "--compare", first, second]) == 0
    compared = capsys.readouterr().out
    assert "accuracy" in compared and "note:" not in compared


def test_eval_on_another_file_checks_leakage_against_train(tmp_path, capsys):
    data = tmp_path / "tickets.jsonl"
    shutil.copy(FIXTURES / "tickets.jsonl", data)
    train = [json.loads(line) for line in data.read_text().splitlines()]
    other = tmp_path / "new.jsonl"  # two inputs seen in training, two new ones
    new = [{"text_input": "My invoice shows the wrong amount twice", "output": "billing"},
           {"text_input": "The courier never rang the bell", "output": "shipping"}]
    other.write_text("".join(json.dumps(r) + "\n" for r in train[:2] + new))
    assert main(["tune", str(data), "--epochs", "10", "--learning-rate", "0.1", "--yes", "--fast"]) == 0
    capsys.readouterr()
    assert main(["eval", str(data), "--examples", str(other), "--json"]) == 0
    out = capsys.readouterr()
    metrics = json.loads(out.out)["metrics"]
    assert metrics["n"] == 4 and metrics["subsets"]["leaked"]["n"] == 2
    assert "every example of" in out.err and "train examples" not in out.err
    run = Runs(Workspace.for_dataset(data)).list()[0]
    assert run.spec["examples_file"] == str(other.resolve())


def test_eval_warns_when_the_examples_are_train_examples(tmp_path, capsys):
    data = tmp_path / "tickets.jsonl"
    shutil.copy(FIXTURES / "tickets.jsonl", data)  # no split: every example is train
    assert main(["eval", str(data), "--a", "local:local-echo", "--b", "local:local-echo"]) == 0
    assert "note: 120 of them are train examples" in capsys.readouterr().err


def test_eval_explains_what_is_missing(tmp_path, capsys):
    data = tmp_path / "tickets.jsonl"
    shutil.copy(FIXTURES / "tickets.jsonl", data)
    assert main(["eval", str(data)]) == 2
    assert "no tuned model yet" in capsys.readouterr().err
    assert main(["runs", str(data), "--run", "nope"]) == 2
    assert "no evaluation run 'nope'" in capsys.readouterr().err


def test_eval_scores_as_the_settings_task_type_unless_told_otherwise(tmp_path, capsys):
    data = tmp_path / "tickets.jsonl"
    shutil.copy(FIXTURES / "tickets.jsonl", data)
    (tmp_path / "curator.toml").write_text('task_type = "summarization"\n')  # labels, but the settings say text
    same = ["--a", "local:local-echo", "--b", "local:local-echo", "--json"]
    assert main(["eval", str(data), *same]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["task"] == "generation"
    assert main(["eval", str(data), *same, "--task", "classification"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["task"] == "classification"
