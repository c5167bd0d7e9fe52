"""Scoring answers against expected outputs, per example and in aggregate (scikit-learn for the
classification metrics).

Task types: **classification** when the expected outputs form a small label set (as the label checks see
it), otherwise **generation**; the caller may override. Definitions:

- exact: equal after trimming leading and trailing whitespace;
- normalised: equal after NFKC, lower-casing, turning punctuation and symbols into spaces and collapsing
  whitespace (the per-example "right or wrong" of a generation task);
- token F1: SQuAD-style F1 over the normalised tokens (1 when both are empty);
- similarity: rapidfuzz ``fuzz.ratio`` of the trimmed texts, 0-100;
- JSON (when most expected outputs are JSON objects): validity (parses as an object, a surrounding
  Markdown code fence allowed) and key agreement (Jaccard of the top-level keys);
- classification: an answer is mapped to the expected label with the same label key (case, spaces and
  punctuation ignored), else to ``(other)``; accuracy, macro and weighted precision / recall / F1 over the
  expected labels, a per-label report and the confusion matrix.

A failed request scores as a wrong, empty answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from curator.core.checks.outputs import is_label_set
from curator.core.text import label_key

CLASSIFICATION, GENERATION = "classification", "generation"
TASKS = (CLASSIFICATION, GENERATION)
OTHER = "(other)"
JSON_SHARE = 0.8  # share of expected outputs that must be JSON objects for the JSON metrics
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n(.*)\n```$", re.S)


def detect_task(outputs: list[str], max_distinct: int = 100) -> str:
    """classification when ``outputs`` form a label set of at least two labels, else generation."""
    series = pl.Series(outputs, dtype=pl.String)
    return CLASSIFICATION if series.n_unique() >= 2 and is_label_set(series, max_distinct) else GENERATION


def task_for(setting: str | None, outputs: list[str], max_distinct: int = 100) -> str:
    """The task to score as: the settings' ``task_type`` when given (anything but classification scores as
    generation), else detected from ``outputs``."""
    if setting is None:
        return detect_task(outputs, max_distinct)
    return CLASSIFICATION if setting == CLASSIFICATION else GENERATION


def normalise_answer(texts: pl.Series) -> pl.Series:
    """The normalised form of each text (see the module docstring); null counts as ""."""
    return (
        texts.fill_null("").str.normalize("NFKC").str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]+", " ").str.replace_all(r"\s+", " ").str.strip_chars()
    )


def parse_json_object(text: str | None) -> dict | None:
    """``text`` as a JSON object (inside a Markdown code fence or not), else None."""
    if not text:
        return None
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def is_json_task(expected: list[str]) -> bool:
    """Most expected outputs are JSON objects."""
    if not expected:
        return False
    return sum(parse_json_object(e) is not None for e in expected) >= JSON_SHARE * len(expected)


@dataclass
class Scores:
    """Per-example scores of one model's answers (arrays aligned with the examples)."""

    answered: np.ndarray  # bool: the request succeeded
    correct: np.ndarray  # bool: the automatic verdict (label match, or normalised match)
    exact: np.ndarray  # bool
    normalised: np.ndarray  # bool
    token_f1: np.ndarray  # float 0..1
    similarity: np.ndarray  # float 0..100
    json_valid: np.ndarray | None = None  # bool, for JSON tasks
    json_keys: np.ndarray | None = None  # float 0..1, for JSON tasks
    labels: list[str] | None = None  # for classification: the label each answer maps to

    def per_example(self) -> dict[str, np.ndarray]:
        """The mean-decomposable metrics (what ``aggregate`` averages and the bootstrap resamples)."""
        out = {"exact": self.exact, "normalised": self.normalised, "token_f1": self.token_f1,
               "similarity": self.similarity}
        if self.json_valid is not None:
            out["json_valid"] = self.json_valid
            out["json_keys"] = self.json_keys
        return out


