"""curator eval: base vs tuned on the same examples, scored and compared; curator runs: the kept runs.

One module, two commands (it reads args.command).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from curator.cli.common import add_input_arguments, add_thinking_argument, command_of, format_options, open_read_only
from curator.cli.models import add_backend_arguments, backend_from_args, fail
from curator.cli.progress import StderrProgress
from curator.core.backends import GenerationConfig
from curator.core.errors import CuratorError
from curator.core.evaluation.runner import DEFAULT_CONCURRENCY
from curator.core.evaluation.runs import Runs
from curator.core.models import ModelRef, default_pair
from curator.core.settings import load_settings
from curator.core.storage.workspace import Workspace

if TYPE_CHECKING:
    from curator.core.evaluation.evaluate import EvalResult

# The evaluation engine (polars, scikit-learn) loads only when a run does; these choices mirror its names
# (a test keeps them equal): evaluate.AUTO and the splits, scoring.TASKS.
SPLIT_CHOICES = ("auto", "all", "train", "validation", "test")
TASK_CHOICES = ("classification", "generation")

DESCRIPTION = (
    "Send every chosen example to model A and model B (written backend:model; default: the base and the\n"
    "latest tuned model of the workspace's jobs), with the production template applied identically, then\n"
    "score both (scikit-learn), compare them example by example, and keep the run in the workspace.\n\n"
    "Examples: the test split, else validation, else all (--split); or every example of --examples FILE.\n"
    "Answers are cached in the workspace: running the same command again costs no request, and a run that\n"
    "was interrupted (Ctrl-C, or killed) resumes where it stopped."
)
EPILOG = """scoring rules (default: the settings' score_extract / score_match):
  --extract after:####          the answer is what follows the last ####
  --extract last-number         the answer is the last number in the reply
  --extract 'regex:Answer: (.*)'  the first capture group
  --match numeric:0.01          equal numbers within 0.01; also exact, normalised, contains, starts-with,
                                json[:schema=FILE;fields=a,b.c], judge:BACKEND:MODEL (with --rubric)

CI gates:
  --fail-below token_f1=0.6 --fail-below accuracy=90%  --fail-on-regressions 0  --junit eval.xml
  (with GITHUB_STEP_SUMMARY set, the Markdown report is appended to it)

exit codes:
  0  the run finished (and met its gates); with --dry-run: the estimate was printed
  1  a gate was not met, the run was cancelled, a model failed on some examples, or a backend refused
     (reason printed)
  2  bad arguments or an unreadable FILE"""


RUNS_DESCRIPTION = (
    "Every evaluation run is kept in the dataset's workspace: models, generation config, template, dataset\n"
    "version, metrics, each prompt and both answers, and your verdicts from the review. Without options: the\n"
    "list, newest first. --run shows one, --report DIR exports it, --compare puts two side by side."
)
RUNS_EPILOG = """exit codes:
  0  success
  2  no such run, or an unreadable FILE"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    if command_of(parser) == "runs":
        parser.description, parser.epilog = RUNS_DESCRIPTION, RUNS_EPILOG
        parser.add_argument("--run", metavar="ID", help="the run to show or export (default: the newest)")
        parser.add_argument("--compare", nargs=2, metavar=("RUN1", "RUN2"), help="two runs side by side: each "
                            "metric newer minus older, and the examples fixed and broken between them")
        parser.add_argument("--report", metavar="DIR", help="write report.md, metrics.json and predictions.csv")
        parser.add_argument("--force", action="store_true", help="with --report: overwrite report files already there")
        parser.add_argument("--json", action="store_true", help="print JSON for machines")
        return
    parser.add_argument("--a", dest="model_a", metavar="MODEL", help="model A, the base (backend:model)")
    parser.add_argument("--b", dest="model_b", metavar="MODEL", help="model B, the tuned one (backend:model)")
    parser.add_argument("--split", default=SPLIT_CHOICES[0], choices=SPLIT_CHOICES,
                        help="which examples of FILE (default: test, else validation, else all)")
    parser.add_argument("--examples", metavar="OTHER", help="evaluate every example of another file instead "
                                                          "(leakage is checked against FILE's train split)")
    parser.add_argument("--template", help="production template (\\n for a line break; 'none': inputs as they "
                                           "are; default: the settings' template)")
    parser.add_argument("--task", choices=TASK_CHOICES, help="score as this task (default: detected)")
    parser.add_argument("--extract", metavar="RULE", help="take the answer out of each reply (and of the expected "
                        "output): after:MARKER, last-number or regex:PATTERN")
    parser.add_argument("--match", metavar="RULE", help="when an answer is right: auto, exact, normalised, "
                        "numeric[:TOL], contains, starts-with, json[:schema=FILE;fields=a,b], judge:BACKEND:MODEL")
    parser.add_argument("--rubric", help="what the judge model grades by (with --match judge:...)")
    parser.add_argument("--samples", type=int, default=1, metavar="N",
                        help="ask each model N times per example (seeds SEED..SEED+N-1) to measure stability")
    parser.add_argument("--fail-below", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 1 when B's METRIC (as named in metrics.json, e.g. token_f1, accuracy, "
                             "macro_f1) is below VALUE (0.8 or 80%%); repeatable")
    parser.add_argument("--fail-on-regressions", type=int, metavar="N",
                        help="exit 1 when B is wrong on more than N examples A got right (0: on any)")
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML: one test case per example (B's verdict)")
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=42, help="generation seed (default 42)")
    parser.add_argument("--max-output-tokens", type=int, default=256)
    add_thinking_argument(parser)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY,
                        help=f"requests at once (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--rpm", type=float, help="at most this many requests a minute")
    parser.add_argument("--batch", action="store_true", help="Gemini API models: one Batch API job per model "
                        "(half the price; answers within hours). Interrupted, the same command polls the same job")
    parser.add_argument("--poll", type=float, default=30.0, help="seconds between checks of a batch job (default 30)")
    parser.add_argument("--report", metavar="DIR", help="write report.md, metrics.json and predictions.csv here")
    parser.add_argument("--force", action="store_true", help="with --report: overwrite report files already there")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--dry-run", action="store_true", help="print the examples, tokens and estimated price of "
                        "both models, then stop: no model is asked anything")
    add_backend_arguments(parser, choose=False)


