"""Output consistency: JSON outputs that don't parse or have other keys; label spelling variants."""

from __future__ import annotations

import json
import numpy as np
import polars as pl

from curator.core.checks.base import RULES, CheckContext
from curator.core.checks.listing import Listing
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
    outputs = JsonOutputs(ctx.settings.json_output_share)
    outputs.add(ctx.frame)
    return outputs.findings()


class JsonOutputs:
    """The JSON-output check over one frame or the batches of a file, in bounded memory: each output's key set
    is kept as a small code. A batch whose outputs mostly do not look like JSON is not parsed; when the file's
    outputs do after all, ``wanted()`` names those batches, to be given to ``add`` again. ``keep``: how many
    findings of each rule are listed (``listing.Listing``; None: all)."""

    def __init__(self, share: float, keep: int | None = None) -> None:
        self.share = share
        self.keep = keep
        self.rows = self.looks = self.batches = 0
        self.codes: dict[frozenset[str] | None, int] = {}
        self.parsed: list[tuple[np.ndarray, np.ndarray]] = []  # (ids, key-set codes) per parsed batch
        self.unparsed: set[int] = set()

    def add(self, frame: pl.DataFrame, batch: int | None = None) -> None:
        """Count a new batch (columns id and output), or parse the ``batch`` ``wanted()`` named."""
        if batch is None:
            batch, self.batches = self.batches, self.batches + 1
            looks = int(frame["output"].str.contains(r"^\s*[\{\[]").sum())  # in place: no stripped copy
            self.rows += frame.height
            self.looks += looks
            if looks < self.share * frame.height:
                self.unparsed.add(batch)
                return
        self.unparsed.discard(batch)
        codes = [self.codes.setdefault(json_keys(t), len(self.codes)) for t in frame["output"].to_list()]
        self.parsed.append((frame["id"].to_numpy(), np.array(codes, dtype=np.int64)))

    def wanted(self) -> set[int]:
        """The batches still to parse (none unless the file's outputs mostly look like JSON)."""
        return set(self.unparsed) if self.rows and self.looks >= self.share * self.rows else set()

    def findings(self) -> list[Finding]:
        if not self.rows or self.looks < self.share * self.rows or self.unparsed:
            return []
        ids = np.concatenate([i for i, _ in self.parsed])
        codes = np.concatenate([c for _, c in self.parsed])
        order = np.argsort(ids, kind="stable")
        ids, codes = ids[order], codes[order]
        sets = {code: keys for keys, code in self.codes.items()}
        counts = np.bincount(codes, minlength=len(sets))
        valid = [c for c in sets if sets[c] is not None and counts[c]]
        total_valid = int(sum(counts[c] for c in valid))
        if total_valid < self.share * self.rows:
            return []
        first = {int(c): k for k, c in reversed(list(enumerate(codes.tolist())))}  # each code's first row
        top = max(valid, key=lambda c: (counts[c], -first[c]))  # the most common; the earliest among equals
        dominant = sets[top]
        not_json, other_keys = RULES["output.not-json"], RULES["output.json-keys"]
        invalid = np.array([sets[c] is None for c in range(len(sets))])[codes]
        other = (codes != top) & ~invalid if dominant else np.zeros(len(codes), dtype=bool)
        listing = Listing(self.keep)
        findings = [Finding(not_json.id, not_json.severity, (example_id,),
                            f"output is not valid JSON ({total_valid:,} of {self.rows:,} outputs are)")
                    for example_id in ids[invalid][: self.keep].tolist()]
        for example_id, code in zip(ids[other][: self.keep].tolist(), codes[other][: self.keep].tolist()):
            missing, extra = sorted(dominant - sets[code]), sorted(sets[code] - dominant)
            parts = ([f"missing {', '.join(missing)}"] if missing else []) + ([f"extra {', '.join(extra)}"] if extra else [])
            findings.append(Finding(other_keys.id, other_keys.severity, (example_id,),
                                    f"JSON keys differ from the usual {{{', '.join(sorted(dominant))}}}: {'; '.join(parts)}"))
        listing.add(findings, {not_json.id: int(invalid.sum()), other_keys.id: int(other.sum())})
        return listing.findings()


def is_label_set(outputs: pl.Series, max_distinct: int) -> bool:
    """Whether outputs look like class labels: few distinct values, each used repeatedly on average."""
    n, distinct = outputs.len(), outputs.n_unique()
    return n > 0 and distinct <= max_distinct and distinct * 3 <= n


def check_label_variants(ctx: CheckContext) -> list[Finding]:
    labels = LabelCounts(ctx.settings.label_max_distinct)
    labels.add(ctx.frame)
    return labels.findings()


class LabelCounts:
    """Each output's ids and count, gathered over one frame or the batches of a file while the outputs may
    still be a label set (forgotten, with the memory they hold, once they cannot)."""

    def __init__(self, max_distinct: int) -> None:
        self.max_distinct = max_distinct
        self.rows = 0
        self.seen: set[str | None] = set()
        self.parts: list[pl.DataFrame] | None = []

    def add(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        if self.parts is None or frame["output"].n_unique() > self.max_distinct:
            self.parts = None
            return
        grouped = frame.group_by("output").agg(pl.col("id"), n=pl.len())
        self.seen.update(grouped["output"].to_list())
        self.parts = None if len(self.seen) > self.max_distinct else [*self.parts, grouped]

    def findings(self) -> list[Finding]:
        distinct = len(self.seen)
        if not self.parts or not (distinct <= self.max_distinct and distinct * 3 <= self.rows):
            return []  # not a label set (``is_label_set``)
        counts = (
            pl.concat(self.parts)
            .group_by("output")
            .agg(pl.col("id").list.explode(keep_nulls=False, empty_as_null=False).sort(), pl.col("n").sum())
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
