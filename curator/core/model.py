"""The vocabulary shared by every part of curator: example fields, splits, severities and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from curator.core.ops import Op


class Split(str, enum.Enum):
    """Which part of the data an example belongs to."""

    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


class Severity(str, enum.Enum):
    """How bad a finding is; ``curator check`` exits 2 on errors, 1 on warnings."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# The columns of a dataset frame, in order, with their polars types.
#   id          stable within a session: file order at load, then increasing for added rows
#   text_input  the prompt the model sees
#   output      the answer the model should give
#   system      an optional system instruction (Vertex systemInstruction, OpenAI system message)
#   split       train / validation / test
#   tags        free labels the user attaches
#   note        a free note
#   extra       unknown fields of the source record, as a JSON object text, written back unchanged
#   src_line    1-based line of the record in the source file (null for added examples)
#   deleted     marked for deletion; dropped on save
SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "text_input": pl.String(),
    "output": pl.String(),
    "system": pl.String(),
    "split": pl.String(),
    "tags": pl.List(pl.String()),
    "note": pl.String(),
    "extra": pl.String(),
    "src_line": pl.Int64(),
    "deleted": pl.Boolean(),
}

# Fields a user may edit through operations (id and src_line are curator's own).
EDITABLE_FIELDS = ("text_input", "output", "system", "split", "tags", "note", "deleted")

# Fields a reader produces (everything but id and deleted).
RECORD_FIELDS = ("text_input", "output", "system", "split", "tags", "note", "extra", "src_line")

SPLITS = tuple(s.value for s in Split)

# Split names files use, each with the split it means (a file keeps its own spelling when saved back).
SPLIT_NAMES = {**{s: s for s in SPLITS}, "val": "validation", "valid": "validation", "dev": "validation",
               "eval": "validation"}


def empty_records() -> pl.DataFrame:
    """A frame with the reader columns and no rows."""
    return pl.DataFrame(schema={k: SCHEMA[k] for k in RECORD_FIELDS})


def records_frame(columns: dict[str, list]) -> pl.DataFrame:
    """Build a reader frame from column lists; missing optional columns get their defaults."""
    n = len(columns["text_input"])
    data = {
        "text_input": columns["text_input"],
        "output": columns["output"],
        "system": columns.get("system") or [None] * n,
        "split": columns.get("split") or [Split.TRAIN.value] * n,
        "note": columns.get("note") or [None] * n,
        "extra": columns.get("extra") or [None] * n,
        "src_line": columns.get("src_line") or [None] * n,
    }
    schema = {k: SCHEMA[k] for k in RECORD_FIELDS}
    tags = columns.get("tags")
    if tags and any(tags):
        data["tags"] = tags
    else:  # building 100k empty lists one by one costs ~0.3 s; a repeated literal costs ~3 ms
        data["tags"] = pl.select(pl.repeat(pl.lit([], dtype=SCHEMA["tags"]), n)).to_series() if n else []
    return pl.DataFrame(data, schema={k: schema[k] for k in data}).select(list(RECORD_FIELDS))


@dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical repair for a finding: a label for the user and the operation that performs it."""

    label: str
    op: Op


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check: which rule, how bad, which examples, what is wrong, and how to fix it."""

    rule: str
    severity: Severity
    ids: tuple[int, ...]
    message: str
    fix: Fix | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        """A JSON-ready form (used by ``curator check --json``)."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "ids": list(self.ids),
            "message": self.message,
            "fix": self.fix.label if self.fix else None,
        }
