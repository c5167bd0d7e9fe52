"""Dataset size: the minimum for tuning and the recommended size for the declared task type."""

from __future__ import annotations

import polars as pl

from curator.core.checks.base import RULES, CheckContext
from curator.core.model import Finding

MINIMUM_TRAIN = 20
RECOMMENDED = {"classification": 100, "summarization": 100, "document-search": 100}


def check_size(ctx: CheckContext) -> list[Finding]:
    return size_findings(ctx.frame.filter(pl.col("split") == "train").height, ctx.settings)


def size_findings(train: int, settings) -> list[Finding]:
    """Too few training examples for tuning, or for the task type."""
    if train < MINIMUM_TRAIN:
        return [Finding("size.too-few", RULES["size.too-few"].severity, (),
                        f"{train} training examples; tuning needs at least {MINIMUM_TRAIN}")]
    task = settings.task_type
    if task in RECOMMENDED and train < RECOMMENDED[task]:
        advice = "100-500 or more" if task == "summarization" else f"{RECOMMENDED[task]} or more"
        return [Finding("size.below-recommended", RULES["size.below-recommended"].severity, (),
                        f"{train} training examples; {advice} are recommended for {task}")]
    return []
