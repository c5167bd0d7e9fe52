"""What a check family receives, and the catalogue of rules every finding names."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from curator.core.model import Severity
from curator.core.settings import Settings
from curator.core.text import normalised_series


@dataclass(frozen=True)
class Rule:
    """One rule: its id, default severity, a title for tables and a sentence for the help screen."""

    id: str
    severity: Severity
    title: str
    description: str


@dataclass(frozen=True)
class CheckContext:
    """The active examples (columns of ``curator.core.model.SCHEMA``, deleted ones removed) and settings."""

    frame: pl.DataFrame
    settings: Settings
    long_scans: dict[str, float] = field(default_factory=dict, compare=False)  # a slow check's word to the next


    @cached_property
    def keys(self) -> pl.DataFrame:
        """id with 64-bit hashes of the normalised input and output, shared by the checks that group on them."""
        return pl.DataFrame({
            "id": self.frame["id"],
            "in_key": normalised_hashes(self.frame["text_input"]),
            "out_key": normalised_hashes(self.frame["output"]),
        })


KEY_ROWS = 65_536  # texts normalised at a time: normalising all 1M at once held three copies of them (~1 GB)


def normalised_hashes(texts: pl.Series) -> pl.Series:
    """The 64-bit hash of each normalised text, ``KEY_ROWS`` texts at a time."""
    parts = [normalised_series(texts.slice(start, KEY_ROWS)).hash(seed=0) for start in range(0, texts.len(), KEY_ROWS)]
    return pl.concat(parts) if parts else pl.Series(texts.name, [], dtype=pl.UInt64)


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("limits.input-length", E, "input too long", "An input is longer than the target accepts."),
        Rule("limits.output-length", E, "output too long", "An output is longer than the target accepts."),
        Rule("limits.inline-size", E, "dataset too large to upload inline",
             "The Gemini API takes tuning data inline up to 4 MB."),
        Rule("limits.example-tokens", E, "example has too many tokens",
             "Vertex AI accepts at most 131,072 tokens (input + output) per training example (Gemini 2.5), "
             "counted by google-genai's local tokenizer."),
        Rule("limits.example-tokens-estimate", W, "example may have too many tokens",
             "By a token estimate (no local tokenizer installed) the example is over Vertex AI's per-example "
             "limit; install google-genai[local-tokenizer] to count exactly."),
        Rule("limits.train-examples", E, "too many training examples",
             "Vertex AI tunes on at most 1,000,000 text examples."),
        Rule("limits.file-size", E, "training file too large", "Vertex AI accepts a training file of at most 1 GB."),
        Rule("limits.validation-size", E, "validation set too large",
             "Vertex AI accepts at most 5,000 validation examples."),
        Rule("size.too-few", E, "too few training examples", "Tuning needs at least 20 training examples."),
        Rule("size.below-recommended", W, "fewer examples than recommended",
             "The tuning docs recommend at least 100 examples for this task type (100-500+ for summarization)."),
        Rule("basic.empty", E, "empty field", "The input or output is empty or only whitespace."),
        Rule("basic.whitespace", W, "leading or trailing whitespace",
             "Stray spaces and line breaks at the ends teach the model to produce them."),
        Rule("basic.exact-duplicate", W, "exact duplicates",
             "The same input and output (ignoring case, spacing and Unicode form) appear more than once."),
        Rule("basic.conflicting-outputs", W, "same input, different outputs",
             "One input is paired with different outputs, which teaches the model to guess."),
        Rule("output.not-json", W, "output is not JSON", "Most outputs are JSON, but this one does not parse."),
        Rule("output.json-keys", W, "JSON output with other keys",
             "Most JSON outputs share one set of keys; this one has different keys."),
        Rule("labels.variant", W, "label spelling variant",
             "A rare label differs from a frequent one only by case, spacing or punctuation."),
    )
}


def register(rule: Rule) -> None:
    """Add a rule from another module (near-duplicates, leakage, template)."""
    RULES[rule.id] = rule
