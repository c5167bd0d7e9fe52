"""curator stats: counts, length distributions and label frequencies."""

from __future__ import annotations

import argparse
import json
import sys

from typing import TYPE_CHECKING

from curator.cli.common import add_input_arguments, open_read_only, report_error
from curator.core.errors import CuratorError
from curator.core.settings import load_settings

if TYPE_CHECKING:
    import polars as pl



def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--top", type=int, default=20, help="how many labels and tags to list (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def dataset_stats(frame: pl.DataFrame, label_max_distinct: int, top: int) -> dict:
    """Counts per split, character-length distributions, label and tag frequencies."""
    import polars as pl

    from curator.core.checks.outputs import is_label_set

    lengths = {}
    for field, name in (("text_input", "input"), ("output", "output")):
        n = frame[field].str.len_chars()
        lengths[name] = {
            "min": int(n.min() or 0),
            "median": float(n.median() or 0),
            "p95": float(n.quantile(0.95) or 0),
            "max": int(n.max() or 0),
            "mean": round(float(n.mean() or 0), 1),
        }
    splits = dict(frame.group_by("split").len().sort("split").iter_rows())
    labels = None
    if is_label_set(frame["output"], label_max_distinct):
        counts = frame.group_by("output").len().sort(["len", "output"], descending=[True, False])
        labels = {"distinct": counts.height, "top": [[k, v] for k, v in counts.head(top).iter_rows()]}
    tags = frame.select(pl.col("tags").explode()).drop_nulls().group_by("tags").len().sort("len", descending=True)
    return {
        "examples": frame.height,
        "splits": splits,
        "chars": lengths,
        "labels": labels,
        "tags": [[k, v] for k, v in tags.head(top).iter_rows()],
    }


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args.file)
        session = open_read_only(args)
    except CuratorError as e:
        return report_error(e)
    stats = dataset_stats(session.dataset.active(), settings.label_max_distinct, args.top)
    if args.json:
        json.dump(stats, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{session.path} ({session.format}): {stats['examples']:,} examples")
    print("splits: " + ", ".join(f"{k} {v:,}" for k, v in stats["splits"].items()))
    print(f"\n{'chars':8}{'min':>8}{'median':>10}{'p95':>10}{'max':>10}{'mean':>10}")
    for name, d in stats["chars"].items():
        print(f"{name:8}{d['min']:>8,}{d['median']:>10,.0f}{d['p95']:>10,.0f}{d['max']:>10,}{d['mean']:>10,.1f}")
    if stats["labels"]:
        print(f"\nlabels ({stats['labels']['distinct']} distinct):")
        width = max(len(k) for k, _ in stats["labels"]["top"])
        for label, n in stats["labels"]["top"]:
            share = n / stats["examples"]
            print(f"  {label:<{width}}  {n:>7,}  {share:6.1%}  {'█' * max(1, round(share * 40))}")
    if stats["tags"]:
        print("\ntags: " + ", ".join(f"{k} {v:,}" for k, v in stats["tags"]))
    return 0
