"""Near-duplicate search: normalise, group identical texts, generate candidates, verify with rapidfuzz.

The engine works on *distinct* normalised texts (identical ones are one group), so exact duplicates cost
nothing however many there are. For each scorer, candidate generators (``verify.Scorer.sources``) feed
one exact verification: the character-count bound (``bound``) for ratio, QRatio and the token scorers' views,
the word-containment join for token_set_ratio. Scorers without a bound (the partial ones, WRatio) go through
exhaustive ``cdist``, restricted by the length bound where the scorer has one; ``estimate_seconds`` says
beforehand how long either will take.

With two fields (``also``, the "both" field of a scan) a pair must reach the threshold on each, and its
score is the lower of the two; candidates come from the first field.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat

import numpy as np
import polars as pl

from curator.core.dedupe.bound import bounded_candidates, candidate_share, link_blocks
from curator.core.dedupe.bound import estimate_seconds as estimate_bound
from curator.core.dedupe.candidates import (
    compatible_pairs,
    expand_pairs,
    max_partner_length,
    pairs_inside,
    sorted_unique,
)
from curator.core.dedupe.connect import Connector
from curator.core.dedupe.matches import NearDuplicates
from curator.core.dedupe.normalise import normalise_all
from curator.core.dedupe.numbers import number_mask_ids
from curator.core.heap import collector_paused
from curator.core.progress import Cancel, ProgressFn, Work
from curator.core.dedupe.tokens import containment_candidates, sorted_word_sets, sorted_words
from curator.core.dedupe.verify import LONG, Scorer, check_threshold, exhaustive, get_scorer, verify

Sides = tuple[np.ndarray, np.ndarray]
SAMPLE_FROM = 500_000_000  # length-compatible pairs from which the estimate counts the candidates on a sample


def _dedupe_keys(keys: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One entry per key (the same pair found by several generators has the same score)."""
    if len(keys) == 0:
        return keys, scores
    order = pl.Series(keys).arg_sort().to_numpy()
    keys, scores = keys[order], scores[order]
    first = np.concatenate(([True], keys[1:] != keys[:-1]))
    return keys[first], scores[first]


def _exhaustive_pass(
    texts: np.ndarray, lengths: np.ndarray | None, spec: Scorer, threshold: float, work: Work, sides: Sides | None
) -> tuple[np.ndarray, np.ndarray]:
    """Exhaustive search: every text against every text (one side against the other with ``sides``)."""
    if sides is None:
        everyone = np.arange(len(texts))
        return exhaustive(texts, everyone, everyone, spec, threshold, work, lengths=lengths)
    return exhaustive(texts, np.flatnonzero(sides[0]), np.flatnonzero(sides[1]), spec, threshold, work,
                      lengths=lengths)


def _views(texts: Sequence[str], spec: Scorer) -> list[tuple[str, Sequence[str]]]:
    """The texts each candidate generator of ``spec`` bounds (the text, its sorted words, its word set)."""
    views: list[tuple[str, Sequence[str]]] = []
    for source in spec.sources:
        if source == "chars":
            views.append(("text", texts))
        elif source == "sorted_tokens":
            views.append(("sorted words", sorted_words(texts)))
        elif source == "token_set":
            views.append(("word sets", sorted_word_sets(texts)))
    return views


def estimate_seconds(texts: Sequence[str], spec: Scorer, threshold: float, parts: np.ndarray | None = None) -> float:
    """About how long a search takes on these (distinct, normalised) texts, on 2 cores; with ``parts``, texts
    are compared within their part only.

    The character-count bound looks at every length-compatible pair at about 0.55 ns each, and each candidate it
    lets through costs about 40 ns more (on large searches their share is counted on a sample: on templated
    data it grows with the number of texts); a scorer without a bound scores every (length-compatible) pair
    with cdist, about 27 ns each, more for token scorers.
    """
    if parts is not None:
        return sum(estimate_seconds([texts[i] for i in part.tolist()], spec, threshold)
                   for part in partitions(parts, len(texts)))
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    if not spec.sources:
        pairs = compatible_pairs(lengths, threshold) if spec.length_bound else n * (n - 1) // 2
        per = 27e-9 if spec.name in ("ratio", "QRatio") else 150e-9
        return pairs * per
    seconds = 0.0
    for _, view in _views(texts, spec):
        view_lengths = lengths if view is texts else np.fromiter(map(len, view), dtype=np.int64, count=n)
        compatible = compatible_pairs(view_lengths, threshold)
        share = candidate_share(view, threshold) if compatible >= SAMPLE_FROM else 0.0
        seconds += estimate_bound(compatible, share)
    # per text: reading, normalising, grouping, clusters (templated 1M: about 18 s of the 105 s)
    return seconds + n * 2e-5 + _long_pairs_seconds(lengths, threshold)


