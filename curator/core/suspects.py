"""Suspect labels: the examples whose label the data itself disagrees with, found without any cloud job.

Out-of-fold probabilities come from the local backend's learner (softmax regression by minibatch Adam,
``curator.core.backends.local_model.fit_softmax``) over word TF-IDF features of the prompts: each example is
scored by a model that never saw it (stratified folds). Then, as in confident learning (Northcutt et al.,
2021), each label gets a threshold, the mean probability of that label over the examples that carry it; an
example is **suspect** when the probability of its own label is below its label's threshold while another
label reaches its own threshold with a higher probability (an off-diagonal entry of the confident joint).
As in its "prune by class" rule, each label's count of such entries is taken from that label's examples
with the lowest given-label probability over threshold, and suspects are ranked by that ratio, lowest (most
suspect) first; the suggested label is the most probable label among those above threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from curator.core.errors import CuratorError
from curator.core.progress import Cancel, ProgressFn, Work

FOLDS = 5
EPOCHS = 2  # at least; small sets get more, so that every fold's model takes MIN_STEPS steps
MIN_STEPS = 200
MAX_LABELS = 1000  # more distinct outputs than this are free text, not labels
BATCH = 64
LEARNING_RATE = 0.05


@dataclass
class SuspectLabels:
    """Per scored example (ids in the dataset's order): the given label's out-of-fold probability, its
    label's threshold, the suggested label, and whether it is suspect; ``ranked``: suspect ids, worst first."""

    ids: np.ndarray
    given: list[str]
    probability: np.ndarray
    threshold: np.ndarray
    suggested: list[str]
    suggested_probability: np.ndarray
    suspect: np.ndarray

    @property
    def score(self) -> np.ndarray:
        """The given label's probability over its label's threshold (below 1: less sure than usual)."""
        return self.probability / np.maximum(self.threshold, 1e-12)

    @property
    def ranked(self) -> np.ndarray:
        """The ids of the suspects, most suspect first."""
        picks = np.flatnonzero(self.suspect)
        return self.ids[picks[np.argsort(self.score[picks], kind="stable")]]

    def ranking(self) -> np.ndarray:
        """Every scored id: suspects first (most suspect first), then the rest by score."""
        order = np.lexsort((self.score, ~self.suspect))
        return self.ids[order]


def find_suspect_labels(frame: pl.DataFrame, *, folds: int = FOLDS, seed: int = 0,
                        progress: ProgressFn | None = None, cancel: Cancel | None = None) -> SuspectLabels:
    """Score the labels of ``frame`` (columns id, text_input, system, output). Labels carried by fewer than
    two examples cannot be checked out of fold and are left out. A CuratorError when there is nothing to learn;
    ``Cancelled`` when ``cancel`` is set."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from curator.core.backends.local_model import fit_softmax, prompts

    counts = frame.group_by("output").len()
    kept = frame.filter(pl.col("output").is_in(counts.filter(pl.col("len") >= 2)["output"].implode()))
    classes, y = np.unique(np.array(kept["output"].to_list(), dtype=object), return_inverse=True)
    k, n = len(classes), kept.height
    if k < 2:
        raise CuratorError("suspect labels need at least two labels carried by two examples or more")
    if k > MAX_LABELS or n < frame.height / 2:
        raise CuratorError(f"the outputs are not labels ({counts.height:,} distinct outputs in {frame.height:,} "
                           f"examples): suspect labels are for classification data")
    x = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32).fit_transform(prompts(kept)).tocsr()
    fold = _stratified_folds(y, min(folds, int(np.bincount(y).max())), seed)
    p = np.zeros((n, k), dtype=np.float64)
    parts = sorted(set(fold.tolist()))
    work = Work(progress, cancel, _stage="suspect labels")
    for done, f in enumerate(parts):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        weights = np.zeros((x.shape[1], k), dtype=np.float32)
        bias = np.zeros(k, dtype=np.float32)
        epochs = max(EPOCHS, -(-MIN_STEPS // -(-len(train) // BATCH)))
        fit_softmax(x[train], y[train], weights, bias, epochs=epochs, batch_size=BATCH,
                    learning_rate=LEARNING_RATE, seed=seed + f, cancel=cancel)
        z = np.asarray(x[test] @ weights, dtype=np.float64) + bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p[test] = e / e.sum(axis=1, keepdims=True)
        work.report((done + 1) / len(parts))
    rows = np.arange(n)
    given = p[rows, y]
    thresholds = np.array([p[y == j, j].mean() for j in range(k)])
    above = p >= thresholds
    confident = np.where(above, p, -1.0).argmax(axis=1)  # the confident joint's column of each example
    off_diagonal = above.any(axis=1) & (confident != y)
    others = p.copy()
    others[rows, y] = -1.0
    suggestion = np.where(off_diagonal, confident, others.argmax(axis=1))
    score = given / np.maximum(thresholds[y], 1e-12)
    suspect = np.zeros(n, dtype=bool)
    for j, count in enumerate(np.bincount(y[off_diagonal], minlength=k)):  # prune by class, least sure first
        if count:
            members = np.flatnonzero(y == j)
            suspect[members[np.argsort(score[members], kind="stable")[:count]]] = True
    names = [str(c) for c in classes]
    return SuspectLabels(kept["id"].to_numpy(), [names[i] for i in y], given, thresholds[y],
                         [names[i] for i in suggestion], p[rows, suggestion], suspect)


def _stratified_folds(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold number per example, each label spread evenly over the folds (shuffled, seeded)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]  # grouped by label, shuffled within
    fold = np.empty(len(y), dtype=np.int64)
    start = 0
    for count in np.bincount(y):
        fold[order[start:start + count]] = (np.arange(count) + rng.integers(folds)) % folds
        start += count
    return fold
