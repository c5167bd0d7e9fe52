"""What changed between two runs: the examples whose verdict flipped (fixed: wrong before, right now;
broken: the opposite), each metric newer minus older, and what differs in how the runs were made.

The runs are put in time order (older, newer) whatever order they are given in. An example of one run is
the same example in the other when it has the same example id and prompt (runs of another file: the same
prompt and expected output).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curator.core.evaluation.evaluate import EvalResult
from curator.core.evaluation.report import metric_rows
from curator.core.evaluation.runs import RunRow

FIXED, BROKEN = "fixed", "broken"


@dataclass(frozen=True)
class Flip:
    """One example whose verdict changed for one model (``side``), with both answers."""

    side: str
    kind: str  # fixed or broken
    position: int  # in the newer run
    example_id: int | None
    text_input: str
    expected: str
    before: str | None
    after: str | None


@dataclass
class RunChanges:
    older: EvalResult
    newer: EvalResult
    metrics: list[tuple[str, float, float, float, float]]  # label, older A, older B, newer A, newer B
    flips: list[Flip]
    shared: int  # examples found in both runs
    notes: list[str]

    def of(self, side: str, kind: str) -> list[Flip]:
        return [f for f in self.flips if f.side == side and f.kind == kind]

    def to_dict(self) -> dict:
        return {"older": self.older.run.id, "newer": self.newer.run.id, "shared_examples": self.shared,
                "notes": self.notes,
                "metrics": [{"metric": label, "older_a": a1, "older_b": b1, "newer_a": a2, "newer_b": b2,
                             "change_a": a2 - a1, "change_b": b2 - b1} for label, a1, b1, a2, b2 in self.metrics],
                "flips": [f.__dict__ for f in self.flips]}


def _key(row: RunRow, by_id: bool) -> tuple:
    return (row.example_id, row.prompt) if by_id else (row.prompt, row.expected)


def pairs(before: EvalResult, after: EvalResult) -> list[tuple[int, int]]:
    """(position in ``before``, position in ``after``) of the examples the two runs share."""
    by_id = all(r.example_id is not None for r in before.rows + after.rows) and \
        not (before.run.spec.get("examples_file") or after.run.spec.get("examples_file"))
    where = {_key(r, by_id): r.position for r in before.rows}
    return [(where[_key(r, by_id)], r.position) for r in after.rows if _key(r, by_id) in where]


def compare_runs(first: EvalResult, second: EvalResult) -> RunChanges:
    """The changes from the older of two scored runs to the newer (see the module docstring)."""
    if first.scorecard is None or second.scorecard is None:
        raise ValueError("both runs need scores (a cancelled run has none)")
    older, newer = sorted((first, second), key=lambda r: r.run.created)
    one = {row[0]: row for row in metric_rows(older.scorecard.metrics)}
    two = {row[0]: row for row in metric_rows(newer.scorecard.metrics)}
    metrics = [(label, one[label][1], one[label][2], two[label][1], two[label][2]) for label in one if label in two]
    shared = pairs(older, newer)
    flips = []
    for old, new in shared:
        row = newer.rows[new]
        for side in ("a", "b"):
            was = bool(getattr(older.scorecard, f"right_{side}")[old])
            now = bool(getattr(newer.scorecard, f"right_{side}")[new])
            if was != now:
                flips.append(Flip(side, FIXED if now else BROKEN, row.position, row.example_id, row.text_input,
                                  row.expected, getattr(older.rows[old], f"output_{side}"),
                                  getattr(row, f"output_{side}")))
    notes = []
    if len(shared) < max(len(older.rows), len(newer.rows)):
        notes.append(f"{len(shared):,} examples are in both runs ({len(older.rows):,} in the older, "
                     f"{len(newer.rows):,} in the newer); flips are counted on those")
    if older.run.dataset_version != newer.run.dataset_version:
        notes.append("the dataset changed between the runs")
    for key in ("model_a", "model_b", "config", "template", "task", "scoring", "samples"):
        if older.run.spec.get(key) != newer.run.spec.get(key):
            notes.append(f"the {key.replace('_', ' ')} differs")
    return RunChanges(older, newer, metrics, flips, len(shared), notes)


def broken_since(other: EvalResult, this: EvalResult, side: str = "b") -> np.ndarray:
    """A mask over ``this`` run's examples: right in the ``other`` run, wrong in this one (model ``side``)."""
    mask = np.zeros(len(this.rows), dtype=bool)
    was = getattr(other.scorecard, f"right_{side}")
    now = getattr(this.scorecard, f"right_{side}")
    for old, new in pairs(other, this):
        mask[new] = was[old] and not now[new]
    return mask
