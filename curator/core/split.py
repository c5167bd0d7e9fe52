"""Splitting a dataset into train / validation / test, at random or stratified on the output label.

Stratification uses scikit-learn's ``train_test_split`` on the outputs when they form a label set; labels
too rare to be spread over every part are kept together in train (sklearn refuses classes of one example).
The plan becomes one undoable op setting the ``split`` field, or separate files via ``write_split_files``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from curator.core.checks.outputs import is_label_set
from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import FORMATS, write_file
from curator.core.model import RECORD_FIELDS
from curator.core.ops import SetField
from curator.core.storage.lock import write_dataset


@dataclass(frozen=True)
class SplitPlan:
    """The split chosen for each example, and how it was made."""

    assignment: dict[int, str]
    stratified: bool
    seed: int

    def counts(self) -> Counter:
        return Counter(self.assignment.values())


def plan_split(dataset: Dataset, validation: float, test: float, *, seed: int = 0,
               stratify: bool | None = None, label_max_distinct: int = 100, keep: tuple[str, ...] = ()) -> SplitPlan:
    """Assign every active example to train / validation / test in the given fractions.

    ``stratify=None`` stratifies exactly when the outputs form a label set. Examples whose split is in ``keep``
    (e.g. the test examples a file came with) stay where they are; the fractions apply to the others.
    """
    from sklearn.model_selection import train_test_split  # scikit-learn costs a second at start-up

    if validation < 0 or test < 0 or validation + test >= 1:
        raise CuratorError("validation and test fractions must be ≥ 0 and leave some examples for train")
    every = dataset.active().select("id", "output", "split")
    kept = every.filter(pl.col("split").is_in(list(keep)))
    active = every.filter(~pl.col("split").is_in(list(keep)))
    ids = active["id"].to_numpy()
    if len(ids) < 3:
        raise CuratorError(f"{len(ids)} examples are too few to split")
    labels = active["output"].fill_null("")
    if stratify is None:
        stratify = is_label_set(labels, label_max_distinct)
    y = labels.to_numpy() if stratify else None
    rare = np.zeros(len(ids), dtype=bool)
    if stratify:
        counts = labels.value_counts()
        common = set(counts.filter(pl.col("count") >= 3)["output"].to_list())
        rare = ~np.isin(y, list(common))
    assignment = dict(zip(kept["id"].to_list(), kept["split"].to_list()))
    assignment.update({int(i): "train" for i in ids[rare]})
    rest = ids[~rare]
    y_rest = y[~rare] if stratify else None
    held = validation + test
    if held == 0:
        assignment.update({int(i): "train" for i in rest})
        return SplitPlan(assignment, bool(stratify), seed)
    try:
        train, other, _, y_other = train_test_split(rest, y_rest if y_rest is not None else rest, test_size=held,
                                                    random_state=seed, stratify=y_rest)
        if test == 0:
            val, tst = other, other[:0]
        elif validation == 0:
            val, tst = other[:0], other
        else:
            val, tst = train_test_split(other, test_size=test / held, random_state=seed,
                                        stratify=y_other if stratify else None)
    except ValueError as exc:
        raise CuratorError(f"cannot split this way: {exc}") from None
    for part, name in ((train, "train"), (val, "validation"), (tst, "test")):
        assignment.update({int(i): name for i in part})
    return SplitPlan(assignment, bool(stratify), seed)


def split_op(plan: SplitPlan, label: str = "split-dataset") -> SetField:
    """The op that sets every example's split to the plan's (one undo step)."""
    ids = tuple(sorted(plan.assignment))
    return SetField(label, ids, "split", tuple(plan.assignment[i] for i in ids))


def write_split_files(dataset: Dataset, folder: str | Path, stem: str, fmt: str,
                      options: FormatOptions | None = None) -> list[Path]:
    """Write one file per non-empty split (``STEM.train.jsonl`` ...) atomically, in ``fmt`` with ``options`` (the
    open file's own, so a mapped shape keeps its fields); returns the paths written. A file among them that a
    curator has open is refused (InUse)."""
    folder = Path(folder)
    records = dataset.records()
    written = []
    ext = FORMATS[fmt].extensions[0]
    for name in ("train", "validation", "test"):
        part = records.filter(pl.col("split") == name).select(list(RECORD_FIELDS))
        if part.height == 0:
            continue
        target = folder / f"{stem}.{name}{ext}"
        with write_dataset(target) as out:
            write_file(part, out, fmt, options)
        written.append(target)
    return written
