"""Inferring the dominant prompt structure from the data when no template is given: a common first
line (preamble), field markers such as ``question:`` / ``context:`` in a common order, and the shape of
the outputs (JSON keys or a label set)."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass

import polars as pl

from curator.core.checks.outputs import is_label_set
from curator.core.template.model import Template, parse_template

MARKER = re.compile(r"(?m)^([A-Za-z][A-Za-z0-9_]*(?: [A-Za-z0-9_]+){0,2})[ \t]*:[ \t]?")
MIN_SHARE = 0.5  # a preamble or marker must appear in at least this share of inputs to count
SAMPLE = 20_000  # inference looks at an evenly spread sample of this many inputs


@dataclass(frozen=True)
class Inferred:
    """The inferred template (None when the inputs share no structure) and what supports it."""

    template: Template | None
    preamble_share: float
    markers: tuple[tuple[str, float], ...]  # (marker label, share of inputs having it)
    outputs: str  # the shape of the outputs, in words


def _sample(series: pl.Series) -> list[str]:
    values = series.fill_null("")
    if values.len() > SAMPLE:
        values = values.gather_every(values.len() // SAMPLE)
    return values.to_list()


def infer_template(inputs: pl.Series, outputs: pl.Series | None = None, *, label_max_distinct: int = 100) -> Inferred:
    """The dominant structure of ``inputs`` (and a description of ``outputs``)."""
    texts = _sample(inputs)
    n = len(texts)
    shape = describe_outputs(outputs, label_max_distinct) if outputs is not None else ""
    if n == 0:
        return Inferred(None, 0.0, (), shape)
    first_lines = Counter(t.split("\n", 1)[0] for t in texts)
    top_line, top_count = first_lines.most_common(1)[0]
    preamble = top_line if top_count / n >= MIN_SHARE and top_line.strip() and not MARKER.match(top_line) else ""
    seen: Counter[str] = Counter()
    spelled: dict[str, Counter] = {}
    orders: Counter[tuple[str, ...]] = Counter()
    separators: Counter[str] = Counter()
    for t in texts:
        labels = []
        for m in MARKER.finditer(t):
            label = m.group(1).lower()
            if label in labels:
                continue
            labels.append(label)
            spelled.setdefault(label, Counter())[m.group(0)] += 1
            before = t[: m.start()]
            if before:
                separators[before[len(before.rstrip("\n")):] or ""] += 1
        seen.update(labels)
        orders[tuple(labels)] += 1
    kept = {label for label, c in seen.items() if c / n >= MIN_SHARE}
    markers = tuple(sorted(((label, seen[label] / n) for label in kept), key=lambda x: -x[1]))
    if not kept and not preamble:
        return Inferred(None, top_count / n, markers, shape)
    order = _common_order(orders, kept)
    sep = (separators.most_common(1)[0][0] if separators else "") or "\n"
    source = _escape(preamble) + (sep if order else "\n") if preamble else ""
    for k, label in enumerate(order):
        marker = spelled[label].most_common(1)[0][0]
        source += ("" if k == 0 else sep) + _escape(marker) + "{" + re.sub(r"\W+", "_", label) + "}"
    if not order:  # a preamble only: the rest of the input is free text
        source += "{text}"
    return Inferred(parse_template(source), top_count / n, markers, shape)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _common_order(orders: Counter, kept: set[str]) -> list[str]:
    """The most frequent order of the kept markers among the inputs."""
    projected: Counter[tuple[str, ...]] = Counter()
    for labels, count in orders.items():
        projected[tuple(label for label in labels if label in kept)] += count
    full = [(o, c) for o, c in projected.items() if set(o) == kept]
    if full:
        return list(max(full, key=lambda oc: oc[1])[0])
    return sorted(kept)


def describe_outputs(outputs: pl.Series, label_max_distinct: int = 100) -> str:
    """The shape of the outputs in words: JSON with keys, a label set, or free text with a median length."""
    values = _sample(outputs)
    if not values:
        return "no outputs"
    keys: Counter[tuple[str, ...]] = Counter()
    parsed = 0
    for v in values:
        try:
            obj = json.loads(v)
        except ValueError:
            continue
        if isinstance(obj, dict):
            parsed += 1
            keys[tuple(sorted(obj))] += 1
    if parsed / len(values) >= 0.8 and keys:
        return f"JSON objects with keys {', '.join(keys.most_common(1)[0][0])}"
    series = pl.Series(values)
    if is_label_set(series, label_max_distinct):
        labels = series.value_counts(sort=True)[:, 0].to_list()
        head = ", ".join(repr(x) for x in labels[:6]) + (" …" if len(labels) > 6 else "")
        return f"one of {len(labels)} labels ({head})"
    median = int(series.str.len_chars().median() or 0)
    return f"free text (median {median:,} characters)"
