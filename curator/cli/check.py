"""curator check: every finding of every rule, as a table or JSON, with an exit code for scripts."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from curator.cli import silence_stdout
from curator.cli.common import (add_input_arguments, format_options, open_read_only, open_store, report_error,
                                say_mapping)
from curator.cli.progress import StderrProgress
from curator.core.errors import CuratorError
from curator.core.settings import TARGETS, TASK_TYPES, load_settings, read_options

if TYPE_CHECKING:
    from curator.core.model import Finding

DESCRIPTION = (
    "Check FILE: provider limits, size, empty fields, whitespace, exact and near duplicates, conflicting\n"
    "outputs, JSON/label consistency and train/eval leakage. Settings come from curator.toml or\n"
    "[tool.curator] in pyproject.toml; flags override them."
)
EPILOG = """exit codes:
  0  no findings above info (--labels: no suspect label)
  1  warnings, no errors (--labels: some suspect labels)
  2  errors, or FILE could not be read (every problem is printed as path:line:column: reason)
The code is the same when the output is cut short (curator check FILE | head -1)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    parser.add_argument("--target", choices=TARGETS, help="whose limits apply (default: vertex, the service that "
                                                          "tunes Gemini; gemini-api: its tuning ended in 2025)")
    parser.add_argument("--base-model", help="the Vertex base model whose limits apply (default: gemini-2.5-flash)")
    parser.add_argument("--task-type", choices=TASK_TYPES, help="sets the recommended dataset size")
    parser.add_argument("--threshold", type=float, help="near-duplicate similarity threshold, 0-100 (default 90)")
    parser.add_argument("--max-chars", type=int, metavar="N", help="near-duplicates: compared texts longer than N "
                        "characters only count when identical; 0: no cap (default: settings, else 10000)")
    parser.add_argument("--fast", action="store_true", help="skip the slow checks (near-duplicates, leakage)")
    parser.add_argument("--all", action="store_true", help="list every finding, not a summary per rule")
    parser.add_argument("--labels", action="store_true", help="instead of the checks: list the examples whose "
                        "label the data disagrees with (cross-validated local learner, confident learning)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def run(args: argparse.Namespace) -> int:
    from curator.core.checks import run_checks

    try:
        if _streams(args):
            if args.labels:
                raise CuratorError("--labels needs the whole file in memory, and this one is too large; run it on "
                                   "a sample (the app opens one) or a part of the file", args.file)
            return _streamed(args)
        if args.labels:
            return _labels(args)
        settings = _settings(args)
        session = open_read_only(args)
        progress = StderrProgress("checking")
        findings = run_checks(session.dataset, settings, skip_slow=args.fast, progress=progress,
                              store=None if args.fast else open_store(session.path))
        progress.close()
    except CuratorError as e:
        return report_error(e)
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    frame = session.dataset.frame
    lines = dict(zip(frame["id"].to_list(), frame["src_line"].to_list()))
    return _answer(args, session.path, session.format, frame.height, lines, settings, findings)


def _settings(args: argparse.Namespace):
    return load_settings(args.file).with_overrides(
        target=args.target, task_type=args.task_type, near_dup_threshold=args.threshold,
        near_dup_max_chars=args.max_chars, base_model=args.base_model,
    )


def _streams(args: argparse.Namespace) -> bool:
    """Whether FILE is too large to read whole, and is read in batches (``stream.streamed``)."""
    from curator.core.stream import streamed

    return streamed(args.file)


def _streamed(args: argparse.Namespace) -> int:
    """The fast checks of a file too large to hold, read in batches; the slow ones are said to be skipped."""
    import os

    import numpy as np

    from curator.core.checks import sorted_findings
    from curator.core.checks.base import RULES
    from curator.core.checks.streamed import StreamedChecks
    from curator.core.model import Finding
    from curator.core.progress import Progress
    from curator.core.stream import read_batches, record_batches

    settings = _settings(args)
    bar = StderrProgress("checking")
    options = read_options(args.file, format_options(args))
    checks, lines, fmt, said = StreamedChecks(settings), [], args.format, False
    try:
        for result in read_batches(args.file, args.format, options, lambda p: bar(Progress(p.fraction, "streamed"))):
            if not said:
                say_mapping(args.file, result.mapping)
                fmt, said = result.format, True
            for problem in result.skipped:
                print(f"{problem} (skipped)", file=sys.stderr)
            lines.append(checks.add(result.records)["src_line"].to_numpy())
        again = lambda: record_batches(args.file, fmt, options, lambda p: bar(Progress(p.fraction, "JSON outputs")))  # noqa: E731
        findings = checks.findings(again)
        bar.close()
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    if not args.fast:
        rule = RULES["near-dup.not-run"]
        size = os.path.getsize(args.file) / 1e9
        findings.append(Finding(rule.id, rule.severity, (), f"near-duplicate and leakage scans not run: the file "
                                f"({size:.1f} GB) streams, and they need it whole in memory; scan a sample in the app "
                                "or a part of the file"))
        findings = sorted_findings(findings)
    src = np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64)
    return _answer(args, Path(args.file).resolve(), fmt, checks.rows, _Lines(src), settings, findings)


class _Lines:
    """The line of each example id of a streamed file (ids count examples from 0)."""

    def __init__(self, lines) -> None:
        self.lines = lines

    def get(self, example_id: int) -> int | None:
        return int(self.lines[example_id]) if 0 <= example_id < len(self.lines) else None


