"""The paired comparison of two models on the same examples.

- Per example, B **wins** when it is right and A is wrong, **loses** in the opposite case; when both are
  right it is a **tie**; when both are wrong it is a tie for classification, and for generation the answer
  closer to the expected output (similarity higher by at least ``SIMILARITY_MARGIN`` points) wins.
- McNemar's exact test (two-sided binomial on the discordant pairs) for each match-type metric.
- A seeded bootstrap 95 % interval for the difference B - A of each metric: examples are resampled with
  replacement ``resamples`` times; for classification the macro F1 is recomputed from each resample's
  confusion counts.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.stats import binomtest

from curator.core.evaluation.scoring import CLASSIFICATION, Scores

SIMILARITY_MARGIN = 5.0
RESAMPLES = 1000
_CHUNK = 50  # resamples drawn at once


def outcomes(task: str, right_a: np.ndarray, right_b: np.ndarray, scores_a: Scores, scores_b: Scores) -> np.ndarray:
    """Per example: 1 when B wins, -1 when B loses, 0 for a tie (see the module docstring)."""
    result = right_b.astype(np.int8) - right_a.astype(np.int8)
    if task != CLASSIFICATION:
        both_wrong = ~right_a & ~right_b
        delta = scores_b.similarity - scores_a.similarity
        closer = np.where(delta >= SIMILARITY_MARGIN, 1, np.where(delta <= -SIMILARITY_MARGIN, -1, 0))
        result = np.where(both_wrong, closer, result).astype(np.int8)
    return result


def mcnemar(a: np.ndarray, b: np.ndarray) -> dict[str, float | int]:
    """McNemar's exact test on paired booleans: ``b_only`` B right and A wrong, ``a_only`` the opposite."""
    a_only = int(np.sum(a & ~b))
    b_only = int(np.sum(~a & b))
    discordant = a_only + b_only
    p = 1.0 if discordant == 0 else float(binomtest(min(a_only, b_only), discordant, 0.5).pvalue)
    return {"a_only": a_only, "b_only": b_only, "p_value": min(p, 1.0)}


def _macro_f1(confusion: np.ndarray) -> np.ndarray:
    """Macro F1 of a stack of confusion matrices (..., k, k+1): rows expected labels, last column other."""
    k = confusion.shape[-2]
    tp = np.diagonal(confusion[..., :k], axis1=-2, axis2=-1)
    predicted = confusion[..., :k].sum(axis=-2)
    actual = confusion.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return f1.mean(axis=-1)


def bootstrap(metrics_a: dict[str, np.ndarray], metrics_b: dict[str, np.ndarray], *, seed: int = 0,
              resamples: int = RESAMPLES, labels: tuple[list[int], list[int], list[int], int] | None = None,
              ) -> dict[str, dict[str, float]]:
    """For each metric: the observed difference B - A and its bootstrap 95 % interval.

    ``labels`` = (truth, predicted A, predicted B, number of labels) as label indices (the number of labels
    stands for "other") adds ``macro_f1``.
    """
    names = list(metrics_a)
    n = len(next(iter(metrics_a.values()))) if names else 0
    if n == 0:
        return {}
    diffs = np.stack([metrics_b[k].astype(np.float64) - metrics_a[k].astype(np.float64) for k in names], axis=1)
    rng = np.random.default_rng(seed)
    samples = np.empty((resamples, len(names)))
    macro = np.empty(resamples) if labels is not None else None
    if labels is not None:
        truth, pred_a, pred_b = (np.asarray(x) for x in labels[:3])
        k = labels[3]
        cells = k * (k + 1)
        onehot_a = sparse.csr_matrix((np.ones(n), (np.arange(n), truth * (k + 1) + pred_a)), shape=(n, cells))
        onehot_b = sparse.csr_matrix((np.ones(n), (np.arange(n), truth * (k + 1) + pred_b)), shape=(n, cells))
    done = 0
    while done < resamples:
        size = min(_CHUNK, resamples - done)
        draws = rng.integers(0, n, size=(size, n))
        counts = np.bincount((draws + (np.arange(size) * n)[:, None]).ravel(), minlength=size * n)
        counts = counts.reshape(size, n).astype(np.float64)
        samples[done:done + size] = counts @ diffs / n
        if macro is not None:
            conf_a = np.asarray((onehot_a.T @ counts.T).T).reshape(size, k, k + 1)
            conf_b = np.asarray((onehot_b.T @ counts.T).T).reshape(size, k, k + 1)
            macro[done:done + size] = _macro_f1(conf_b) - _macro_f1(conf_a)
        done += size
    out = {}
    for j, name in enumerate(names):
        out[name] = _interval(float(diffs[:, j].mean()), samples[:, j])
    if macro is not None:
        conf = lambda pred: np.asarray(  # noqa: E731 - the observed confusion matrix
            sparse.csr_matrix((np.ones(n), (np.arange(n), truth * (k + 1) + pred)), shape=(n, cells)).sum(axis=0)
        ).reshape(k, k + 1)
        out["macro_f1"] = _interval(float(_macro_f1(conf(pred_b)) - _macro_f1(conf(pred_a))), macro)
    return out


def _interval(observed: float, samples: np.ndarray) -> dict[str, float]:
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"diff": observed, "low": float(low), "high": float(high)}
