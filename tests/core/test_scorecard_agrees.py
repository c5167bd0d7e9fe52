"""One scorecard: after a person's verdict, every number shown for the run agrees with it: the header and
the run lists (headline), the review's summary line, report.md's metrics and McNemar rows, metrics.json."""

from __future__ import annotations

import json

from curator.core.evaluation.evaluate import load_run, record_verdict
from curator.core.evaluation.report import headline, markdown, metric_rows, scorecard_summary, write_report
from curator.core.evaluation.scorecard import build_scorecard
from tests.core.test_eval_review import run


def test_every_number_of_a_run_counts_the_verdicts(tmp_path):
    workspace, result = run(tmp_path)
    assert result.scorecard.metrics["b"]["correct"] == 0.5
    record_verdict(workspace, result, 3, "b", 1)  # Zurich for Bern: a person accepts B's answer
    again = load_run(workspace, result.run.id)
    m = again.scorecard.metrics
    assert again.run.metrics["b"]["correct"] == m["b"]["correct"] == m["judged"]["b"] == 0.75
    assert m["paired"]["mcnemar"]["correct"] == {"a_only": 0, "b_only": 1, "p_value": 1.0}
    assert (m["paired"]["wins"], m["paired"]["losses"]) == (1, 1)  # q2 B right; q3 both wrong, A closer
    assert metric_rows(m)[0] == ("right (verdict)", 50.0, 75.0, metric_rows(m)[0][3])
    assert headline(again.run.metrics) == "right (verdict) A 50.0 · B 75.0"
    assert scorecard_summary(again.scorecard).startswith("right (verdict): A 50.0 · B 75.0 (+25.0) · B better on 1")
    report = markdown(again)
    assert "| right (verdict) | 50.0 | 75.0 | +25.0 |" in report
    assert "| right (verdict) | 0 | 1 | 1.000 |" in report
    write_report(again, tmp_path / "out")
    kept = json.loads((tmp_path / "out" / "metrics.json").read_text())["metrics"]
    assert kept["b"]["correct"] == 0.75 and kept["paired"]["mcnemar"]["correct"]["b_only"] == 1


def test_a_verdict_moves_the_accuracy_of_a_classification():
    expected = ["refund", "refund", "billing", "billing", "login"] * 4
    output_a = list(expected)
    output_b = ["refund", "refund", "billing", "login", "login"] * 4  # every fourth answer of B is wrong
    auto = build_scorecard(expected, output_a, output_b, "classification", resamples=200)
    human_b = [1 if i == 3 else None for i in range(len(expected))]
    judged = build_scorecard(expected, output_a, output_b, "classification", human_b=human_b, resamples=200)
    assert auto.metrics["b"]["classification"]["accuracy"] == 0.8
    assert judged.metrics["b"]["classification"]["accuracy"] == judged.metrics["b"]["correct"] == 0.85
    assert metric_rows(judged.metrics)[0][:3] == ("accuracy", 100.0, 85.0)
    assert judged.metrics["paired"]["mcnemar"]["correct"]["a_only"] == 3
    assert judged.metrics["paired"]["losses"] == 3
    # the labels' own figures stay the labels': the confusion matrix still shows the answer B gave
    assert judged.metrics["b"]["classification"]["confusion"] == auto.metrics["b"]["classification"]["confusion"]
