"""Near-duplicate and leakage scans over a Dataset: which field, which rows, which keeper.

Fields: ``text_input``, ``output``, or ``both`` — a pair must then reach the threshold on the input *and*
on the output, and its score is the lower of the two (joining the fields into one string would let a long
output hide a different prompt). Only active (not deleted) examples take part. Inputs are compared by their
template slot values (``compare="slots"``, see ``slots``) or whole. Pairs differing only in numbers make
clusters of their own (``DedupeScan.numeric``), never mixed into the clusters a fix deletes from.

Keeper rule (``keeper_rank``): an example with a non-empty output beats one without; then one in train
beats one in validation/test (so a leaked eval copy is the one suggested for deletion); then the longer
output (the more complete answer); then the earliest (lowest id).

Results carry the dataset version they were computed on and ``cache_key`` names them, so the workspace
can cache them per version; everything is JSON-ready through ``to_dict``/``from_dict`` (``to_json``/``from_json``:
as text).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from curator.core.dataset import Dataset
from curator.core.dedupe.by_id import ByID
from curator.core.dedupe import json_pieces
from curator.core.dedupe.clusters import Cluster, split_clusters
from curator.core.dedupe.leakage import Leak, find_leakage
from curator.core.dedupe.matches import NearDuplicates
from curator.core.progress import Cancel, ProgressFn, Work
from curator.core.dedupe.normalise import normalise_all
from curator.core.dedupe.search import estimate_seconds, find_near_duplicates, prepare, within_cap
from curator.core.dedupe.slots import check_compare, compared_inputs, slot_templates
from curator.core.dedupe.verify import check_threshold, get_scorer
from curator.core.errors import CuratorError
from curator.core.heap import collector_paused
from curator.core.model import SPLITS, Split

FIELDS = ("text_input", "output", "both")
ISOLATE_FROM = 5_000  # examples: a smaller scan takes less time than starting a process
ENGINE_VERSION = 7  # bump when results for the same inputs would change (7: inputs of different templates apart)
MAX_CHARS = 10_000  # compared texts longer than this are not compared for near-duplicates (the settings' default)
COMPILED_FROM = 10_000  # examples from which a plan loads the compiled loop beside its own work


def _check_field(field: str) -> str:
    if field not in FIELDS:
        raise CuratorError(f"unknown field {field!r}; choose one of {', '.join(FIELDS)}")
    return field


def cache_key(kind: str, version: str, *, field: str, threshold: float, scorer: str, compare: str = "whole",
              template: str | None = None, max_chars: int = MAX_CHARS) -> str:
    """A stable name for a scan result: its kind, the dataset version and every parameter."""
    params = {"kind": kind, "engine": ENGINE_VERSION, "version": version, "field": field,
              "threshold": float(threshold), "scorer": get_scorer(scorer).name, "compare": compare,
              "template": template if compare == "slots" else None, "max_chars": int(max_chars)}
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]


def keeper_rank(frame: pl.DataFrame) -> ByID:
    """The keeper rule over ``frame`` (see the module docstring) as each example's row of numbers; higher
    ranks win."""
    out_len = frame["output"].fill_null("").str.strip_chars().str.len_chars().to_numpy().astype(np.float64)
    in_train = (frame["split"] == Split.TRAIN.value).fill_null(False).to_numpy()
    return ByID(frame["id"].to_numpy(), np.column_stack([out_len > 0, in_train, out_len]).astype(np.float64))


def _compared(frame: pl.DataFrame, field: str) -> tuple[list, list | None]:
    if field == "both":
        return frame["text_input"].to_list(), frame["output"].to_list()
    return frame[field].to_list(), None


def uncompared_note(count: int, max_chars: int, field: str, how: str = "--max-chars") -> str:
    """"N inputs over 10,000 characters not compared ... (``how`` the cap is changed)" ("" when none were
    left out)."""
    if not count:
        return ""
    noun = {"text_input": "input", "output": "output"}.get(field, "example")
    return (f"{count:,} {noun}{'s' if count != 1 else ''} over {max_chars:,} characters not compared for "
            f"near-duplicates ({how})")


def _clusters(items) -> tuple[Cluster, ...]:
    """Clusters from their dicts, or as they are when ``json_pieces`` made them already."""
    return tuple(c if isinstance(c, Cluster) else Cluster.from_dict(c) for c in items)


@dataclass(frozen=True)
class DedupeScan:
    """A near-duplicate scan of one dataset version: the pairs, their clusters, the clusters of pairs that
    differ only in numbers, how inputs were compared and the templates whose slots were compared."""

    version: str
    matches: NearDuplicates
    clusters: tuple[Cluster, ...]
    numeric: tuple[Cluster, ...] = ()
    compare: str = "whole"
    templates: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"version": self.version, "matches": self.matches.to_dict(), "clusters": [c.to_dict() for c in self.clusters],
                "numeric": [c.to_dict() for c in self.numeric], "compare": self.compare,
                "templates": list(self.templates)}

    def uncompared_note(self, how: str = "--max-chars") -> str:
        """What was left out of the comparison and why ("" when nothing was); ``how`` the cap is changed."""
        return uncompared_note(self.matches.uncompared, self.matches.max_chars, self.matches.field, how)

    def to_json(self) -> str:
        return _to_json(self)

    @classmethod
    def from_json(cls, text: str) -> DedupeScan:
        return _from_json(cls, text)

    @classmethod
    def from_dict(cls, data: dict) -> DedupeScan:
        return cls(
            str(data["version"]),
            NearDuplicates.from_dict(data["matches"]),
            _clusters(data["clusters"]),
            _clusters(data.get("numeric", ())),
            str(data.get("compare", "whole")),
            tuple(data.get("templates", ())),
        )


_CONVERT = {"groups": tuple, "links": tuple, "clusters": Cluster.from_dict, "numeric": Cluster.from_dict}


def _to_json(scan) -> str:
    """A scan as compact JSON: the text it was read from when it was (see ``_from_json``). The lists it is
    made from are made with the garbage collector paused (at 1M templated examples, 4M lists: 5.2 s -> 3.3 s)."""
    text = scan.__dict__.get("_json")
    if text is not None:
        return text
    with collector_paused():
        data = scan.to_dict()
    return json.dumps(data, separators=(",", ":"))


def _from_json(cls, text: str):
    """A scan read from JSON, which keeps that text, so caching it again encodes nothing (a 100k scan decoded
    from its child process and cached holds the interpreter lock for about half a second less). Decoded with
    the garbage collector paused: collections walked the growing lists again and again (at 1M templated
    examples, 115 MB: 6.3 s -> 2.9 s), and in pieces (``json_pieces``), the clusters and links made a piece at a
    time: ``json.loads`` of the whole text held the interpreter lock 3 s, and the interface waited."""
    with collector_paused():
        scan = cls.from_dict(json_pieces.loads(text, _CONVERT))
    object.__setattr__(scan, "_json", text)
    return scan


@dataclass(frozen=True)
class ScanPlan:
    """What a near-duplicate scan will compare, and about how long it will take (2-core seconds)."""

    frame: pl.DataFrame
    field: str
    threshold: float
    scorer: str
    compare: str
    templates: tuple[str, ...]
    normalised: list  # each example's compared text (its slot values or the whole field), normalised
    also: list | None
    seconds: float
    max_chars: int = MAX_CHARS
    distinct: list | None = None  # the distinct normalised texts within max_chars, in the order the search groups
    # them (first seen, one per part): with one field, the texts its candidate generator counts the characters of
    parts: np.ndarray | None = None  # the template each input follows (-1: none): compared within one only
    grouped: tuple | None = None  # each example's group and each group's part (``search.prepare``), for the search


def _start_compiled() -> None:
    """Load the search's compiled loop (numba starts in about 0.7 s of CPU) while the plan works: the
    estimate and the search both need it from ``COMPILED_FROM`` examples, and the plan leaves a core free."""
    from curator.core.dedupe.bound import bucket_counts

    bucket_counts(["a warm-up"], compiled=True)


def plan_scan(
    dataset: Dataset,
    *,
    field: str = "text_input",
    threshold: float = 90,
    scorer: str = "ratio",
    compare: str = "slots",
    template: str | None = None,
    splits: Sequence[str] | None = None,
    max_chars: int = MAX_CHARS,
) -> ScanPlan:
    """The compared texts of the active examples (of ``splits`` when given) and an estimate of the scan time.

    ``template`` is the production template when one is set; with ``compare="slots"`` and none set, one is
    inferred per family of inputs. Texts over ``max_chars`` characters are not compared (0: no cap).
    """
    return plan_frame(dataset.active(), field=field, threshold=threshold, scorer=scorer, compare=compare,
                      template=template, splits=splits, max_chars=max_chars)


def plan_frame(
    frame: pl.DataFrame,
    *,
    field: str = "text_input",
    threshold: float = 90,
    scorer: str = "ratio",
    compare: str = "slots",
    template: str | None = None,
    splits: Sequence[str] | None = None,
    max_chars: int = MAX_CHARS,
) -> ScanPlan:
    """``plan_scan`` over the examples of ``frame`` (columns id, text_input, output, split)."""
    _check_field(field)
    check_compare(compare)
    spec = get_scorer(scorer)
    threshold = check_threshold(threshold)
    if splits is not None:
        unknown = sorted(set(splits) - set(SPLITS))
        if unknown:
            raise CuratorError(f"unknown split {unknown[0]!r}; use one of {', '.join(SPLITS)}")
        frame = frame.filter(pl.col("split").is_in(list(splits)))
    if frame.height >= COMPILED_FROM and {"chars", "sorted_tokens", "token_set"} & set(spec.sources):
        threading.Thread(target=_start_compiled, name="curator-numba", daemon=True).start()
    texts, also = _compared(frame, field)
    templates: tuple = ()
    parts = None
    if compare == "slots" and field != "output":
        templates = slot_templates(frame["text_input"], template)
        texts, parts = compared_inputs(frame["text_input"], templates)
    normalised = normalise_all(texts)
    del texts  # at 1M, a list of every input the scan does not need again
    group, values, group_parts = prepare(normalised, also, len(normalised), Work(), normalised=True,
                                         parts=None if parts is None else parts.tolist())
    # the distinct first-field texts compared (one per part they are in), in the order the search groups them
    kept = dict.fromkeys((values[k][0], int(group_parts[k])) for k in np.flatnonzero(within_cap(values, max_chars)))
    distinct = [t for t, _ in kept]
    in_part = np.fromiter((p for _, p in kept), np.int64, len(kept)) if parts is not None else None
    seconds = estimate_seconds(distinct, spec, threshold, in_part) * (2 if also is not None else 1)
    return ScanPlan(frame, field, threshold, spec.name, compare, tuple(t.source for t in templates), normalised,
                    also, seconds, max_chars, distinct, parts, (group, group_parts))


@dataclass(frozen=True)
class LeakageScan:
    """A leakage scan of one dataset version: validation/test examples with a train twin."""

    version: str
    field: str
    threshold: float
    scorer: str
    leaks: tuple[Leak, ...]
    compare: str = "whole"
    max_chars: int = 0
    uncompared: int = 0  # examples over max_chars: they met only identical twins

    def uncompared_note(self) -> str:
        return uncompared_note(self.uncompared, self.max_chars, self.field)

    def to_json(self) -> str:
        return _to_json(self)

    @classmethod
    def from_json(cls, text: str) -> LeakageScan:
        return _from_json(cls, text)

    def to_dict(self) -> dict:
        return {"version": self.version, "field": self.field, "threshold": self.threshold,
                "scorer": self.scorer, "leaks": [leak.to_dict() for leak in self.leaks], "compare": self.compare,
                "max_chars": self.max_chars, "uncompared": self.uncompared}

    @classmethod
    def from_dict(cls, data: dict) -> LeakageScan:
        return cls(str(data["version"]), str(data["field"]), float(data["threshold"]), str(data["scorer"]),
                   tuple(Leak.from_dict(d) for d in data["leaks"]), str(data.get("compare", "whole")),
                   int(data.get("max_chars", 0)), int(data.get("uncompared", 0)))


class LongScan(CuratorError):
    """A scan estimated to take longer than the caller allows (``seconds``); it was not started."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the near-duplicate scan would take about {seconds / 60:,.0f} min")
        self.seconds = seconds


