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

from curator.core.evaluation.scoring import CLASSIFICATION, Scores

SIMILARITY_MARGIN = 5.0
RESAMPLES = 1000
MIN_RESAMPLES = 200
DRAW_BUDGET = 20_000_000  # examples drawn one by one in all (about 0.3 s)
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
    p = 1.0 if discordant == 0 else binomial_half_two_sided(min(a_only, b_only), discordant)
    return {"a_only": a_only, "b_only": b_only, "p_value": p}


def binomial_half_two_sided(k: int, n: int) -> float:
    """The exact two-sided binomial test of ``k`` successes in ``n`` trials at p = 1/2 (scipy's ``binomtest``;
    here without importing scipy.stats, which costs a second): twice the lower tail up to ``min(k, n - k)``,
    at most 1. The tail is summed in log space, each term from the one before, so large ``n`` stays exact."""
    k = min(k, n - k)
    i = np.arange(k, dtype=np.float64)
    steps = np.log(n - i) - np.log(i + 1)  # log C(n, i+1) - log C(n, i)
    logs = np.concatenate(([-n * np.log(2.0)], -n * np.log(2.0) + np.cumsum(steps)))
    top = logs.max()
    return float(min(1.0, 2.0 * np.exp(top) * np.exp(logs - top).sum()))


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
              ) -> tuple[dict[str, dict[str, float]], int]:
    """For each metric: the observed difference B - A and its bootstrap 95 % interval; and the number of
    resamples drawn.

    ``labels`` = (truth, predicted A, predicted B, number of labels) as label indices (the number of labels
    stands for "other") adds ``macro_f1``. When examples fall into few distinct kinds (classification: a
    handful of right/wrong and label combinations), each resample is drawn as multinomial counts of the kinds,
    which is the same distribution as drawing examples and costs nothing at 100,000 examples. Otherwise
    examples are drawn one by one, with at most ``DRAW_BUDGET`` draws in all (at least ``MIN_RESAMPLES``
    resamples).
    """
    names = list(metrics_a)
    n = len(next(iter(metrics_a.values()))) if names else 0
    if n == 0:
        return {}, 0
    diffs = np.stack([metrics_b[k].astype(np.float64) - metrics_a[k].astype(np.float64) for k in names], axis=1)
    m = len(names)
    table = diffs
    if labels is not None:
        truth, pred_a, pred_b = (np.asarray(x, dtype=np.int64) for x in labels[:3])
        k = labels[3]
        table = np.column_stack([diffs, truth * (k + 1) + pred_a, truth * (k + 1) + pred_b])
    rng = np.random.default_rng(seed)
    kinds = _kinds(table, n // 4)
    if kinds is not None:
        first, counts = kinds
        weights = rng.multinomial(n, counts / n, size=resamples).astype(np.float64)  # resamples x kinds
        values = table[first]
    else:
        resamples = min(resamples, max(MIN_RESAMPLES, DRAW_BUDGET // n))
        weights = np.empty((resamples, n))
        for done in range(0, resamples, _CHUNK):
            size = min(_CHUNK, resamples - done)
            draws = rng.integers(0, n, size=(size, n), dtype=np.int32)
            flat = (draws + (np.arange(size, dtype=np.int64) * n)[:, None]).ravel()
            weights[done:done + size] = np.bincount(flat, minlength=size * n).reshape(size, n)
        values = table
    samples = weights @ values[:, :m] / n
    out = {name: _interval(float(diffs[:, j].mean()), samples[:, j]) for j, name in enumerate(names)}
    if labels is not None:
        cells = k * (k + 1)

        from scipy import sparse

        def confusion(codes: np.ndarray, w: np.ndarray) -> np.ndarray:
            onehot = sparse.csr_matrix((np.ones(len(codes)), (np.arange(len(codes)), codes)),
                                       shape=(len(codes), cells))
            return np.asarray((onehot.T @ w.T).T).reshape(w.shape[0], k, k + 1)

        code_a, code_b = values[:, m].astype(np.int64), values[:, m + 1].astype(np.int64)
        sampled = _macro_f1(confusion(code_b, weights)) - _macro_f1(confusion(code_a, weights))
        observed_w = np.ones((1, n))
        observed = (_macro_f1(confusion(truth * (k + 1) + pred_b, observed_w))
                    - _macro_f1(confusion(truth * (k + 1) + pred_a, observed_w)))[0]
        out["macro_f1"] = _interval(float(observed), sampled)
    return out, resamples


def _kinds(table: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(index of one row of each distinct row, count of each) when ``table`` has at most ``most`` distinct rows."""
    code = np.zeros(len(table), dtype=np.int64)
    radix = 1
    for column in table.T:
        values, inverse = np.unique(column, return_inverse=True)
        if values.size > most or radix * values.size >= 2 ** 62:
            return None
        code += inverse.reshape(-1) * radix
        radix *= values.size
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    return (first, counts) if first.size <= most else None


def _interval(observed: float, samples: np.ndarray) -> dict[str, float]:
    low, high = np.percentile(samples, [2.5, 97.5])
    return {"diff": observed, "low": float(low), "high": float(high)}
