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
  punctuation ignored), else to ``(unmapped)``; accuracy, macro and weighted precision / recall / F1 over the
  expected labels, a per-label report and the confusion matrix.

A failed request scores as a wrong, empty answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from curator.core.checks.outputs import is_label_set
from curator.core.evaluation.rules import ScoringRule
from curator.core.text import label_key

CLASSIFICATION, GENERATION = "classification", "generation"
TASKS = (CLASSIFICATION, GENERATION)
OTHER = "(unmapped)"  # an answer that maps to no expected label
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
    texts = texts.fill_null("")
    if texts.str.contains(r"[^\x00-\x7f]").any():  # NFKC changes nothing in ASCII text
        texts = texts.str.normalize("NFKC")
    return (texts.str.to_lowercase().str.replace_all(r"[\p{P}\p{S}]+", " ")
            .str.replace_all(r"\s\s+|[^\S ]", " ")  # runs and odd spaces: faster than \s+ on plain text
            .str.strip_chars())


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
    starts = pl.Series(expected, dtype=pl.String).fill_null("").str.strip_chars_start()
    maybe = (starts.str.starts_with("{") | starts.str.starts_with("```")).sum()
    if maybe < JSON_SHARE * len(expected):  # most cannot be objects: no need to parse them
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
    labels: list[str] | None = None  # for classification: the expected labels
    truth_codes: np.ndarray | None = None  # for classification: index of each expected label
    codes: np.ndarray | None = None  # for classification: index of the label each answer maps to (other: len)
    extracted: list[str | None] | None = None  # the answers the scoring rule's extraction took out

    @property
    def answered_labels(self) -> list[str]:
        """The label each answer maps to (``OTHER`` when none)."""
        names = (self.labels or []) + [OTHER]
        return [names[c] for c in self.codes] if self.codes is not None else []

    def per_example(self) -> dict[str, np.ndarray]:
        """The mean-decomposable metrics (what ``aggregate`` averages and the bootstrap resamples)."""
        out = {"exact": self.exact, "normalised": self.normalised, "token_f1": self.token_f1,
               "similarity": self.similarity}
        if self.json_valid is not None:
            out["json_valid"] = self.json_valid
            out["json_keys"] = self.json_keys
        return out