def scan_dataset(
    dataset: Dataset,
    *,
    field: str = "text_input",
    threshold: float = 90,
    scorer: str = "ratio",
    compare: str = "slots",
    template: str | None = None,
    splits: Sequence[str] | None = None,
    max_chars: int = MAX_CHARS,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
    plan: ScanPlan | None = None,
    max_seconds: float | None = None,
    isolated: bool = False,
) -> DedupeScan:
    """Near-duplicates among the active examples (of ``splits`` when given), clustered with keepers.

    ``plan`` (from ``plan_scan`` with the same parameters) saves preparing the texts again. A scan estimated
    over ``max_seconds`` raises ``LongScan`` instead of starting. ``isolated`` runs the whole scan (its plan
    too) in a child process (see ``isolated``; from ``ISOLATE_FROM`` examples), so a caller with a user
    interface keeps its interpreter lock.
    """
    params = dict(field=field, threshold=threshold, scorer=scorer, compare=compare, template=template, splits=splits,
                  max_chars=max_chars)
    if isolated and plan is None and len(dataset) >= ISOLATE_FROM:
        from curator.core.dedupe.isolated import run_isolated

        frame = dataset.active().select("id", "text_input", "output", "split")
        return run_isolated(frame, dataset.version_hash(), params, max_seconds, progress, cancel)
    return scan_frame(dataset.active(), dataset.version_hash(), params, progress=progress, cancel=cancel, plan=plan,
                      max_seconds=max_seconds)