def run(args: argparse.Namespace) -> int:
    return _runs(args) if args.command == "runs" else _eval(args)


def _eval(args: argparse.Namespace) -> int:
    from curator.core.backends.thinking import describe
    from curator.core.evaluation.gates import failed_gates, parse_floor
    from curator.core.evaluation.plan import EvalChoice, plan_evaluation
    from curator.core.costs import actual_text
    from curator.core.evaluation.report import check_report_folder, usage_text

    try:
        settings = load_settings(args.file)
        session = open_read_only(args)
        dataset = session.dataset
        workspace = Workspace.for_dataset(session.path)
        base, tuned = default_pair(workspace)
        model_a = ModelRef.parse(args.model_a) if args.model_a else base
        model_b = ModelRef.parse(args.model_b) if args.model_b else tuned
        if args.report:
            check_report_folder(args.report, force=args.force)  # before the run, not after an hour of it
        if model_b is None:
            raise CuratorError("no tuned model yet: name model B with --b backend:model (or tune one: curator tune)")
        template = args.template if args.template is not None else settings.template
        template = None if template in (None, "none") else template.replace("\\n", "\n")
        config = GenerationConfig(temperature=args.temperature, seed=args.seed, max_output_tokens=args.max_output_tokens,
                                  thinking_budget=args.thinking)
        floors = [parse_floor(text) for text in args.fail_below]
        if args.fail_on_regressions is not None and args.fail_on_regressions < 0:
            raise CuratorError("--fail-on-regressions takes a count of 0 or more")
        choice = EvalChoice(model_a, model_b, config, template, args.task, args.split,
                            other_file=args.examples, other_options=format_options(args) if args.examples else None,
                            extract=args.extract, match=args.match, rubric=args.rubric, samples=args.samples)
        plan = plan_evaluation(dataset, session.path, workspace, settings, choice)
        rows = plan.prepare()
        estimate = plan.estimate(batch=args.batch)
    except CuratorError as e:
        return fail(e)
    print(f"evaluating {model_a} (A) vs {model_b} (B) on {len(rows):,} examples ({plan.selection})", file=sys.stderr)
    if plan.trained:
        print(f"note: {plan.trained:,} of them are train examples, which a tuned model learned from", file=sys.stderr)
    print("cost before the run:\n  " + estimate.text().replace("\n", "\n  "), file=sys.stdout if args.dry_run
          else sys.stderr)
    if args.dry_run:
        print("dry run: no model was asked anything", file=sys.stderr)
        return 0
    cancel = threading.Event()
    progress = StderrProgress("answers")
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = plan.run(
                lambda name: backend_from_args(name, args, workspace), concurrency=args.concurrency, rpm=args.rpm,
                progress=progress, cancel=cancel, batch=args.batch, poll=args.poll, estimate=estimate.to_dict())
        except CuratorError as e:
            outcome["error"] = e

    thread = threading.Thread(target=work, name="curator-eval")
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        print("\ncancelling: answers received so far are kept", file=sys.stderr)
        thread.join()
    progress.close()
    if "error" in outcome:
        return fail(outcome["error"])
    result: EvalResult = outcome["result"]
    if result.resumed:
        print(f"resumed run {result.run.id}", file=sys.stderr)
    predictions = result.predictions
    if result.scorecard is None:
        print(f"cancelled: run {result.run.id} kept {sum(o is not None for o in predictions.outcomes):,} of "
              f"{len(predictions.outcomes):,} answers; run the same command to resume", file=sys.stderr)
        return 1
    cached = sum(1 for o in predictions.outcomes if o is not None and o.cached)
    print(f"{predictions.requests:,} requests, {cached:,} answers from the cache, {predictions.seconds:.1f} s",
          file=sys.stderr)
    for ref, reason in predictions.stopped.items():
        print(f"curator: stopped asking {ref}: {reason}", file=sys.stderr)
    tokens = result.run.metrics.get("tokens", {})
    print(f"tokens (thinking {describe(config.thinking_budget)}): {usage_text(tokens)}", file=sys.stderr)
    if tokens:
        asked = result.run.metrics.get("asked", tokens)
        print(f"asked in this run (cached answers left out): {actual_text(estimate, asked)}", file=sys.stderr)
    cut = result.scorecard.metrics["truncated"]
    if cut["a"] or cut["b"]:
        print(f"curator: answers cut at {config.max_output_tokens:,} output tokens (thinking included): A {cut['a']:,}, "
              f"B {cut['b']:,}; raise --max-output-tokens or lower --thinking", file=sys.stderr)
    if args.json:
        json.dump({"run": result.run.id, "metrics": result.scorecard.metrics}, sys.stdout, indent=2)
        print()
    else:
        _print_metrics(result)
    if args.report:
        try:
            paths = _write_report(result, args)
        except CuratorError as e:
            fail(e)
            print(f"the run is kept: curator runs {args.file} --run {result.run.id} --report DIR exports it",
                  file=sys.stderr)
            return 2
        for path in paths:
            print(f"wrote {path}", file=sys.stderr)
    try:
        _ci_outputs(result, args.junit)
        reasons = failed_gates(result, floors, args.fail_on_regressions)
    except (CuratorError, OSError) as e:
        return fail(e if isinstance(e, CuratorError) else CuratorError(f"cannot write: {e}"))
    for reason in reasons:
        print(f"curator: gate not met: {reason}", file=sys.stderr)
    failed = result.scorecard.metrics["failed"]
    return 1 if reasons or failed["a"] or failed["b"] else 0


