"""Scoring rules on hand-made cases: each extraction, each match, and the same rule for A and B."""

from __future__ import annotations

import json

import pytest

from curator.core.errors import CuratorError
from curator.core.evaluation.rules import ScoringRule, number, parse_rule, read_judgement
from curator.core.evaluation.scorecard import build_scorecard
from curator.core.evaluation.scoring import CLASSIFICATION, GENERATION, score

GSM = ["Natalia sold 48 clips in April and half as many in May: 48 + 24 = 72.\n#### 72",
       "Weng earns 12 an hour; 50 minutes is 10.\n#### 10",
       "#### 1,200"]


def verdicts(rule: ScoringRule, expected: list[str], answers: list[str | None], task: str = GENERATION) -> list[bool]:
    return score(expected, answers, task, rule=rule, json_task=False).correct.tolist()


def test_after_a_marker_with_numeric_equality():
    rule = parse_rule("after:####", "numeric")
    answers = ["She sold 72 in all.\n#### 72", "#### 10.0", "so the total is\n#### 1200 dollars"]
    assert rule.extract_all(answers) == ["72", "10.0", "1200 dollars"]
    assert rule.reference(GSM) == ["72", "10", "1,200"]
    assert verdicts(rule, GSM, answers) == [True, True, True]
    # no marker in the answer: wrong, even when the number is in it; a wrong number is wrong
    assert verdicts(rule, GSM, ["The answer is 72", "#### 11", None]) == [False, False, False]


def test_last_number_and_tolerance():
    rule = parse_rule("last-number", "numeric:0.05")
    assert rule.extract_all(["3 apples and 4.5 pears", "none", "-2e3"]) == ["4.5", None, "-2e3"]
    assert verdicts(rule, ["4.5", "7", "-2000"], ["about 4.52", "seven", "it is -2e3"]) == [True, False, True]
    assert verdicts(parse_rule("last-number", "numeric"), ["4.5"], ["4.52"]) == [False]
    assert number("$1,234") == 1234 and number("12 %") == 12 and number("n/a") is None


def test_regex_capture_first_group_else_whole_match():
    rule = parse_rule(r"regex:Answer:\s*(\w+)", "exact")
    assert rule.extract_all(["Reasoning...\nAnswer: Paris.", "no answer here"]) == ["Paris", None]
    assert verdicts(rule, ["Answer: Paris", "Answer: Rome"], ["I think... Answer: Paris", "Rome"]) == [True, False]
    whole = parse_rule(r"regex:\d{4}-\d{2}-\d{2}", "exact")
    assert whole.extract_all(["due on 2024-05-01, ok"]) == ["2024-05-01"]


def test_contains_and_starts_with_compare_whole_words_after_normalising():
    contains, starts = parse_rule(None, "contains"), parse_rule(None, "starts-with")
    expected = ["Paris", "Paris", "Paris", "new york"]
    answers = ["The capital is PARIS.", "Parisian food", "paris, france", "New York City"]
    assert verdicts(contains, expected, answers) == [True, False, True, True]
    assert verdicts(starts, expected, answers) == [False, False, True, True]


def test_json_schema_and_chosen_fields(tmp_path):
    pytest.importorskip("jsonschema")
    schema = {"type": "object", "required": ["name", "date"],
              "properties": {"name": {"type": "string"}, "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}}}
    (tmp_path / "s.json").write_text(json.dumps(schema))
    rule = parse_rule(None, "json:schema=s.json;fields=name,meta.id", base=tmp_path)
    expected = ['{"name": "Ann", "date": "2024-01-02", "meta": {"id": 1}}'] * 4
    answers = ['```json\n{"name": "Ann", "date": "2024-01-09", "meta": {"id": 1}}\n```',  # other date: fields match
               '{"name": "Ann", "date": "Jan 2", "meta": {"id": 1}}',  # breaks the schema
               '{"name": "Bob", "date": "2024-01-02", "meta": {"id": 1}}',  # wrong field
               'not json']
    assert verdicts(rule, expected, answers) == [True, False, False, False]
    assert rule.match_text == "json:schema=s.json;fields=name,meta.id"
    # a kept rule carries its schema, not the file
    again = ScoringRule.from_dict(rule.to_dict())
    assert again.schema == schema and verdicts(again, expected, answers) == [True, False, False, False]
    # no options: the whole object must equal the expected one (key order does not matter)
    assert verdicts(parse_rule(None, "json"), ['{"a": 1, "b": 2}', '{"a": 1}'], ['{"b": 2, "a": 1}', '{"a": 2}']) \
        == [True, False]


def test_bad_rules_say_what_is_wrong(tmp_path):
    for extract, match, words in [("after", None, "extract must be"), ("regex:(", None, "does not compile"),
                                  (None, "fuzzy", "match must be"), (None, "numeric:x", "tolerance"),
                                  (None, "json:keys=a", "json options"), (None, "judge", "judge:BACKEND:MODEL"),
                                  (None, "exact:1", "no argument")]:
        with pytest.raises(CuratorError, match=words):
            parse_rule(extract, match)
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(CuratorError, match="not valid JSON") as info:
        parse_rule(None, "json:schema=bad.json", base=tmp_path)
    assert str(tmp_path / "bad.json") in str(info.value)


def test_the_rule_decides_the_verdict_of_both_models_and_is_reported():
    expected = [g for g in GSM]
    out_a = ["48 + 24 = 72", "#### 10", "#### 1200"]
    out_b = ["#### 72", "#### 10", "#### 1199"]
    card = build_scorecard(expected, out_a, out_b, GENERATION, rule=parse_rule("after:####", "numeric"),
                           resamples=50)
    assert card.right_a.tolist() == [False, True, True] and card.right_b.tolist() == [True, True, False]
    assert card.metrics["rule"] == "after '####' · numeric"
    assert card.metrics["a"]["correct"] == pytest.approx(2 / 3)
    assert card.b.extracted == ["72", "10", "1199"]
    plain = build_scorecard(expected, out_a, out_b, GENERATION, resamples=50)
    assert not plain.right_b.any() and "rule" not in plain.metrics  # exact match on the whole text: 0


def test_extraction_before_mapping_labels():
    rule = parse_rule(r"regex:Label:\s*(\S+)", None)
    expected = ["billing", "refund", "billing", "refund"]
    answers = ["Thinking... Label: billing", "Label: Refund", "refund", "Label: billing"]
    assert verdicts(rule, expected, answers, CLASSIFICATION) == [True, True, False, False]


def test_judge_replies_and_verdicts():
    assert read_judgement("PASS\nIt names the same city.") == (1, "It names the same city.")
    assert read_judgement("**Fail**: the date is wrong") == (0, "the date is wrong")
    assert read_judgement("I am not sure") == (None, "I am not sure")
    rule = parse_rule(None, "judge:local:grader")
    assert rule.judge == "local:grader" and rule.rubric
    card = build_scorecard(["a", "b", "c"], ["x", "b", "c"], ["a", "y", "z"], GENERATION, rule=rule,
                           judged_a=[1, 1, 0], judged_b=[1, None, 0], human_a=[0, None, None],
                           human_b=[None, None, 1], resamples=50)
    assert card.right_a.tolist() == [False, True, False]  # a person's verdict stands over the judge's
    assert card.right_b.tolist() == [True, False, True]
    assert card.metrics["judge"] == {"a": {"passed": 2, "unreadable": 0, "people": 1, "disagree": 1},
                                     "b": {"passed": 1, "unreadable": 1, "people": 1, "disagree": 1}}
