"""The models the local backend trains: honest, small, offline stand-ins for a tuned LLM.

* Label-like outputs (a few distinct values that repeat): character n-gram TF-IDF features (scikit-learn)
  and a linear softmax classifier trained by minibatch stochastic gradient descent with Adam steps. Epochs,
  batch size and learning rate mean what they mean for LLM tuning: passes over the data, examples per
  update, and the Adam step size (0.001 by default, as on Google's services). Only the weights of features
  present in a minibatch move ("lazy" Adam), so an epoch over 10,000 examples takes about a second. The
  training and validation log-loss (``sklearn.metrics.log_loss``) are measured on the whole sets before
  training and after every epoch.
* Free-text outputs: nearest neighbour over the training inputs (TF-IDF, cosine); the answer is the output
  of the most similar training input. There is nothing to iterate, so epochs, batch size and learning rate
  do not apply.

The prompt a model sees is the system instruction (when there is one) and the input, as the cloud
backends send them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import log_loss
from sklearn.neighbors import NearestNeighbors

from curator.core.checks.outputs import is_label_set
from curator.core.progress import Cancel, ProgressFn, Work

LABEL_MAX_DISTINCT = 100
MAX_FEATURES = 1 << 15
NEIGHBOURS = 5


def prompt_text(text_input: str, system: str | None) -> str:
    """What the model reads: the system instruction (if any), a blank line, the input."""
    return f"{system}\n\n{text_input}" if system else text_input


def prompts(frame: pl.DataFrame) -> list[str]:
    return [prompt_text(t or "", s) for t, s in zip(frame["text_input"].to_list(), frame["system"].to_list())]


def is_label_task(outputs: list[str], max_distinct: int = LABEL_MAX_DISTINCT) -> bool:
    """Outputs form a label set as the checks see it (``is_label_set``), with at least two labels."""
    series = pl.Series(outputs, dtype=pl.String)
    return series.n_unique() >= 2 and is_label_set(series, max_distinct)


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, dtype=np.float32, max_features=MAX_FEATURES,
        vocabulary=vocabulary,
    )


def vectorizer_with(vocabulary: dict[str, int], idf: np.ndarray) -> TfidfVectorizer:
    """The fitted vectorizer of a saved model, from its vocabulary and idf weights."""
    vectorizer = _vectorizer(vocabulary)
    vectorizer.idf_ = idf
    return vectorizer


def _tempered_choice(weights: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """argmax at temperature 0; otherwise a draw from weights**(1/temperature), normalised."""
    if temperature <= 0 or weights.size == 1:
        return int(np.argmax(weights))
    logits = np.log(np.clip(weights, 1e-12, None)) / temperature
    p = np.exp(logits - logits.max())
    return int(rng.choice(weights.size, p=p / p.sum()))


class LabelModel:
    """TF-IDF + softmax regression over the label set."""

    kind = "labels"

    def __init__(self, vectorizer: TfidfVectorizer, classes: list[str], weights: np.ndarray, bias: np.ndarray):
        self.vectorizer = vectorizer
        self.classes = classes
        self.weights = weights
        self.bias = bias

    def proba(self, features) -> np.ndarray:
        z = np.asarray(features @ self.weights) + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def answer(self, prompt: str, temperature: float, rng: np.random.Generator) -> str:
        p = self.proba(self.vectorizer.transform([prompt]))[0]
        return self.classes[_tempered_choice(p, temperature, rng)]


class NearestModel:
    """The output of the most similar training input."""

    kind = "nearest"

    def __init__(self, vectorizer: TfidfVectorizer, matrix: sp.csr_matrix, outputs: list[str]):
        """``matrix``: the training prompts' features, one row per output."""
        self.vectorizer = vectorizer
        self.matrix = matrix
        self.index = NearestNeighbors(metric="cosine", algorithm="brute").fit(matrix)
        self.outputs = outputs

    def answer(self, prompt: str, temperature: float, rng: np.random.Generator) -> str:
        k = min(NEIGHBOURS, len(self.outputs))
        distance, idx = self.index.kneighbors(self.vectorizer.transform([prompt]), n_neighbors=k)
        similarity = 1.0 - distance[0]
        return self.outputs[int(idx[0][_tempered_choice(similarity, temperature, rng)])]


LossCallback = Callable[[float, float, float | None], None]


