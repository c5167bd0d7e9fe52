"""curator stats: counts, length distributions and label frequencies."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from curator.cli.common import add_input_arguments, format_options, open_read_only, report_error, say_mapping
from curator.core.errors import CuratorError
from curator.core.settings import load_settings, read_options

if TYPE_CHECKING:
    import polars as pl


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--top", type=int, default=20, help="how many labels and tags to list (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def dataset_stats(frame: pl.DataFrame, label_max_distinct: int, top: int) -> dict:
    """Counts per split, character-length distributions, label and tag frequencies."""
    return batch_stats([frame], label_max_distinct, top)


def batch_stats(batches: Iterable[pl.DataFrame], label_max_distinct: int, top: int) -> dict:
    """``dataset_stats`` over the examples of several frames (a file read in batches), counted as they come."""
    import polars as pl

    examples, splits, tags, labels = 0, Counter(), Counter(), Counter()
    lengths: dict[str, list[pl.Series]] = {"input": [], "output": []}
    for frame in batches:
        examples += frame.height
        splits.update(dict(frame.group_by("split").len().iter_rows()))
        for field, name in (("text_input", "input"), ("output", "output")):
            lengths[name].append(frame[field].str.len_chars())
        if labels is not None:  # counted while the outputs look like a label set, forgotten once they cannot be
            labels = None if frame["output"].n_unique() > label_max_distinct else labels
        if labels is not None:
            labels.update(dict(frame.group_by("output").len().iter_rows()))
            labels = labels if len(labels) <= label_max_distinct else None
        tags.update(dict(frame.select(pl.col("tags").explode()).drop_nulls().group_by("tags").len().iter_rows()))
    chars = {}
    for name, parts in lengths.items():
        n = pl.concat(parts) if parts else pl.Series([], dtype=pl.UInt32)
        chars[name] = {
            "min": int(n.min() or 0),
            "median": float(n.median() or 0),
            "p95": float(n.quantile(0.95) or 0),
            "max": int(n.max() or 0),
            "mean": round(float(n.mean() or 0), 1),
        }
    shown_labels = None
    if labels and len(labels) * 3 <= examples:  # few distinct outputs, each used repeatedly (``is_label_set``)
        ranked = sorted(labels.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
        shown_labels = {"distinct": len(labels), "top": [[k, v] for k, v in ranked[:top]]}
    return {
        "examples": examples,
        "splits": dict(sorted(splits.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))),
        "chars": chars,
        "labels": shown_labels,
        "tags": [[k, v] for k, v in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:top]],
    }


def _streamed(args: argparse.Namespace, label_max_distinct: int) -> dict:
    """Stats of a file too large to hold, read in batches with progress on stderr, through the fields its
    flags or settings map (as a whole read), skipped lines said on stderr."""
    from curator.core.progress import Progress
    from curator.core.stream import read_batches

    def progress(p: Progress) -> None:
        print(f"\rreading {args.file}: {p.fraction:4.0%}", end="" if p.fraction < 1 else "\n", file=sys.stderr,
              flush=True)

    def batches() -> Iterable[pl.DataFrame]:
        options = read_options(args.file, format_options(args))
        for k, result in enumerate(read_batches(args.file, args.format, options, progress)):
            if k == 0:
                say_mapping(args.file, result.mapping)
            for problem in result.skipped:
                print(f"{problem} (skipped)", file=sys.stderr)
            yield result.records

    return batch_stats(batches(), label_max_distinct, args.top)


def run(args: argparse.Namespace) -> int:
    from curator.core.stream import streamed

    try:
        settings = load_settings(args.file)
        if streamed(args.file):
            stats, where = _streamed(args, settings.label_max_distinct), f"{args.file} (streamed)"
        else:
            session = open_read_only(args)
            stats = dataset_stats(session.dataset.active(), settings.label_max_distinct, args.top)
            where = f"{session.path} ({session.format})"
    except CuratorError as e:
        return report_error(e)
    if args.json:
        json.dump(stats, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{where}: {stats['examples']:,} examples")
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
