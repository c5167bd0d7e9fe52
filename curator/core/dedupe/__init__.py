"""Near-duplicate search and train/eval leakage detection.

Pipeline: normalise (NFKC, lower-case, collapsed whitespace) → group identical texts → candidates
(an exact character-count bound within the ratio length bound, ``bound``; a word-containment join for
token_set_ratio; exhaustive cdist for the partial scorers and WRatio) → exact rapidfuzz verification →
clusters with a suggested keeper. No candidate filter can drop a pair that reaches the threshold, so the
result equals exhaustive ``process.cdist`` (tests and ``bench/bench_dedupe.py`` check it).
"""

from curator.core.dedupe.clusters import Cluster, Member, cluster_pairs
from curator.core.dedupe.leakage import Leak, Twin, find_leakage
from curator.core.dedupe.matches import NearDuplicates
from curator.core.dedupe.normalise import normalise, normalise_all
from curator.core.dedupe.scan import (
    FIELDS,
    DedupeScan,
    LeakageScan,
    cache_key,
    keeper_rank,
    scan_dataset,
    scan_leakage,
)
from curator.core.dedupe.search import find_near_duplicates
from curator.core.dedupe.verify import SCORERS, Scorer, get_scorer

__all__ = [
    "FIELDS",
    "SCORERS",
    "Cluster",
    "DedupeScan",
    "Leak",
    "LeakageScan",
    "Member",
    "NearDuplicates",
    "Scorer",
    "Twin",
    "cache_key",
    "cluster_pairs",
    "find_leakage",
    "find_near_duplicates",
    "get_scorer",
    "keeper_rank",
    "normalise",
    "normalise_all",
    "scan_dataset",
    "scan_leakage",
]