def train_labels(
    train: pl.DataFrame,
    validation: pl.DataFrame,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    progress: ProgressFn | None,
    on_loss: LossCallback,
    cancel: Cancel | None = None,
) -> tuple[LabelModel, dict]:
    """Fit TF-IDF on the training prompts, then minibatch Adam on the softmax loss; returns (model, stats).
    ``on_loss(epoch, train loss, validation loss)`` before training and after each epoch."""
    Work(progress, cancel).report(0.0, "features")
    outputs = train["output"].to_list()
    classes, y = np.unique(np.array(outputs, dtype=object), return_inverse=True)
    vectorizer = _vectorizer()
    x = vectorizer.fit_transform(prompts(train)).tocsr()
    k = len(classes)
    index = {c: i for i, c in enumerate(classes)}
    val_y_all = [index.get(o) for o in validation["output"].to_list()]
    seen = np.array([i is not None for i in val_y_all], dtype=bool)
    xv = vectorizer.transform(prompts(validation)).tocsr()[seen] if validation.height else None
    yv = np.array([i for i in val_y_all if i is not None], dtype=np.int64)
    weights = np.zeros((x.shape[1], k), dtype=np.float32)
    bias = np.zeros(k, dtype=np.float32)
    model = LabelModel(vectorizer, [str(c) for c in classes], weights, bias)
    labels = np.arange(k)

    def measure(epoch: float) -> None:
        train_loss = log_loss(y, model.proba(x), labels=labels)
        val_loss = log_loss(yv, model.proba(xv), labels=labels) if xv is not None and len(yv) else None
        on_loss(epoch, float(train_loss), None if val_loss is None else float(val_loss))

    steps_per_epoch = -(-x.shape[0] // batch_size)
    measure(0.0)
    fit_softmax(x, y, weights, bias, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                progress=progress, cancel=cancel, on_epoch=lambda epoch: measure(float(epoch)))
    stats = {
        "mode": "labels (TF-IDF + softmax, minibatch Adam)",
        "labels": k,
        "features": int(x.shape[1]),
        "steps per epoch": steps_per_epoch,
    }
    if xv is not None and len(yv):
        stats["validation accuracy"] = round(float((model.proba(xv).argmax(axis=1) == yv).mean()), 4)
    if validation.height and not seen.all():
        stats["validation examples with unseen labels"] = int((~seen).sum())
    return model, stats


def fit_softmax(x: sp.csr_matrix, y: np.ndarray, weights: np.ndarray, bias: np.ndarray, *, epochs: int,
                batch_size: int, learning_rate: float, seed: int, progress: ProgressFn | None = None,
                cancel: Cancel | None = None,
                on_epoch: Callable[[int], None] | None = None) -> None:
    """Minibatch Adam on the softmax loss of ``x`` (rows) and label indices ``y``, updating ``weights``
    (features x labels) and ``bias`` in place; ``on_epoch(n)`` after each epoch; progress counts steps."""
    k = weights.shape[1]
    n = x.shape[0]
    total_steps = -(-n // batch_size) * epochs
    m_w, v_w = np.zeros_like(weights), np.zeros_like(weights)
    m_b, v_b = np.zeros_like(bias), np.zeros_like(bias)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    one_hot = np.eye(k, dtype=np.float32)
    rng = np.random.default_rng(seed)
    step = 0
    work = Work(progress, cancel, _stage="training")
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            if step % 64 == 0:
                work.report(step / total_steps, done=step, total=total_steps)
            rows = order[start : start + batch_size]
            batch = x[rows]
            cols, inverse = np.unique(batch.indices, return_inverse=True)
            xb = sp.csr_matrix((batch.data, inverse, batch.indptr), shape=(len(rows), len(cols)))
            w = weights[cols]
            z = np.asarray(xb @ w) + bias
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            delta = (p - one_hot[y[rows]]) / len(rows)
            grad_w = np.asarray(xb.T @ delta)
            grad_b = delta.sum(axis=0)
            step += 1
            c1, c2 = 1 - beta1**step, 1 - beta2**step
            m = beta1 * m_w[cols] + (1 - beta1) * grad_w
            v = beta2 * v_w[cols] + (1 - beta2) * grad_w * grad_w
            m_w[cols], v_w[cols] = m, v
            weights[cols] = w - learning_rate * (m / c1) / (np.sqrt(v / c2) + eps)
            m_b = beta1 * m_b + (1 - beta1) * grad_b
            v_b = beta2 * v_b + (1 - beta2) * grad_b * grad_b
            bias -= learning_rate * (m_b / c1) / (np.sqrt(v_b / c2) + eps)
        work.report(step / total_steps, done=step, total=total_steps)
        if on_epoch is not None:
            on_epoch(epoch + 1)


def train_nearest(train: pl.DataFrame, validation: pl.DataFrame, *, progress: ProgressFn | None,
                  cancel: Cancel | None = None):
    """Index the training prompts for nearest-neighbour answers; returns (model, stats)."""
    from rapidfuzz import fuzz

    vectorizer = _vectorizer()
    work = Work(progress, cancel)
    work.report(0.0, "features")
    x = vectorizer.fit_transform(prompts(train))
    work.report(0.5, "indexing")
    model = NearestModel(vectorizer, x.tocsr(), train["output"].to_list())
    index = model.index
    stats: dict = {"mode": "nearest neighbour (TF-IDF, cosine)", "features": int(x.shape[1])}
    if validation.height:
        work.report(0.75, "scoring validation")
        _, idx = index.kneighbors(vectorizer.transform(prompts(validation)), n_neighbors=1)
        predicted = [model.outputs[int(i)] for i in idx[:, 0]]
        expected = validation["output"].to_list()
        stats["validation exact match"] = round(sum(p == e for p, e in zip(predicted, expected)) / len(expected), 4)
        stats["validation similarity"] = round(
            sum(fuzz.ratio(p, e) for p, e in zip(predicted, expected)) / (100 * len(expected)), 4
        )
    work.report(1.0, "saving")
    return model, stats
