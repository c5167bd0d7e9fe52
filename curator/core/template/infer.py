"""Inferring the dominant prompt structure from the data when no template is given: a common first
line (preamble), field markers such as ``question:`` / ``context:`` in a common order, and the shape of
the outputs (JSON keys or a label set)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass

import polars as pl

from curator.core.checks.outputs import is_label_set
from curator.core.template.model import Template, parse_template

MARKER = re.compile(r"(?m)^([A-Za-z][A-Za-z0-9_]*(?: [A-Za-z0-9_]+){0,2})[ \t]*:[ \t]?")
_MARKERS = r"\n*(?m:^)[A-Za-z][A-Za-z0-9_]*(?: [A-Za-z0-9_]+){0,2}[ \t]*:[ \t]?"  # MARKER for polars, with the
# line breaks before each (the separator)
MIN_SHARE = 0.5  # a preamble or marker must appear in at least this share of inputs to count
SAMPLE = 20_000  # inference looks at an evenly spread sample of this many inputs
_REMEMBERED = 8  # inferences kept (see infer_template)
_INFERRED: dict[tuple, Inferred] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Inferred:
    """The inferred template (None when the inputs share no structure) and what supports it."""

    template: Template | None
    preamble_share: float
    markers: tuple[tuple[str, float], ...]  # (marker label, share of inputs having it)
    outputs: str  # the shape of the outputs, in words


def _sample(series: pl.Series) -> pl.Series:
    values = series.fill_null("")
    if values.len() > SAMPLE:
        values = values.gather_every(values.len() // SAMPLE)
    return values


def _first_lines(texts: pl.Series) -> tuple[str, int]:
    """The most common first line and its count (of equal counts, the one seen first)."""
    lines = pl.DataFrame({"line": texts.str.split("\n").list.first()}).with_row_index()
    top = (lines.group_by("line").agg(pl.len(), pl.col("index").min())
           .sort(["len", "index"], descending=[True, False]).row(0))
    return top[0], int(top[1])


def _signatures(texts: pl.Series) -> list[tuple[list[str], int]]:
    """The markers of each input as ``MARKER`` finds them, each after the line breaks before it, and how many
    inputs have that list, in the order first seen: templated inputs share a few lists, found by polars (Rust
    regex, every core) instead of a Python loop over every input."""
    found = texts.str.extract_all(_MARKERS).list.join("\x00")
    counts = pl.DataFrame({"sig": found}).group_by("sig", maintain_order=True).len()
    return [(sig.split("\x00") if sig else [], int(n)) for sig, n in counts.iter_rows()]


def _digest(values: pl.Series | None) -> bytes:
    return b"" if values is None else hashlib.blake2b(values.hash(seed=1).to_numpy().tobytes(), digest_size=16).digest()


def infer_template(inputs: pl.Series, outputs: pl.Series | None = None, *, label_max_distinct: int = 100) -> Inferred:
    """The dominant structure of ``inputs`` (and a description of ``outputs``).

    Remembered by the content of the samples it looks at: the app's checks infer again after every edit and on
    c, mostly from the same sample.
    """
    texts = _sample(inputs)
    outs = _sample(outputs) if outputs is not None else None
    key = (_digest(texts), _digest(outs), texts.len(), label_max_distinct)
    with _LOCK:  # the app's workers infer in threads
        known = _INFERRED.get(key)
    if known is not None:
        return known
    inferred = _infer(texts, outs, label_max_distinct)
    with _LOCK:
        while len(_INFERRED) >= _REMEMBERED:
            del _INFERRED[next(iter(_INFERRED))]
        _INFERRED[key] = inferred
    return inferred


def _infer(texts: pl.Series, outputs: pl.Series | None, label_max_distinct: int) -> Inferred:
    n = texts.len()
    shape = describe_outputs(outputs, label_max_distinct) if outputs is not None else ""
    if n == 0:
        return Inferred(None, 0.0, (), shape)
    top_line, top_count = _first_lines(texts)
    preamble = top_line if top_count / n >= MIN_SHARE and top_line.strip() and not MARKER.match(top_line) else ""
    seen: Counter[str] = Counter()
    spelled: dict[str, Counter] = {}
    orders: Counter[tuple[str, ...]] = Counter()
    separators: Counter[str] = Counter()
    for found, count in _signatures(texts):
        labels = []
        for hit in found:
            marker = hit.lstrip("\n")
            label = MARKER.match(marker).group(1).lower()
            if label in labels:
                continue
            labels.append(label)
            spelled.setdefault(label, Counter())[marker] += count
            if len(marker) < len(hit):  # not at the start: the line breaks before it
                separators[hit[: len(hit) - len(marker)]] += count
        seen.update(dict.fromkeys(labels, count))
        orders[tuple(labels)] += count
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
    series = _sample(outputs)
    n = series.len()
    if not n:
        return "no outputs"
    keys: Counter[tuple[str, ...]] = Counter()
    parsed = 0
    maybe = series.filter(series.str.strip_chars_start().str.starts_with("{"))  # only these can be objects
    for v in maybe.to_list() if maybe.len() >= 0.8 * n else ():
        try:
            obj = json.loads(v)
        except ValueError:
            continue
        if isinstance(obj, dict):
            parsed += 1
            keys[tuple(sorted(obj))] += 1
    if parsed / n >= 0.8 and keys:
        return f"JSON objects with keys {', '.join(keys.most_common(1)[0][0])}"
    if is_label_set(series, label_max_distinct):
        labels = series.value_counts(sort=True)[:, 0].to_list()
        head = ", ".join(repr(x) for x in labels[:6]) + (" …" if len(labels) > 6 else "")
        return f"one of {len(labels)} labels ({head})"
    median = int(series.str.len_chars().median() or 0)
    return f"free text (median {median:,} characters)"
