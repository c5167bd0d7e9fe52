"""Scans cached per dataset version in the workspace, and the pairs a user marked "not a duplicate".

A marked pair is keyed by the normalised compared texts of its two examples (not their ids, which
change between sessions), so the mark holds as long as the texts do; marks live in the workspace of the dataset's
folder, and a "save as" into another folder takes them along (``copy_marks``). Marked pairs are left out of
clusters and leakage: a member marked against its cluster's keeper leaves the cluster.
"""

from __future__ import annotations

import hashlib
import time

from curator.core.dataset import Dataset
from curator.core.dedupe.clusters import Cluster
from curator.core.dedupe.normalise import normalise, normalise_all
from curator.core.progress import Cancel, ProgressFn
from curator.core.dedupe.leakage import Leak
from curator.core.dedupe.scan import (
    MAX_CHARS,
    DedupeScan,
    LeakageScan,
    ScanPlan,
    cache_key,
    scan_dataset,
    scan_leakage,
)
from curator.core.storage.workspace import Workspace

KEEP_PER_KIND = 12  # cached scans kept per kind; older ones are dropped


def compared_text(row: dict, field: str) -> str:
    """The text near-duplicate search compares for one example row, normalised."""
    if field == "both":
        return normalise(row["text_input"]) + "\x00" + normalise(row["output"])
    return normalise(row[field])


def pair_key(text_a: str, text_b: str) -> str:
    """An order-free key for two compared texts."""
    a, b = sorted((text_a, text_b))
    return hashlib.sha256(f"{a}\x01{b}".encode()).hexdigest()[:32]


