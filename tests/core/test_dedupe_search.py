"""Near-duplicate search against the exhaustive rapidfuzz cdist oracle, plus edge cases and cancellation."""

from __future__ import annotations

import json
import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from curator.core.dedupe import NearDuplicates, find_near_duplicates, get_scorer, normalise
from curator.core.errors import Cancelled, CuratorError
from curator.core.progress import Progress
from tests.core.dedupe_corpus import corpus, oracle, sentence, typo

TEXTS = corpus(seed=7)
IDS = [1000 + 3 * i for i in range(len(TEXTS))]  # ids are not positions


def found(result: NearDuplicates) -> dict[tuple[int, int], float]:
    pairs = {(p.a, p.b): p.score for p in result.pairs()}
    assert len(pairs) == result.pair_count()  # each pair once
    return pairs


def assert_matches_oracle(got: dict, want: dict, min_recall: float = 1.0) -> None:
    assert set(got) <= set(want), f"pairs not in the oracle: {sorted(set(got) - set(want))[:5]}"
    for pair, score in got.items():
        assert score == pytest.approx(want[pair])
    recall = len(got) / len(want) if want else 1.0
    assert recall >= min_recall, f"recall {recall:.4f}: missed {sorted(set(want) - set(got))[:5]}"


@pytest.mark.parametrize(
    ("scorer", "threshold"),
    [
        ("ratio", 90),
        ("ratio", 85),
        ("ratio", 95),
        ("ratio", 100),
        ("ratio", 75),
        ("ratio", 60),
        ("QRatio", 90),
        ("token_sort_ratio", 90),
        ("token_sort_ratio", 86),
        ("token_set_ratio", 90),
        ("token_set_ratio", 100),
        ("token_ratio", 92),
        ("partial_ratio", 90),
        ("WRatio", 90),
        ("partial_token_set_ratio", 95),
    ],
)
def test_matches_exhaustive_cdist(scorer, threshold):
    want = oracle(TEXTS, IDS, scorer, threshold)
    assert len(want) >= 60  # the corpus plants enough near-duplicates for the comparison to mean something
    got = found(find_near_duplicates(TEXTS, IDS, scorer=scorer, threshold=threshold))
    assert_matches_oracle(got, want)


def test_recall_on_edits_spread_to_the_threshold():
    # the hard case for sampled signatures: isolated character edits spread over the text, down to ratio ~90
    rng = random.Random(3)
    texts = []
    for _ in range(250):
        base = sentence(rng, 8, 14)
        variant = base
        while True:
            nxt = typo(rng, variant, 1)
            if fuzz.ratio(normalise(base), normalise(nxt)) < 90:
                break
            variant = nxt
        texts += [base, variant]
    ids = list(range(len(texts)))
    want = oracle(texts, ids, "ratio", 90)
    assert len(want) >= 200
    assert_matches_oracle(found(find_near_duplicates(texts, ids)), want)


def test_identical_after_normalising_form_one_group():
    texts = ["How do I top up?", "how  do i\tTOP up?", "Ｈｏｗ do I top up?", "Something else entirely."]
    result = find_near_duplicates(texts, [10, 11, 12, 13])
    assert result.groups == ((10, 11, 12),)
    assert result.links == ()
    assert found(result) == {(10, 11): 100.0, (10, 12): 100.0, (11, 12): 100.0}
    assert result.identical_pair_count() == 3


def test_many_identical_texts_stay_compact():
    texts = ["ham"] * 3000 + ["spam"] * 1000
    result = find_near_duplicates(texts, range(len(texts)))
    assert len(result.groups) == 2
    assert result.pair_count() == 3000 * 2999 // 2 + 1000 * 999 // 2
    assert len(json.dumps(result.to_dict())) < 60_000


def test_no_examples_and_one_example():
    assert find_near_duplicates([], []).pair_count() == 0
    assert find_near_duplicates(["only one text here"], [5]).pair_count() == 0


def test_empty_and_missing_texts_follow_the_scorer():
    texts = ["", None, "", "a real sentence"]
    ratio = find_near_duplicates(texts, [1, 2, 3, 4])
    assert found(ratio) == {(1, 2): 100.0, (1, 3): 100.0, (2, 3): 100.0}  # fuzz.ratio("", "") is 100
    assert find_near_duplicates(texts, [1, 2, 3, 4], scorer="QRatio").pair_count() == 0  # QRatio("", "") is 0


def test_short_texts():
    texts = ["ab", "abc", "abd", "xyz", "abcdefgh", "abcdefgx"]
    ids = list(range(len(texts)))
    want = oracle(texts, ids, "ratio", 60)
    assert (1, 2) in want and (4, 5) in want
    assert found(find_near_duplicates(texts, ids, threshold=60)) == pytest.approx(want)


