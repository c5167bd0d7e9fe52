"""curator dedupe: near-duplicate clusters (or train/eval leakage) of a dataset, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter
from types import GeneratorType

from curator.cli.common import add_input_arguments, open_read_only, open_store, report_error
from curator.cli.progress import StderrProgress
from curator.core.errors import Cancelled, CuratorError
from curator.core.settings import load_settings

DESCRIPTION = (
    "Find every pair of examples whose similarity reaches the threshold under a rapidfuzz scorer, over the\n"
    "input, the output or both, and group them into clusters with a suggested keeper (the first member).\n"
    "Texts are compared normalised (NFKC, lower-case, collapsed whitespace). Templated inputs are compared by\n"
    "their slot values (the template set in the settings, else one inferred per family of inputs); --compare\n"
    "whole compares the raw input. Pairs that differ only in numbers are listed apart, never as clusters to\n"
    "delete from. The search is exact (every pair exhaustive cdist would find); a scan estimated to take over\n"
    "a minute says so first (and asks, on a terminal). Results are cached in the workspace per dataset\n"
    "version; pairs marked \"not a duplicate\" in the app are left out."
)
LONG_SCAN = 60.0  # seconds: a longer estimated scan is announced (and confirmed on a terminal)
JSON_BATCH = 50_000  # cluster members formatted at a time for --json
EPILOG = """exit codes:
  0  no near-duplicates (or no leakage)
  1  some found
  2  FILE could not be read, or a bad option"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--threshold", type=float, help="similarity from which two examples are near-duplicates, "
                        "0-100 (default: settings, else 90)")
    # no choices here: the scorers live with the dedupe engine (slow to import), which names them when one is wrong
    parser.add_argument("--scorer", help="rapidfuzz scorer: ratio, token_set_ratio, token_sort_ratio, WRatio, ... "
                                         "(default: settings, else ratio)")
    parser.add_argument("--field", choices=("text_input", "output", "both"),
                        help="compared field (default: settings, else text_input)")
    parser.add_argument("--compare", choices=("slots", "whole"), help="inputs by template slot values or whole "
                        "(default: settings, else slots)")
    parser.add_argument("--max-chars", type=int, metavar="N", help="compared texts longer than N characters are "
                        "grouped only when identical, not compared for near-duplicates; 0: no cap (default: "
                        "settings' [dedupe] max_chars, else 10000)")
    parser.add_argument("--yes", action="store_true", help="start a scan estimated to take over a minute without asking")
    parser.add_argument("--leakage", action="store_true",
                        help="list validation/test examples with a twin in train instead of clusters")
    parser.add_argument("--no-cache", action="store_true", help="scan again even when a cached result exists")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def _confirm(seconds: float, plan, args) -> bool:
    """Announce a long scan on stderr; on a terminal ask before starting it (unless --yes)."""
    if seconds <= LONG_SCAN:
        return True
    texts = len(plan.distinct)
    print(f"this scan will take about {seconds / 60:,.0f} min ({texts:,} distinct texts, {plan.scorer} ≥ "
          f"{plan.threshold:g}, inputs compared {plan.compare}); ctrl+c cancels it", file=sys.stderr)
    if args.yes or not sys.stdin.isatty():
        return True
    try:
        return input("start it? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def run(args: argparse.Namespace) -> int:
    from curator.core.checks.near_dups import dedupe_params
    from curator.core.dedupe import get_scorer, scan_leakage
    from curator.core.dedupe.scan import plan_scan, scan_dataset

    progress = StderrProgress("near-duplicates")
    try:
        if args.scorer is not None:
            try:
                args.scorer = get_scorer(args.scorer).name
            except CuratorError as e:
                raise CuratorError(e.reason, "--scorer") from None
        settings = load_settings(args.file).with_overrides(
            near_dup_threshold=args.threshold, near_dup_scorer=args.scorer, near_dup_field=args.field,
            near_dup_compare=args.compare, near_dup_max_chars=args.max_chars)
        session = open_read_only(args)
        ds = session.dataset
        params = dedupe_params(settings)
        store = None if args.no_cache else open_store(session.path)
        numeric: list = []
        if args.leakage:
            leak_params = {k: params[k] for k in ("field", "threshold", "scorer", "compare", "template", "max_chars")}
            if store is not None:
                scan, _ = store.leakage(ds, **leak_params, progress=progress)
                items = store.leaks(ds, scan)
            else:
                scan = scan_leakage(ds, **leak_params, progress=progress)
                items = list(scan.leaks)
        else:
            scan = store.cached_dedupe(ds, **params) if store is not None else None
            if scan is None:
                plan = plan_scan(ds, **params)
                if not _confirm(plan.seconds, plan, args):
                    print("not started", file=sys.stderr)
                    return 2
                if store is not None:
                    scan, _ = store.dedupe(ds, **params, progress=progress, plan=plan)
                else:
                    scan = scan_dataset(ds, **params, progress=progress, plan=plan)
                del plan  # its compared and normalised texts (two lists of every input): not needed to print
            if store is not None:
                items = store.clusters(ds, scan, settings.near_dup_field)
                numeric = store.clusters(ds, scan, settings.near_dup_field, numeric=True)
            else:
                items, numeric = list(scan.clusters), list(scan.numeric)
    except CuratorError as e:
        return report_error(e)
    except (KeyboardInterrupt, Cancelled):
        progress.close()
        print("cancelled", file=sys.stderr)
        return 130
    progress.close()
    note = scan.uncompared_note()
    frame = ds.frame
    ids = frame["id"].to_list()
    # columns, not 100k row dicts: a second less at 100k; clusters' JSON looks lines up by column itself
    line_of = {} if args.json and not args.leakage else dict(zip(ids, frame["src_line"].to_list()))
    column = {}

    def cell(name: str, i: int):
        if name not in column:
            column[name] = dict(zip(ids, frame[name].to_list()))
        return column[name][i]

    def where(i: int) -> str:
        line = line_of[i]
        return f"line {line}" if line is not None else f"id {i}"

    def text(i: int, width: int = 70) -> str:
        value = cell("output" if settings.near_dup_field == "output" else "text_input", i) or ""
        flat = value.replace("\n", "⏎")
        return flat if len(flat) <= width else flat[: width - 1] + "…"

    if args.json:
        if args.leakage:
            out = ({"eval": {"id": leak.eval_id, "line": line_of[leak.eval_id]},
                    "twins": [{"id": t.id, "line": line_of[t.id], "score": t.score} for t in leak.twins]}
                   for leak in items)
        else:
            out = _cluster_texts(items, frame)
        doc = {"file": str(session.path), "settings": params, "leakage" if args.leakage else "clusters": out}
        if not args.leakage:
            doc["numbers_only"] = _cluster_texts(numeric, frame)
            doc["templates"] = list(scan.templates) if settings.near_dup_compare == "slots" else []
        cap = scan if args.leakage else scan.matches
        doc["not_compared"] = {"examples": cap.uncompared, "max_chars": cap.max_chars, "reason": note or None}
        if note:
            print(note, file=sys.stderr)
        _write_json(doc)
        return 1 if items else 0
    how = f"{settings.near_dup_scorer} ≥ {settings.near_dup_threshold:g} on {settings.near_dup_field}"
    if not args.leakage and settings.near_dup_field != "output":
        how += (f", slot values of {len(scan.templates)} template(s)" if scan.compare == "slots" and scan.templates
                else ", whole inputs")
    if args.leakage:
        print(f"{session.path}: {len(items):,} validation/test examples leaked from train ({how})")
        if note:
            print(note)
        for leak in items:
            best = leak.twins[0]
            print(f"  {cell('split', leak.eval_id):<10} {where(leak.eval_id):>10}  {text(leak.eval_id)}")
            print(f"  {'train twin':<10} {where(best.id):>10}  {best.score:5.1f}  "
                  f"{text(best.id, 60)}{f'  (+{len(leak.twins) - 1} more)' if len(leak.twins) > 1 else ''}")
    else:
        extra = sum(c.size - 1 for c in items)
        print(f"{session.path}: {len(items):,} clusters, {extra:,} examples could go ({how})")
        if note:
            print(note)
        for c in items:
            print(f"\ncluster of {c.size}, least similar {c.min_score:.1f}")
            for m in c.members:
                label = "keep" if m.id == c.keeper else f"{m.score:5.1f}"
                via = f"  (joined via {where(m.via)}, {m.via_score:.1f})" if m.via is not None else ""
                print(f"  {label:>5}  {where(m.id):>10}  {text(m.id)}{via}")
        if numeric:
            print(f"\n{len(numeric):,} clusters differ in numbers only (different examples; not proposed for deletion)")
            for c in numeric:
                print(f"  {c.size} examples: " + ", ".join(where(i) for i in c.ids[:6]) + (" …" if c.size > 6 else ""))
    return 1 if items else 0


def _cluster_json(cluster, line_of: dict) -> dict:
    members = []
    for m in cluster.members:
        member = {"id": m.id, "line": line_of[m.id], "score": m.score}
        if m.via is not None:
            member |= {"via": m.via, "via_score": m.via_score}
        members.append(member)
    return {"keeper": cluster.keeper, "min_score": cluster.min_score, "members": members}


class _Encoded(str):
    """JSON text ``_write_json`` writes as it is."""


def _cluster_texts(clusters: list, frame) -> Iterator[_Encoded | dict]:
    """Each cluster's ``_cluster_json`` as the JSON encoder writes it, formatted directly, a batch of members at a
    time (at 1M templated examples, 1.5M members: a dict each and their encoding took 4 s, and looking each
    member's line up in a dict 1.7 s more). Ids and lines are ints and scores floats, whose JSON is their
    ``repr`` (a cluster with a score that is not finite, which has none, is left to the encoder)."""
    import numpy as np

    from curator.core.dedupe.by_id import ByID

    src = frame["src_line"]
    lines = ByID(frame["id"].to_numpy(), np.column_stack([src.fill_null(0).to_numpy(), src.is_null().to_numpy()]))
    reprs = _Reprs()
    at = 0
    while at < len(clusters):
        end, count = at, 0
        while end < len(clusters) and count < JSON_BATCH:
            count += clusters[end].size
            end += 1
        batch, at = clusters[at:end], end
        members = list(chain.from_iterable(c.members for c in batch))
        found = lines.take(np.fromiter(map(itemgetter(0), members), dtype=np.int64, count=len(members)))
        line = found[:, 0].tolist()
        for k in np.flatnonzero(found[:, 1]).tolist():
            line[k] = "null"
        scores = list(map(itemgetter(1), members))
        floats = set(map(type, scores)) | set(map(type, map(itemgetter(3), members))) <= {float, type(None)}
        text_of = reprs.__getitem__ if floats else repr  # 100 and 100.0 are one key
        score = list(map(text_of, scores))
        texts = [f'{{"id": {i!r}, "line": {n}, "score": {s}}}' if v is None else
                 f'{{"id": {i!r}, "line": {n}, "score": {s}, "via": {v!r}, "via_score": {text_of(vs)}}}'
                 for (i, _, v, vs), n, s in zip(members, line, score)]
        k = 0
        for c in batch:
            size = len(c.members)
            text = (f'{{"keeper": {c.keeper!r}, "min_score": {text_of(min(scores[k + 1:k + size]))}, '
                    f'"members": [{", ".join(texts[k:k + size])}]}}')
            if "nan" in text or "inf" in text:
                yield _cluster_json(c, {m.id: None if n == "null" else n for m, n in zip(c.members, line[k:k + size])})
            else:
                yield _Encoded(text)
            k += size


class _Reprs(dict):
    """Each float's ``repr``, remembered: a scan's scores take a few thousand values (1.5M members at 1M templated
    examples: 6k), and a repr costs 0.4 µs. Zeros are not remembered (0.0 and -0.0 are one key), nor ints asked
    (an int equal to a float is the same key)."""

    def __missing__(self, x: float) -> str:
        text = repr(x)
        if x:
            self[x] = text
        return text


def _write_json(doc: dict) -> None:
    """``doc`` indented as the other commands write JSON, but each list item (a cluster, a leak) on one line,
    encoded by the C encoder (json.dump with an indent encodes in Python and writes every token, seconds for
    100k examples). A generator value is written as a list, item by item as it comes (at 1M examples the
    clusters' members held whole took hundreds of megabytes); an ``_Encoded`` item is JSON already."""
    encoder = json.JSONEncoder(ensure_ascii=False).encode

    def encode(value) -> str:
        return value if isinstance(value, _Encoded) else encoder(value)

    write = sys.stdout.write
    write("{\n")
    for k, (key, value) in enumerate(doc.items()):
        comma = "," if k < len(doc) - 1 else ""
        if isinstance(value, (list, GeneratorType)):
            items = iter(value)
            first = next(items, None)
            if first is None:
                write(f"  {encode(key)}: []{comma}\n")
                continue
            write(f"  {encode(key)}: [\n    {encode(first)}")
            for item in items:
                write(f",\n    {encode(item)}")
            write(f"\n  ]{comma}\n")
        else:
            write(f"  {encode(key)}: {encode(value)}{comma}\n")
    write("}\n")