def scan_frame(frame: pl.DataFrame, version: str, params: dict, *, progress: ProgressFn | None = None,
               cancel: Cancel | None = None, plan: ScanPlan | None = None,
               max_seconds: float | None = None) -> DedupeScan:
    """``scan_dataset`` over the examples of ``frame`` (of dataset version ``version``); ``params`` are
    ``plan_frame``'s."""
    work = Work(progress, cancel)
    plan = plan or plan_frame(frame, **params)
    if max_seconds is not None and plan.seconds > max_seconds:
        raise LongScan(plan.seconds)
    frame, also = plan.frame, plan.also
    ids = frame["id"].to_list()
    matches = find_near_duplicates(
        plan.normalised, ids, threshold=plan.threshold, scorer=plan.scorer, also=also, field=plan.field,
        max_chars=plan.max_chars, normalised=True, parts=None if plan.parts is None else plan.parts.tolist(),
        grouped=plan.grouped,
        progress=work.span(0, 0.95, "searching"), cancel=cancel,
    )
    by_id = ByID(ids, plan.normalised)
    also_by_id = ByID(ids, also) if also is not None else None
    rank = keeper_rank(frame)
    clusters, numeric_clusters = split_clusters(matches, by_id, also=also_by_id, rank=rank, normalised=True)
    work.report(1.0, "done")
    return DedupeScan(version, matches, tuple(clusters), tuple(numeric_clusters), plan.compare, plan.templates)