def _token_f1(expected: pl.Series, predicted: pl.Series) -> np.ndarray:
    n = expected.len()

    def counts(norm: pl.Series, name: str) -> pl.DataFrame:
        return (pl.DataFrame({"row": np.arange(n), "tok": norm.str.split(" ")}).explode("tok")
                .filter(pl.col("tok") != "").group_by("row", "tok").agg(pl.len().alias(name)))

    e, p = counts(expected, "ne"), counts(predicted, "np")
    common = (e.join(p, on=["row", "tok"]).group_by("row")
              .agg(pl.min_horizontal("ne", "np").sum().alias("common")))
    totals = (pl.DataFrame({"row": np.arange(n)})
              .join(e.group_by("row").agg(pl.col("ne").sum()), on="row", how="left")
              .join(p.group_by("row").agg(pl.col("np").sum()), on="row", how="left")
              .join(common, on="row", how="left").fill_null(0).sort("row"))
    ne, np_, c = (totals[k].to_numpy().astype(np.float64) for k in ("ne", "np", "common"))
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(np_ > 0, c / np_, 0.0)
        recall = np.where(ne > 0, c / ne, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return np.where((ne == 0) & (np_ == 0), 1.0, f1)


def label_names(expected: list[str]) -> list[str]:
    """The expected labels, one spelling per label key (the most common), sorted."""
    keys = pl.Series(expected, dtype=pl.String).to_frame("label").with_columns(key=label_key(pl.col("label")))
    best = (keys.group_by("key", "label").len().sort(["key", "len", "label"], descending=[False, True, False])
            .group_by("key", maintain_order=True).first())
    return sorted(best["label"].to_list())


def map_labels(texts: list[str | None], labels: list[str]) -> list[str]:
    """Each text as the label with the same label key, else ``OTHER``."""
    by_key = dict(zip(pl.Series(labels, dtype=pl.String).to_frame("l").select(label_key(pl.col("l")))["l"], labels))
    keys = pl.Series(texts, dtype=pl.String).to_frame("t").select(label_key(pl.col("t")))["t"].to_list()
    return [by_key.get(k, OTHER) for k in keys]


def score(expected: list[str], predicted: list[str | None], task: str, *, json_task: bool | None = None,
          labels: list[str] | None = None) -> Scores:
    """Per-example scores of ``predicted`` (None: the request failed) against ``expected``."""
    exp = pl.Series(expected, dtype=pl.String).fill_null("")
    pred = pl.Series(predicted, dtype=pl.String)
    answered = pred.is_not_null().to_numpy()
    pred = pred.fill_null("")
    exp_strip, pred_strip = exp.str.strip_chars(), pred.str.strip_chars()
    exact = (exp_strip == pred_strip).to_numpy() & answered
    exp_norm, pred_norm = normalise_answer(exp), normalise_answer(pred)
    normalised = (exp_norm == pred_norm).to_numpy() & answered
    token_f1 = np.where(answered, _token_f1(exp_norm, pred_norm), 0.0)
    similarity = process.cpdist(pred_strip.to_list(), exp_strip.to_list(), scorer=fuzz.ratio, workers=-1)
    similarity = np.where(answered, np.asarray(similarity, dtype=np.float64), 0.0)
    scores = Scores(answered, normalised.copy(), exact, normalised, token_f1, similarity)
    if json_task if json_task is not None else is_json_task(expected):
        exp_objs = [parse_json_object(e) for e in expected]
        pred_objs = [parse_json_object(p) if ok else None for p, ok in zip(pred.to_list(), answered)]
        scores.json_valid = np.array([p is not None for p in pred_objs], dtype=bool)
        scores.json_keys = np.array([_jaccard(e, p) for e, p in zip(exp_objs, pred_objs)], dtype=np.float64)
    if task == CLASSIFICATION:
        labels = labels or label_names(expected)
        truth = map_labels(expected, labels)
        mapped = map_labels([p if ok else None for p, ok in zip(pred.to_list(), answered)], labels)
        scores.labels = mapped
        scores.correct = np.array([t == m for t, m in zip(truth, mapped)], dtype=bool) & answered
    return scores


def _jaccard(expected: dict | None, predicted: dict | None) -> float:
    if predicted is None:
        return 0.0
    a, b = set(expected or {}), set(predicted)
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def aggregate(scores: Scores, indices: np.ndarray | None = None) -> dict[str, float]:
    """Means of the per-example metrics (over ``indices`` when given), plus the share answered."""
    pick = (lambda a: a[indices]) if indices is not None else (lambda a: a)
    out = {"answered": _mean(pick(scores.answered)), "correct": _mean(pick(scores.correct))}
    out.update({name: _mean(pick(values)) for name, values in scores.per_example().items()})
    return out


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def classification_report(expected: list[str], scores: Scores, labels: list[str],
                          indices: np.ndarray | None = None) -> dict:
    """Accuracy, macro and weighted P/R/F1, the per-label report and the confusion matrix (rows: expected,
    columns: predicted; ``OTHER`` as the last column when some answer matched no label)."""
    truth = map_labels(expected, labels)
    predicted = scores.labels or []
    if indices is not None:
        truth = [truth[i] for i in indices]
        predicted = [predicted[i] for i in indices]
    if not truth:
        return {"n": 0}
    out: dict = {"n": len(truth), "accuracy": float(accuracy_score(truth, predicted))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(truth, predicted, labels=labels, average=average,
                                                     zero_division=0)
        out[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    p, r, f, support = precision_recall_fscore_support(truth, predicted, labels=labels, average=None,
                                                       zero_division=0)
    out["per_label"] = {label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                "support": int(support[i])} for i, label in enumerate(labels)}
    columns = labels + ([OTHER] if OTHER in predicted else [])
    matrix = confusion_matrix(truth, predicted, labels=columns)
    out["confusion"] = {"labels": columns, "matrix": matrix[: len(labels)].tolist()}
    out["predicted_counts"] = dict(Counter(predicted))
    return out
