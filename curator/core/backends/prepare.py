"""The pre-flight of a tuning job: checks, the train/validation split and notes on limits and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from curator.core.backends.base import Hyperparameters
from curator.core.checks import run_checks
from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.model import Finding, Severity, Split
from curator.core.progress import Cancel, ProgressFn
from curator.core.settings import Settings

COLUMNS = ("text_input", "output", "system")


@dataclass
class Preparation:
    """Data ready for one backend, and what the user should know before launching.

    ``train``/``validation`` hold the columns text_input, output, system. ``findings`` come from the checks:
    errors block a launch, warnings need the user's confirmation. ``files`` are exports on disk;
    ``training_uri``/``validation_uri`` are where a cloud backend reads them (set them to use data already
    uploaded).
    """

    backend: str
    train: pl.DataFrame
    validation: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    training_uri: str | None = None
    validation_uri: str | None = None
    dataset_path: str | None = None
    dataset_version: str | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def require_launchable(self) -> None:
        """Raise a CuratorError when check errors block the launch."""
        errors = self.errors
        if errors:
            first = "; ".join(f.message for f in errors[:3])
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            raise CuratorError(f"{len(errors)} check error(s) block tuning: {first}{more}", self.dataset_path)


def split_for_tuning(frame: pl.DataFrame, hp: Hyperparameters, *, max_validation: int | None = None):
    """(train, validation, notes) from the active examples.

    Validation examples are used as they are; when there are none, ``hp.validation_fraction`` of train is
    held out at random (seeded by ``hp.seed``). Test examples stay out of tuning, kept for evaluation.
    """
    notes: list[str] = []
    train = frame.filter(pl.col("split") == Split.TRAIN.value).select(COLUMNS)
    validation = frame.filter(pl.col("split") == Split.VALIDATION.value).select(COLUMNS)
    tests = frame.filter(pl.col("split") == Split.TEST.value).height
    if train.height == 0:
        raise CuratorError("no training examples: mark some examples as train")
    if tests:
        notes.append(f"{tests:,} test example(s) are kept out of tuning, for evaluation")
    if validation.height:
        notes.append(f"validation: the {validation.height:,} example(s) marked validation")
    elif hp.validation_fraction > 0 and train.height >= 10:
        n = max(1, round(train.height * hp.validation_fraction))
        if max_validation is not None:
            n = min(n, max_validation)
        order = np.random.default_rng(hp.seed).permutation(train.height)
        held = np.zeros(train.height, dtype=bool)
        held[order[:n]] = True
        mask = pl.Series(held)
        validation, train = train.filter(mask), train.filter(~mask)
        notes.append(f"validation: {n:,} example(s) held out of train at random ({hp.validation_fraction:.0%})")
    else:
        notes.append("no validation set: the validation loss will not be measured")
    return train, validation, notes


def prepare_data(
    backend: str,
    dataset: Dataset,
    hp: Hyperparameters,
    settings: Settings,
    *,
    skip_slow_checks: bool = False,
    max_validation: int | None = None,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
) -> Preparation:
    """Checks plus split, shared by every backend (a backend adds its export and its own notes)."""
    hp.validated()
    findings = run_checks(dataset, settings, skip_slow=skip_slow_checks, progress=progress, cancel=cancel)
    train, validation, notes = split_for_tuning(dataset.active(), hp, max_validation=max_validation)
    return Preparation(
        backend, train, validation, findings, notes, dataset_version=dataset.version_hash()
    )
