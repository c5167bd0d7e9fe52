"""The fast checks over a file read in batches (``curator.core.stream``), in bounded memory.

Each batch's examples are checked on their own for what concerns one example (limits, empty fields,
whitespace); what concerns the whole file is gathered small: counts and sizes, 64-bit keys of the normalised
input and output (exact duplicates and conflicts across the whole file), a code per output's JSON keys, the
ids of each output while the outputs may be labels. The findings equal ``run_checks(skip_slow=True)`` on the
file read whole, but for two things: a template the settings do not set is inferred from the first batch, and
said so; and the findings of each rule past the first ``KEEP`` (those of the examples first in the file) are
counted, not listed, and a finding says how many there are (at 10M examples, a finding for each one that has one
grew without bound).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import polars as pl

from curator.core.checks import sorted_findings
from curator.core.checks.base import CheckContext
from curator.core.checks.basics import (conflict_findings, conflict_groups, duplicate_findings, duplicate_groups,
                                        empty_findings, empty_rows, padded_rows, whitespace_findings)
from curator.core.checks.listing import Listing
from curator.core.checks.limits import limit_totals, row_limits, total_limits
from curator.core.checks.outputs import JsonOutputs, LabelCounts
from curator.core.checks.size import size_findings
from curator.core.checks.template import TemplateCheck
from curator.core.model import Finding
from curator.core.settings import Settings

_KEYS = {"id": pl.Int64, "in_key": pl.UInt64, "out_key": pl.UInt64}
KEEP = 1000  # findings listed of each rule (all are counted)


class StreamedChecks:
    """Give it each batch of records (``add``, ids counted on from batch to batch), then ask for ``findings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rows = 0
        self.listing = Listing(KEEP)
        self.totals: Counter[str] = Counter()
        self.keys: list[pl.DataFrame] = []
        self.json = JsonOutputs(settings.json_output_share, keep=KEEP)
        self.labels = LabelCounts(settings.label_max_distinct)
        self.template = TemplateCheck(settings, keep=KEEP)

    def add(self, records: pl.DataFrame) -> pl.DataFrame:
        """Check one batch of a reader's records; returns them with their ids."""
        frame = records.with_columns(pl.int_range(self.rows, self.rows + records.height, dtype=pl.Int64).alias("id"))
        self.rows += frame.height
        ctx = CheckContext(frame, self.settings)
        self.listing.add(row_limits(frame, self.settings))
        for rule, rows, build in (("basic.empty", empty_rows(frame), empty_findings),
                                  ("basic.whitespace", padded_rows(frame), whitespace_findings)):
            room = self.listing.room(rule)
            self.listing.add(build(rows.head(room)), {rule: rows.height})
        self.totals.update(limit_totals(frame))
        self.keys.append(ctx.keys)
        self.json.add(frame)
        self.labels.add(frame)
        self.template.add(frame)
        return frame

    def findings(self, again: Callable[[], Iterable[pl.DataFrame]]) -> list[Finding]:
        """Every finding, ordered as ``run_checks`` orders them. ``again`` reads the batches once more, from
        the first (only when most outputs turn out to be JSON and some batches were not parsed)."""
        wanted = self.json.wanted()
        if wanted:
            start = 0
            for k, records in enumerate(again()):
                if k in wanted:
                    self.json.add(records.with_columns(
                        pl.int_range(start, start + records.height, dtype=pl.Int64).alias("id")), batch=k)
                start += records.height
        keys = pl.concat(self.keys) if self.keys else pl.DataFrame(schema=_KEYS)
        for rule, groups, build in (("basic.exact-duplicate", duplicate_groups(keys), duplicate_findings),
                                    ("basic.conflicting-outputs", conflict_groups(keys), conflict_findings)):
            self.listing.add(build(groups.head(self.listing.room(rule))), {rule: groups.height})
        findings = (
            self.listing.findings()
            + total_limits(self.totals, self.settings)
            + size_findings(self.totals["train"], self.settings)
            + self.json.findings()
            + self.labels.findings()
            + self.template.findings()
        )
        return sorted_findings(findings)
