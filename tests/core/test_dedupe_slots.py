"""Template-aware near-duplicates: slot values compared (exactly, against the cdist oracle on them), the slot
that differs named, and pairs that differ only in numbers kept out of clusters and fixes."""

from __future__ import annotations

import polars as pl
import pytest

from bench.generate import generate
from curator.core.checks import run_checks
from curator.core.dataset import Dataset
from curator.core.dedupe import find_near_duplicates
from curator.core.dedupe.scan import plan_scan, scan_dataset
from curator.core.dedupe.slots import compared_inputs, slot_differences, slot_templates
from curator.core.model import records_frame
from curator.core.settings import Settings
from tests.core.dedupe_corpus import assert_same_clusters, oracle

TEMPLATE = "Classify the ticket.\nquestion: {question}\ncontext: {context}"


def templated_rows(n: int = 700) -> list[dict]:
    return generate(n, seed=5)


def as_dataset(rows: list[dict]) -> Dataset:
    return Dataset.from_records(records_frame({k: [r[k] for r in rows] for k in ("text_input", "output", "split")}))


def test_families_of_inputs_each_get_their_template():
    inputs = pl.Series([r["text_input"] for r in templated_rows()])
    sources = {t.source for t in slot_templates(inputs, None)}
    assert TEMPLATE in sources
    assert "Extract name, city and amount as JSON.\ntext: {text}" in sources
    assert [t.source for t in slot_templates(inputs, "Q: {q}")] == ["Q: {q}"]  # a set template wins


@pytest.mark.parametrize("compare", ["slots", "whole"])
def test_templated_fixture_matches_the_oracle_exactly(compare):
    rows = templated_rows()
    inputs = [r["text_input"] for r in rows]
    if compare == "slots":
        compared, _ = compared_inputs(inputs, slot_templates(pl.Series(inputs), None))
        assert compared != inputs
    else:
        compared = inputs
    ids = list(range(len(rows)))
    want = oracle(compared, ids, "ratio", 90)
    assert len(want) >= 50
    assert_same_clusters(find_near_duplicates(compared, ids), want)


def test_slots_drop_the_pairs_only_the_template_made():
    ds = as_dataset(templated_rows())
    whole = sum(map(len, scan_dataset(ds, compare="whole").matches.components()))
    slots = scan_dataset(ds, compare="slots")
    assert slots.compare == "slots" and TEMPLATE in slots.templates
    assert sum(map(len, slots.matches.components())) < whole  # fewer examples in some cluster


def test_the_differing_slot_is_named():
    templates = slot_templates(pl.Series([]), TEMPLATE)
    a = "Classify the ticket.\nquestion: My card was declined.\ncontext: Plan pro."
    b = "Classify the ticket.\nquestion: My card was declined!\ncontext: Plan pro."
    assert slot_differences(a, b, templates) == ["question"]
    assert slot_differences(a, "free text", templates) == []


def numbers_dataset() -> Dataset:
    texts = ["What is the square root of 31?", "What is the square root of 104?", "What is the square root of 144?",
             "How do I reset my password?", "How do I reset my pasword?", "Book a table for 2 on 12/05/2024.",
             "Book a table for 2 on 13/06/2024."]
    return Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * len(texts),
                                               "split": ["train"] * len(texts)}))


def test_pairs_that_differ_only_in_numbers_are_listed_apart():
    scan = scan_dataset(numbers_dataset(), threshold=85)
    assert [set(c.ids) for c in scan.clusters] == [{3, 4}]
    assert sorted(sorted(c.ids) for c in scan.numeric) == [[0, 1, 2], [5, 6]]


def test_a_numbers_only_pair_never_reaches_a_fix():
    settings = Settings(near_dup_threshold=85)
    findings = [f for f in run_checks(numbers_dataset(), settings) if f.rule == "near-dup.cluster"]
    assert [set(f.ids) for f in findings] == [{3, 4}]
    deleted = {i for f in findings for i in f.fix.op.ids}
    assert deleted.isdisjoint({0, 1, 2, 5, 6})


def test_the_plan_estimates_before_scanning():
    plan = plan_scan(as_dataset(templated_rows()))
    assert 0 < plan.seconds < 5
    assert plan.compare == "slots" and len(plan.normalised) == 700


def test_a_long_scan_never_starts_on_its_own(monkeypatch):
    import curator.core.checks.near_dups as near_dups

    monkeypatch.setattr(near_dups, "AUTO_SCAN_SECONDS", 0.0)  # every scan counts as long
    settings = Settings(near_dup_scorer="token_set_ratio", near_dup_threshold=85)
    findings = run_checks(numbers_dataset(), settings)
    assert "near-dup.cluster" not in {f.rule for f in findings}
    skipped = [f for f in findings if f.rule == "near-dup.not-run"]
    assert len(skipped) == 1 and "curator dedupe" in skipped[0].message


