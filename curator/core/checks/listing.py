"""Findings kept in part: the first of each rule listed, every one counted (a file read in batches, where at
10M examples a finding for each example that has one grows without bound)."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable

from curator.core.checks.base import RULES, I, Rule, register
from curator.core.model import Finding

register(Rule("check.listed-in-part", I, "findings listed in part",
              "A file read in batches lists the first findings of each rule (those of the examples first in the "
              "file); the counts are exact."))


class Listing:
    """The findings of each rule of the examples first in the file, ``keep`` of them (all when None), and how
    many there are in all."""

    def __init__(self, keep: int | None) -> None:
        self.keep = keep
        self.kept: dict[str, list[Finding]] = {}
        self.counts: Counter[str] = Counter()

    def room(self, rule: str) -> int | None:
        """How many more findings of ``rule`` are kept when they come after those kept (None: all)."""
        return None if self.keep is None else max(self.keep - len(self.kept.get(rule, ())), 0)

    def add(self, findings: Iterable[Finding], counts: dict[str, int] | None = None) -> None:
        """Keep ``findings`` (in any order: those of the first examples stay) and count them, or count
        ``counts`` of each rule instead when they stand for more (those past ``room`` not built)."""
        for finding in findings:
            if counts is None:
                self.counts[finding.rule] += 1
            kept = self.kept.setdefault(finding.rule, [])
            if self.keep is None:
                kept.append(finding)
            elif len(kept) < self.keep or finding.ids < kept[-1].ids:
                bisect.insort_right(kept, finding, key=lambda f: f.ids)
                del kept[self.keep :]
        self.counts.update(counts or {})

    def findings(self) -> list[Finding]:
        """The findings kept, in example order, and for each rule with more, one saying how many there are."""
        listed = RULES["check.listed-in-part"]
        notes = [Finding(listed.id, listed.severity, (), f"{count:,} findings: {RULES[rule].title} ({rule}); the "
                         f"first {len(self.kept.get(rule, ())):,} are listed (a file read in batches keeps no more "
                         "of each rule)")
                 for rule, count in self.counts.items() if count > len(self.kept.get(rule, ()))]
        return notes + sorted((f for kept in self.kept.values() for f in kept), key=lambda f: f.ids)
