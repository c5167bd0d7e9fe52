"""The review of an evaluation: one row per example with A's and B's verdicts, filters (regressions,
improvements, both wrong, disagreements, leaked), sorting by similarity, the detail with input, expected,
A and B side by side (words that differ from the expected output highlighted), people's verdicts kept with
the run, a summary (metrics, confusion matrices, A vs B chart) and the report export.

A run in progress shows its progress bar with ETA and can be cancelled (ctrl+c or escape); every answer
received is kept in the prediction cache, so running it again resumes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, ProgressBar, Static

from curator.core.diff import word_diff
from curator.core.errors import CuratorError
from curator.core.evaluation.evaluate import EvalResult, record_verdict, score_rows
from curator.core.evaluation.report import ReportExists, scorecard_summary, write_report
from curator.core.evaluation.review import FILTERS, SORTS, counts, masks, order
from curator.core.evaluation.runs import RunRow
from curator.core.evaluation.rules import ScoringRule
from curator.core.evaluation.scorecard import Scorecard
from curator.core.models import ModelRef
from curator.core.progress import Progress as JobProgress
from curator.core.storage.workspace import Workspace
from curator.tui.actions import REVIEW, bindings
from curator.tui.messages import GoToExample, OpenPlayground
from curator.tui.screens.prompts import AskScreen, TextPrompt
from curator.tui.widgets.cursor_view import CursorActions, in_one_frame
from curator.tui.widgets.detail_pane import TextPanel, highlighted
from curator.tui.widgets.eval_summary import EvalSummary
from curator.tui.widgets.verdict_table import VerdictTable

Launch = Callable[..., EvalResult]  # launch(progress=..., cancel=..., partial=...) -> EvalResult
VERDICT_CYCLE = {None: 1, 1: 0, 0: None}  # automatic -> right -> wrong -> automatic
FILTER_LABELS = {"all": "all", "regressions": "A✓B✗", "improvements": "A✗B✓", "both-wrong": "A✗B✗",
                 "disagreements": "A≠B", "leaked": "leaked", "failed": "failed", "flaky": "flaky",
                 "truncated": "cut",
                 "broke-since": "broke since"}
SAMPLED_ONLY = {"flaky"}  # filters listed only for runs that sampled each model several times


class ReviewScreen(CursorActions, Screen[None]):
    """One evaluation run, example by example; enter posts ``GoToExample``, p ``OpenPlayground``."""

    CSS_PATH = "review.tcss"
    BINDINGS = bindings(REVIEW)
    ACTIONS = REVIEW

    class Progress(Message):
        def __init__(self, progress: JobProgress) -> None:
            self.progress = progress
            super().__init__()

    class Finished(Message):
        def __init__(self, result: EvalResult | None, error: str | None = None) -> None:
            self.result, self.error = result, error
            super().__init__()

    class Partial(Message):
        def __init__(self, rows: list[RunRow], task: str) -> None:
            self.rows, self.task = rows, task
            super().__init__()

    class PartialScored(Message):
        def __init__(self, rows: list[RunRow], card: Scorecard) -> None:
            self.rows, self.card = rows, card
            super().__init__()

    class Rescored(Message):
        def __init__(self, result: EvalResult | None, position: int, error: str | None = None) -> None:
            self.result, self.position, self.error = result, position, error
            super().__init__()

    def __init__(self, workspace: Workspace, *, result: EvalResult | None = None, launch: Launch | None = None,
                 title: str = "", report_dir: Path | None = None,
                 can_jump: bool = True, models: tuple[str, str] = ("", ""), template: str | None = None,
                 rule: ScoringRule | None = None, keep_rule: Callable[[ScoringRule], None] | None = None) -> None:
        """Show ``result``, or run ``launch`` first (in a worker), its answered examples listed as they come.
        ``report_dir`` is where exports go by default; ``can_jump`` says whether the run's example ids belong
        to the dataset on screen; ``models``, ``template`` and ``rule`` describe the run being launched;
        ``keep_rule`` keeps a scoring rule chosen here in the dataset's settings."""
        super().__init__()
        self.workspace, self.result, self.launch = workspace, result, launch
        self.title_text, self.report_dir = title, report_dir
        self._models, self._template, self._rule, self.keep_rule = models, template, rule, keep_rule
        self._since: tuple[str, np.ndarray] | None = None  # the run of the broke-since filter, and its mask
        self._partial: tuple[list[RunRow], Scorecard] | None = None  # answered so far, while running
        self._pending: tuple[list[RunRow], str] | None = None  # the newest partial rows, not yet scored
        self._scoring = False
        self.can_jump = can_jump
        self.filter_name, self.sort = "all", "position"
        self._cancel = threading.Event()
        self._verdict_lock = threading.Lock()
        self._masks: tuple = (None, {}, None)
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static("", id="rv-title", markup=False)
        with Horizontal(id="rv-running"):
            yield ProgressBar(total=1.0, show_eta=False, id="rv-progress")
            yield Static("", id="rv-status", markup=False)
        yield Static("", id="rv-headline", markup=False)
        yield Static("", id="rv-view", markup=False)
        with ContentSwitcher(initial="rv-detail"):
            with Vertical(id="rv-detail"):
                yield VerdictTable(id="rv-table")
                with Horizontal(classes="rv-pair"):
                    yield TextPanel("input", id="rv-input")
                    yield TextPanel("expected", id="rv-expected")
                with Horizontal(classes="rv-pair"):
                    yield TextPanel("A", id="rv-a")
                    yield TextPanel("B", id="rv-b")
            yield EvalSummary(id="rv-summary")
        yield Footer()

    @property
    def table(self) -> VerdictTable:
        return self.query_one(VerdictTable)

    @property
    def shown(self) -> tuple[list[RunRow], Scorecard] | None:
        """The rows and scorecard on screen: the finished run's, or those answered so far."""
        if self.result is not None and self.result.scorecard is not None:
            return self.result.rows, self.result.scorecard
        return self._partial

    @property
    def models(self) -> tuple[str, str]:
        if self.result is not None:
            return self.result.run.model_a, self.result.run.model_b
        return self._models

    @property
    def finished(self) -> bool:
        """A scored run is on screen (verdicts, export and compare need one)."""
        return self.result is not None and self.result.scorecard is not None

    def on_mount(self) -> None:
        self.table.focus()
        if self.result is not None:
            self.query_one("#rv-running").display = False
            self._show_result()
        elif self.launch is not None:
            self.query_one("#rv-title", Static).update(f"evaluation · {self.title_text} · starting…")
            self.running = True
            self.run_eval()

    # -- running ---------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="eval-run")
    def run_eval(self) -> None:
        try:
            result = self.launch(progress=lambda p: self.post_message(self.Progress(p)), cancel=self._cancel,
                                 partial=lambda rows, task: self.post_message(self.Partial(rows, task)))
        except CuratorError as exc:
            self.post_message(self.Finished(None, exc.reason))
            return
        self.post_message(self.Finished(result))

    def on_review_screen_progress(self, message: Progress) -> None:
        p = message.progress
        self.query_one(ProgressBar).update(progress=p.fraction)
        eta = "" if p.eta is None else f" · ETA {_duration(p.eta)}"
        stage = f" · {p.stage}" if p.stage and p.fraction < 1 else ""
        self.query_one("#rv-status", Static).update(f"{p.done:,}/{p.total:,} answers · {p.detail}{eta}{stage}")
        if self._partial is None:  # once answers are listed, the title counts them
            self.query_one("#rv-title", Static).update(f"evaluation · {self.title_text} · running (ctrl+c cancels)")

    def on_review_screen_finished(self, message: Finished) -> None:
        self.running = False
        self.query_one("#rv-running").display = False
        if message.result is None:
            self.query_one("#rv-title", Static).update(f"evaluation · {self.title_text} · failed")
            self.query_one("#rv-view", Static).update(message.error or "failed")
            self.notify(message.error or "the evaluation failed", title="evaluation", severity="error", timeout=10)
            return
        current = self.table.current
        position = self._partial[0][current].position if self._partial and current is not None else None
        self.result = message.result
        predictions = self.result.predictions
        if self.result.scorecard is None:
            kept = sum(o is not None for o in predictions.outcomes)
            message_text = (f"{kept:,} of {len(predictions.outcomes):,} answers kept in the cache: evaluate again "
                            "to resume")
            self.notify(message_text, title="evaluation cancelled", timeout=6)
            if self._partial is not None:
                self._show_result(current)
            else:
                self.query_one("#rv-title", Static).update(f"evaluation · {self.title_text} · cancelled")
                self.query_one("#rv-view", Static).update(message_text)
            return
        for ref, reason in predictions.stopped.items():
            self.notify(f"stopped asking {ref}: {reason}", title="evaluation", severity="error", timeout=10)
        cached = sum(1 for o in predictions.outcomes if o is not None and o.cached)
        self.notify(f"{predictions.requests:,} requests, {cached:,} answers from the cache, "
                    f"{predictions.seconds:.1f} s", title="evaluation done", timeout=4)
        self._show_result(position)  # the final rows are in run order: an index is a position

    def on_review_screen_partial(self, message: Partial) -> None:
        self._pending = (message.rows, message.task)
        self._score_next()

    def _score_next(self) -> None:
        if self._scoring or self._pending is None or not self.running:
            return
        rows, task = self._pending
        self._pending, self._scoring = None, True
        self._score_partial(rows, task)

    @work(thread=True, group="partial-score")
    def _score_partial(self, rows: list[RunRow], task: str) -> None:
        self.post_message(self.PartialScored(rows, score_rows(rows, task, rule=self._rule)))

    def on_review_screen_partial_scored(self, message: PartialScored) -> None:
        self._scoring = False
        if not self.running:
            return
        current = self.table.current
        position = self._partial[0][current].position if self._partial and current is not None else None
        self._partial = (message.rows, message.card)
        keep = next((i for i, r in enumerate(message.rows) if r.position == position), None)
        self._show_result(keep)
        self._score_next()

    def action_cancel_eval(self) -> None:
        if self.running:
            self._cancel.set()
            self.query_one("#rv-status", Static).update("cancelling: waiting for the requests in flight…")

    # -- the listing -----------------------------------------------------------------------------------------

    def _show_result(self, keep: int | None = None) -> None:
        shown = self.shown
        if shown is None:
            if self.result is not None:
                run = self.result.run
                self.query_one("#rv-title", Static).update(
                    f"evaluation {run.id} · {run.title} · {run.state}, no scores")
            return
        rows, card = shown
        model_a, model_b = self.models
        if self.finished:
            title = f"evaluation {self.result.run.id} · {card.metrics['n']:,} {card.metrics['task']} examples"
        elif self.running:
            title = f"evaluation · running · {len(rows):,} examples answered so far"
        else:
            title = f"evaluation · cancelled · {len(rows):,} examples answered (evaluate again to resume)"
        self.query_one("#rv-title", Static).update(  # what a narrow terminal crops, the A and B panels show
            f"{title} · sort: {SORTS[self.sort]} · A {model_a} vs B {model_b}")
        self.query_one("#rv-headline", Static).update(scorecard_summary(card) + ("" if self.finished else
                                                                                   " (so far)"))
        since = self._since[1] if self._since is not None and len(self._since[1]) == len(rows) else None
        if self._masks[0] is not card or self._masks[2] is not since:  # the filters' masks, once per scorecard
            self._masks = (card, masks(card, rows, since), since)
        positions = order(card, rows, self.filter_name, self.sort, self._masks[1])
        self.table.show(rows, card, positions, keep, template=self.run_template)
        tally = counts(card, rows, self._masks[1])
        view = Text()
        for key, name in enumerate(FILTERS, start=1):
            if (name in SAMPLED_ONLY and card.stability is None) or (name == "broke-since" and since is None):
                continue
            if key > 1:
                view.append("  ")
            label = f"broke since {self._since[0][:6]}" if name == "broke-since" else FILTER_LABELS[name]
            view.append(f"{key % 10} {label} {tally[name]:,}",
                        "bold reverse" if name == self.filter_name else "")
        self.query_one("#rv-view", Static).update(view)
        kept = (self.result.run.metrics or {}) if self.finished else {}
        self.query_one(EvalSummary).show(card.metrics | {k: kept[k] for k in ("tokens", "asked", "estimate") if k in kept})
        self._detail(self.table.current)

    async def on_verdict_table_cursor_moved(self, message: VerdictTable.CursorMoved) -> None:
        self._detail(message.position)
        await in_one_frame()

    def _detail(self, position: int | None) -> None:
        panels = {k: self.query_one(f"#rv-{k}", TextPanel) for k in ("input", "expected", "a", "b")}
        shown = self.shown
        if position is None or shown is None:
            for panel in panels.values():
                panel._body.update("")
            panels["input"].border_title = "input · no example in this view"
            return
        row, card = shown[0][position], shown[1]
        where = f"#{row.example_id}" if row.example_id is not None else f"row {position}"
        leak = " · leaked (near-duplicate in train)" if row.leaked else ""
        panels["input"].border_title = f"input · {where} · {row.split or ''}{leak}"
        panels["input"]._body.update(Text(row.prompt))
        panels["input"].border_subtitle = "prompt sent (template applied)" if row.prompt != row.text_input else ""
        panels["expected"]._body.update(Text(row.expected))
        for side, scores, right in (("a", card.a, card.right_a), ("b", card.b, card.right_b)):
            output, error = getattr(row, f"output_{side}"), getattr(row, f"error_{side}")
            human = getattr(row, f"human_{side}")
            model = self.models[0 if side == "a" else 1]
            panel = panels[side]
            if output is None:
                panel._body.update(Text(error or "no answer", style="red"))
            else:
                panel._body.update(highlighted(output, word_diff(row.expected, output)))
            whose = " (yours, reused from another run)" if getattr(row, f"reused_{side}") else " (yours)"
            verdict = ("right" if right[position] else "wrong") + (whose if human is not None else "")
            if row.truncated(side):
                verdict += " · cut at the max output tokens"
            panel.border_title = f"{side.upper()} · {model} · {verdict}"
            extracted = f"answer {scores.extracted[position]!r} · " if scores.extracted is not None else ""
            panel.border_subtitle = (f"{extracted}similarity {scores.similarity[position]:.0f} · "
                                     f"token F1 {scores.token_f1[position]:.2f}")
            judged = getattr(row, f"judge_{side}")
            if judged is not None and output is not None:
                said = {1: ("judge: pass", "green"), 0: ("judge: fail", "red")}.get(judged[0], ("judge: unreadable",
                                                                                                  "yellow"))
                body = highlighted(output, word_diff(row.expected, output))
                body.append(f"\n\n{said[0]} · {judged[1]}", said[1])
                panel._body.update(body)
            if card.stability is not None:
                agree, right_share = card.stability[side]
                panel.border_subtitle += (f" · {agree[position] * 100:.0f} % agree, "
                                          f"{right_share[position] * 100:.0f} % right")
        for panel in panels.values():
            panel.scroll_home(animate=False)

    def _set_filter(self, name: str) -> None:
        if self.shown is None:
            return
        self.filter_name = name
        self._show_result(self.table.current)

    def action_show_all(self) -> None:
        self._set_filter("all")

    def action_show_regressions(self) -> None:
        self._set_filter("regressions")

    def action_show_improvements(self) -> None:
        self._set_filter("improvements")

    def action_show_both_wrong(self) -> None:
        self._set_filter("both-wrong")

    def action_show_disagreements(self) -> None:
        self._set_filter("disagreements")

    def action_show_leaked(self) -> None:
        self._set_filter("leaked")

    def action_show_failed(self) -> None:
        self._set_filter("failed")

    def action_show_flaky(self) -> None:
        self._set_filter("flaky")

    def action_show_truncated(self) -> None:
        self._set_filter("truncated")

    def _pick_other_run(self, title: str, hint: str, picked: Callable[[str], None]) -> None:
        """Ask for another finished run of this dataset, then ``picked(run_id)``."""
        import datetime as dt

        from curator.core.evaluation.runs import Runs
        from curator.tui.screens.prompts import ChoicePrompt

        if not self.finished:
            self.notify("no scored run yet", severity="warning")
            return
        others = [r for r in Runs(self.workspace).list(self.result.run.dataset)
                  if r.id != self.result.run.id and r.metrics]
        if not others:
            self.notify("no other finished run of this dataset", severity="warning")
            return
        choices = [(r.id, f"{dt.datetime.fromtimestamp(r.created):%m-%d %H:%M} {r.id[:6]} {r.title} · "
                          f"{r.spec.get('examples', 0):,} ex") for r in others]
        self.app.push_screen(ChoicePrompt(title, choices, hint), lambda run_id: run_id and picked(run_id))

    def action_show_broke_since(self) -> None:
        """Pick another finished run of this dataset; list the examples B got right there and wrong here."""
        self._pick_other_run("Broke since which run?", "lists the examples B got right in that run and wrong in "
                             "this one", self._broke_since)

    @work(thread=True, group="broke-since")
    def _broke_since(self, run_id: str) -> None:
        from curator.core.evaluation.changes import broken_since
        from curator.core.evaluation.evaluate import load_run

        mask = broken_since(load_run(self.workspace, run_id), self.result)
        self.app.call_from_thread(self._show_broke_since, run_id, mask)

    def _show_broke_since(self, run_id: str, mask: np.ndarray) -> None:
        self._since = (run_id, mask)
        self._set_filter("broke-since")

    def action_scoring_rule(self) -> None:
        """Change what "right" means for this run (rescored at once) and keep it in the dataset's settings."""
        from curator.core.evaluation.evaluate import rule_of
        from curator.core.evaluation.rules import format_rule, parse_rule_text

        if not self.finished:
            self.notify("the rule can be changed once the run is scored", severity="warning")
            return
        current = rule_of(self.result.run)

        def apply(text: str | None) -> None:
            if text is None:
                return
            try:
                rule = parse_rule_text(text, rubric=current.rubric,
                                       base=Path(self.result.run.dataset).parent if self.result.run.dataset else None)
            except CuratorError as exc:
                self.notify(exc.reason, title="scoring rule", severity="error", timeout=8)
                return
            if rule.match == "judge" and current.match != "judge":
                self.notify("a judge rule asks the judge model: evaluate again (E) to run it", severity="warning")
                if self.keep_rule is not None:
                    self.keep_rule(rule)
                return
            self._rescore_rule(rule)

        self.app.push_screen(TextPrompt("Scoring rule", "answer extraction | when it is right, e.g. "
                                        "after:#### | numeric:0.01 · last-number · contains · json:fields=a,b "
                                        "(empty: the task's default)", format_rule(current)), apply)

    @work(thread=True, group="verdict")
    def _rescore_rule(self, rule: ScoringRule) -> None:
        from curator.core.evaluation.evaluate import rescore

        with self._verdict_lock:
            try:
                result = rescore(self.workspace, self.result, rule)
            except CuratorError as exc:
                self.post_message(self.Rescored(None, 0, exc.reason))
                return
        if self.keep_rule is not None:
            self.app.call_from_thread(self.keep_rule, rule)
        self.post_message(self.Rescored(result, 0))

    def action_sort_review(self) -> None:
        names = list(SORTS)
        self.sort = names[(names.index(self.sort) + 1) % len(names)]
        if self.shown is not None:
            self._show_result(self.table.current)

    # -- verdicts, jumps, summary, export ----------------------------------------------------------------------

    def _verdict(self, side: str) -> None:
        position = self.table.current
        if position is None or not self.finished:
            if self.running:
                self.notify("verdicts are kept with a finished run: wait for the end", severity="warning")
            return
        row = self.result.rows[position]
        verdict = VERDICT_CYCLE[getattr(row, f"human_{side}")]
        setattr(row, f"human_{side}", verdict)  # shown at once; kept and rescored in a worker
        said = {1: "right", 0: "wrong", None: "automatic"}[verdict]
        self.notify(f"{side.upper()} on #{row.example_id}: {said} (kept with the run)", timeout=2)
        self._rescore(self.result, position, side, verdict)

    @work(thread=True, group="verdict")
    def _rescore(self, result: EvalResult, position: int, side: str, verdict: int | None) -> None:
        with self._verdict_lock:  # one after another, so the last message holds every verdict
            try:
                rescored = record_verdict(self.workspace, result, position, side, verdict)
            except CuratorError as exc:
                self.post_message(self.Rescored(None, position, exc.reason))
                return
            self.post_message(self.Rescored(rescored, position))

    def on_review_screen_rescored(self, message: Rescored) -> None:
        if message.result is None:
            self.notify(message.error or "the verdict was not kept", severity="error")
            return
        self.result = message.result
        self._show_result(self.table.current)

    def action_verdict_a(self) -> None:
        self._verdict("a")

    def action_verdict_b(self) -> None:
        self._verdict("b")

    def action_go_to_example(self) -> None:
        position = self.table.current
        if self.running:
            self.notify("the evaluation is still running (ctrl+c cancels it)", severity="warning")
            return
        if position is None or not self.finished:
            return
        if not self.can_jump:
            self.notify("this run evaluated another file's examples", severity="warning")
            return
        self.app.post_message(GoToExample(self.result.rows[position].example_id))

    @property
    def run_template(self) -> str | None:
        """The production template of the run on screen (the one being launched, else the kept run's)."""
        return self.result.run.spec.get("template") if self.result is not None else self._template

    def action_playground(self) -> None:
        position, shown = self.table.current, self.shown
        if position is None or shown is None:
            return
        model_a, model_b = self.models
        self.app.post_message(OpenPlayground(ModelRef.parse(model_a), ModelRef.parse(model_b),
                                             shown[0][position].text_input, self.run_template))

    def action_summary(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = "rv-summary" if switcher.current == "rv-detail" else "rv-detail"
        (self.query_one(EvalSummary) if switcher.current == "rv-summary" else self.table).focus()

    def action_export_report(self) -> None:
        if not self.finished:
            self.notify("no scored run to export yet", severity="warning")
            return
        default = (self.report_dir or Path.cwd()) / f"eval-{self.result.run.id}"

        def write(folder: str | None, force: bool = False) -> None:
            if not folder:
                return
            try:
                paths = write_report(self.result, Path(folder).expanduser(), force=force)
            except ReportExists as exc:
                def answer(choice: str | None) -> None:
                    if choice == "overwrite":
                        write(folder, force=True)

                self.app.push_screen(AskScreen("Overwrite the report?", f"{', '.join(exc.names)} already in {folder}.",
                                               [("overwrite", "Overwrite"), ("cancel", "Cancel")], "cancel"), answer)
                return
            except (OSError, CuratorError) as exc:
                self.notify(f"cannot write the report: {exc}", severity="error", timeout=8)
                return
            self.notify(f"wrote {', '.join(p.name for p in paths)} in {paths[0].parent}", timeout=5)

        self.app.push_screen(TextPrompt("Export the report", "report.md, metrics.json and predictions.csv go "
                                        "into this folder", str(default)), write)

    def action_compare_runs(self) -> None:
        from curator.core.evaluation.evaluate import load_run
        from curator.tui.screens.compare import CompareScreen

        self._pick_other_run("What changed since which run?", "older and newer are told by the time they ran",
                             lambda run_id: self.app.push_screen(CompareScreen(self.result,
                                                                               load_run(self.workspace, run_id))))

    def action_close(self) -> None:
        if self.running:
            self.action_cancel_eval()
            return
        self.dismiss(None)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
