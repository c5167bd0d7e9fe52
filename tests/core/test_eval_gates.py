"""CI gates: metric floors for B, the most regressions allowed, JUnit XML and GitHub's step summary; and a
scoring rule chosen on the command line or in the settings, kept with the run."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from curator.cli import main
from curator.core.errors import CuratorError
from curator.core.evaluation.gates import failed_gates, junit_xml, metric_value, parse_floor
from curator.core.evaluation.runs import Runs
from curator.core.storage.workspace import Workspace
from tests.core.test_eval_review import run


def test_floors_regressions_and_junit_on_a_run(tmp_path):
    _, result = run(tmp_path)  # B: right on q1, q2; A right on q1, q4 -> one regression (q4)
    metrics = result.scorecard.metrics
    assert metric_value(metrics, "correct") == 0.5 and metric_value(metrics, "json_valid") == 1.0
    assert failed_gates(result, [("correct", 0.5)], 1) == []
    reasons = failed_gates(result, [("correct", 0.6), ("json_valid", 0.9)], 0)
    assert reasons == ["B's correct is 0.5, below 0.6", "B regresses on 1 example(s) A got right (at most 0 allowed)"]
    with pytest.raises(CuratorError, match="no metric 'accuracy'.*token_f1"):
        metric_value(metrics, "accuracy")
    assert parse_floor("accuracy=90%") == ("accuracy", pytest.approx(0.9))
    for bad in ("accuracy", "=3", "f1=high"):
        with pytest.raises(CuratorError):
            parse_floor(bad)

    root = ET.fromstring(junit_xml(result))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 4 and suite.get("failures") == "2" and suite.get("errors") == "0"
    assert [c.get("name") for c in cases] == ["example 100", "example 101", "example 102", "example 103"]
    assert cases[0].find("failure") is None and cases[1].find("failure") is None
    assert cases[2].find("failure").get("message") == "B is wrong"
    assert cases[3].find("failure").get("message") == "regression: A was right, B is wrong"
    assert "expected: " in cases[3].find("failure").text


def write_gsm(path):
    rows = [("Tom has 3 apples and buys 4. #### 7", "3 + 4 = 7\n#### 7"),
            ("Ann reads 10 pages twice. #### 20", "10 * 2\n#### 20"),
            ("Bob had 9 and lost 2. #### 6", "9 - 2\n#### 7"),  # the echo says 6: wrong
            ("What is 5 + 5? #### 10", "#### 10")]
    path.write_text("".join(json.dumps({"text_input": i, "output": o, "split": "test"}) + "\n" for i, o in rows))


def test_cli_rule_gates_junit_and_step_summary(tmp_path, capsys, monkeypatch):
    data = tmp_path / "gsm.jsonl"
    write_gsm(data)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    echo = ["--a", "local:local-echo", "--b", "local:local-echo"]  # answers with the prompt: "... #### N"
    assert main(["eval", str(data), *echo, "--json"]) == 0  # no rule: nothing is right, no gate
    assert json.loads(capsys.readouterr().out)["metrics"]["b"]["correct"] == 0.0

    junit = tmp_path / "eval.xml"
    code = main(["eval", str(data), *echo, "--extract", "after:####", "--match", "numeric", "--json",
                 "--fail-below", "correct=0.8", "--fail-below", "token_f1=0", "--junit", str(junit)])
    out = capsys.readouterr()
    assert code == 1
    metrics = json.loads(out.out)["metrics"]
    assert metrics["b"]["correct"] == 0.75 and metrics["rule"] == "after '####' · numeric"
    assert "gate not met: B's correct is 0.75, below 0.8" in out.err
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "1"
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "- scoring rule: after '####' · numeric" in text
    assert main(["eval", str(data), *echo, "--extract", "after:####", "--match", "numeric",
                 "--fail-below", "correct=75%", "--fail-on-regressions", "0"]) == 0
    err = capsys.readouterr().err
    assert "0 requests" in err  # every answer from the cache

    # the rule in the settings file applies without flags, and is kept with the run
    (tmp_path / "curator.toml").write_text('score_extract = "last-number"\nscore_match = "numeric"\n')
    assert main(["eval", str(data), *echo, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["rule"] == "last number · numeric"
    newest = Runs(Workspace.for_dataset(data)).list()[0]
    assert newest.spec["scoring"]["extract"] == "last-number"

    assert main(["eval", str(data), *echo, "--match", "fuzzy"]) == 2
    assert "match must be one of" in capsys.readouterr().err
    assert main(["eval", str(data), *echo, "--fail-below", "nope=0.5"]) == 2  # a bad argument
    assert "no metric 'nope'" in capsys.readouterr().err
