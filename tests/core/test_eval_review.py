"""The review's filters and orders, people's verdicts kept with a run, and the report of a generation task."""

from __future__ import annotations

import json

import numpy as np

from curator.core.evaluation.evaluate import EvalSpec, evaluate, load_run, record_verdict
from curator.core.evaluation.report import markdown, predictions_frame, write_report
from curator.core.evaluation.review import counts, order
from curator.core.evaluation.runs import RunRow
from curator.core.models import ModelRef
from curator.core.storage.workspace import Workspace
from tests.core.test_eval_runner import Counting


class Answers(Counting):
    """Answers from a table: model -> prompt -> text."""

    def __init__(self, workspace, table) -> None:
        super().__init__(workspace, delay=0)
        self.table = table

    async def agenerate(self, model, prompt, config=None, *, system=None):
        generation = await super().agenerate(model, prompt, config, system=system)
        cut = model == "b" and prompt == "q3"  # B's answer to q3 was cut at the max output tokens
        return type(generation)(self.table[model][prompt], model, "MAX_TOKENS" if cut else "STOP")


EXPECTED = {"q1": '{"city": "Paris", "country": "France"}', "q2": '{"city": "Rome", "country": "Italy"}',
            "q3": '{"city": "Oslo", "country": "Norway"}', "q4": '{"city": "Bern", "country": "Switzerland"}'}
A = {"q1": '{"city": "Paris", "country": "France"}', "q2": "Rome, Italy", "q3": '{"city": "Oslo"}',
     "q4": '{"city": "Bern", "country": "Switzerland"}'}
B = {"q1": '{"city": "Paris", "country": "France"}', "q2": '{"city": "Rome", "country": "Italy"}',
     "q3": '{"town": "Oslo"}', "q4": '{"city": "Zurich", "country": "Switzerland"}'}


def run(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    rows = [RunRow(i, 100 + i, "test", q, q, None, EXPECTED[q], leaked=q == "q4") for i, q in enumerate(EXPECTED)]
    backend = Answers(workspace, {"a": A, "b": B})
    spec = EvalSpec(ModelRef("local", "a"), ModelRef("local", "b"), selection="test split")
    return workspace, evaluate(workspace, spec, rows, lambda name: backend, dataset_path=tmp_path / "d.jsonl",
                               dataset_version="v1")


def test_filters_orders_and_json_metrics(tmp_path):
    workspace, result = run(tmp_path)
    card, rows = result.scorecard, result.rows
    assert card.task == "generation" and card.metrics["json"]
    assert card.a.json_valid.tolist() == [True, False, True, True]
    assert card.b.json_keys.tolist() == [1.0, 1.0, 0.0, 1.0]
    assert card.right_a.tolist() == [True, False, False, True] and card.right_b.tolist() == [True, True, False, False]
    assert counts(card, rows) == {"all": 4, "regressions": 1, "improvements": 1, "both-wrong": 1,
                                  "disagreements": 3, "leaked": 1, "failed": 0, "flaky": 0,
                                  "truncated": 1, "broke-since": 0}
    assert order(card, rows, "truncated").tolist() == [2] and card.metrics["truncated"] == {"a": 0, "b": 1}
    kept = load_run(workspace, result.run.id)
    assert kept.rows[2].truncated("b") and kept.scorecard.metrics["truncated"] == {"a": 0, "b": 1}
    assert order(card, rows, "regressions").tolist() == [3]
    assert order(card, rows, "improvements").tolist() == [1]
    by_b = order(card, rows, "all", "similarity-b")
    assert np.all(np.diff(card.b.similarity[by_b]) >= 0)


def test_verdicts_are_kept_with_the_run_and_rescore_it(tmp_path):
    workspace, result = run(tmp_path)
    result = record_verdict(workspace, result, 3, "b", 1)  # Zurich for Bern: a person accepts it
    again = load_run(workspace, result.run.id)
    assert again.rows[3].human_b == 1 and again.scorecard.right_b[3]
    assert again.run.metrics["judged"] == result.scorecard.metrics["judged"]
    assert again.run.metrics["judged"]["b"] == 0.75
    assert counts(again.scorecard, again.rows)["regressions"] == 0


def test_report_files(tmp_path):
    _, result = run(tmp_path)
    text = markdown(result)
    assert "| valid JSON | 75.0 | 100.0 | +25.0 |" in text
    assert "## Where A did better (2)" in text and "Bern" in text  # q3: both wrong, A closer
    assert "## Leaked examples apart" in text
    paths = write_report(result, tmp_path / "out")
    assert [p.name for p in paths] == ["report.md", "metrics.json", "predictions.csv"]
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["run"] == result.run.id and metrics["metrics"]["n"] == 4
    frame = predictions_frame(result)
    assert frame["outcome"].to_list() == ["tie", "B better", "A better", "A better"]


def test_rows_with_both_answers_are_handed_over_while_the_run_goes_on(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    rows = [RunRow(i, i, "test", f"q{i}", f"q{i}", None, "x") for i in range(20)]
    backend = Counting(workspace, delay=0.005)
    spec = EvalSpec(ModelRef("local", "a"), ModelRef("local", "b"))
    seen: list[list[RunRow]] = []
    untouched = []

    def partial(part: list[RunRow], task: str) -> None:
        seen.append(part)
        untouched.append(all(r.output_a is None for r in rows))  # copies: the caller's rows wait for the end

    result = evaluate(workspace, spec, rows, lambda name: backend, concurrency=2, partial=partial, partial_every=0)
    assert len(seen) >= 10
    sizes = [len(part) for part in seen]
    assert sizes == sorted(sizes) and sizes[-1] <= 20
    for part in seen:
        assert all(r.output_a == f"a:{r.prompt}" and r.output_b == f"b:{r.prompt}" for r in part)
    assert all(untouched)
    assert result.scorecard.metrics["n"] == 20
