"""The slow family: near-duplicate clusters and train/eval leakage (rapidfuzz, see curator.core.dedupe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from curator.core.checks.base import RULES, CheckContext, I, Rule, W, register
from curator.core.dataset import Dataset
from curator.core.model import Finding, Fix
from curator.core.ops import SetField

if TYPE_CHECKING:  # the scans load rapidfuzz: only when a check runs, not when the app starts
    from curator.core.dedupe.store import DedupeStore

register(Rule("near-dup.cluster", W, "near-duplicates",
              "Examples so similar (at the chosen scorer and threshold) that they add little but weight."))
register(Rule("near-dup.not-run", I, "near-duplicate scan not started on its own",
              "The near-duplicate scan the settings ask for would take over a minute; it runs only when asked "
              "(D in the app, curator dedupe), never on its own."))
register(Rule("near-dup.uncompared", I, "very long texts not compared for near-duplicates",
              "Compared texts over the [dedupe] max_chars setting (--max-chars; default 10,000 characters) are grouped "
              "only when identical: comparing them for near-duplicates costs tens of milliseconds a pair."))
register(Rule("leakage.not-run", I, "leakage scan not started on its own",
              "The near-duplicate scan the settings ask for would take over a minute, so the leakage scan, which "
              "compares the same texts with the same scorer, does not start on its own either; run it with "
              "curator dedupe --leakage (the app's near-duplicate search, D, is started by hand)."))
register(Rule("leakage.train-twin", W, "validation/test example leaked from train",
              "A validation or test example has an exact or near duplicate in train, so it measures memory."))

FIELD_NAMES = {"text_input": "input", "output": "output", "both": "input and output"}
AUTO_SCAN_SECONDS = 60.0  # a scan estimated longer than this never starts on its own


def dedupe_params(settings) -> dict:
    """The near-duplicate scan parameters the settings choose (shared by the checks, the CLI and the app)."""
    return dict(field=settings.near_dup_field, threshold=settings.near_dup_threshold, scorer=settings.near_dup_scorer,
                compare=settings.near_dup_compare, template=settings.template, max_chars=settings.near_dup_max_chars)


def check_near_duplicates(ctx: CheckContext, dataset: Dataset, progress=None, cancel=None,
                          store: DedupeStore | None = None) -> list[Finding]:
    """Near-duplicate clusters (cached and with "not a duplicate" marks applied when a store is given).

    Clusters of pairs that differ only in numbers are different examples: they get no finding and no fix.
    """
    from curator.core.dedupe.scan import LongScan, scan_dataset

    s = ctx.settings
    params = dict(dedupe_params(s), progress=progress, cancel=cancel, max_seconds=AUTO_SCAN_SECONDS)
    try:
        scan = store.dedupe(dataset, **params)[0] if store is not None else scan_dataset(dataset, **params)
    except LongScan as exc:
        ctx.long_scans["near-duplicates"] = exc.seconds  # leakage compares the same texts: it waits too
        rule = RULES["near-dup.not-run"]
        return [Finding(rule.id, rule.severity, (), f"near-duplicate scan ({s.near_dup_scorer} ≥ "
                        f"{s.near_dup_threshold:g}) would take about {exc.seconds / 60:,.0f} min; run it with D "
                        "in the app or curator dedupe")]
    clusters = store.clusters(dataset, scan, s.near_dup_field) if store is not None else list(scan.clusters)
    rule = RULES["near-dup.cluster"]
    findings = []
    if scan.uncompared_note():
        left = RULES["near-dup.uncompared"]
        findings.append(Finding(left.id, left.severity, (), scan.uncompared_note()))
    for cluster in clusters:
        others = list(cluster.others)
        fix = Fix(f"keep id {cluster.keeper}, delete {len(others)}",
                  SetField.broadcast("keep-one-delete-others", others, "deleted", True))
        findings.append(Finding(
            rule.id, rule.severity, (cluster.keeper, *others),
            f"{cluster.size} near-duplicates (pairs with {s.near_dup_scorer} ≥ {s.near_dup_threshold:g} on the "
            f"{FIELD_NAMES[s.near_dup_field]}); suggested keeper: id {cluster.keeper}, "
            f"least similar member {cluster.min_score:.0f}",
            fix,
        ))
    return findings


def check_leakage(ctx: CheckContext, dataset: Dataset, progress=None, cancel=None,
                  store: DedupeStore | None = None) -> list[Finding]:
    """Validation/test examples with a train twin (cached and with marks applied when a store is given)."""
    from curator.core.dedupe.scan import scan_leakage

    s = ctx.settings
    if "near-duplicates" in ctx.long_scans:  # a saved scorer never starts a long scan on its own
        rule = RULES["leakage.not-run"]
        return [Finding(rule.id, rule.severity, (), f"leakage scan ({s.near_dup_scorer} ≥ {s.near_dup_threshold:g}) "
                        "not started on its own, as the near-duplicate scan; run it with curator dedupe --leakage")]
    params = dict(dedupe_params(s), progress=progress, cancel=cancel)
    if store is not None:
        scan, _ = store.leakage(dataset, **params)
        leaks = store.leaks(dataset, scan)
    else:
        leaks = list(scan_leakage(dataset, **params).leaks)
    rule = RULES["leakage.train-twin"]
    findings = []
    for leak in leaks:
        twin = leak.best
        kind = "an identical" if twin.identical else f"a near ({twin.score:.0f})"
        more = f" (and {len(leak.twins) - 1} more)" if len(leak.twins) > 1 else ""
        fix = Fix("delete the leaked example", SetField.broadcast("delete-leaked", [leak.eval_id], "deleted", True))
        findings.append(Finding(rule.id, rule.severity, (leak.eval_id, twin.id),
                                f"{kind} twin in train: id {twin.id}{more}", fix))
    return findings
