"""How lists show inputs: a template's slot values, else the input without the preamble many inputs share."""

from __future__ import annotations

from curator.core.template import parse_template
from curator.core.template.display import InputDisplay, input_display, shared_preambles

TICKETS = [f"Classify the ticket.\nquestion: I was charged twice (#{i})\ncontext: Customer since 20{i:02d}."
           for i in range(40)]


def test_template_slots_are_shown_joined():
    template = parse_template("Classify the ticket.\nquestion: {question}\ncontext: {context}")
    shown = input_display(TICKETS, template)
    assert shown(TICKETS[3]) == "I was charged twice (#3) · Customer since 2003."
    assert shown("free text that does not follow it") == "free text that does not follow it"
    assert shown.describe() == "input: question · context"


def test_without_a_template_the_shared_first_line_is_elided():
    others = [f"What is the capital of country {i}?" for i in range(40)]
    shown = input_display(TICKETS + others, None)
    assert shown.preambles == ("Classify the ticket.\n",)
    assert shown(TICKETS[1]) == "…question: I was charged twice (#1)\ncontext: Customer since 2001."
    assert shown(others[0]) == others[0]
    assert shown("Classify the ticket.\n") == "Classify the ticket.\n"  # nothing left to show: kept whole


def test_rare_or_short_first_lines_are_not_preambles():
    assert shared_preambles(["Hi\nthere"] * 50) == ()  # too short to be worth hiding
    unique = [f"A long and unique first line number {i}\nbody" for i in range(200)]
    assert shared_preambles(unique) == ()
    assert not InputDisplay().active and InputDisplay()("x") == "x"


def test_an_absent_optional_part_is_left_out():
    template = parse_template("{instruction}\n\n{input?}")
    shown = input_display([], template)
    assert shown("Name three colours.") == "Name three colours."
    assert shown("Translate.\n\nbonjour") == "Translate. · bonjour"


def test_a_column_of_inputs_is_sampled_as_a_list_is():
    import polars as pl

    others = [f"What is the capital of country {i}?" for i in range(40)]
    column = pl.Series((TICKETS + others) * 100 + [None])  # more than the sample: drawn before becoming strings
    assert shared_preambles(column) == shared_preambles(column.fill_null("").to_list()) == ("Classify the ticket.\n",)
    assert input_display(column[:80], None).preambles == ("Classify the ticket.\n",)
