"""curator dedupe: near-duplicate clusters (or train/eval leakage) of a dataset, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from curator.cli.common import add_input_arguments, open_read_only, open_store, report_error
from curator.core.errors import CuratorError
from curator.core.settings import load_settings

DESCRIPTION = (
    "Find every pair of examples whose similarity reaches the threshold under a rapidfuzz scorer, over the\n"
    "input, the output or both, and group them into clusters with a suggested keeper (the first member).\n"
    "Texts are compared normalised (NFKC, lower-case, collapsed whitespace). Results are cached in the\n"
    "workspace per dataset version; pairs marked \"not a duplicate\" in the app are left out."
)
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
    parser.add_argument("--leakage", action="store_true",
                        help="list validation/test examples with a twin in train instead of clusters")
    parser.add_argument("--no-cache", action="store_true", help="scan again even when a cached result exists")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def run(args: argparse.Namespace) -> int:
    from curator.core.dedupe import get_scorer, scan_dataset, scan_leakage

    try:
        if args.scorer is not None:
            try:
                args.scorer = get_scorer(args.scorer).name
            except CuratorError as e:
                raise CuratorError(e.reason, "--scorer") from None
        settings = load_settings(args.file).with_overrides(
            near_dup_threshold=args.threshold, near_dup_scorer=args.scorer, near_dup_field=args.field)
        session = open_read_only(args)
        ds = session.dataset
        params = dict(field=settings.near_dup_field, threshold=settings.near_dup_threshold,
                      scorer=settings.near_dup_scorer)
        store = None if args.no_cache else open_store(session.path)
        if args.leakage:
            if store is not None:
                scan, _ = store.leakage(ds, **params)
                items = store.leaks(ds, scan)
            else:
                items = list(scan_leakage(ds, **params).leaks)
        else:
            if store is not None:
                scan, _ = store.dedupe(ds, **params)
                items = store.clusters(ds, scan, settings.near_dup_field)
            else:
                items = list(scan_dataset(ds, **params).clusters)
    except CuratorError as e:
        return report_error(e)
    frame = ds.frame
    rows = {r["id"]: r for r in frame.select("id", "src_line", "split", "text_input", "output").iter_rows(named=True)}

    def where(i: int) -> str:
        line = rows[i]["src_line"]
        return f"line {line}" if line is not None else f"id {i}"

    def text(i: int, width: int = 70) -> str:
        value = rows[i]["output" if settings.near_dup_field == "output" else "text_input"] or ""
        flat = value.replace("\n", "⏎")
        return flat if len(flat) <= width else flat[: width - 1] + "…"

    if args.json:
        if args.leakage:
            out = [{"eval": {"id": leak.eval_id, "line": rows[leak.eval_id]["src_line"]},
                    "twins": [{"id": t.id, "line": rows[t.id]["src_line"], "score": t.score} for t in leak.twins]}
                   for leak in items]
        else:
            out = [{"keeper": c.keeper, "min_score": c.min_score,
                    "members": [{"id": m.id, "line": rows[m.id]["src_line"], "score": m.score} for m in c.members]}
                   for c in items]
        json.dump({"file": str(session.path), "settings": params, "leakage" if args.leakage else "clusters": out},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 1 if items else 0
    how = f"{settings.near_dup_scorer} ≥ {settings.near_dup_threshold:g} on {settings.near_dup_field}"
    if args.leakage:
        print(f"{session.path}: {len(items):,} validation/test examples leaked from train ({how})")
        for leak in items:
            best = leak.twins[0]
            print(f"  {rows[leak.eval_id]['split']:<10} {where(leak.eval_id):>10}  {text(leak.eval_id)}")
            print(f"  {'train twin':<10} {where(best.id):>10}  {best.score:5.1f}  "
                  f"{text(best.id, 60)}{f'  (+{len(leak.twins) - 1} more)' if len(leak.twins) > 1 else ''}")
    else:
        extra = sum(c.size - 1 for c in items)
        print(f"{session.path}: {len(items):,} clusters, {extra:,} examples could go ({how})")
        for c in items:
            print(f"\ncluster of {c.size}, least similar {c.min_score:.1f}")
            for m in c.members:
                label = "keep" if m.id == c.keeper else f"{m.score:5.1f}"
                print(f"  {label:>5}  {where(m.id):>10}  {text(m.id)}")
    return 1 if items else 0