def _ci_outputs(result: EvalResult, junit: str | None) -> None:
    from curator.core.evaluation.gates import junit_xml
    from curator.core.evaluation.report import markdown
    from curator.core.storage.atomic import atomic_write

    """The JUnit file, and the Markdown report appended to GitHub's step summary when it is set."""
    if junit:
        with atomic_write(Path(junit)) as f:
            f.write(junit_xml(result))
        print(f"wrote {junit}", file=sys.stderr)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(markdown(result) + "\n")


def _write_report(result: EvalResult, args: argparse.Namespace) -> list:
    from curator.core.evaluation.report import write_report

    try:
        return write_report(result, args.report, force=args.force)
    except OSError as e:  # a read-only folder, a full disk: a message, not a traceback
        raise CuratorError(f"cannot write the report: {e.strerror}", e.filename or args.report) from None


def _print_metrics(result: EvalResult) -> None:
    from curator.core.evaluation.report import extra_lines, metric_rows

    m = result.scorecard.metrics
    print(f"run {result.run.id}: {m['n']:,} examples, task {m['task']}"
          + (f", {m['failed']['a']} failed for A, {m['failed']['b']} for B" if any(m["failed"].values()) else "")
          + (f"; scored by rule: {m['rule']}" if "rule" in m else ""))
    print(f"  A = {result.run.model_a}\n  B = {result.run.model_b}\n")
    print(f"{'metric':26} {'A':>7} {'B':>7} {'B - A':>7}  95% CI")
    for label, a, b, ci in metric_rows(m):
        interval = f"[{ci['low']:+.1f}, {ci['high']:+.1f}]" if ci else ""
        print(f"{label:26} {a:7.1f} {b:7.1f} {b - a:+7.1f}  {interval}")
    p = m["paired"]
    t = p["mcnemar"]["correct"]
    print(f"\nB better on {p['wins']:,}, A better on {p['losses']:,}, tie on {p['ties']:,}; "
          f"McNemar p = {t['p_value']:.3g} ({t['b_only']} only B right, {t['a_only']} only A right)")
    for line in extra_lines(m):
        print(line)
    if "subsets" in m:
        for name, s in m["subsets"].items():
            print(f"{name:7} examples: {s['n']:,}; A right {s['a']['correct'] * 100:.1f} %, "
                  f"B right {s['b']['correct'] * 100:.1f} %")