def test_a_saved_scorer_that_makes_the_scan_long_starts_no_leakage_scan_either(monkeypatch):
    """Leakage compares the same texts with the same scorer: when the near-duplicate scan is too long to start
    on its own, the leakage scan does not start either (it said nothing and could run for half an hour)."""
    import curator.core.checks.near_dups as near_dups
    import curator.core.dedupe.scan as scan

    monkeypatch.setattr(near_dups, "AUTO_SCAN_SECONDS", 0.0)

    def never(*args, **kwargs):
        raise AssertionError("the leakage scan started on its own")

    monkeypatch.setattr(scan, "scan_leakage", never)
    settings = Settings(near_dup_scorer="token_set_ratio", near_dup_threshold=85)
    rules = [f.rule for f in run_checks(numbers_dataset(), settings)]
    assert rules.count("leakage.not-run") == 1 and "leakage.train-twin" not in rules
    monkeypatch.setattr(near_dups, "AUTO_SCAN_SECONDS", 60.0)  # a short scan: both run
    monkeypatch.undo()
    rules = [f.rule for f in run_checks(numbers_dataset(), settings)]
    assert "leakage.not-run" not in rules and "near-dup.not-run" not in rules


def test_inputs_found_in_bulk_get_the_values_one_by_one_matching_gives():
    # compared_inputs finds exact followers with polars (Rust regex); slot_values is the reference, input by
    # input: a marker repeated inside a value, line breaks and other scripts in values, empty values, deviations
    from curator.core.dedupe.slots import slot_values
    from curator.core.template import parse_template

    templates = (parse_template("Classify the ticket.\nquestion: {question}\ncontext: {context}"),
                 parse_template("Extract name and city.\ntext: {text}"),
                 parse_template("Résumé ✓\nq: {q}\nnote: {note}\nend."))  # text after the last field
    inputs = [
        "Classify the ticket.\nquestion: why?\ncontext: none",
        "Classify the ticket.\nquestion: a\ncontext: b\ncontext: c",  # the marker again, in the last value
        "Classify the ticket.\nquestion: x\ncontext: y\nquestion: z\ncontext: w",
        "Classify the ticket.\nquestion: 料金は？\n二行目\ncontext: 顧客",
        "Classify the ticket.\nquestion: \ncontext: ",
        "Classify the ticket.\nQuestion: deviating\ncontext: marker case",
        "  Classify the ticket.\nquestion: indented\ncontext: first line",  # close: the first line is the template's
        "Clasify the ticket.\nquestion: a typo\ncontext: in the first line",  # follows no template
        "Note.\nClassify the ticket.\nquestion: the first line\ncontext: elsewhere",
        "Classify the ticket.\nquestion: only one field",
        "Extract name and city.\ntext: Ana from Lisbon.\ntext: again",
        "Extract name and city.\ntext: ",
        "question: no preamble\ncontext: here",  # every field, the preamble left out
        "text: Li from Osaka.",
        "question. no preamble\ncontext: and a broken marker",
        "something else entirely",
        "Résumé ✓\nq: 料金\nnote: n\nend.",
        "Résumé ✓\nq: a\nnote: b\nend.\nend.",  # the last literal twice: the value keeps the first
        "Résumé ✓\nq: a\nnote: x\nnote: y\nend.",
        "Résumé ✓\nq: \nnote: \nend.",
        "",
        None,
    ]
    want, want_template = [], []
    for text in inputs:
        found = slot_values(text, templates) if text else None
        want.append("\n".join(found[1].values()) if found else text)
        want_template.append(templates.index(found[0]) if found else -1)
    got, follows = compared_inputs(inputs, templates)
    assert got == want
    assert follows.tolist() == want_template
    assert got[1] == "a\nb\ncontext: c" and got[0] == "why?\nnone" and got[-1] is None
    at = inputs.index("question: no preamble\ncontext: here")
    assert got[at : at + 3] == ["no preamble\nhere", "Li from Osaka.", inputs[at + 2]]
    assert follows[at : at + 3].tolist() == [0, 1, -1]


def test_inputs_are_compared_only_with_inputs_of_their_template():
    # equal slot values under two templates fill different fields; an input that follows no template is compared
    # whole, with the others that follow none; one that leaves out only the preamble follows its template
    from curator.core.template import parse_template

    templates = (parse_template("Classify the ticket.\nquestion: {question}\ncontext: {context}"),
                 parse_template("Extract name and city.\ntext: {text}"))
    inputs = [
        "Classify the ticket.\nquestion: reset my password\ncontext: web",
        "Extract name and city.\ntext: reset my password\nweb",
        "reset my password\nweb",
        "question: reset my password\ncontext: web",
        "Classify the ticket.\nquestion: reset my pasword\ncontext: web",
        "reset my pasword\nweb",
    ]
    compared, follows = compared_inputs(inputs, templates)
    assert len(set(compared)) == 2  # without the templates apart, all six would make one cluster
    found = find_near_duplicates(compared, range(6), parts=follows.tolist())
    assert sorted(map(sorted, found.components())) == [[0, 3, 4], [2, 5]]
