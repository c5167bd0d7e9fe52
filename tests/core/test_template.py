"""Production templates: parsing, every deviation kind, fixes with undo, inference from data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curator.core.checks import run_checks
from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.model import records_frame
from curator.core.settings import Settings
from curator.core.template import infer_template, match, parse_template
from curator.core.template.match import clean_pattern, loose_pattern

FIXTURES = Path(__file__).parents[2] / "fixtures"
TEMPLATE = "Classify the ticket.\nquestion: {question}\ncontext: {context}"


def test_parse_preamble_fields_markers_and_separators():
    t = parse_template(TEMPLATE)
    assert t.preamble == "Classify the ticket."
    assert [(f.name, f.marker, f.separator, f.label) for f in t.fields] == [
        ("question", "question: ", "\n", "question"), ("context", "context: ", "\n", "context")]
    assert t.render({"question": "Q", "context": "C"}) == "Classify the ticket.\nquestion: Q\ncontext: C"
    t2 = parse_template("Answer in JSON {{\"a\": 1}}.\n\nInput - {text}")
    assert t2.preamble == 'Answer in JSON {"a": 1}.' and t2.fields[0].separator == "\n\n"
    assert t2.fields[0].marker == "Input - " and t2.fields[0].label == "input"
    assert parse_template("{text}").preamble == "" and parse_template("{text}").fields[0].marker == ""


@pytest.mark.parametrize("bad, column", [("a {b", 3), ("a } b", 3), ("{x} {x}", 5), ("{1x}", 1)])
def test_parse_errors_name_the_column(bad, column):
    with pytest.raises(CuratorError) as err:
        parse_template(bad)
    assert err.value.column == column


def test_apply_wraps_a_raw_input():
    assert parse_template("Summarise.\n{text}").apply("abc") == "Summarise.\nabc"
    assert parse_template("Summarise.\n{text}").apply("Summarise.\nabc") == "Summarise.\nabc"
    with pytest.raises(CuratorError, match="2 fields"):
        parse_template(TEMPLATE).apply("abc")


FIXED = "Classify the ticket.\nquestion: Q\ncontext: C"


@pytest.mark.parametrize("text, kind, message, fixed", [
    ("question: Q\ncontext: C", "preamble", "preamble 'Classify the ticket.' is missing", FIXED),
    ("Classify this ticket:\nquestion: Q\ncontext: C", "preamble",
     "preamble is 'Classify this ticket:', expected 'Classify the ticket.'", FIXED),
    ("Classify the ticket.\nQuestion : Q\ncontext: C", "marker", "marker 'Question : ' should be 'question: '", FIXED),
    ("Classify the ticket.\ncontext: C\nquestion: Q", "field-order",
     "fields in the order context, question; the template has question, context", FIXED),
    ("Classify the ticket.\nquestion: Q\n\ncontext: C", "separator",
     "separator before 'context:' is '\\n\\n', expected '\\n'", FIXED),
    ("Classify the ticket.\nquestion: Q", "field-missing", "field 'context' (marker 'context:') is missing", None),
    ("Classify the ticket.\nquestion: \ncontext: C", "field-empty", "field 'question' is empty", None),
    ("Classify the ticket.\nNote: urgent\nquestion: Q\ncontext: C", "preamble",
     "preamble is 'Classify the ticket.\\nNote: urgent', expected 'Classify the ticket.'", FIXED),
])
def test_each_deviation_is_said_precisely(text, kind, message, fixed):
    result = match(parse_template(TEMPLATE), text)
    assert (kind, message) in [(d.kind, d.message) for d in result.deviations]
    assert result.fixed == fixed


def test_exact_input_has_no_deviation():
    result = match(parse_template(TEMPLATE), FIXED)
    assert result.exact and result.deviations == () and result.values == {"question": "Q", "context": "C"}


@given(st.text(alphabet="ab :\n", max_size=8), st.text(alphabet="ab :\n", max_size=8), st.booleans())
def test_fast_path_agrees_with_the_matcher(question, context, mutate):
    t = parse_template(TEMPLATE)
    text = t.render({"question": question, "context": context})
    if mutate:
        text = text.replace("question", "Question")
    clean = pl.Series([text]).str.contains(clean_pattern(t))[0]
    loose = pl.Series([text]).str.contains(loose_pattern(t))[0]
    result = match(t, text)
    if clean:  # whatever polars calls clean, the matcher finds exact with no deviation
        assert result.exact and not result.deviations
    if result.exact:  # and what the matcher finds exact, polars never leaves out as certainly not exact
        assert loose


def test_template_rules_with_fixes_and_undo():
    ds = Dataset.from_records(read_file(FIXTURES / "template_deviations.jsonl").records)
    findings = run_checks(ds, Settings(template=TEMPLATE), skip_slow=True)
    kinds = {f.rule for f in findings if f.rule.startswith("template.")}
    assert kinds == {"template.preamble", "template.marker", "template.field-order", "template.separator",
                     "template.field-missing", "template.field-empty"}
    fixable = [f for f in findings if f.rule.startswith("template.") and f.fix]
    assert {f.ids[0] for f in fixable} == {14, 15, 16, 17, 18}
    before = ds.frame["text_input"].to_list()
    inverses = [ds.apply(f.fix.op) for f in fixable]
    again = run_checks(ds, Settings(template=TEMPLATE), skip_slow=True)
    assert {f.ids[0] for f in again if f.rule.startswith("template.")} == {19, 20}
    for inverse in reversed(inverses):
        ds.apply(inverse, undoing=True)
    assert ds.frame["text_input"].to_list() == before


def test_inference_finds_the_dominant_template_and_output_shape():
    qa = read_file(FIXTURES / "qa_context.jsonl").records
    inferred = infer_template(qa["text_input"], qa["output"])
    assert inferred.template.source == "Answer from the context.\nquestion: {question}\ncontext: {context}"
    tickets = read_file(FIXTURES / "template_deviations.jsonl").records
    inferred = infer_template(tickets["text_input"], tickets["output"])
    assert inferred.template.source == TEMPLATE
    assert inferred.outputs.startswith("one of 4 labels")
    json_out = read_file(FIXTURES / "json_output.jsonl").records
    assert infer_template(json_out["text_input"], json_out["output"]).outputs == \
        "JSON objects with keys intent, priority"
    assert infer_template(pl.Series(["free text one", "another line", "third"])).template is None


def test_inference_is_remembered_by_the_content_it_looks_at():
    qa = read_file(FIXTURES / "qa_context.jsonl").records
    first = infer_template(qa["text_input"], qa["output"])
    assert infer_template(qa["text_input"].clone(), qa["output"].clone()) is first  # the same texts: not again
    edited = qa["text_input"].scatter(0, "Answer briefly.\nquestion: why\ncontext: because")
    again = infer_template(edited, qa["output"])
    assert again is not first and again.preamble_share < first.preamble_share
    assert infer_template(qa["text_input"]) is not first  # without the outputs: another inference


def test_inferred_template_is_reported_and_enforced():
    ds = Dataset.from_records(read_file(FIXTURES / "template_deviations.jsonl").records)
    findings = run_checks(ds, Settings(), skip_slow=True)
    info = [f for f in findings if f.rule == "template.inferred"]
    assert len(info) == 1 and "Classify the ticket.\\nquestion: {question}\\ncontext: {context}" in info[0].message
    assert {f.ids[0] for f in findings if f.rule == "template.preamble"} == {14, 15}


def test_inputs_an_inferred_template_is_not_enforced_on_are_not_diagnosed(monkeypatch):
    """Half the inputs in each field order: the inferred template covers 50%, under the share it is enforced
    from; the other half cannot follow it, and are not matched one by one for deviations nobody is shown."""
    import curator.core.template as template_package

    texts = [f"question: q{i}\ncontext: c{i}" if i % 2 else f"context: c{i}\nquestion: q{i}" for i in range(40)]
    ds = Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * 40}))
    calls = []
    monkeypatch.setattr(template_package, "match", lambda *a: calls.append(a) or match(*a))
    findings = [f for f in run_checks(ds, Settings(), skip_slow=True) if f.rule.startswith("template.")]
    assert [(f.rule, f.message.split("(")[1].split(" ")[0]) for f in findings] == [("template.inferred", "50%")]
    assert calls == []
