"""Evaluation metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from curator.core.evaluation.scorecard import build_scorecard
from curator.core.evaluation.scoring import (
    CLASSIFICATION,
    GENERATION,
    OTHER,
    classification_report,
    detect_task,
    label_names,
    parse_json_object,
    score,
)
from curator.core.evaluation.stats import bootstrap, mcnemar, outcomes


def test_classification_metrics_match_hand_computed_values():
    expected = ["a", "a", "b", "b", "c"]
    predicted = ["a", "b", "b", "b", "something else"]
    scores = score(expected, predicted, CLASSIFICATION)
    report = classification_report(scores)
    assert report["accuracy"] == pytest.approx(3 / 5)
    # a: P 1/1, R 1/2, F1 2/3; b: P 2/3, R 1, F1 0.8; c: P 0, R 0, F1 0
    assert report["macro"]["precision"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert report["macro"]["recall"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert report["macro"]["f1"] == pytest.approx((2 / 3 + 0.8 + 0) / 3)
    assert report["weighted"]["precision"] == pytest.approx((2 * 1 + 2 * 2 / 3 + 1 * 0) / 5)
    assert report["weighted"]["f1"] == pytest.approx((2 * 2 / 3 + 2 * 0.8) / 5)
    assert report["per_label"]["b"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert report["confusion"] == {"labels": ["a", "b", "c", OTHER], "matrix": [[1, 1, 0, 0], [0, 2, 0, 0],
                                                                                 [0, 0, 0, 1]]}
    assert scores.correct.tolist() == [True, False, True, True, False]


def test_label_spellings_map_to_the_expected_label():
    expected = ["Positive", "negative", "positive", "Positive"]
    assert label_names(expected) == ["Positive", "negative"]  # the most common spelling of each label
    scores = score(expected, [" positive.", "NEGATIVE", "neg", None], CLASSIFICATION)
    assert scores.answered_labels == ["Positive", "negative", OTHER, OTHER]
    assert scores.correct.tolist() == [True, True, False, False]
    assert scores.exact.tolist() == [False, False, False, False]
    assert scores.answered.tolist() == [True, True, True, False]


def test_generation_metrics_match_hand_computed_values():
    expected = ["the cat sat", "Hello, World!", "same text", "", "x"]
    predicted = ["the cat ran away", "hello   world", "same text  ", "", None]
    s = score(expected, predicted, GENERATION, json_task=False)
    assert s.exact.tolist() == [False, False, True, True, False]
    assert s.normalised.tolist() == [False, True, True, True, False]
    # "the cat sat" vs "the cat ran away": 2 common tokens, P 2/4, R 2/3
    p, r = 2 / 4, 2 / 3
    assert s.token_f1.tolist() == pytest.approx([2 * p * r / (p + r), 1.0, 1.0, 1.0, 0.0])
    # fuzz.ratio = 2 * matches / total length: "the cat sat" (11) vs "the cat ran away" (16) share "the cat " + "a"
    assert s.similarity[0] == pytest.approx(2 * 9 / 27 * 100)
    assert s.similarity[2] == 100.0 and s.similarity[4] == 0.0
    assert s.correct.tolist() == s.normalised.tolist()


def test_json_validity_and_key_agreement():
    expected = ['{"a": 1, "b": 2}', '{"x": true}', '{"k": "v"}']
    predicted = ['```json\n{"a": 1, "c": 3}\n```', "not json", '["a list"]']
    s = score(expected, predicted, GENERATION)
    assert s.json_valid.tolist() == [True, False, False]
    assert s.json_keys.tolist() == pytest.approx([1 / 3, 0.0, 0.0])  # {a,b} vs {a,c}: 1 shared of 3
    assert parse_json_object(' {"a": 1} ') == {"a": 1}
    assert score(["plain", "text", "here"], ["a", "b", "c"], GENERATION).json_valid is None


def test_task_detection():
    assert detect_task(["yes", "no", "yes", "no", "yes", "no"]) == CLASSIFICATION
    assert detect_task([f"answer number {i}" for i in range(10)]) == GENERATION
    assert detect_task(["same"] * 10) == GENERATION  # one label is not a classification task


def test_mcnemar_exact_binomial():
    a = np.array([True] * 1 + [False] * 6 + [True] * 5)
    b = np.array([False] * 1 + [True] * 6 + [True] * 5)
    result = mcnemar(a, b)
    assert (result["a_only"], result["b_only"]) == (1, 6)
    assert result["p_value"] == pytest.approx(2 * (1 + 7) / 2 ** 7)  # two-sided P(X <= 1), X ~ Bin(7, 1/2)
    assert mcnemar(a, a)["p_value"] == 1.0


def test_outcomes_per_example():
    right_a = np.array([True, False, True, False, False, False])
    right_b = np.array([False, True, True, False, False, False])
    a = score(["x"] * 6, ["x", "no", "x", "abcdefgh", "zzzzzzzz", "q"], GENERATION, json_task=False)
    b = score(["x"] * 6, ["no", "x", "x", "zzzzzzzz", "abcdefgx", "q"], GENERATION, json_task=False)
    # both wrong: the answer closer to "x" wins by similarity (4th: both 0; 5th: B shares the "x", 2/9 = 22)
    expected_gen = [-1, 1, 0, 0, 1, 0]
    assert outcomes(GENERATION, right_a, right_b, a, b).tolist() == expected_gen
    assert outcomes(CLASSIFICATION, right_a, right_b, a, b).tolist() == [-1, 1, 0, 0, 0, 0]


def test_bootstrap_is_seeded_and_brackets_the_difference():
    rng = np.random.default_rng(1)
    a = {"exact": rng.random(200) < 0.5}
    b = {"exact": rng.random(200) < 0.8}
    one, drawn = bootstrap(a, b, seed=3, resamples=400)
    assert drawn == 400 and one == bootstrap(a, b, seed=3, resamples=400)[0]
    ci = one["exact"]
    assert ci["diff"] == pytest.approx(b["exact"].mean() - a["exact"].mean())
    assert ci["low"] < ci["diff"] < ci["high"]
    assert 0.05 < ci["high"] - ci["low"] < 0.3  # about 4 standard errors of a difference of shares at n=200
    same = bootstrap(a, a, seed=0, resamples=100)[0]["exact"]
    assert same == {"diff": 0.0, "low": 0.0, "high": 0.0}


def test_scorecard_keeps_leaked_examples_apart_and_human_verdicts_override():
    expected = ["yes", "no", "yes", "no", "yes", "no"]
    out_a = ["yes", "yes", "yes", "yes", "no", "no"]
    out_b = ["yes", "no", "yes", "no", "yes", "yes"]
    card = build_scorecard(expected, out_a, out_b, CLASSIFICATION, leaked=[True, True, False, False, False, False],
                           resamples=200)
    m = card.metrics
    assert m["a"]["classification"]["accuracy"] == pytest.approx(3 / 6)
    assert m["b"]["classification"]["accuracy"] == pytest.approx(5 / 6)
    assert (m["paired"]["wins"], m["paired"]["losses"], m["paired"]["ties"]) == (3, 1, 2)
    assert m["subsets"]["leaked"]["n"] == 2 and m["subsets"]["clean"]["n"] == 4
    assert m["subsets"]["leaked"]["a"]["correct"] == pytest.approx(1 / 2)
    assert m["subsets"]["clean"]["b"]["correct"] == pytest.approx(3 / 4)
    # a person says B's last answer ("yes" for "no") is right after all
    judged = build_scorecard(expected, out_a, out_b, CLASSIFICATION, human_b=[None] * 5 + [1], resamples=200)
    assert judged.right_b.all() and judged.metrics["judged"]["b"] == 1.0
    assert judged.metrics["paired"]["losses"] == 0
    assert not math.isnan(judged.metrics["paired"]["bootstrap"]["macro_f1"]["diff"])


def test_mcnemar_p_value_is_scipys_exact_binomial_test_without_scipy_stats():
    from scipy.stats import binomtest

    from curator.core.evaluation.stats import binomial_half_two_sided

    for n in (*range(1, 40), 101, 1000, 20_001):
        for k in {0, 1, n // 3, n // 2, n // 2 + 1, n - 1, n}:
            assert binomial_half_two_sided(k, n) == pytest.approx(binomtest(k, n, 0.5).pvalue, rel=1e-9, abs=1e-300)
