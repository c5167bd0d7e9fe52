"""What the main screen shows of a session: the current view's ids, the selection and the findings.

It is the table's ``RowSource``: rows are fetched from the dataset frame only for the visible slice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from curator.core.model import Finding
from curator.core.session import Session
from curator.core.template.display import InputDisplay
from curator.core.view import ViewSpec, compute_view, search
from curator.tui.widgets.example_table import Row

SLOW_RULE_PREFIXES = ("near-dup.", "leakage.")


@dataclass(frozen=True)
class FindingIndex:
    """One family's findings (fast or slow) and the same by example id and by rule; built in the check worker,
    so the screen only swaps it in (at 1M examples building it takes seconds of Python)."""

    findings: tuple[Finding, ...] = ()
    by_id: dict[int, tuple[Finding, ...]] = field(default_factory=dict)
    by_rule: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, findings: list[Finding], slow: bool) -> FindingIndex:
        kept = tuple(f for f in findings if f.rule.startswith(SLOW_RULE_PREFIXES) == slow)
        by_id: dict[int, list[Finding]] = defaultdict(list)
        by_rule: dict[str, set[int]] = defaultdict(set)
        for f in kept:
            for i in f.ids:
                by_id[i].append(f)
            by_rule[f.rule].update(f.ids)
        return cls(kept, {i: tuple(fs) for i, fs in by_id.items()}, dict(by_rule))


class ViewState:
    """The visible ids (filtered and sorted), the selected ids, the search matches and findings by id."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.spec = ViewSpec()
        self.ids = np.empty(0, dtype=np.int64)
        self.selected: set[int] = set()
        self.pattern = ""
        self.regex = False
        self.matches = np.empty(0, dtype=np.int64)
        self.fast = FindingIndex()
        self.slow = FindingIndex()
        self.by_rule: dict[str, set[int]] = {}
        self.output_width = 20
        self.suspects = None  # curator.core.suspects.SuspectLabels of the dataset, once asked for
        self.suspect_ranks: dict[int, int] = {}
        self.tags_width = 0  # 0: no example has a tag, so the table shows no tags column
        self.input_display = InputDisplay()  # how the list shows inputs (template slots, shared start hidden)
        self.whole_inputs = False  # the user asked to see whole inputs instead

    @property
    def dataset(self):
        return self.session.dataset

    # -- the view --------------------------------------------------------------------------------------

    def recompute(self) -> None:
        """Rebuild the visible ids from the spec (after a change of filter, sort or data)."""
        counts = self.finding_counts() if self.spec.sort == "findings" else None
        self.ids = compute_view(self.dataset, self.spec, counts, self.by_rule, self.suspect_ranks)
        lengths = self.dataset.frame["output"].fill_null("").str.len_chars()
        self.output_width = int(lengths.quantile(0.9) or 0) if lengths.len() else 20
        tags = self.dataset.frame["tags"]
        # the joined-tags width only when some example has a tag: 1 ms instead of 100 ms at 1M untagged rows
        longest = (tags.list.join(" ").str.len_chars().max() or 0) if tags.list.len().max() else 0
        self.tags_width = min(12, max(4, int(longest))) if longest else 0
        self.rematch()

    def rematch(self) -> None:
        self.matches = search(self.dataset, self.ids, self.pattern, self.regex) if self.pattern else np.empty(0, np.int64)

    def index_of(self, example_id: int) -> int | None:
        hits = np.flatnonzero(self.ids == example_id)
        return int(hits[0]) if len(hits) else None

    # -- RowSource ---------------------------------------------------------------------------------------

    def row_count(self) -> int:
        return len(self.ids)

    def rows(self, start: int, end: int) -> list[Row]:
        chunk = self.ids[start:end]
        if not len(chunk):
            return []
        ds = self.dataset
        part = ds.frame[ds.positions(chunk).tolist()].select(
            "id", "split", pl.col("text_input").fill_null(""), pl.col("output").fill_null(""), "deleted", "tags")
        edited = ds.edited_ids()
        out = []
        shown = (lambda t: t) if self.whole_inputs else self.input_display
        for example_id, split, text_input, output, deleted, tags in part.iter_rows():
            out.append(Row(example_id, split, shown(text_input), output, len(text_input), len(output),
                           self.finding_count(example_id), example_id in self.selected,
                           example_id in edited, ds.is_added(example_id), bool(deleted), tuple(tags or ())))
        return out

    # -- findings ------------------------------------------------------------------------------------

    def set_findings(self, findings: list[Finding] | FindingIndex, slow: bool) -> None:
        """Take new check results: fast ones replace the fast ones, slow ones the slow ones (pass a
        ``FindingIndex`` built off the UI thread for a large dataset)."""
        index = findings if isinstance(findings, FindingIndex) else FindingIndex.of(findings, slow)
        if slow:
            self.slow = index
        else:
            self.fast = index
        self.by_rule = {**self.fast.by_rule, **self.slow.by_rule}  # the two families' rules never overlap

    def findings_of(self, example_id: int) -> list[Finding]:
        return [*self.fast.by_id.get(example_id, ()), *self.slow.by_id.get(example_id, ())]

    def finding_count(self, example_id: int) -> int:
        return len(self.fast.by_id.get(example_id, ())) + len(self.slow.by_id.get(example_id, ()))

    def finding_counts(self) -> dict[int, int]:
        counts = {i: len(fs) for i, fs in self.fast.by_id.items()}
        for i, fs in self.slow.by_id.items():
            counts[i] = counts.get(i, 0) + len(fs)
        return counts

    @property
    def findings(self) -> list[Finding]:
        return [*self.fast.findings, *self.slow.findings]

    def rule_counts(self) -> list[tuple[str, int]]:
        return sorted(((rule, len(ids)) for rule, ids in self.by_rule.items()), key=lambda x: (-x[1], x[0]))

    def tags(self) -> list[str]:
        tags = self.dataset.frame["tags"].explode().drop_nulls().unique().sort()
        return tags.to_list()