def _answer(args, path, fmt, count: int, lines, settings, findings: list[Finding]) -> int:
    """Print the findings; the exit code says the worst of them."""
    from curator.core.checks import worst
    from curator.core.model import Severity

    code = {Severity.ERROR: 2, Severity.WARNING: 1}.get(worst(findings), 0)
    try:
        _print(args, path, fmt, count, lines, settings, findings)
        sys.stdout.flush()
    except BrokenPipeError:  # curator check ... | head -1: the verdict stands, whatever was read of the output
        silence_stdout()
    return code


def _print(args: argparse.Namespace, path, fmt, count: int, lines, settings, findings: list[Finding]) -> None:
    if args.json:
        head = {
            "file": str(path),
            "format": fmt,
            "examples": count,
            "settings": {"target": settings.target, "task_type": settings.task_type},
        }
        dump_listing(head, "findings", (dict(f.to_dict(), lines=[lines.get(i) for i in f.ids]) for f in findings))
    else:
        print_table(findings, lines, path, count, settings.target, show_all=args.all)


def dump_listing(head: dict, key: str, items: Iterable[dict], out: TextIO | None = None) -> None:
    """``json.dump(head | {key: list(items)}, indent=2)`` and a line break, written an item at a time (at 10M
    examples, a million findings held as dicts at once took about half a GB)."""
    out = out or sys.stdout
    before, after = json.dumps(dict(head, **{key: []}), ensure_ascii=False, indent=2).rsplit("[]", 1)
    out.write(before)
    opening = "[\n"
    for item in items:
        out.write(opening + textwrap.indent(json.dumps(item, ensure_ascii=False, indent=2), "    "))
        opening = ",\n"
    out.write("[]" if opening == "[\n" else "\n  ]")
    out.write(after + "\n")


def _labels(args: argparse.Namespace) -> int:
    """``--labels``: the suspect labels, most suspect first; exit 1 when there are any."""
    from curator.core.suspects import find_suspect_labels

    try:
        session = open_read_only(args)
        found = find_suspect_labels(session.dataset.active())
    except CuratorError as e:
        return report_error(e)
    frame = session.dataset.frame
    lines = dict(zip(frame["id"].to_list(), frame["src_line"].to_list()))
    inputs = dict(zip(frame["id"].to_list(), frame["text_input"].to_list()))
    at = {int(i): n for n, i in enumerate(found.ids)}
    ranked = [int(i) for i in found.ranked]
    suspects = [{"id": i, "line": lines.get(i), "label": found.given[at[i]], "suggested": found.suggested[at[i]],
                 "probability": round(float(found.probability[at[i]]), 4),
                 "threshold": round(float(found.threshold[at[i]]), 4),
                 "suggested_probability": round(float(found.suggested_probability[at[i]]), 4)} for i in ranked]
    if args.json:
        json.dump({"file": str(session.path), "scored": len(found.ids), "suspects": suspects}, sys.stdout,
                  ensure_ascii=False, indent=2)
        print()
    else:
        print(f"{session.path}: {len(found.ids):,} labelled examples scored out of fold; "
              f"{len(suspects):,} suspect label(s), most suspect first")
        shown = suspects if args.all else suspects[:20]
        for s in shown:
            where = f"line {s['line']}" if s["line"] else f"id {s['id']}"
            text = (inputs.get(s["id"]) or "").replace("\n", " ")
            text = text if len(text) <= 60 else text[:59] + "…"
            print(f"  {where:>10}  {s['label']!r} → {s['suggested']!r}  (p {s['probability']:.2f} < threshold "
                  f"{s['threshold']:.2f}; {s['suggested']!r} {s['suggested_probability']:.2f})  {text}")
        if len(suspects) > len(shown):
            print(f"  ... {len(suspects) - len(shown):,} more (--all lists them)")
    return 1 if suspects else 0


def _where(ids: tuple[int, ...], lines: dict[int, int | None], limit: int = 6) -> str:
    shown = [f"line {line}" if (line := lines.get(i)) else f"id {i}" for i in ids[:limit]]
    more = f" +{len(ids) - limit}" if len(ids) > limit else ""
    return ", ".join(shown) + more


def print_table(findings: list[Finding], lines, path, count: int, target: str, *, show_all: bool) -> None:
    """A summary per rule (or every finding with --all), worst first."""
    from curator.core.checks import RULES
    from curator.core.model import Severity

    print(f"{path}: {count:,} examples, target {target}")
    if not findings:
        print("no findings")
        return
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule].append(f)
    for rule, items in by_rule.items():
        sev = items[0].severity.value
        fixable = sum(1 for f in items if f.fix)
        fix_note = f", {fixable} fixable" if fixable else ""
        print(f"\n{sev.upper():8} {rule}  {RULES[rule].title} ({len(items):,}{fix_note})")
        shown = items if show_all else items[:5]
        for f in shown:
            where = _where(f.ids, lines)
            print(f"         {f.message}" + (f"  [{where}]" if where else ""))
        if len(items) > len(shown):
            print(f"         ... {len(items) - len(shown):,} more (--all lists them)")
    counts = defaultdict(int)
    for f in findings:
        counts[f.severity] += 1
    summary = ", ".join(f"{counts[s]:,} {s.value}{'s' if counts[s] != 1 else ''}" for s in Severity if counts[s])
    print(f"\n{summary}")
