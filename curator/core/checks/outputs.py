"""Output consistency: JSON outputs that don't parse or have other keys; label spelling variants."""

from __future__ import annotations

import json
from collections import Counter

import polars as pl

from curator.core.checks.base import RULES, CheckContext
from curator.core.model import Finding, Fix
from curator.core.ops import SetField
from curator.core.text import label_key


def json_keys(text: str) -> frozenset[str] | None:
    """The top-level keys of a JSON object output, an empty set for other JSON, None when it doesn't parse."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return frozenset(value) if isinstance(value, dict) else frozenset()


def check_json_outputs(ctx: CheckContext) -> list[Finding]:
    frame = ctx.frame.select("id", "output")
    if frame.height == 0:
        return []
    looks = frame.filter(pl.col("output").str.strip_chars().str.contains(r"^[\{\[]"))
    if looks.height < ctx.settings.json_output_share * frame.height:
        return []
    keys = [json_keys(t) for t in frame["output"].to_list()]
    valid = [k for k in keys if k is not None]
    if len(valid) < ctx.settings.json_output_share * frame.height:
        return []
    dominant, count = Counter(valid).most_common(1)[0]
    findings = []
    not_json, other_keys = RULES["output.not-json"], RULES["output.json-keys"]
    for example_id, k in zip(frame["id"].to_list(), keys):
        if k is None:
            findings.append(Finding(not_json.id, not_json.severity, (example_id,),
                                    f"output is not valid JSON ({len(valid):,} of {frame.height:,} outputs are)"))
        elif k != dominant and dominant:
            missing, extra = sorted(dominant - k), sorted(k - dominant)
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"extra {', '.join(extra)}"] if extra else [])
            findings.append(Finding(other_keys.id, other_keys.severity, (example_id,),
                                    f"JSON keys differ from the usual {{{', '.join(sorted(dominant))}}}: {'; '.join(parts)}"))
    return findings


def is_label_set(outputs: pl.Series, max_distinct: int) -> bool:
    """Whether outputs look like class labels: few distinct values, each used repeatedly on average."""
    n, distinct = outputs.len(), outputs.n_unique()
    return n > 0 and distinct <= max_distinct and distinct * 3 <= n


def check_label_variants(ctx: CheckContext) -> list[Finding]:
    outputs = ctx.frame["output"]
    if not is_label_set(outputs, ctx.settings.label_max_distinct):
        return []
    counts = (
        ctx.frame.group_by("output")
        .agg(pl.col("id").sort(), n=pl.len())
        .with_columns(key=label_key(pl.col("output")))
        .sort("n", "output", descending=[True, False])
    )
    rule = RULES["labels.variant"]
    findings = []
    for _, group in counts.group_by("key", maintain_order=True):
        if group.height < 2:
            continue
        canonical, top = group["output"][0], group["n"][0]
        for variant, ids, n in group.select("output", "id", "n").iter_rows():
            if variant == canonical or n >= top:
                continue
            fix = Fix(f"change to {canonical!r}", SetField.broadcast("normalise-label", ids, "output", canonical))
            findings.append(Finding(rule.id, rule.severity, tuple(ids),
                                    f"label {variant!r} ({n}x) looks like {canonical!r} ({top}x)", fix))
    return findings