def _long_pairs_seconds(lengths: np.ndarray, threshold: float) -> float:
    """Verifying the length-compatible pairs of long texts, which the count bound rarely refutes (texts of one
    vocabulary): a prefix LCS costs about 1.5 ps of wall time per pair of characters on 2 cores (45k characters)."""
    long = np.sort(lengths[lengths >= LONG]).astype(np.float64)
    if len(long) < 2:
        return 0.0
    hi = np.searchsorted(long, max_partner_length(long, threshold), side="right")
    total = np.concatenate(([0.0], np.cumsum(long)))
    partners = total[hi] - total[np.arange(1, len(long) + 1)]  # the longer partners of each text
    return float((long * partners).sum()) * 1.5e-12


def match_texts(
    texts: Sequence[str], spec: Scorer, threshold: float, work: Work, *, sides: Sides | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Every pair of the (distinct, normalised) ``texts`` reaching ``threshold``.

    Returns keys ``i * n + j`` (``i < j``), their scores, and a note on how they were found.
    ``sides = (left, right)`` restricts the search to pairs with one text in each mask (leakage).
    """
    n = len(texts)
    arr = np.empty(n, dtype=object)
    arr[:] = list(texts)
    if not spec.sources:
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n) if spec.length_bound else None
        found = _exhaustive_pass(arr, lengths, spec, threshold, work.span(0, 1, "comparing every pair"), sides)
        return (*_dedupe_keys(*found), f"exhaustive cdist ({spec.name} has no exact candidate bound)")
    views = _views(texts, spec)
    share = 0.7 / (len(views) + (1 if "token_set" in spec.sources else 0))
    candidates: list[np.ndarray] = [np.zeros(0, np.int64)]
    notes: list[str] = []
    at = 0.0
    for label, view in views:
        candidates.append(bounded_candidates(view, threshold, work.span(at, at + share, "finding candidates"),
                                             sides=sides))
        notes.append(f"character-count bound on {label}")
        at += share
    if "token_set" in spec.sources:
        candidates.append(containment_candidates(texts, threshold, work.span(at, at + share, "shared words"),
                                                 allowed=sides))
        notes.append("word containment join")
    pool = sorted_unique(np.concatenate(candidates))
    keys, scores = verify(arr, pool, spec, threshold, work.span(0.7, 1.0, "verifying"))
    return keys, scores, "; ".join(notes) + f" (exact; {len(pool):,} candidates verified)"


def _group(columns: list[list[str]], parts: Sequence[int] | None) -> tuple[np.ndarray, list[tuple[str, ...]], np.ndarray]:
    """Each example's group (identical normalised texts in every field, in one part), each group's texts and
    each group's part (0 for every group without ``parts``)."""
    index: dict[tuple, int] = {}
    rows = zip(*columns, parts if parts is not None else repeat(0))
    group = np.fromiter((index.setdefault(row, len(index)) for row in rows), dtype=np.int64, count=len(columns[0]))
    keys = list(index)
    return group, [k[:-1] for k in keys], np.fromiter((k[-1] for k in keys), dtype=np.int64, count=len(keys))


def partitions(parts: np.ndarray | None, n: int) -> list[np.ndarray]:
    """The positions of each part (one list of every position when there are no parts)."""
    if parts is None or len(parts) == 0 or bool((parts == parts[0]).all()):
        return [np.arange(n)]
    order = np.argsort(parts, kind="stable")
    cuts = np.flatnonzero(np.diff(parts[order])) + 1
    return np.split(order, cuts)


def match_groups(
    values: list[tuple[str, ...]], spec: Scorer, threshold: float, work: Work, *, sides: Sides | None = None,
    parts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Links between distinct groups whose texts reach ``threshold`` in every field: (g, h, score), g < h; with
    ``parts`` (one per group), only between groups of one part.

    The fourth item says how the pairs were found.
    """
    each = partitions(parts, len(values))
    if len(each) > 1:
        found = []
        method = ""
        for k, part in enumerate(each):
            sub = None if sides is None else (sides[0][part], sides[1][part])
            g, h, scores, method = match_groups([values[i] for i in part.tolist()], spec, threshold,
                                                work.span(k / len(each), (k + 1) / len(each), "searching"), sides=sub)
            found.append((part[g], part[h], scores))
        g = np.concatenate([f[0] for f in found])
        h = np.concatenate([f[1] for f in found])
        return np.minimum(g, h), np.maximum(g, h), np.concatenate([f[2] for f in found]), method
    fields = len(values[0]) if values else 1
    if fields == 1 or not values:
        texts = [v[0] for v in values]
        keys, scores, method = match_texts(texts, spec, threshold, work, sides=sides)
        g, h = np.divmod(keys, max(len(texts), 1))
        return g, h, scores, method
    # candidates from the first field: its distinct values, then every group pair behind a value pair
    first: dict[str, int] = {}
    owner = np.fromiter((first.setdefault(v[0], len(first)) for v in values), dtype=np.int64, count=len(values))
    value_sides = None
    if sides is not None:
        value_sides = tuple(np.bincount(owner, weights=s, minlength=len(first)) > 0 for s in sides)
    texts = list(first)
    keys, scores, method = match_texts(texts, spec, threshold, work.span(0, 0.8, "first field"), sides=value_sides)
    va, vb = np.divmod(keys, max(len(texts), 1))
    ga, gb, link = expand_pairs(owner, va, vb)
    base = scores[link]
    selfish = np.array([spec.func(t, t) for t in texts])
    ia, ib, iv = pairs_inside(owner, np.flatnonzero(selfish >= threshold))
    ga, gb = np.concatenate([ga, ia]), np.concatenate([gb, ib])
    base = np.concatenate([base, selfish[iv]])
    if sides is not None:
        keep = (sides[0][ga] & sides[1][gb]) | (sides[1][ga] & sides[0][gb])
        ga, gb, base = ga[keep], gb[keep], base[keep]
    rest = work.span(0.8, 1.0, "other field")
    for k in range(1, fields):
        column = np.empty(len(values), dtype=object)
        column[:] = [v[k] for v in values]
        pair_keys = np.minimum(ga, gb) * len(values) + np.maximum(ga, gb)
        kept, other = verify(column, pair_keys, spec, threshold, rest)
        ga, gb = np.divmod(kept, len(values))
        base = np.minimum(base[np.isin(pair_keys, kept)], other)
    return ga, gb, base, method + "; other fields verified on those pairs"


def self_scores(values: list[tuple[str, ...]], wanted: np.ndarray, spec: Scorer) -> np.ndarray:
    """Each wanted group's score with itself (the lowest over its fields); NaN for the others. In one batch
    over every core per field (at 1M templated examples, 900k groups: a call each took 0.7 s)."""
    from rapidfuzz import process

    out = np.full(len(values), np.nan)
    chosen = np.flatnonzero(wanted).tolist()
    if not chosen:
        return out
    for k in range(len(values[chosen[0]])):
        texts = [values[g][k] for g in chosen]
        scores = process.cpdist(texts, texts, scorer=spec.func, dtype=np.float64, workers=-1)
        out[chosen] = scores if k == 0 else np.minimum(out[chosen], scores)
    return out


def _mask_ids(values: list[tuple[str, ...]]) -> np.ndarray:
    """Each group's number mask as an integer: groups with equal ids differ only in numbers, in every field."""
    if not values:
        return np.zeros(0, np.int64)
    return number_mask_ids([[v[k] for v in values] for k in range(len(values[0]))])


def connect_groups(
    values: list[tuple[str, ...]], spec: Scorer, threshold: float, work: Work, parts: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """The pairs of distinct groups that connect their clusters: (g, h, score, numbers only), g < h, and a note.

    Clusters are the connected components of the pairs reaching ``threshold`` (with ``parts``, one per group,
    pairs within one part), the pairs whose texts differ only in numbers apart from the others (see
    ``connect``). For ratio and QRatio on one field, the compiled search scores the pairs the character-count
    bound lets through, and only while their texts are apart; for the other scorers every pair is found first.
    """
    texts = np.empty(len(values), dtype=object)
    texts[:] = [v[0] for v in values]
    connector = Connector(texts, _mask_ids(values), spec, threshold, work)
    one_field = not values or len(values[0]) == 1
    if one_field and spec.sources == ("chars",):
        forests = (connector.masks, connector.main.parent, connector.numeric.parent)
        search = work.span(0, 0.9, "finding candidates")
        total = max(len(values), 1)
        done = 0
        for part in partitions(parts, len(values)):
            span = search.span(done / total, (done + len(part)) / total, "finding candidates")
            for links in link_blocks(texts[part].tolist(), threshold, span, forests, LONG, numbers=part):
                connector.add_links(links)
            done += len(part)
        last = work.span(0.9, 1.0, "verifying")
        last.report(0.0)
        connector.flush()
        last.report(1.0)
        method = (f"character-count bound (exact; {connector.candidates:,} candidates, {connector.verified:,} "
                  "scored, the others already in one cluster)")
    else:
        g, h, scores, method = match_groups(values, spec, threshold, work, parts=parts)
        connector.add_scored(g, h, scores)
    parts_found = [connector.main.edges(), connector.numeric.edges()]
    g = np.concatenate([p[0] for p in parts_found])
    h = np.concatenate([p[1] for p in parts_found])
    scores = np.concatenate([p[2] for p in parts_found])
    numeric = np.repeat([False, True], [len(parts_found[0][0]), len(parts_found[1][0])])
    return np.minimum(g, h), np.maximum(g, h), scores, numeric, method


def prepare(
    texts: Sequence[str | None], also: Sequence[str | None] | None, n_ids: int, work: Work, *,
    normalised: bool = False, parts: Sequence[int] | None = None,
) -> tuple[np.ndarray, list[tuple[str, ...]], np.ndarray]:
    """Normalise the compared field(s) (``texts`` only when not ``normalised`` already) and group identical
    examples of one part: each example's group, each group's texts and part."""
    if len(texts) != n_ids or (also is not None and len(also) != n_ids) or (parts is not None and len(parts) != n_ids):
        raise ValueError("texts, also, parts and ids must have the same length")
    columns = [list(texts) if normalised else normalise_all(texts)]
    work.report(0.5)
    if also is not None:
        columns.append(normalise_all(also))
    work.report(1.0)
    return _group(columns, parts)


def _group_values(group: np.ndarray, texts: Sequence[str | None], also: Sequence[str | None] | None,
                  normalised: bool) -> list[tuple[str, ...]]:
    """Each group's texts (``prepare``'s second item), from its first example."""
    seen = np.maximum.accumulate(np.concatenate(([-1], group[:-1]))) if len(group) else group
    first = np.flatnonzero(group > seen).tolist()  # groups are numbered as first seen: a new one tops all before
    columns = [[texts[i] for i in first]] + ([[also[i] for i in first]] if also is not None else [])
    return list(zip(*(c if normalised and k == 0 else normalise_all(c) for k, c in enumerate(columns))))


def within_cap(values: list[tuple[str, ...]], max_chars: int) -> np.ndarray:
    """Which groups are compared for near-duplicates: every text of theirs at most ``max_chars`` long (0: all).

    Very long texts (tens of thousands of characters) of one vocabulary pass every cheap bound and cost tens of
    milliseconds a pair to verify; over the cap they are only grouped when identical, and the result says so.
    """
    if not max_chars:
        return np.ones(len(values), dtype=bool)
    longest = np.fromiter((max(map(len, v)) for v in values), dtype=np.int64, count=len(values))
    return longest <= max_chars


def find_near_duplicates(
    texts: Sequence[str | None],
    ids: Sequence[int],
    *,
    threshold: float = 90,
    scorer: str = "ratio",
    also: Sequence[str | None] | None = None,
    field: str = "text",
    max_chars: int = 0,
    normalised: bool = False,
    parts: Sequence[int] | None = None,
    grouped: tuple[np.ndarray, np.ndarray] | None = None,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
) -> NearDuplicates:
    """Every pair of examples whose normalised texts reach ``threshold`` under the rapidfuzz ``scorer``.

    ``also`` is a second text per example that must reach the threshold too (the pair's score is then
    the lower of the two). ``field`` only labels the result. Examples with a (normalised) text over
    ``max_chars`` characters are grouped when identical but not compared (0: no cap; see ``within_cap``).
    ``normalised``: ``texts`` are ``normalise``d already (a scan plan did it). ``parts`` (one integer per
    example): examples are compared only within their part (the template an input follows: see
    ``slots.compared_inputs``); identical texts of two parts are not grouped either. ``grouped``: each example's
    group and each group's part as ``prepare`` finds them, when a scan plan has them already.
    Raises ``Cancelled`` when ``cancel`` is set.
    """
    spec = get_scorer(scorer)
    threshold = check_threshold(threshold)
    ids = np.asarray(ids, dtype=np.int64)
    ordered = np.sort(ids)  # np.unique of 1M distinct ids takes 0.85 s (numpy 2.4's hashing), a sort 0.05 s
    if (ordered[1:] == ordered[:-1]).any():
        raise ValueError("example ids must be unique")
    del ordered
    work = Work(progress, cancel)
    if grouped is None:
        group, values, group_parts = prepare(texts, also, len(ids), work.span(0, 0.05, "normalising"),
                                             normalised=normalised, parts=parts)
    else:
        group, group_parts = grouped
        values = _group_values(group, texts, also, normalised)
    sizes = np.bincount(group, minlength=len(values))
    compared = np.flatnonzero(within_cap(values, max_chars))
    uncompared = int(len(ids) - sizes[compared].sum())
    g, h, scores, numeric, method = connect_groups([values[k] for k in compared], spec, threshold,
                                                   work.span(0.05, 1.0, "searching"), group_parts[compared])
    g, h = compared[g], compared[h]
    linked = np.zeros(len(values), dtype=bool)
    linked[g] = True
    linked[h] = True
    own = self_scores(values, linked | (sizes > 1), spec)
    involved = linked | ((sizes > 1) & (own >= threshold))
    keep = np.flatnonzero(involved)
    renumber = np.full(len(values), -1, dtype=np.int64)
    renumber[keep] = np.arange(len(keep))
    member_group = renumber[group]
    inside = np.flatnonzero(member_group >= 0)
    inside = inside[np.argsort(member_group[inside], kind="stable")]  # by group, each in the examples' order
    flat = ids[inside].tolist()
    bounds = np.cumsum(np.bincount(member_group[inside], minlength=len(keep))).tolist()
    a, b = renumber[g], renumber[h]
    pair = a * len(keep) + b
    order = np.argsort(pair, kind="stable")  # by group pair, as sorted tuples would be
    if (pair[order][1:] == pair[order][:-1]).any():  # a pair found twice: then by score, numbers-only last
        order = np.lexsort((numeric, scores, pair))
    with collector_paused():  # a tuple per group and per link (2M at 1M templated examples)
        result = NearDuplicates(
            threshold=threshold,
            scorer=spec.name,
            field=field,
            groups=tuple(tuple(flat[lo:hi]) for lo, hi in zip([0] + bounds[:-1], bounds)),
            self_scores=tuple(own[keep].tolist()),
            links=tuple(zip(a[order].tolist(), b[order].tolist(), scores[order].tolist())),
            method=method,
            numbers_only=tuple(np.flatnonzero(numeric[order]).tolist()),
            max_chars=max_chars,
            uncompared=uncompared,
        )
    work.report(1.0, "done")
    return result
