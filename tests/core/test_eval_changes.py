"""Run-to-run changes: flipped examples (fixed, broken) and newer-minus-older metrics, "broke since run X",
and a person's verdict reused where the same model gives the same answer to the same prompt."""

from __future__ import annotations

import json

import pytest

from curator.cli import main
from curator.core.evaluation.changes import BROKEN, FIXED, broken_since, compare_runs
from curator.core.evaluation.evaluate import EvalSpec, evaluate, load_run, record_verdict
from curator.core.evaluation.review import counts
from curator.core.evaluation.runs import RunRow
from curator.core.models import ModelRef
from curator.core.storage.workspace import Workspace
from tests.core.test_eval_review import Answers

EXPECTED = {"q1": "Paris", "q2": "Rome", "q3": "Oslo", "q4": "Bern"}
A = {"q1": "Paris", "q2": "Milan", "q3": "Oslo", "q4": "Zurich"}
B_OLD = {"q1": "Paris", "q2": "Rome", "q3": "Bergen", "q4": "Bern"}
B_NEW = {"q1": "Lyon", "q2": "Rome", "q3": "Oslo", "q4": "Bern"}  # q1 broken, q3 fixed


def rows():
    return [RunRow(i, 100 + i, "test", q, q, None, e) for i, (q, e) in enumerate(EXPECTED.items())]


def two_runs(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    results = []
    for b_model, table in (("b1", B_OLD), ("b2", B_NEW)):
        backend = Answers(workspace, {"a": A, b_model: table})
        spec = EvalSpec(ModelRef("local", "a"), ModelRef("local", b_model))
        results.append(evaluate(workspace, spec, rows(), lambda name: backend, dataset_path=tmp_path / "d.jsonl",
                                dataset_version="v1"))
    return workspace, results


def test_flips_and_metric_changes_newer_minus_older(tmp_path):
    _, (old, new) = two_runs(tmp_path)
    changes = compare_runs(new, old)  # given in any order: put in time order
    assert changes.older is old and changes.newer is new and changes.shared == 4
    assert [(f.example_id, f.before, f.after) for f in changes.of("b", BROKEN)] == [(100, "Paris", "Lyon")]
    assert [(f.example_id, f.before, f.after) for f in changes.of("b", FIXED)] == [(102, "Bergen", "Oslo")]
    assert changes.of("a", BROKEN) == [] and changes.of("a", FIXED) == []
    right = dict((label, (a1, b1, a2, b2)) for label, a1, b1, a2, b2 in changes.metrics)["right (verdict)"]
    assert right == pytest.approx((50.0, 75.0, 50.0, 75.0))
    assert changes.notes == ["the model b differs"]
    assert broken_since(old, new).tolist() == [True, False, False, False]
    assert broken_since(new, old).tolist() == [False, False, True, False]  # right in the newer, wrong in the older


def test_runs_compare_on_the_command_line(tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text_input": q, "output": e, "split": "test"}) + "\n"
                            for q, e in EXPECTED.items()))
    assert main(["eval", str(data), "--a", "local:local-echo", "--b", "local:local-echo", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)["run"]
    assert main(["eval", str(data), "--a", "local:local-echo", "--b", "local:local-echo", "--match", "contains",
                 "--json"]) == 0
    second = json.loads(capsys.readouterr().out)["run"]
    assert main(["runs", str(data), "--compare", second, first, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["older"] == first and out["newer"] == second and out["notes"] == ["the scoring differs"]
    assert main(["runs", str(data), "--compare", first, second]) == 0
    text = capsys.readouterr().out
    assert f"older: {first}" in text and "B Δ" in text and "no example changed its verdict" in text


def test_a_verdict_is_reused_where_the_same_model_gives_the_same_answer(tmp_path):
    workspace, (old, new) = two_runs(tmp_path)
    # a person says A's "Milan" for Rome is right after all, and B1's "Bergen" for Oslo too
    old = record_verdict(workspace, old, 1, "a", 1)
    record_verdict(workspace, old, 2, "b", 1)
    again = load_run(workspace, new.run.id)
    q2 = again.rows[1]
    assert q2.human_a == 1 and q2.reused_a  # same model a, same prompt, same answer
    assert again.rows[2].human_b is None  # B2 answered "Oslo" (and is another model): not reused
    assert again.scorecard.right_a.tolist() == [True, True, True, False]
    assert again.scorecard.metrics["judged"]["verdicts"] == 1
    # a verdict given in this run is this run's own
    mine = record_verdict(workspace, again, 1, "a", 0)
    assert not mine.rows[1].reused_a and mine.scorecard.right_a.tolist() == [True, False, True, False]
    assert counts(mine.scorecard, mine.rows)["regressions"] == 1
