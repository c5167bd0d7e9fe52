"""Near-duplicate search against the exhaustive rapidfuzz cdist oracle, plus edge cases and cancellation."""

from __future__ import annotations

import json
import random
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from curator.core.dedupe import NearDuplicates, find_near_duplicates, get_scorer, normalise
from curator.core.errors import Cancelled, CuratorError
from curator.core.progress import Progress
from tests.core.dedupe_corpus import assert_same_clusters, clusters, corpus, oracle, sentence, typo

TEXTS = corpus(seed=7)
IDS = [1000 + 3 * i for i in range(len(TEXTS))]  # ids are not positions


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
    assert_same_clusters(find_near_duplicates(TEXTS, IDS, scorer=scorer, threshold=threshold), want)


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
    assert_same_clusters(find_near_duplicates(texts, ids), want)


def test_identical_after_normalising_form_one_group():
    texts = ["How do I top up?", "how  do i\tTOP up?", "Ｈｏｗ do I top up?", "Something else entirely."]
    result = find_near_duplicates(texts, [10, 11, 12, 13])
    assert result.groups == ((10, 11, 12),)
    assert result.links == ()
    assert clusters(result) == [(10, 11, 12)]
    assert result.self_scores == (100.0,) and result.identical_pair_count() == 3


def test_many_identical_texts_stay_compact():
    texts = ["ham"] * 3000 + ["spam"] * 1000
    result = find_near_duplicates(texts, range(len(texts)))
    assert len(result.groups) == 2
    assert result.identical_pair_count() == 3000 * 2999 // 2 + 1000 * 999 // 2
    assert len(json.dumps(result.to_dict())) < 60_000


def test_no_examples_and_one_example():
    assert find_near_duplicates([], []).components() == []
    assert find_near_duplicates(["only one text here"], [5]).components() == []


def test_empty_and_missing_texts_follow_the_scorer():
    texts = ["", None, "", "a real sentence"]
    ratio = find_near_duplicates(texts, [1, 2, 3, 4])
    assert clusters(ratio) == [(1, 2, 3)]  # fuzz.ratio("", "") is 100
    assert find_near_duplicates(texts, [1, 2, 3, 4], scorer="QRatio").components() == []  # QRatio("", "") is 0


def test_short_texts():
    texts = ["ab", "abc", "abd", "xyz", "abcdefgh", "abcdefgx"]
    ids = list(range(len(texts)))
    want = oracle(texts, ids, "ratio", 60)
    assert (1, 2) in want and (4, 5) in want
    assert_same_clusters(find_near_duplicates(texts, ids, threshold=60), want)


def test_short_texts_meet_long_ones():
    texts = ["a short one", "short one", "short onex"]
    ids = [0, 1, 2]
    assert_same_clusters(find_near_duplicates(texts, ids, threshold=85), oracle(texts, ids, "ratio", 85))


def test_threshold_100_finds_only_identical_texts():
    texts = ["The cat sat on the mat.", "the cat sat on the mat.", "The cat sat on the mat!"]
    assert clusters(find_near_duplicates(texts, [0, 1, 2], threshold=100)) == [(0, 1)]


def test_unicode_texts():
    texts = ["東京都の今日の天気は晴れです", "東京都の今日の天気は晴れでした", "大阪の明日の天気は雨です", "Café crème brûlée recipe", "cafe creme brulee recipe"]
    ids = list(range(len(texts)))
    for threshold in (80, 90):
        want = oracle(texts, ids, "ratio", threshold)
        assert_same_clusters(find_near_duplicates(texts, ids, threshold=threshold), want)
    assert (0, 1) in clusters(find_near_duplicates(texts, ids, threshold=85))


def test_two_fields_must_both_match():
    inputs = ["What is the exchange rate?", "what is the exchange rate", "What is the exchange rate?!", "Totally different"]
    outputs = ["exchange_rate", "exchange_rate", "card_arrival", "exchange_rate"]
    result = find_near_duplicates(inputs, [0, 1, 2, 3], also=outputs, field="both")
    assert clusters(result) == [(0, 1)]
    (link,) = result.links
    assert link[2] == pytest.approx(min(fuzz.ratio(normalise(inputs[0]), normalise(inputs[1])), 100.0))


def test_two_fields_against_the_oracle():
    rng = random.Random(11)
    outputs = [rng.choice(["card_arrival", "card arrival", "exchange_rate", "refund_request", ""]) for _ in TEXTS]
    want_in = oracle(TEXTS, IDS, "ratio", 90)
    want_out = oracle(outputs, IDS, "ratio", 90)
    want = {p: min(s, want_out[p]) for p, s in want_in.items() if p in want_out}
    assert len(want) >= 20
    assert_same_clusters(find_near_duplicates(TEXTS, IDS, also=outputs), want)


def test_round_trip_through_json():
    result = find_near_duplicates(TEXTS, IDS)
    again = NearDuplicates.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    assert clusters(again) == clusters(result)


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
    result = find_near_duplicates(texts, ids, threshold=threshold)
    assert_same_clusters(result, want)  # the bound is exact: every cluster, nothing else
    norm = [normalise(t) for t in texts]
    together = {(i, j) for c in clusters(result) for i in c for j in c if i < j}
    assert {(i, j) for i in ids for j in ids if i < j and norm[i] == norm[j]} <= together