class DedupeStore:
    """Near-duplicate and leakage scans of one workspace, cached, with "not a duplicate" marks applied."""

    def __init__(self, workspace: Workspace, *, isolated: bool = False) -> None:
        self.workspace = workspace
        self.isolated = isolated  # scans run in a child process (see ``scan_dataset``): the app's choice

    # -- cache ---------------------------------------------------------------------------------------

    def _cached(self, key: str) -> str | None:
        rows = self.workspace.query("SELECT data FROM scan_cache WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def _remember(self, key: str, kind: str, text: str) -> None:
        with self.workspace.transaction() as db:
            db.execute("INSERT OR REPLACE INTO scan_cache (key, kind, data, created) VALUES (?, ?, ?, ?)",
                       (key, kind, text, time.time()))
            db.execute("DELETE FROM scan_cache WHERE kind = ? AND key NOT IN "
                       "(SELECT key FROM scan_cache WHERE kind = ? ORDER BY created DESC LIMIT ?)",
                       (kind, kind, KEEP_PER_KIND))

    def _scan(self, kind: str, scan_fn, cls, dataset: Dataset, params: dict):
        key = cache_key(kind, _version(dataset), field=params["field"], threshold=params["threshold"],
                        scorer=params["scorer"], compare=params.get("compare", "whole"),
                        template=params.get("template"), max_chars=params["max_chars"])
        text = self._cached(key)
        if text is not None:
            return cls.from_json(text), True
        scan = scan_fn(dataset, **params)
        self._remember(key, kind, scan.to_json())
        return scan, False

    def dedupe(self, dataset: Dataset, *, field: str = "text_input", threshold: float = 90, scorer: str = "ratio",
               compare: str = "slots", template: str | None = None, max_chars: int = MAX_CHARS,
               progress: ProgressFn | None = None, cancel: Cancel | None = None, plan: ScanPlan | None = None,
               max_seconds: float | None = None) -> tuple[DedupeScan, bool]:
        """The scan of this dataset version (from the cache when there) and whether it came from the cache;
        ``LongScan`` when it is not cached and estimated over ``max_seconds``."""
        params = dict(field=field, threshold=threshold, scorer=scorer, compare=compare, template=template,
                      max_chars=max_chars, progress=progress, cancel=cancel, plan=plan, max_seconds=max_seconds,
                      isolated=self.isolated)
        return self._scan("dedupe", scan_dataset, DedupeScan, dataset, params)

    def cached_dedupe(self, dataset: Dataset, *, field: str = "text_input", threshold: float = 90,
                      scorer: str = "ratio", compare: str = "slots", template: str | None = None,
                      max_chars: int = MAX_CHARS) -> DedupeScan | None:
        """The cached scan of this dataset version with these parameters, or None (never scans)."""
        key = cache_key("dedupe", _version(dataset), field=field, threshold=threshold, scorer=scorer,
                        compare=compare, template=template, max_chars=max_chars)
        text = self._cached(key)
        return DedupeScan.from_json(text) if text is not None else None

    def leakage(self, dataset: Dataset, *, field: str = "text_input", threshold: float = 90, scorer: str = "ratio",
                compare: str = "slots", template: str | None = None, max_chars: int = MAX_CHARS,
                progress: ProgressFn | None = None, cancel: Cancel | None = None) -> tuple[LeakageScan, bool]:
        """The leakage scan of this dataset version (from the cache when there) and whether it was cached."""
        params = dict(field=field, threshold=threshold, scorer=scorer, compare=compare, template=template,
                      max_chars=max_chars, progress=progress, cancel=cancel, isolated=self.isolated)
        return self._scan("leakage", scan_leakage, LeakageScan, dataset, params)

    # -- "not a duplicate" -----------------------------------------------------------------------------

    def mark_not_duplicate(self, dataset: Dataset, a: int, b: int, field: str = "text_input") -> None:
        """Remember that examples ``a`` and ``b`` are not duplicates (by their texts)."""
        key = pair_key(compared_text(dataset.get(a), field), compared_text(dataset.get(b), field))
        self.workspace.execute("INSERT OR IGNORE INTO not_duplicates (pair, created) VALUES (?, ?)", (key, time.time()))

    def mark_cluster(self, dataset: Dataset, cluster: Cluster, field: str = "text_input") -> None:
        """Remember that no member of ``cluster`` is a duplicate of its keeper (one transaction)."""
        keeper = compared_text(dataset.get(cluster.keeper), field)
        now = time.time()
        with self.workspace.transaction() as db:
            for other in cluster.others:
                key = pair_key(keeper, compared_text(dataset.get(other), field))
                db.execute("INSERT OR IGNORE INTO not_duplicates (pair, created) VALUES (?, ?)", (key, now))

    def unmark(self, dataset: Dataset, a: int, b: int, field: str = "text_input") -> None:
        """Forget a "not a duplicate" mark of examples ``a`` and ``b``."""
        key = pair_key(compared_text(dataset.get(a), field), compared_text(dataset.get(b), field))
        self.workspace.execute("DELETE FROM not_duplicates WHERE pair = ?", (key,))

    def unmark_cluster(self, dataset: Dataset, cluster: Cluster, field: str = "text_input") -> None:
        """Forget the marks ``mark_cluster`` made for ``cluster`` (one transaction)."""
        keeper = compared_text(dataset.get(cluster.keeper), field)
        with self.workspace.transaction() as db:
            for other in cluster.others:
                db.execute("DELETE FROM not_duplicates WHERE pair = ?",
                           (pair_key(keeper, compared_text(dataset.get(other), field)),))

    def marked(self) -> set[str]:
        return {row[0] for row in self.workspace.query("SELECT pair FROM not_duplicates")}

    def clusters(self, dataset: Dataset, scan: DedupeScan, field: str = "text_input", *,
                 numeric: bool = False) -> list[Cluster]:
        """The scan's clusters (``numeric``: those whose pairs differ only in numbers) without members marked
        "not a duplicate" of their keeper (and no singletons)."""
        chosen = scan.numeric if numeric else scan.clusters
        marked = self.marked()
        if not marked:
            return list(chosen)
        texts = _texts(dataset, {i for c in chosen for i in c.ids}, field)
        out = []
        for cluster in chosen:
            keeper = texts.get(cluster.keeper, "")
            members = tuple(m for m in cluster.members
                            if m.id == cluster.keeper or pair_key(keeper, texts.get(m.id, "")) not in marked)
            if len(members) > 1:
                out.append(Cluster(members))
        return out

    def leaks(self, dataset: Dataset, scan: LeakageScan) -> list[Leak]:
        """The scan's leaks without twins marked "not a duplicate" (and no leak left without a twin)."""
        marked = self.marked()
        if not marked:
            return list(scan.leaks)
        ids = {leak.eval_id for leak in scan.leaks} | {t.id for leak in scan.leaks for t in leak.twins}
        texts = _texts(dataset, ids, scan.field)
        out = []
        for leak in scan.leaks:
            mine = texts.get(leak.eval_id, "")
            twins = tuple(t for t in leak.twins if pair_key(mine, texts.get(t.id, "")) not in marked)
            if twins:
                out.append(Leak(leak.eval_id, twins))
        return out


def copy_marks(source: Workspace, target: Workspace) -> None:
    """Carry the "not a duplicate" marks of ``source`` over to ``target`` (a dataset saved into another folder
    keeps them: they are keyed by texts, which the copy has too)."""
    rows = source.query("SELECT pair, created FROM not_duplicates")
    if rows:
        with target.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO not_duplicates (pair, created) VALUES (?, ?)", rows)


def _version(dataset: Dataset) -> str:
    """The content version plus the ids of the active examples: a cached scan names examples by id."""
    ids = dataset.active()["id"].to_numpy().tobytes()
    return dataset.version_hash() + ":" + hashlib.sha256(ids).hexdigest()[:16]


def _texts(dataset: Dataset, ids: set[int], field: str) -> dict[int, str]:
    """``compared_text`` of the examples ``ids``, by column (a 100k scan's clusters hold 100k examples)."""
    frame = dataset.frame.filter(dataset.frame["id"].is_in(sorted(ids)))
    if field == "both":
        texts = [a + "\x00" + b for a, b in zip(normalise_all(frame["text_input"].to_list()),
                                                normalise_all(frame["output"].to_list()))]
    else:
        texts = normalise_all(frame[field].to_list())
    return dict(zip(frame["id"].to_list(), texts))