def _token_f1(expected: pl.Series, predicted: pl.Series) -> np.ndarray:
    """Token F1 of each pair of normalised texts: multiset overlap of (row, token id) keys, counted by sorting."""
    n = expected.len()
    frame = pl.DataFrame({"row": np.concatenate([np.arange(n), np.arange(n)]).astype(np.uint64),
                          "tok": pl.concat([expected, predicted]).str.split(" ")}).with_row_index("i")
    tokens = frame.explode("tok").filter(pl.col("tok") != "")
    ids = tokens["tok"].cast(pl.Categorical).to_physical().to_numpy().astype(np.uint64)
    answer = tokens["i"].to_numpy() >= n
    rows = tokens["row"].to_numpy()
    keys = (rows << np.uint64(32)) | ids
    keys_e, count_e = np.unique(keys[~answer], return_counts=True)
    keys_p, count_p = np.unique(keys[answer], return_counts=True)
    common, ie, ip = np.intersect1d(keys_e, keys_p, assume_unique=True, return_indices=True)
    shared = np.bincount((common >> np.uint64(32)).astype(np.int64), weights=np.minimum(count_e[ie], count_p[ip]),
                         minlength=n)
    ne = np.bincount(rows[~answer].astype(np.int64), minlength=n).astype(np.float64)
    np_ = np.bincount(rows[answer].astype(np.int64), minlength=n).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(np_ > 0, shared / np_, 0.0)
        recall = np.where(ne > 0, shared / ne, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return np.where((ne == 0) & (np_ == 0), 1.0, f1)


def label_names(expected: list[str]) -> list[str]:
    """The expected labels, one spelling per label key (the most common), sorted."""
    keys = pl.Series(expected, dtype=pl.String).to_frame("label").with_columns(key=label_key(pl.col("label")))
    best = (keys.group_by("key", "label").len().sort(["key", "len", "label"], descending=[False, True, False])
            .group_by("key", maintain_order=True).first())
    return sorted(best["label"].to_list())


def label_codes(texts: list[str | None], labels: list[str]) -> np.ndarray:
    """Each text as the index of the label with the same label key, else ``len(labels)`` (other)."""
    keys = pl.Series(labels, dtype=pl.String).to_frame("l").select(label_key(pl.col("l")))["l"].to_list()
    series = pl.Series(texts, dtype=pl.String).to_frame("t").select(label_key(pl.col("t")))["t"]
    mapped = series.replace_strict(keys, list(range(len(labels))), default=len(labels), return_dtype=pl.Int64)
    return mapped.fill_null(len(labels)).to_numpy()


@dataclass
class Reference:
    """What scoring needs of the expected outputs, computed once for both models."""

    stripped: pl.Series
    normalised: pl.Series
    objects: list[dict | None] | None  # the expected JSON objects, for JSON tasks
    labels: list[str] | None  # for classification
    truth_codes: np.ndarray | None
    rule: ScoringRule = ScoringRule()
    extracted: list[str] | None = None  # the expected side as the rule's extraction sees it


def reference(expected: list[str], task: str, *, json_task: bool | None = None,
              labels: list[str] | None = None, rule: ScoringRule | None = None) -> Reference:
    exp = pl.Series(expected, dtype=pl.String).fill_null("")
    json_task = is_json_task(expected) if json_task is None else json_task
    objects = [parse_json_object(e) for e in expected] if json_task else None
    rule = rule or ScoringRule()
    extracted = rule.reference(exp.to_list()) if rule.extract else None
    labels = (labels or label_names(extracted or expected)) if task == CLASSIFICATION else None
    codes = label_codes(extracted or expected, labels) if labels is not None else None
    return Reference(exp.str.strip_chars(), normalise_answer(exp), objects, labels, codes, rule, extracted)


def score(expected: list[str], predicted: list[str | None], task: str, *, json_task: bool | None = None,
          labels: list[str] | None = None, rule: ScoringRule | None = None) -> Scores:
    """Per-example scores of ``predicted`` (None: the request failed) against ``expected``."""
    return score_against(reference(expected, task, json_task=json_task, labels=labels, rule=rule), predicted)


def score_against(ref: Reference, predicted: list[str | None], judged: list[int | None] | None = None) -> Scores:
    """``score`` with the expected side prepared once (``reference``). The verdict (``correct``) follows the
    reference's scoring rule; a judge rule takes the judge's verdicts from ``judged`` (1 pass; before the
    judge has spoken, normalised equality stands)."""
    pred = pl.Series(predicted, dtype=pl.String)
    answered = pred.is_not_null().to_numpy()
    pred = pred.fill_null("")
    pred_strip = pred.str.strip_chars()
    exact = (ref.stripped == pred_strip).to_numpy() & answered
    pred_norm = normalise_answer(pred)
    normalised = (ref.normalised == pred_norm).to_numpy() & answered
    token_f1 = np.where(normalised, 1.0, 0.0)
    differ = np.flatnonzero(~normalised & answered)  # equal texts have F1 1: compute only the others
    if differ.size:
        token_f1[differ] = _token_f1(ref.normalised.gather(differ), pred_norm.gather(differ))
    similarity = process.cpdist(pred_strip.to_list(), ref.stripped.to_list(), scorer=fuzz.ratio, workers=-1)
    similarity = np.where(answered, np.asarray(similarity, dtype=np.float64), 0.0)
    scores = Scores(answered, normalised.copy(), exact, normalised, token_f1, similarity)
    texts = pred.to_list()
    if ref.objects is not None:
        pred_objs = [parse_json_object(p) if ok else None for p, ok in zip(texts, answered)]
        scores.json_valid = np.array([p is not None for p in pred_objs], dtype=bool)
        scores.json_keys = np.array([_jaccard(e, p) for e, p in zip(ref.objects, pred_objs)], dtype=np.float64)
    rule = ref.rule
    answers = [t if ok else None for t, ok in zip(texts, answered)]
    if rule.extract:
        scores.extracted = answers = rule.extract_all(answers)
    if ref.labels is not None:
        scores.labels = ref.labels
        scores.truth_codes = ref.truth_codes
        mapped = label_codes(answers, ref.labels)
        scores.codes = np.where(answered & np.array([a is not None for a in answers], dtype=bool), mapped,
                                len(ref.labels))
        scores.correct = (scores.truth_codes == scores.codes) & answered
    expected = ref.extracted or ref.stripped.to_list()
    if rule.match == "judge":
        if judged is not None:
            scores.correct = np.array([j == 1 for j in judged], dtype=bool) & answered
    elif rule.match != "auto":
        scores.correct = rule.verdicts(expected, answers)
    elif rule.extract and ref.labels is None:
        scores.correct = ScoringRule(match="normalised").verdicts(expected, answers)
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


def classification_report(scores: Scores, indices: np.ndarray | None = None) -> dict:
    """Accuracy, macro and weighted P/R/F1, the per-label report and the confusion matrix (rows: expected,
    columns: predicted, with ``OTHER``, the answers that matched no label, as the last column)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support  # slow import

    truth, predicted = scores.truth_codes, scores.codes
    if indices is not None:
        truth, predicted = truth[indices], predicted[indices]
    labels = scores.labels
    if not truth.size:
        return {"n": 0}
    codes = list(range(len(labels)))  # sklearn on integer codes: string labels cost seconds at 100k
    out: dict = {"n": int(truth.size), "accuracy": float(accuracy_score(truth, predicted))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(truth, predicted, labels=codes, average=average,
                                                     zero_division=0)
        out[average] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    p, r, f, support = precision_recall_fscore_support(truth, predicted, labels=codes, average=None,
                                                       zero_division=0)
    out["per_label"] = {label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                "support": int(support[i])} for i, label in enumerate(labels)}
    matrix = confusion_matrix(truth, predicted, labels=codes + [len(labels)])  # "other" always: never 1 x 1
    out["confusion"] = {"labels": labels + [OTHER], "matrix": matrix[: len(labels)].tolist()}
    counts = np.bincount(predicted, minlength=len(labels) + 1)
    out["predicted_counts"] = {name: int(counts[i]) for i, name in enumerate(labels + [OTHER]) if counts[i]}
    return out
