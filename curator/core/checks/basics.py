"""Basic hygiene: empty fields, stray whitespace, exact duplicates, one input with conflicting outputs."""

from __future__ import annotations

import numpy as np
import polars as pl

from curator.core.checks.base import RULES, CheckContext
from curator.core.model import Finding, Fix
from curator.core.ops import Batch, SetField

FIELDS = (("text_input", "input"), ("output", "output"))


def blank(text: pl.Expr) -> pl.Expr:
    """Null, empty or only white space (found in place: stripping 1M texts made a copy of them all)."""
    return ~text.str.contains(r"\S").fill_null(False)


def padded(text: pl.Expr) -> pl.Expr:
    """Not blank, with white space at the start or the end (null for a null text)."""
    return (text.str.contains(r"^\s") | text.str.contains(r"\s$")) & text.str.contains(r"\S")


def check_empty(ctx: CheckContext) -> list[Finding]:
    return empty_findings(empty_rows(ctx.frame))


def empty_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The examples with an empty input or output: id, input and output (whether each is empty)."""
    return frame.select("id", *(blank(pl.col(f)).alias(name) for f, name in FIELDS)).filter(
        pl.col("input") | pl.col("output"))


def empty_findings(empty: pl.DataFrame) -> list[Finding]:
    """A finding for each of the ``empty_rows``."""
    rule = RULES["basic.empty"]
    findings = []
    for example_id, no_input, no_output in empty.iter_rows():
        which = " and ".join(name for name, bad in (("input", no_input), ("output", no_output)) if bad)
        fix = Fix("delete the example", SetField.broadcast("delete", [example_id], "deleted", True))
        findings.append(Finding(rule.id, rule.severity, (example_id,), f"{which} is empty", fix))
    return findings


def check_whitespace(ctx: CheckContext) -> list[Finding]:
    return whitespace_findings(padded_rows(ctx.frame))


def padded_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The examples with white space at the ends of their input or output: id, the texts and whether each is."""
    return frame.select("id", "text_input", "output").with_columns(
        **{f"{name}_ws": padded(pl.col(f)) for f, name in FIELDS}
    ).filter(pl.col("input_ws") | pl.col("output_ws"))


def whitespace_findings(frame: pl.DataFrame) -> list[Finding]:
    """A finding for each of the ``padded_rows``, with the fix that strips them."""
    rule = RULES["basic.whitespace"]
    findings = []
    for example_id, text_input, output, in_ws, out_ws in frame.iter_rows():
        ops, which = [], []
        if in_ws:
            ops.append(SetField("strip-whitespace", (example_id,), "text_input", (text_input.strip(),)))
            which.append("input")
        if out_ws:
            ops.append(SetField("strip-whitespace", (example_id,), "output", (output.strip(),)))
            which.append("output")
        fix = Fix("strip the whitespace", Batch("strip-whitespace", tuple(ops)))
        findings.append(
            Finding(rule.id, rule.severity, (example_id,),
                    f"{' and '.join(which)} {'has' if len(which) == 1 else 'have'} leading or trailing whitespace", fix)
        )
    return findings


def check_duplicates(ctx: CheckContext) -> list[Finding]:
    return duplicate_findings(duplicate_groups(ctx.keys))


def duplicate_groups(keys: pl.DataFrame) -> pl.DataFrame:
    """The ids (column ``id``) of each group of examples with the same ``CheckContext.keys`` (those of all a
    file's batches, when it streams), groups in the order of their first example."""
    pair = keys["in_key"].to_numpy() * np.uint64(0x9E3779B97F4A7C15) ^ keys["out_key"].to_numpy()
    return (  # grouping only the (likely) repeated pairs: at 1M examples, 0.2 s instead of 4 s
        keys.filter(_repeated(pair))
        .group_by("in_key", "out_key")
        .agg(pl.col("id").sort())
        .filter(pl.col("id").list.len() > 1)
        .sort(pl.col("id").list.first())
    )


def duplicate_findings(groups: pl.DataFrame) -> list[Finding]:
    """A finding for each of the ``duplicate_groups``, with the fix that deletes the later copies."""
    rule = RULES["basic.exact-duplicate"]
    findings = []
    for ids in groups["id"].to_list():
        extra = ids[1:]
        fix = Fix(f"delete the {len(extra)} later copies", SetField.broadcast("delete-duplicates", extra, "deleted", True))
        findings.append(
            Finding(rule.id, rule.severity, tuple(ids), f"{len(ids)} copies of the same example (first: id {ids[0]})", fix)
        )
    return findings


def check_conflicts(ctx: CheckContext) -> list[Finding]:
    return conflict_findings(conflict_groups(ctx.keys))


def conflict_groups(keys: pl.DataFrame) -> pl.DataFrame:
    """The ids (column ``id``) and count of outputs of each input (by ``CheckContext.keys``) paired with more
    than one output, in the order of their first example."""
    return (
        keys.filter(_repeated(keys["in_key"].to_numpy()))
        .group_by("in_key")
        .agg(pl.col("id").sort(), pl.col("out_key").n_unique().alias("outputs"))
        .filter(pl.col("outputs") > 1)
        .sort(pl.col("id").list.first())
    )


def conflict_findings(groups: pl.DataFrame) -> list[Finding]:
    """A finding for each of the ``conflict_groups``."""
    rule = RULES["basic.conflicting-outputs"]
    return [
        Finding(rule.id, rule.severity, tuple(ids), f"one input with {n} different outputs")
        for ids, n in groups.select("id", "outputs").iter_rows()
    ]


def _repeated(values: np.ndarray) -> np.ndarray:
    """Which values occur more than once, found by sorting (at 10M keys polars' hash tables took 0.7-1.6 GB,
    a sort takes a fifth of that)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(values), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    out = np.empty(len(values), dtype=bool)
    out[order] = repeated
    return out
