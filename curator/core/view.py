"""Views of a dataset: which examples are shown, in which order, and which match a search.

A ``Filter`` combines conditions (split, tag, finding rule, length range, text); a ``ViewSpec`` adds the
sort. ``compute_view`` turns them into the ordered ids of the visible examples with polars expressions,
so a view of 100k examples costs milliseconds. ``search`` finds the matches of a plain or regex pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from curator.core.dataset import Dataset
from curator.core.errors import CuratorError

# Sortable columns: name shown to the user -> expression over the dataset frame (plus "findings").
SORT_KEYS: dict[str, pl.Expr] = {
    "id": pl.col("id"),
    "split": pl.col("split"),
    "input": pl.col("text_input"),
    "output": pl.col("output"),
    "input length": pl.col("text_input").str.len_chars(),
    "output length": pl.col("output").str.len_chars(),
    "tags": pl.col("tags").list.sort().list.join(" "),
}
SUSPECT = "suspect label"  # most suspect first (curator.core.suspects), then the unscored examples
SORT_NAMES = (*SORT_KEYS, "findings", SUSPECT)
LENGTH_FIELDS = {"input": "text_input", "output": "output"}


@dataclass(frozen=True)
class Filter:
    """Conditions an example must all meet to be shown (empty means no condition)."""

    splits: frozenset[str] = frozenset()
    tag: str | None = None
    rule: str | None = None
    length_field: str = "input"
    min_length: int | None = None
    max_length: int | None = None
    text: str | None = None
    regex: bool = False
    output_equals: str | None = None
    ids: frozenset[int] | None = None
    ids_label: str = ""

    @property
    def active(self) -> bool:
        return self != Filter()

    def describe(self) -> str:
        """A short line naming every active condition, e.g. ``split=validation · tag=hard · input 0..200``."""
        parts = []
        if self.splits:
            parts.append("split=" + ",".join(sorted(self.splits)))
        if self.tag:
            parts.append(f"tag={self.tag}")
        if self.rule:
            parts.append(f"finding={self.rule}")
        if self.min_length is not None or self.max_length is not None:
            lo = self.min_length if self.min_length is not None else 0
            hi = self.max_length if self.max_length is not None else "∞"
            parts.append(f"{self.length_field} length {lo}..{hi}")
        if self.text:
            parts.append(("re:" if self.regex else "text:") + repr(self.text))
        if self.output_equals is not None:
            parts.append(f"output={self.output_equals!r}")
        if self.ids is not None:
            parts.append(self.ids_label or f"{len(self.ids)} chosen examples")
        return " · ".join(parts)


@dataclass(frozen=True)
class ViewSpec:
    """What the table shows: a filter and a sort."""

    filter: Filter = field(default_factory=Filter)
    sort: str = "id"
    descending: bool = False

    def with_filter(self, **changes) -> ViewSpec:
        return replace(self, filter=replace(self.filter, **changes))


def text_condition(pattern: str, regex: bool, columns: tuple[str, ...] = ("text_input", "output")) -> pl.Expr:
    """Rows whose columns contain ``pattern`` (case-insensitive; a regex when ``regex``).

    A plain pattern is searched as an escaped case-insensitive regex: one pass over the text, about twice as
    fast as lower-casing every value first.
    """
    if regex:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CuratorError(f"not a valid regular expression: {exc}") from None
    expr_pattern = f"(?i){pattern if regex else pl.escape_regex(pattern)}"
    return pl.any_horizontal(pl.col(c).fill_null("").str.contains(expr_pattern) for c in columns)


def _where(flt: Filter, finding_ids: dict[str, set[int]]) -> pl.Expr | None:
    conds: list[pl.Expr] = []
    if flt.splits:
        conds.append(pl.col("split").is_in(sorted(flt.splits)))
    if flt.tag:
        conds.append(pl.col("tags").list.contains(flt.tag))
    if flt.rule:
        conds.append(pl.col("id").is_in(sorted(finding_ids.get(flt.rule, ()))))
    if flt.min_length is not None or flt.max_length is not None:
        length = pl.col(LENGTH_FIELDS[flt.length_field]).fill_null("").str.len_chars()
        if flt.min_length is not None:
            conds.append(length >= flt.min_length)
        if flt.max_length is not None:
            conds.append(length <= flt.max_length)
    if flt.text:
        conds.append(text_condition(flt.text, flt.regex))
    if flt.output_equals is not None:
        conds.append(pl.col("output") == flt.output_equals)
    if flt.ids is not None:
        conds.append(pl.col("id").is_in(sorted(flt.ids)))
    if not conds:
        return None
    out = conds[0]
    for cond in conds[1:]:
        out = out & cond
    return out


def compute_view(dataset: Dataset, spec: ViewSpec, finding_counts: dict[int, int] | None = None,
                 finding_ids: dict[str, set[int]] | None = None, suspect_ranks: dict[int, int] | None = None,
                 ) -> np.ndarray:
    """The ids of the examples ``spec`` shows, in its order (deleted examples included, marked).
    ``suspect_ranks`` (id -> rank, 0 the most suspect) orders the suspect-label sort."""
    where = _where(spec.filter, finding_ids or {})
    if spec.sort in ("findings", SUSPECT):
        if spec.sort == SUSPECT:  # ranked first, in rank order; then the rest
            big = len(suspect_ranks or {})
            counts = {i: big - r for i, r in (suspect_ranks or {}).items()}
            spec = replace(spec, descending=not spec.descending)
        else:
            counts = finding_counts or {}
        lf = dataset.frame.lazy().select("id")
        if where is not None:
            lf = dataset.frame.lazy().filter(where).select("id")
        ids = lf.collect()["id"].to_numpy()
        if not len(ids):
            return ids
        n = np.fromiter((counts.get(int(i), 0) for i in ids), dtype=np.int64, count=len(ids))
        order = np.lexsort((ids, -n if spec.descending else n))
        return ids[order]
    if spec.sort not in SORT_KEYS:
        raise CuratorError(f"cannot sort by {spec.sort!r}; choose one of {', '.join(SORT_NAMES)}")
    sort_by = None if spec.sort == "id" and not spec.descending else SORT_KEYS[spec.sort]
    return dataset.view(where, sort_by, spec.descending).to_numpy()


def search(dataset: Dataset, ids: np.ndarray, pattern: str, regex: bool = False) -> np.ndarray:
    """Positions in ``ids`` (a view) of the examples whose input or output matches ``pattern``."""
    if not pattern or not len(ids):
        return np.empty(0, dtype=np.int64)
    hit = dataset.frame.select(text_condition(pattern, regex)).to_series().to_numpy()
    frame_ids = dataset.ids.to_numpy()
    if len(ids) == len(frame_ids) and np.array_equal(ids, frame_ids):
        return np.flatnonzero(hit)  # the whole dataset in file order: positions are the frame's
    return np.flatnonzero(hit[dataset.positions(ids)])


def match_spans(text: str, pattern: str, regex: bool = False) -> list[tuple[int, int]]:
    """Character spans of ``pattern`` in ``text`` (case-insensitive), for highlighting."""
    if not pattern:
        return []
    rx = re.compile(pattern if regex else re.escape(pattern), re.IGNORECASE)
    return [(m.start(), m.end()) for m in rx.finditer(text) if m.end() > m.start()]
