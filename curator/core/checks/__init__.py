"""Checks: each family is a function from the active examples and settings to findings.

``run_checks`` runs them all (the slow ones, near-duplicates and leakage, unless ``skip_slow``);
``RULES`` is the catalogue every finding's rule id refers to.
"""

from __future__ import annotations

from curator.core.checks.base import RULES, CheckContext, Rule
from curator.core.checks.basics import check_conflicts, check_duplicates, check_empty, check_whitespace
from curator.core.checks.limits import check_limits
from curator.core.checks.near_dups import check_leakage, check_near_duplicates
from curator.core.checks.outputs import check_json_outputs, check_label_variants
from curator.core.checks.size import check_size
from curator.core.checks.template import check_template
from curator.core.dataset import Dataset
from curator.core.model import Finding, Severity
from curator.core.progress import Cancel, ProgressFn, Work
from curator.core.settings import Settings

FAST = (check_limits, check_size, check_empty, check_whitespace, check_duplicates, check_conflicts,
        check_json_outputs, check_label_variants, check_template)
SLOW = (check_near_duplicates, check_leakage)

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def run_checks(
    dataset: Dataset,
    settings: Settings | None = None,
    *,
    skip_slow: bool = False,
    skip_fast: bool = False,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
    store=None,
) -> list[Finding]:
    """Every finding for the active examples, errors first, then by rule and first example id (only the fast
    families with ``skip_slow``, only the slow ones with ``skip_fast``).

    ``store`` (a ``curator.core.dedupe.store.DedupeStore``) caches the slow scans per dataset version and
    leaves out pairs marked "not a duplicate". Raises ``Cancelled`` when ``cancel`` is set.
    """
    ctx = CheckContext(dataset.active(), settings or Settings())
    findings: list[Finding] = []
    work = Work(progress, cancel)
    fast = () if skip_fast else FAST
    families = len(fast) + (0 if skip_slow else len(SLOW))
    for done, check in enumerate(fast):
        work.report(done / families, check.__name__.removeprefix("check_").replace("_", " "))
        findings.extend(check(ctx))
    if not skip_slow:
        for k, check in enumerate(SLOW):
            start = (len(fast) + k) / families
            span = work.span(start, start + 1 / families, check.__name__.removeprefix("check_").replace("_", " "))
            findings.extend(check(ctx, dataset, progress=span, cancel=cancel, store=store))
    work.report(1.0, "done")
    return sorted_findings(findings)


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then by rule and first example id (a stable sort: a family's own order within that)."""
    return sorted(findings, key=lambda f: (_ORDER[f.severity], f.rule, f.ids[:1]))


def worst(findings: list[Finding]) -> Severity | None:
    """The most severe level among findings (None when there are none)."""
    return min((f.severity for f in findings), key=_ORDER.__getitem__, default=None)


__all__ = ["RULES", "Rule", "CheckContext", "run_checks", "worst"]