def test_short_texts_meet_long_ones():
    texts = ["a short one", "short one", "short onex"]
    ids = [0, 1, 2]
    assert found(find_near_duplicates(texts, ids, threshold=85)) == pytest.approx(oracle(texts, ids, "ratio", 85))


def test_threshold_100_finds_only_identical_texts():
    texts = ["The cat sat on the mat.", "the cat sat on the mat.", "The cat sat on the mat!"]
    assert found(find_near_duplicates(texts, [0, 1, 2], threshold=100)) == {(0, 1): 100.0}


def test_unicode_texts():
    texts = ["東京都の今日の天気は晴れです", "東京都の今日の天気は晴れでした", "大阪の明日の天気は雨です", "Café crème brûlée recipe", "cafe creme brulee recipe"]
    ids = list(range(len(texts)))
    for threshold in (80, 90):
        want = oracle(texts, ids, "ratio", threshold)
        assert found(find_near_duplicates(texts, ids, threshold=threshold)) == pytest.approx(want)
    assert (0, 1) in found(find_near_duplicates(texts, ids, threshold=85))


def test_two_fields_must_both_match():
    inputs = ["What is the exchange rate?", "what is the exchange rate", "What is the exchange rate?!", "Totally different"]
    outputs = ["exchange_rate", "exchange_rate", "card_arrival", "exchange_rate"]
    result = find_near_duplicates(inputs, [0, 1, 2, 3], also=outputs, field="both")
    got = found(result)
    assert set(got) == {(0, 1)}
    assert got[(0, 1)] == pytest.approx(min(fuzz.ratio(normalise(inputs[0]), normalise(inputs[1])), 100.0))


def test_two_fields_against_the_oracle():
    rng = random.Random(11)
    outputs = [rng.choice(["card_arrival", "card arrival", "exchange_rate", "refund_request", ""]) for _ in TEXTS]
    want_in = oracle(TEXTS, IDS, "ratio", 90)
    want_out = oracle(outputs, IDS, "ratio", 90)
    want = {p: min(s, want_out[p]) for p, s in want_in.items() if p in want_out}
    assert len(want) >= 20
    assert_matches_oracle(found(find_near_duplicates(TEXTS, IDS, also=outputs)), want)


def test_round_trip_through_json():
    result = find_near_duplicates(TEXTS, IDS)
    again = NearDuplicates.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert found(again) == found(result)


@pytest.mark.parametrize("name", ["ratio", "fuzz.ratio", "WRATIO", " token_set_ratio "])
def test_scorer_names(name):
    assert get_scorer(name).func is getattr(fuzz, name.strip().removeprefix("fuzz.").replace("WRATIO", "WRatio"))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"scorer": "levenshtein"}, "unknown scorer"), ({"threshold": 0}, "threshold"), ({"threshold": 101}, "threshold")],
)
def test_bad_parameters(kwargs, words):
    with pytest.raises(CuratorError, match=words):
        find_near_duplicates(["a", "b"], [0, 1], **kwargs)


def test_bad_ids():
    with pytest.raises(ValueError):
        find_near_duplicates(["a", "b"], [0])
    with pytest.raises(ValueError):
        find_near_duplicates(["a", "b"], [0, 0])


def test_progress_rises_to_one():
    seen: list[tuple[float, str]] = []
    find_near_duplicates(TEXTS, IDS, progress=lambda p: seen.append((p.fraction, p.stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert {"normalising", "verifying"} <= {s for _, s in seen}


def test_cancel_before_start():
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        find_near_duplicates(TEXTS, IDS, cancel=stop)


@pytest.mark.parametrize(
    ("scorer", "stage"),
    [("ratio", "finding candidates"), ("ratio", "verifying"), ("partial_ratio", "comparing every pair")],
)
def test_cancel_midway(scorer, stage):
    stop = threading.Event()
    seen: list[str] = []

    def progress(p: Progress) -> None:
        seen.append(p.stage)
        if p.stage == stage:
            stop.set()

    with pytest.raises(Cancelled):
        find_near_duplicates(TEXTS, IDS, scorer=scorer, progress=progress, cancel=stop)
    assert seen[-1] == stage  # stopped at the first check after the flag was set


@settings(max_examples=40)
@given(st.lists(st.text(alphabet="ab c", max_size=24), max_size=30), st.sampled_from([70, 85, 90, 100]))
def test_reported_pairs_are_exact_and_identical_texts_always_found(texts, threshold):
    ids = list(range(len(texts)))
    want = oracle(texts, ids, "ratio", threshold)
    got = found(find_near_duplicates(texts, ids, threshold=threshold))
    assert got == pytest.approx(want)  # the bound is exact: every pair, nothing else
    norm = [normalise(t) for t in texts]
    identical = {(i, j) for i in ids for j in ids if i < j and norm[i] == norm[j]}
    assert identical <= set(got)