def _print_changes(changes) -> None:
    """Two runs, older first: each metric and newer minus older, then the examples that flipped."""
    from curator.core.evaluation.changes import BROKEN, FIXED

    older, newer = changes.older.run, changes.newer.run
    print(f"older: {older.id}  {older.title}\nnewer: {newer.id}  {newer.title}\n")
    print(f"{'metric':26} {'A old':>7} {'A new':>7} {'A Δ':>7}  {'B old':>7} {'B new':>7} {'B Δ':>7}")
    for label, a1, b1, a2, b2 in changes.metrics:
        print(f"{label:26} {a1:7.1f} {a2:7.1f} {a2 - a1:+7.1f}  {b1:7.1f} {b2:7.1f} {b2 - b1:+7.1f}")
    for side in ("b", "a"):
        for kind in (BROKEN, FIXED):
            flips = changes.of(side, kind)
            if not flips:
                continue
            print(f"\n{side.upper()} {kind} ({len(flips)}): {'right before, wrong now' if kind == BROKEN else 'wrong before, right now'}")
            for f in flips[:50]:
                where = f"#{f.example_id}" if f.example_id is not None else f"row {f.position}"
                print(f"  {where:>7}  {_short(f.text_input, 50)}  expected {_short(f.expected, 24)!s}: "
                      f"{_short(f.before, 24)} → {_short(f.after, 24)}")
            if len(flips) > 50:
                print(f"  ... {len(flips) - 50} more (--json lists them all)")
    if not changes.flips:
        print(f"\nno example changed its verdict ({changes.shared:,} examples in both runs)")
    for note in changes.notes:
        print(f"note: {note}")


def _short(text: str | None, width: int) -> str:
    text = "(no answer)" if text is None else text.replace("\n", "⏎ ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _runs(args: argparse.Namespace) -> int:
    from curator.core.evaluation.evaluate import load_run
    from curator.core.evaluation.changes import compare_runs
    from curator.core.evaluation.report import headline

    try:
        session = open_read_only(args)
        workspace = Workspace.for_dataset(session.path)
        runs = Runs(workspace)
        if args.compare:
            changes = compare_runs(*(load_run(workspace, r) for r in args.compare))
            if args.json:
                json.dump(changes.to_dict(), sys.stdout, indent=2)
                print()
            else:
                _print_changes(changes)
            return 0
        if args.run or args.report:
            chosen = args.run or next((r.id for r in runs.list(session.path) if r.metrics), None)
            if chosen is None:
                raise CuratorError("no finished evaluation run for this dataset")
            result = load_run(workspace, chosen)
            if args.report:
                for path in _write_report(result, args):
                    print(f"wrote {path}", file=sys.stderr)
            elif result.scorecard is not None:
                _print_metrics(result)
            else:
                print(f"run {result.run.id}: {result.run.state}, no scores")
            return 0
        kept = runs.list(session.path)
    except (CuratorError, ValueError) as e:
        return fail(e if isinstance(e, CuratorError) else CuratorError(str(e)))
    if args.json:
        json.dump([{"id": r.id, "created": r.created, "state": r.state, "model_a": r.model_a, "model_b": r.model_b,
                    "examples": r.spec.get("examples"), "metrics": r.metrics} for r in kept], sys.stdout, indent=2)
        print()
        return 0
    if not kept:
        print("no evaluation runs yet: curator eval FILE")
    import datetime as dt

    for r in kept:
        when = dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M")
        head = headline(r.metrics) if r.metrics else ""
        print(f"{r.id}  {when}  {r.state:9} {r.spec.get('examples', 0):>6,} ex  {r.title}  {head}")
    return 0
