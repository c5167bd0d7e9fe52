"""What a list shows of an input so that rows can be told apart: the values its template leaves variable
(``'Li Wei · Berlin'`` for ``name: {name}\\ncity: {city}``), or, without a template, the input with the
preamble it shares with many others elided (``'…text: Hello, this is Li Wei'``)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import polars as pl

from curator.core.template.match import exact_pattern
from curator.core.template.model import Template

ELIDED = "…"
SLOT_SEPARATOR = " · "
MIN_PREAMBLE = 12  # characters: a shorter shared start is not worth hiding
MIN_SHARE = 0.01  # a first line shared by at least this share of the sampled inputs (and 3 of them) is a preamble
SAMPLE = 5000


@dataclass(frozen=True)
class InputDisplay:
    """Turns an input into its list form; ``template`` first, then ``preambles`` (longest first)."""

    template: Template | None = None
    preambles: tuple[str, ...] = ()

    def __call__(self, text: str) -> str:
        if self.template is not None and self.template.fields:
            m = exact_pattern(self.template).fullmatch(text)
            if m:
                values = (m.group(f"f{k}") for k in range(len(self.template.fields)))
                return SLOT_SEPARATOR.join(" ".join(v.split()) for v in values if v)  # an optional part may be absent
        for preamble in self.preambles:
            if text.startswith(preamble) and len(text) > len(preamble):
                return ELIDED + text[len(preamble):].lstrip(" ")
        return text

    @property
    def active(self) -> bool:
        return self.template is not None or bool(self.preambles)

    def describe(self) -> str:
        """How inputs are shown, for a title bar."""
        if self.template is not None:
            return "input: " + SLOT_SEPARATOR.join(self.template.names)
        return "input: shared start hidden" if self.preambles else "input"


def shared_preambles(inputs: list[str] | pl.Series, seed: int = 0) -> tuple[str, ...]:
    """First lines (with their line break) that many inputs start with: instructions a list need not repeat.
    A Series is sampled before its texts are made Python strings (1M of them held the interpreter lock 0.5 s)."""
    if isinstance(inputs, pl.Series):
        inputs = (inputs.sample(SAMPLE, seed=seed) if len(inputs) > SAMPLE else inputs).fill_null("").to_list()
    elif len(inputs) > SAMPLE:
        inputs = random.Random(seed).sample(inputs, SAMPLE)
    firsts = Counter(text[: text.index("\n") + 1] for text in inputs if text and "\n" in text)
    floor = max(3, int(MIN_SHARE * len(inputs)))
    found = [line for line, n in firsts.items() if n >= floor and len(line) > MIN_PREAMBLE]
    return tuple(sorted(found, key=len, reverse=True))


def input_display(inputs: list[str] | pl.Series, template: Template | None) -> InputDisplay:
    """The display for a dataset's inputs: its template's slots when it has one, else its shared preambles."""
    return InputDisplay(template, shared_preambles(inputs))