def scan_leakage(
    dataset: Dataset,
    *,
    field: str = "text_input",
    threshold: float = 90,
    scorer: str = "ratio",
    compare: str = "slots",
    template: str | None = None,
    max_chars: int = MAX_CHARS,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
    isolated: bool = False,
) -> LeakageScan:
    """Validation and test examples (active) with an exact or near duplicate among the train examples.

    Inputs are compared as near-duplicate search compares them (``compare``: slot values or whole inputs;
    texts over ``max_chars`` characters only when identical). ``isolated``: in a child process, as
    ``scan_dataset``.
    """
    params = dict(field=field, threshold=threshold, scorer=scorer, compare=compare, template=template,
                  max_chars=max_chars)
    if isolated and len(dataset) >= ISOLATE_FROM:
        from curator.core.dedupe.isolated import run_isolated

        frame = dataset.active().select("id", "text_input", "output", "split")
        return run_isolated(frame, dataset.version_hash(), params, None, progress, cancel, kind="leakage")
    return leakage_frame(dataset.active(), dataset.version_hash(), params, progress=progress, cancel=cancel)


def leakage_frame(frame: pl.DataFrame, version: str, params: dict, *, progress: ProgressFn | None = None,
                  cancel: Cancel | None = None) -> LeakageScan:
    """``scan_leakage`` over the examples of ``frame`` (of dataset version ``version``)."""
    field, compare = _check_field(params["field"]), check_compare(params["compare"])
    spec = get_scorer(params["scorer"])
    threshold = check_threshold(params["threshold"])
    texts, also = _compared(frame, field)
    parts = None
    if compare == "slots" and field != "output":
        texts, follows = compared_inputs(frame["text_input"], slot_templates(frame["text_input"], params["template"]))
        parts = follows.tolist()
    in_train = (frame["split"] == Split.TRAIN.value).to_list()

    def side(train: bool, values: list | None) -> list | None:
        return None if values is None else [v for v, t in zip(values, in_train) if t == train]

    ids = frame["id"].to_list()
    leaks = find_leakage(
        side(True, texts), side(True, ids), side(False, texts), side(False, ids),
        threshold=threshold, scorer=spec.name, train_also=side(True, also), eval_also=side(False, also),
        max_chars=params["max_chars"], train_parts=side(True, parts), eval_parts=side(False, parts),
        progress=progress, cancel=cancel,
    )
    max_chars = params["max_chars"]
    longest = [len(t) for t in normalise_all(texts)]
    if also is not None:
        longest = [max(n, len(t)) for n, t in zip(longest, normalise_all(also))]
    uncompared = sum(n > max_chars for n in longest) if max_chars else 0
    return LeakageScan(version, field, threshold, spec.name, tuple(leaks), compare, max_chars, uncompared)
