"""Sampling each model N times (agreement, right share, flaky examples, majority answers) and a judge model
graded through the same backends and cache, its verdicts kept with the run."""

from __future__ import annotations

import pytest

from curator.core.backends.base import Generation
from curator.core.evaluation.evaluate import EvalSpec, evaluate, load_run, majority
from curator.core.evaluation.report import markdown, predictions_frame
from curator.core.evaluation.review import counts
from curator.core.evaluation.rules import parse_rule
from curator.core.evaluation.runs import RunRow
from curator.core.models import ModelRef
from curator.core.storage.workspace import Workspace
from tests.core.test_eval_runner import Counting

EXPECTED = {"q1": "Paris", "q2": "Rome", "q3": "Oslo"}
# per model, per prompt: the answer of each seed (42, 43, 44)
SAMPLED = {"a": {"q1": ["Paris", "Paris", "Paris"], "q2": ["Rome", "Milan", "Milan"], "q3": ["Bergen"] * 3},
           "b": {"q1": ["Paris", "paris.", "Lyon"], "q2": ["Rome"] * 3, "q3": ["Oslo", "Oslo", "Oslo"]}}


class Seeded(Counting):
    """Answers by model, prompt and seed; a judge model passes an answer when it names the expected city."""

    def __init__(self, workspace) -> None:
        super().__init__(workspace, delay=0)

    async def agenerate(self, model, prompt, config=None, *, system=None):
        await super().agenerate(model, prompt, config, system=system)
        if model == "judge":
            expected = prompt.split("Expected output:\n")[1].split("\n")[0]
            answer = prompt.split("Answer to grade:\n")[1].split("\n")[0]
            ok = expected.lower() in answer.lower()
            return Generation(("PASS\nsame city" if ok else "FAIL\nanother city"), model)
        return Generation(SAMPLED[model][prompt][config.seed - 42], model)


def rows():
    return [RunRow(i, 10 + i, "test", q, q, None, e) for i, (q, e) in enumerate(EXPECTED.items())]


def test_samples_measure_agreement_and_flaky_examples(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    backend = Seeded(workspace)
    spec = EvalSpec(ModelRef("local", "a"), ModelRef("local", "b"), samples=3)
    result = evaluate(workspace, spec, rows(), lambda name: backend, dataset_path=tmp_path / "d.jsonl",
                      dataset_version="v1")
    assert len(backend.calls) == 18 and result.run.spec["samples"] == 3
    r = result.rows
    assert r[1].samples_a == ["Rome", "Milan", "Milan"] and r[1].output_a == "Milan"  # the most common answer
    assert r[0].output_b == "Paris"  # "Paris" and "paris." are one answer after normalising
    card = result.scorecard
    agree_a, right_a = card.stability["a"]
    agree_b, right_b = card.stability["b"]
    assert agree_a.tolist() == pytest.approx([1, 2 / 3, 1]) and right_a.tolist() == pytest.approx([1, 1 / 3, 0])
    assert agree_b.tolist() == pytest.approx([2 / 3, 1, 1]) and right_b.tolist() == pytest.approx([2 / 3, 1, 1])
    assert card.flaky.tolist() == [True, True, False]
    st = card.metrics["stability"]
    assert st["samples"] == 3 and st["flaky"] == 2 and st["a"]["flaky"] == 1
    assert card.right_a.tolist() == [True, False, False]  # verdicts on the majority answers
    assert counts(card, r)["flaky"] == 2
    assert "flaky examples" in markdown(result)
    assert predictions_frame(result)["right_share_b"].to_list() == pytest.approx([2 / 3, 1, 1], abs=1e-4)
    again = load_run(workspace, result.run.id)  # the samples are kept with the run
    assert again.rows[1].samples_a == ["Rome", "Milan", "Milan"] and again.scorecard.flaky.tolist() == [True, True, False]
    assert majority([None, None]) is None


def test_a_judge_model_grades_every_answer_through_the_cache(tmp_path):
    workspace = Workspace(tmp_path / ".curator")
    backend = Seeded(workspace)
    rule = parse_rule(None, "judge:local:judge", "the same city")
    spec = EvalSpec(ModelRef("local", "a"), ModelRef("local", "b"), rule=rule)
    result = evaluate(workspace, spec, rows(), lambda name: backend, dataset_path=tmp_path / "d.jsonl",
                      dataset_version="v1")
    judge_calls = [p for m, p in backend.calls if m == "judge"]
    assert len(judge_calls) == 4  # A and B gave the same answer to q1 and q2: judged once each
    assert all("Rubric: the same city" in p for p in judge_calls)
    assert [r.judge_a for r in result.rows] == [[1, "same city"], [1, "same city"], [0, "another city"]]
    assert result.scorecard.right_b.tolist() == [True, True, True]
    assert result.scorecard.metrics["judge"]["a"]["passed"] == 2
    assert result.run.spec["scoring"]["match"] == "judge:local:judge"
    again = load_run(workspace, result.run.id)
    assert again.rows[2].judge_a == [0, "another city"] and again.scorecard.right_a.tolist() == [True, True, False]
    # the same run again: every answer and every judgement from the cache
    before = len(backend.calls)
    evaluate(workspace, spec, rows(), lambda name: backend, dataset_path=tmp_path / "d.jsonl", dataset_version="v1")
    assert len(backend.calls) == before
