"""Train/eval leakage: eval examples with a train twin, against a bipartite cdist oracle."""

from __future__ import annotations

import json
import threading

import pytest

from curator.core.dataset import Dataset
from curator.core.dedupe import Leak, LeakageScan, find_leakage, scan_leakage
from curator.core.errors import Cancelled
from curator.core.model import records_frame
from curator.core.ops import SetField
from tests.core.dedupe_corpus import bipartite_oracle, corpus

TEXTS = corpus(seed=21)


def split_corpus() -> tuple[list[str], list[int], list[str], list[int]]:
    train = TEXTS[::2]
    evals = TEXTS[1::2]
    return train, list(range(len(train))), evals, list(range(len(evals)))  # ids overlap: two files


def twins(leaks: list[Leak]) -> dict[tuple[int, int], float]:
    return {(leak.eval_id, t.id): t.score for leak in leaks for t in leak.twins}


@pytest.mark.parametrize(("scorer", "threshold"), [("ratio", 90), ("ratio", 80), ("token_set_ratio", 90), ("partial_ratio", 95)])
def test_matches_bipartite_oracle(scorer, threshold):
    train, train_ids, evals, eval_ids = split_corpus()
    want = bipartite_oracle(train, train_ids, evals, eval_ids, scorer, threshold)
    assert len(want) >= 30
    leaks = find_leakage(train, train_ids, evals, eval_ids, scorer=scorer, threshold=threshold)
    got = twins(leaks)
    assert set(got) <= set(want)
    assert set(got) == set(want)  # exact recall
    for pair, score in got.items():
        assert score == pytest.approx(want[pair])
    assert [leak.eval_id for leak in leaks] == sorted({e for e, _ in want})
    for leak in leaks:
        assert [t.score for t in leak.twins] == sorted((t.score for t in leak.twins), reverse=True)


def test_twin_found_and_same_side_pairs_ignored():
    train = ["How do I activate my new card?", "how do i activate my new card", "Is there a fee for top ups?"]
    evals = ["How do I activate my new card ?", "What is the weather like?", "what is the weather like"]
    leaks = find_leakage(train, [10, 11, 12], evals, [20, 21, 22])
    assert [leak.eval_id for leak in leaks] == [20]  # eval-eval twins (21, 22) are not leakage
    (leak,) = leaks
    assert {t.id for t in leak.twins} == {10, 11}
    assert not leak.identical and leak.best.score >= 90


def test_identical_twin_is_flagged():
    leaks = find_leakage(["Cancel my order", "Another one entirely"], [1, 2], ["cancel  MY order"], [1])
    (leak,) = leaks
    assert leak.identical and leak.best.id == 1 and leak.best.score == 100.0


def test_no_train_or_no_eval():
    assert find_leakage([], [], ["a question here"], [0]) == []
    assert find_leakage(["a question here"], [0], [], []) == []


def test_leak_json_round_trip():
    train, train_ids, evals, eval_ids = split_corpus()
    leaks = find_leakage(train, train_ids, evals, eval_ids)
    assert leaks
    assert [Leak.from_dict(json.loads(json.dumps(leak.to_dict()))) for leak in leaks] == leaks


def test_cancel():
    stop = threading.Event()
    stop.set()
    train, train_ids, evals, eval_ids = split_corpus()
    with pytest.raises(Cancelled):
        find_leakage(train, train_ids, evals, eval_ids, cancel=stop)


def test_scan_leakage_uses_splits_and_active_rows():
    rows = [
        ("How do I activate my new card?", "activate_card", "train"),  # 0
        ("Why was my transfer declined?", "declined_transfer", "train"),  # 1
        ("how do i activate my new card", "activate_card", "test"),  # 2: leaks from 0
        ("Why was my transfer declined ?", "declined_transfer", "validation"),  # 3: leaks from 1
        ("Why was my transfer declined!", "card_arrival", "validation"),  # 4: input leaks, output differs
        ("Something unrelated entirely", "other", "test"),  # 5
    ]
    ds = Dataset.from_records(
        records_frame({"text_input": [r[0] for r in rows], "output": [r[1] for r in rows], "split": [r[2] for r in rows]})
    )
    scan = scan_leakage(ds)
    assert [(leak.eval_id, leak.best.id) for leak in scan.leaks] == [(2, 0), (3, 1), (4, 1)]
    assert [leak.eval_id for leak in scan_leakage(ds, field="both").leaks] == [2, 3]
    assert scan.version == ds.version_hash()
    assert LeakageScan.from_dict(json.loads(json.dumps(scan.to_dict()))) == scan
    ds.apply(SetField.broadcast("delete", (0,), "deleted", True))
    assert [leak.eval_id for leak in scan_leakage(ds).leaks] == [3, 4]


def test_leakage_compares_inputs_as_near_duplicate_search_does():
    from curator.core.dedupe.scan import scan_leakage

    template = "Classify the ticket.\nquestion: {question}\ncontext: {context}"
    fill = "Classify the ticket.\nquestion: {}\ncontext: {}"
    texts = [fill.format("My card was declined at the shop.", "Plan pro."),
             fill.format("Where is my parcel? It is late.", "No previous contact."),
             fill.format("My card was declined at the shop!", "Plan pro."),  # the first, one character apart
             fill.format("I want a refund.", "Plan pro.")]  # the shared preamble alone makes it look close
    ds = Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * 4,
                                             "split": ["train", "train", "test", "test"]}))
    slots = scan_leakage(ds, template=template, threshold=75)
    whole = scan_leakage(ds, compare="whole", threshold=75)
    assert [leak.eval_id for leak in slots.leaks] == [2] and slots.compare == "slots"
    assert [leak.eval_id for leak in whole.leaks] == [2, 3] and whole.compare == "whole"
