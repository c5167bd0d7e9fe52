"""Clusters of near-duplicates, keepers, and the dataset-level scan."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from rapidfuzz import fuzz

from curator.core.dataset import Dataset
from curator.core.dedupe.by_id import ByID
from curator.core.dedupe.clusters import split_clusters
from curator.core.dedupe.matches import NearDuplicates
from curator.core.dedupe import (
    Cluster,
    DedupeScan,
    cluster_pairs,
    find_near_duplicates,
    normalise,
    scan_dataset,
)
from curator.core.errors import CuratorError
from curator.core.model import records_frame
from curator.core.ops import SetField
from tests.core.dedupe_corpus import clusters, corpus

CHAIN = [
    "Where is my new debit card",  # a
    "where is my new debit card now",  # b: close to a and to c
    "Where is my new debit cards now?",  # c: close to b, too far from a
]


def test_chain_is_one_cluster_with_scores_to_the_keeper():
    a, b, c = (normalise(t) for t in CHAIN)
    assert fuzz.ratio(a, b) >= 90 and fuzz.ratio(b, c) >= 90 and fuzz.ratio(a, c) < 90
    matches = find_near_duplicates(CHAIN, [7, 8, 9])
    assert clusters(matches) == [(7, 8, 9)] and len(matches.links) == 2  # a-b and b-c, not a-c
    (cluster,) = cluster_pairs(matches, dict(zip([7, 8, 9], CHAIN)))
    assert cluster.keeper == 7  # default rule: the earliest
    assert cluster.others == (8, 9)
    scores = {m.id: m.score for m in cluster.members}
    assert scores == {7: 100.0, 8: pytest.approx(fuzz.ratio(a, b)), 9: pytest.approx(fuzz.ratio(a, c))}
    assert cluster.min_score < 90  # transitive member, shown as further from the keeper


def test_rank_chooses_the_keeper_and_identical_members_score_the_self_score():
    texts = {1: "Refund my last payment please", 2: "refund my last payment  please", 3: "Refund my last payments please"}
    matches = find_near_duplicates(list(texts.values()), list(texts))
    (cluster,) = cluster_pairs(matches, texts, rank=lambda i: i == 3)
    assert cluster.keeper == 3
    (cluster,) = cluster_pairs(matches, texts)
    assert cluster.keeper == 1
    assert dict((m.id, m.score) for m in cluster.members)[2] == 100.0


def test_clusters_sorted_by_size_then_similarity():
    texts = corpus(seed=5)
    ids = list(range(len(texts)))
    clusters = cluster_pairs(find_near_duplicates(texts, ids), dict(zip(ids, texts)))
    assert len(clusters) > 20
    keys = [(-c.size, -c.min_score) for c in clusters]
    assert keys == sorted(keys)
    # clusters partition the examples that have near-duplicates
    members = [i for c in clusters for i in c.ids]
    assert len(members) == len(set(members))
    assert set(members) == find_near_duplicates(texts, ids).ids()


def test_cluster_json_round_trip():
    matches = find_near_duplicates(CHAIN, [7, 8, 9])
    (cluster,) = cluster_pairs(matches, dict(zip([7, 8, 9], CHAIN)))
    assert Cluster.from_dict(json.loads(json.dumps(cluster.to_dict()))) == cluster


def dataset(rows: list[tuple[str, str, str]]) -> Dataset:
    return Dataset.from_records(
        records_frame({"text_input": [r[0] for r in rows], "output": [r[1] for r in rows], "split": [r[2] for r in rows]})
    )


def test_scan_keeper_rule():
    ds = dataset(
        [
            ("How do I reset my card PIN?", "", "train"),  # 0: no output
            ("how do i reset my card pin", "Open the app.", "test"),  # 1: output, held out
            ("How do I reset my card PIN ?", "Open the app.", "train"),  # 2: output, train
            ("How do I reset my card PIN??", "Open the app, then Card.", "train"),  # 3: longer output, train
            ("How do I reset the card PIN?", "Open the app, then Card.", "train"),  # 4: same, later
        ]
    )
    (cluster,) = scan_dataset(ds).clusters
    assert cluster.keeper == 3
    ds.apply(SetField.broadcast("delete", (3, 4), "deleted", True))
    (cluster,) = scan_dataset(ds).clusters  # deleted examples no longer take part
    assert cluster.keeper == 2
    assert set(cluster.ids) == {0, 1, 2}


def test_scan_fields_and_splits():
    ds = dataset(
        [
            ("What is the exchange rate today?", "exchange_rate", "train"),
            ("what is the exchange rate today", "exchange_rate", "validation"),
            ("What is the exchange rate today!", "card_arrival", "train"),
            ("Where is my new card?", "card_arrival", "train"),
        ]
    )
    assert clusters(scan_dataset(ds, field="text_input").matches) == [(0, 1, 2)]
    assert clusters(scan_dataset(ds, field="output").matches) == [(0, 1), (2, 3)]
    both = scan_dataset(ds, field="both")
    assert clusters(both.matches) == [(0, 1)]
    assert both.matches.field == "both"
    assert clusters(scan_dataset(ds, splits=["train"]).matches) == [(0, 2)]
    with pytest.raises(CuratorError, match="unknown field"):
        scan_dataset(ds, field="prompt")
    with pytest.raises(CuratorError, match="unknown split"):
        scan_dataset(ds, splits=["dev"])


def test_scan_records_version_and_round_trips():
    texts = corpus(seed=2, bases=80, variants=60)
    ds = Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * len(texts)}))
    scan = scan_dataset(ds, threshold=88, scorer="token_sort_ratio")
    assert scan.version == ds.version_hash()
    assert scan.matches.scorer == "token_sort_ratio" and scan.matches.threshold == 88
    assert DedupeScan.from_dict(json.loads(json.dumps(scan.to_dict()))) == scan
    assert len(scan.clusters) > 5


def test_scan_of_empty_dataset():
    ds = Dataset.from_records(records_frame({"text_input": [], "output": []}))
    scan = scan_dataset(ds)
    assert scan.clusters == () and scan.matches.components() == []


def reference_clusters(matches: NearDuplicates, texts: dict, rank) -> list[tuple]:
    """``cluster_pairs`` worked out one member at a time: (keeper, ((id, score, via, via_score), ...)) per cluster."""
    parent = list(range(len(matches.groups)))

    def root(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g

    best: dict[int, tuple[float, int]] = {}  # group -> (score, partner) of its first best link
    for g, h, score in matches.links:
        parent[root(g)] = root(h)
        for a, b in ((g, h), (h, g)):
            if a not in best or score > best[a][0]:
                best[a] = (score, b)
    parts: dict[int, list[int]] = {}
    for g in range(len(matches.groups)):
        parts.setdefault(root(g), []).append(g)
    out = []
    for groups in parts.values():
        if len(groups) == 1 and not matches.group_pairs_inside(groups[0]):
            continue
        group_of = {i: g for g in groups for i in matches.groups[g]}
        keeper = max(group_of, key=lambda i: (rank(i), -i))
        members = []
        for i, g in group_of.items():
            if i == keeper:
                continue
            score = (matches.self_scores[g] if g == group_of[keeper]
                     else fuzz.ratio(texts[keeper], texts[i]))
            via = None
            if score < matches.threshold and g in best:
                via = (min(matches.groups[best[g][1]]), best[g][0])
            members.append((i, score) + (via or (None, None)))
        members.sort(key=lambda m: (-m[1], m[0]))
        out.append((keeper, ((keeper, 100.0, None, None), *members)))
    out.sort(key=lambda c: (-len(c[1]), -min(m[1] for m in c[1][1:]), c[0]))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_clusters_agree_with_a_member_by_member_reference(seed):
    """Random groups and links with tied scores and tied ranks: keepers, scores to the keeper, "joined via" and
    the order of members and clusters are those of the straightforward reference, ranked by a function or a
    table."""
    rng = random.Random(seed)
    ids = rng.sample(range(1000), 160)
    groups = [tuple(ids[k:k + n]) for k, n in zip(range(0, 160, 4), (rng.choice((1, 1, 2, 4)) for _ in range(40)))]
    words = ["card", "pin", "reset", "my", "the", "app", "open", "new"]
    group_text = [" ".join(rng.choices(words, k=rng.randint(3, 7))) for _ in groups]
    texts = {i: group_text[g] for g, members in enumerate(groups) for i in members}
    links = sorted({(g, h, rng.choice((88.0, 91.0, 95.0))) for g, h in
                    (sorted(rng.sample(range(len(groups)), 2)) for _ in range(45))})
    matches = NearDuplicates(90.0, "ratio", "text_input", tuple(groups),
                             tuple(rng.choice((100.0, 80.0)) for _ in groups), tuple(links))
    rank_of = {i: (rng.random() < 0.5, float(rng.randint(0, 2))) for i in ids}
    want = reference_clusters(matches, texts, rank_of.__getitem__)
    table = ByID(list(rank_of), np.asarray(list(rank_of.values()), dtype=np.float64))
    for rank, by_id in ((rank_of.__getitem__, texts), (table, ByID(list(texts), list(texts.values())))):
        got = cluster_pairs(matches, by_id, rank=rank, normalised=True)
        assert [(c.keeper, tuple(tuple(m) for m in c.members)) for c in got] == want
    assert any(m.via is not None for c in got for m in c.members)
    assert any(len({rank_of[i] for i in c.ids}) < c.size for c in got)  # ties of rank decided by the lowest id
    assert all(type(v) is int for c in got for m in c.members for v in (m.id, m.via) if v is not None)


@pytest.mark.parametrize("seed", range(3))
def test_split_clusters_are_the_clusters_of_each_side_of_split_numbers(seed):
    rng = random.Random(seed)
    groups = tuple((k,) if k % 3 else (k, 100 + k) for k in range(30))
    texts = {i: f"order {rng.choice('abc')} {rng.randint(1, 9)} shipped" for g in groups for i in g}
    links = tuple(sorted({(g, h, rng.choice((90.0, 93.0))) for g, h in
                          (sorted(rng.sample(range(len(groups)), 2)) for _ in range(25))}))
    numbers_only = tuple(sorted(rng.sample(range(len(links)), 8)))
    matches = NearDuplicates(90.0, "ratio", "text_input", groups, (100.0,) * len(groups), links,
                             numbers_only=numbers_only)
    apart, numeric = matches.split_numbers()
    want = (cluster_pairs(apart, texts, normalised=True), cluster_pairs(numeric, texts, normalised=True))
    assert split_clusters(matches, texts, normalised=True) == want
    assert want[1] and split_clusters(apart, texts, normalised=True) == (want[0], [])