def test_long_texts_of_one_vocabulary_against_the_oracle():
    # long texts from the same words have nearly equal character counts, so the count bound passes them; the
    # prefix bound must refute the dissimilar ones and keep every pair that reaches the threshold
    rng = random.Random(5)
    texts = []
    for _ in range(6):
        base = " ".join(sentence(rng, 12, 20) for _ in range(150))
        texts.append(base)
        for edits in (len(base) // 40, len(base) // 22, len(base) // 18):  # around ratio 90 and below
            texts.append(typo(rng, base, edits))
    assert min(map(len, texts)) >= 10_000
    ids = list(range(len(texts)))
    want = oracle(texts, ids, "ratio", 90)
    assert 6 <= len(want) < len(texts) * (len(texts) - 1) // 2 // 4
    assert_same_clusters(find_near_duplicates(texts, ids), want)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 400), st.sampled_from([80, 90, 95]))
def test_the_prefix_bound_never_refutes_a_pair_that_reaches_the_threshold(seed, edits, threshold):
    from curator.core.dedupe.verify import prefix_refuted

    rng = random.Random(seed)
    a = normalise(" ".join(sentence(rng) for _ in range(rng.randint(25, 60))))
    b = normalise(typo(rng, a, edits))
    refuted = prefix_refuted([a], [b], threshold)[0]
    assert not (refuted and fuzz.ratio(a, b) >= threshold)


def test_the_estimate_counts_the_pairs_of_long_texts():
    from curator.core.dedupe.search import estimate_seconds

    spec = get_scorer("ratio")
    short = [f"text number {i} about refunds" for i in range(50)]
    long = [("refund my card " * 3000)[: 40_000 + i] for i in range(50)]
    assert estimate_seconds(short + long, spec, 90) > estimate_seconds(short, spec, 90) + 1.0


def test_texts_over_the_cap_are_grouped_only_when_identical():
    rng = random.Random(11)
    long = " ".join(sentence(rng) for _ in range(250))
    assert len(normalise(long)) > 10_000
    texts = [long, long.upper() + "  ", typo(rng, long, 3),  # identical after normalising, and a near copy
             "How do I reset my password?", "How do I reset my pasword?",
             "x" * 10_000, "x" * 9_999 + "y"]  # exactly at the cap: compared
    ids = list(range(len(texts)))
    capped = find_near_duplicates(texts, ids, max_chars=10_000)
    assert sorted(map(sorted, clusters(capped))) == [[0, 1], [3, 4], [5, 6]]
    assert (capped.uncompared, capped.max_chars) == (3, 10_000)
    assert NearDuplicates.from_dict(json.loads(json.dumps(capped.to_dict()))) == capped
    everything = find_near_duplicates(texts, ids, max_chars=0)
    assert sorted(map(sorted, clusters(everything))) == [[0, 1, 2], [3, 4], [5, 6]]
    assert everything.uncompared == 0


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("threshold", [80, 90, 95])
def test_the_count_bound_is_exact_on_awkward_texts(threshold, compiled, monkeypatch):
    # runs of one character (counts beyond the unit levels), templated texts differing in a few characters,
    # more distinct characters than buckets, empty texts, and pairs right at the length bound
    from curator.core.dedupe import bound
    from curator.core.dedupe.candidates import max_partner_length

    monkeypatch.setattr(bound, "SMALL", 0 if compiled else 10**18)  # the compiled loop, or numpy
    rng = random.Random(threshold)
    texts = ["", "", "a", "aa"]
    for _ in range(40):
        n = rng.randint(1, 60)
        texts += ["x" * n + "y" * rng.randint(0, 5), "x" * (n + rng.randint(0, 8))]
    for _ in range(80):
        slot = typo(rng, sentence(rng, 2, 5), rng.randint(0, 4))
        texts.append(f"{slot}\ncontext: customer since {rng.randint(2010, 2026)}")
    alphabet = [chr(c) for c in range(0x3041, 0x3041 + 90)] + list("αβγδεζηθικλμνξοπρστυφχψω")
    for _ in range(40):
        base = "".join(rng.choices(alphabet, k=rng.randint(5, 40)))
        texts += [base, typo(rng, base, rng.randint(1, 3))]
    for n in (10, 37, 50):
        longest = int(max_partner_length(np.array([n]), threshold)[0])
        texts += ["q" * n, "q" * longest, "q" * (longest + 1)]  # at the bound, and one over
    ids = list(range(len(texts)))
    want = oracle(texts, ids, "ratio", threshold)
    assert len(want) >= 100
    assert_same_clusters(find_near_duplicates(texts, ids, threshold=threshold), want)


@pytest.mark.parametrize("with_also", [False, True])
def test_groups_a_plan_found_give_the_search_s_own_result(with_also):
    from curator.core.dedupe.normalise import normalise_all
    from curator.core.dedupe.search import prepare
    from curator.core.progress import Work

    texts = TEXTS + TEXTS[:40]  # identical examples make groups of several
    ids = list(range(len(texts)))
    rng = random.Random(3)
    parts = [rng.randrange(2) for _ in texts]
    also = [("Answer  " if i % 2 else "answer ") + str(i % 3) for i in range(len(texts))] if with_also else None
    normalised = normalise_all(texts)
    group, _, group_parts = prepare(normalised, also, len(texts), Work(), normalised=True, parts=parts)
    own = find_near_duplicates(normalised, ids, also=also, normalised=True, parts=parts)
    handed = find_near_duplicates(normalised, ids, also=also, normalised=True, parts=parts,
                                  grouped=(group, group_parts))
    assert handed.to_dict() == own.to_dict() and len(own.links) > 10
    assert max(len(g) for g in own.groups) > 1


def test_ids_must_be_unique():
    with pytest.raises(ValueError, match="ids must be unique"):
        find_near_duplicates(["a card", "a card", "the pin"], [4, 9, 4])
    assert find_near_duplicates(["a card", "a card", "the pin"], [4, 9, 5]).groups == ((4, 9),)
