"""The main screen: the example table, the detail pane, the status bar, and every browsing action.

Editing actions live in ``curator.tui.screens.editing`` (a mixin); both read their names and keys from
``curator.tui.actions``. Checks run in thread workers that post ``ChecksDone``; nothing here blocks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from rich.markup import escape
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from curator.core.checks import run_checks
from curator.core.checks.limits import limits_for
from curator.core.errors import Cancelled, CuratorError
from curator.core.heap import collector_paused
from curator.core.model import Finding, Severity
from curator.core.ops import AddRows
from curator.core.progress import Progress as JobProgress
from curator.core.session import Session
from curator.core.storage.stamp import DELETED
from curator.core.settings import Settings, save_dataset_settings
from curator.core.template import parse_template
from curator.core.template.display import InputDisplay, input_display
from curator.core.view import SORT_NAMES, SUSPECT, Filter
from curator.tui.actions import DUPLICATES, MAIN, bindings, key_of
from curator.tui.screens.editing import EditingActions
from curator.tui.screens.filter import FilterScreen
from curator.tui.screens.help import HelpScreen
from curator.tui.screens.prompts import AskScreen, ChoicePrompt, TextPrompt
from curator.tui.view_state import FindingIndex, ViewState
from curator.tui.widgets.cursor_view import CursorActions, in_one_frame
from curator.tui.widgets.detail_pane import DetailPane
from curator.tui.widgets.example_table import ExampleTable
from curator.tui.widgets.status_bar import StatusBar

PAINT_WAIT = 2.0  # seconds the first checks wait for the first screen to be painted, at the most


class SearchBar(Input):
    """The ``/`` search line: enter searches, escape closes it."""

    BINDINGS = [Binding("escape", "close", "close search", show=False)]

    def action_close(self) -> None:
        self.display = False
        self.screen.query_one(ExampleTable).focus()


class MainScreen(EditingActions, CursorActions, Screen):
    """Browse, search, filter, select and edit the examples of one session."""

    BINDINGS = bindings(MAIN)
    CSS_PATH = "main.tcss"

    class ChecksDone(Message):
        """A check worker finished (``slow`` for near-duplicates and leakage), its findings indexed."""

        def __init__(self, findings: FindingIndex, slow: bool, generation: int) -> None:
            self.findings, self.slow, self.generation = findings, slow, generation
            super().__init__()

    class Progress(Message):
        def __init__(self, text: str, run: int = 0) -> None:
            self.text, self.run = text, run  # run: the slow-check run it reports on (0: not a slow check)
            super().__init__()

    class SuspectsFound(Message):
        """The suspect-label ranking is ready (or could not be made: ``error``)."""

        def __init__(self, found, error: str | None = None) -> None:
            self.found, self.error = found, error
            super().__init__()

    def __init__(self, session: Session, settings: Settings, *, run_slow_checks: bool = True,
                 partial: bool = False) -> None:
        """``partial``: ``session`` holds the first examples of a file still being read; ``loaded`` gives the
        whole one. Until then browsing works and the actions that need every example say so."""
        super().__init__()
        self.session = session
        self.partial = partial
        self._loading_since = time.monotonic()
        self._loading_size = session.path.stat().st_size if partial and session.path.exists() else 0
        self._loading_timer = None
        self.load_fraction: float | None = None  # how much of the file is read, when the reader tells
        self._checked = False  # the fast checks have reported once
        self.settings = settings
        self.state = ViewState(session)
        self.limits = limits_for(settings.target, settings.base_model)
        self.whitespace = False
        self.progress_text = ""
        self._title = ""  # what the title bar shows
        self.run_slow_checks = run_slow_checks
        self._generation = 0  # bumps on every data change, so stale check results are dropped
        self._store = None
        self._painted = threading.Event()  # the first screen is on the terminal: the checks may take a core
        self._recheck_timer = None
        self._slow_run = 0  # counts slow-check runs (and cancels), so stale progress is dropped
        self._search_error: Notification | None = None
        self.changed_on_disk: str | None = None  # what changed the file on disk since it was read or saved
        self._watcher = None  # the worker looking at the file on disk, if one is
        self._saving = False  # a save's worker drops deleted examples from the dataset while it runs
        self._after_save: list[Callable[[], None]] = []  # workers' results that redraw rows, held until then

    # -- layout ------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="title-bar")
        yield ExampleTable(self.state, id="table")
        yield DetailPane(id="detail")
        search = SearchBar(placeholder="search input and output · re: for a regex · enter to search", id="search-bar")
        search.cursor_blink = False
        search.display = False
        yield search
        yield StatusBar(id="status")
        yield Footer()

    @property
    def table(self) -> ExampleTable:
        return self.query_one(ExampleTable)

    def on_mount(self) -> None:
        self.state.recompute()
        self.table.invalidate()
        self.table.focus()
        self.refresh_all(detail=True)
        if self.partial:
            self._loading_timer = self.set_interval(0.1, lambda: self.refresh_all(detail=False))
        else:
            self.start_checks()
            self._start_watching()
        self.call_after_refresh(self._painted.set)

    def start_checks(self) -> None:
        self.check_fast()
        if self.run_slow_checks:
            self.check_slow()
        self.describe_inputs()

    # -- the file on disk ------------------------------------------------------------------------------------

    def _start_watching(self) -> None:
        self.set_interval(getattr(self.app, "watch_interval", 2.0), self._look_at_disk)

    def _look_at_disk(self) -> None:
        """One look at a time: a look still under way (a large file being hashed) is left to finish."""
        if self._watcher is None or self._watcher.is_finished:
            self._watcher = self.watch_disk()

    class DiskChanged(Message):
        def __init__(self, detail: str) -> None:
            self.detail = detail
            super().__init__()

    @work(thread=True, group="watch")
    def watch_disk(self) -> None:
        """Look whether something else changed the file (a stat; a hash only when needed), off the UI thread."""
        detail = self.session.disk_change()
        if detail is not None:
            self.post_message(self.DiskChanged(detail))

    def on_main_screen_disk_changed(self, message: DiskChanged) -> None:
        """Say it without stopping anyone: reload when nothing is unsaved, else saving will ask."""
        self.changed_on_disk = message.detail
        name, changes = self.session.path.name, len(self.session.history.labels())
        if message.detail == DELETED:
            text = (f"{name} was deleted or moved away on disk; you can still save it there (ctrl+s)" if
                    not self.session.read_only else f"{name} was deleted or moved away on disk")
        elif self.session.read_only or not changes:
            text = f"{name} changed on disk ({message.detail}). ctrl+r reloads it."
        else:
            text = (f"{name} changed on disk ({message.detail}) and you have {changes} unsaved change(s): saving "
                    "will ask whether to overwrite it; ctrl+r reloads it and drops them.")
        self.notify(text, title="changed on disk", severity="warning", timeout=12)
        self.refresh_all(detail=False)

    def action_reload(self) -> None:
        if not self._ready():
            return
        changes = 0 if self.session.read_only else len(self.session.history.labels())
        if not changes:
            self.app.reload_from_disk()
            return

        def answer(choice: str | None) -> None:
            if choice == "reload":
                self.app.reload_from_disk()

        self.app.push_screen(AskScreen("Reload from disk", f"Reload {self.session.path.name} as it is on disk now "
                                       f"and lose your {changes} unsaved change(s)?",
                                       [("reload", "Reload, losing them"), ("cancel", "Cancel")], "cancel"), answer)

    # -- how inputs are listed -----------------------------------------------------------------------------

    class InputsDescribed(Message):
        def __init__(self, display: InputDisplay) -> None:
            self.display = display
            super().__init__()

    @work(thread=True, exclusive=True, group="inputs")
    def describe_inputs(self) -> None:
        """Find how to list the inputs so rows can be told apart: the template's slots, else shared starts."""
        from curator.core.template import infer_template

        self._painted.wait(PAINT_WAIT)
        inputs = self.session.dataset.active()["text_input"].fill_null("")
        template = None
        try:
            if self.settings.template:
                template = parse_template(self.settings.template)
            elif len(inputs):
                template = infer_template(inputs).template
        except CuratorError:
            template = None
        self.post_message(self.InputsDescribed(input_display(inputs, template)))

    def on_main_screen_inputs_described(self, message: InputsDescribed) -> None:
        if self.held_while_saving(self.on_main_screen_inputs_described, message):
            return
        self.state.input_display = message.display
        self.table.invalidate()
        self.refresh_all(detail=False)

    def action_toggle_inputs(self) -> None:
        self.state.whole_inputs = not self.state.whole_inputs
        self.table.invalidate()
        self.refresh_all(detail=False)

    # -- loading -----------------------------------------------------------------------------------------

    def loaded(self, session: Session, settings: Settings) -> None:
        """The whole file is read: show all of it (keeping the view, cursor, search and selection), then check it."""
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self.session, self.state.session, self.settings = session, session, settings
        self.limits = limits_for(settings.target, settings.base_model)
        self._store = None
        self.partial = False
        self.reload_view()
        self.start_checks()
        self._start_watching()

    def _ready(self) -> bool:
        """Whether every example is in; if not, says that the action waits for the whole file."""
        if self.partial:
            self.notify(f"still reading {self.session.path.name}: this needs every example; "
                        "browsing and search work meanwhile", title="loading", severity="warning", timeout=3)
        return not self.partial

    @property
    def store(self):
        """The near-duplicate scans' cache and marks of the dataset's workspace: the session's (it follows a "save
        as" into another folder), else, for a file open read-only, the one the command line uses for it (None
        when none can be opened)."""
        from curator.core.dedupe.store import DedupeStore
        from curator.core.storage.workspace import Workspace

        workspace = self.session.workspace
        if self._store is not None and workspace is not None and self._store.workspace is not workspace:
            self._store = None
        if self._store is None:
            if workspace is None:
                try:
                    workspace = Workspace.for_dataset(self.session.path)
                except (OSError, sqlite3.Error):
                    return None
            self._store = DedupeStore(workspace, isolated=True)
        return self._store

    def _loading_text(self) -> str:
        spinner = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
        elapsed = time.monotonic() - self._loading_since
        share = f"{self.load_fraction:.0%} · " if self.load_fraction is not None else ""
        return (f"{spinner[int(elapsed * 10) % len(spinner)]} reading {self._loading_size / 1e6:,.0f} MB… "
                f"{share}{elapsed:.1f} s")

    # -- refreshing ------------------------------------------------------------------------------------

    def refresh_all(self, *, detail: bool = True) -> None:
        """Repaint the title, the status bar and (optionally) the detail pane from the state."""
        spec = self.state.spec
        parts = [f"[b]{self.session.path.name}[/b]"]
        if spec.filter.active:
            parts.append(f"filter: {spec.filter.describe()}  [dim](esc clears)[/dim]")
        if spec.sort != "id" or spec.descending:
            parts.append(f"sort: {spec.sort}{' ↓' if spec.descending else ''}")
        if self.state.input_display.active:
            shown = "input: whole" if self.state.whole_inputs else self.state.input_display.describe()
            parts.append(f"{escape(shown)} [dim](i)[/dim]")
        if self.state.pattern:
            typed = escape(("re:" if self.state.regex else "") + self.state.pattern)
            parts.append(f"search: “{typed}” ({len(self.state.matches):,} matches)")
        title = "  ·  ".join(parts)
        if title != self._title:  # one line high (main.tcss): redrawn alone, and only when it changed
            self._title = title
            self.query_one("#title-bar", Static).update(title, layout=False)
        frame = self.session.dataset.frame
        deleted = int(frame["deleted"].sum())
        self.query_one(StatusBar).update_state(
            file=str(self.session.path.name), total=frame.height - deleted, deleted=deleted,
            shown=len(self.state.ids) if spec.filter.active else None,
            selected=len(self.state.selected), changes=len(self.session.history.labels()),
            target=self.settings.target, read_only=self.session.read_only and not self.partial,
            progress=self._loading_text() if self.partial else self.progress_text, partial=self.partial,
            changed_on_disk=self.changed_on_disk is not None)
        if detail:
            self.refresh_detail()

    def refresh_detail(self) -> None:
        row = self.table.current
        data = self.session.dataset.get(row.id) if row else None
        findings = self.state.findings_of(row.id) if row else []
        unchecked = ("checks start when the whole file is read" if self.partial else
                     "" if self._checked else "checking…")
        if row is not None and self.state.suspects is not None:
            findings = self._suspect_note(row.id) + findings
        self.query_one(DetailPane).show(data, findings, self.limits, whitespace=self.whitespace,
                                        pattern=self.state.pattern, regex=self.state.regex, unchecked=unchecked)

    async def on_example_table_cursor_moved(self, message: ExampleTable.CursorMoved) -> None:
        self.refresh_detail()
        await in_one_frame()

    def reload_view(self, keep_id: int | None = None) -> None:
        """Recompute the view and keep the cursor on ``keep_id`` (or the current example) when still shown."""
        current = self.table.current
        keep_id = keep_id if keep_id is not None else (current.id if current else None)
        self.state.recompute()
        index = self.state.index_of(keep_id) if keep_id is not None else None
        self.table.invalidate()
        if index is not None:
            self.table.move_to(index)
        else:
            self.table.move_to(min(self.table.cursor, max(0, len(self.state.ids) - 1)))
        self.refresh_all()

    def data_changed(self, keep_id: int | None = None) -> None:
        """After an op: new view, new marks, and a fresh run of the fast checks shortly after."""
        self._generation += 1
        self.reload_view(keep_id)
        if self._recheck_timer is not None:
            self._recheck_timer.stop()
        self._recheck_timer = self.set_timer(0.4, self.check_fast)

    # -- checks --------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="fast-checks")
    def check_fast(self) -> None:
        self._painted.wait(PAINT_WAIT)
        generation = self._generation
        with collector_paused():  # ~600k objects at 1M examples: collections walking them held keys up
            index = FindingIndex.of(run_checks(self.session.dataset, self.settings, skip_slow=True), slow=False)
        self.post_message(self.ChecksDone(index, False, generation))

    @work(thread=True, exclusive=True, group="slow-checks")
    def check_slow(self) -> None:
        self._painted.wait(PAINT_WAIT)
        worker = get_current_worker()
        generation = self._generation
        self._slow_run += 1
        run = self._slow_run
        last = [0.0]

        def progress(p: JobProgress) -> None:  # a few redraws of the status bar a second
            now = time.monotonic()
            if now - last[0] > 0.2:
                last[0] = now
                self.post_message(self.Progress(f"checking {p.stage} {p.fraction:4.0%}", run))

        try:
            findings = run_checks(self.session.dataset, self.settings, skip_fast=True, progress=progress,
                                  cancel=worker.cancelled_event, store=self.store)
        except Cancelled:
            return
        except Exception as exc:  # a failure to show rather than crash the app
            self.post_message(self.Progress(f"checks failed: {exc}"))
            return
        with collector_paused():
            index = FindingIndex.of(findings, slow=True)
        self.post_message(self.ChecksDone(index, True, generation))

    def on_main_screen_progress(self, message: Progress) -> None:
        if message.run and message.run != self._slow_run:
            return  # a cancelled or replaced scan's late progress must not reappear in the status bar
        self.progress_text = message.text
        self.refresh_all(detail=False)

    def on_main_screen_checks_done(self, message: ChecksDone) -> None:
        if self.held_while_saving(self.on_main_screen_checks_done, message):
            return
        if message.slow:
            self.progress_text = "" if message.generation == self._generation else "near-duplicates: rerun with c"
        elif message.generation != self._generation:
            return
        else:
            self._checked = True
        self.state.set_findings(message.findings, message.slow)
        if self.state.spec.filter.rule or self.state.spec.sort == "findings":
            self.reload_view()
        else:
            self.table.invalidate()
            self.refresh_all()

    def go_to_example(self, example_id: int) -> bool:
        """Put the cursor on an example, clearing the filter if it hides it; False when it does not exist."""
        if example_id not in self.session.dataset:
            return False
        if self.state.index_of(example_id) is None:
            self.state.spec = replace(self.state.spec, filter=Filter())
            self.reload_view(example_id)
        index = self.state.index_of(example_id)
        self.table.move_to(index or 0)
        return True

    def show_examples(self, ids: frozenset[int], label: str) -> None:
        """List only ``ids`` (the filter says ``label``; esc clears it)."""
        self.state.spec = replace(self.state.spec, filter=Filter(ids=frozenset(ids), ids_label=label))
        self.reload_view()

    # -- search -------------------------------------------------------------------------------------------

    def action_search(self) -> None:
        bar = self.query_one(SearchBar)
        bar.display = True
        bar.value = ("re:" if self.state.regex else "") + self.state.pattern
        bar.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search-bar":
            return
        event.input.display = False
        self.table.focus()
        self.set_search(event.value)

    def set_search(self, text: str) -> None:
        """Search for ``text`` (``re:`` prefix for a regex) and move to the first match at or after the cursor."""
        regex = text.startswith("re:")
        pattern = text[3:] if regex else text
        old = (self.state.pattern, self.state.regex)
        self.state.pattern, self.state.regex = pattern, regex
        self._forget_search_error()
        try:
            self.state.rematch()
        except CuratorError as exc:
            self.state.pattern, self.state.regex = old
            self._search_error = Notification(exc.reason, "search", "error", 10)
            self.app.post_message(Notify(self._search_error))
            return
        self.table.search_pattern, self.table.search_regex = pattern, regex
        self.table.invalidate()
        if pattern and not len(self.state.matches):
            self.notify(f"no match for “{text}”", title="search", severity="warning", markup=False)
        elif pattern:
            self._jump_match(forward=True, include_current=True)
        self.refresh_all()

    def _jump_match(self, forward: bool, include_current: bool = False) -> None:
        matches = self.state.matches
        if not len(matches):
            self.notify("no search matches (/ to search)", severity="warning")
            return
        cursor = self.table.cursor
        if forward:
            k = np.searchsorted(matches, cursor, side="left" if include_current else "right")
            target = matches[k] if k < len(matches) else matches[0]
        else:
            k = np.searchsorted(matches, cursor, side="left") - 1
            target = matches[k] if k >= 0 else matches[-1]
        self.table.move_to(int(target))

    def action_next_match(self) -> None:
        self._jump_match(forward=True)

    def action_previous_match(self) -> None:
        self._jump_match(forward=False)

    # -- filter and sort -------------------------------------------------------------------------------------

    def action_filter(self) -> None:
        def apply(result: Filter | None) -> None:
            if result is not None:
                self.apply_filter(result)

        self.app.push_screen(FilterScreen(self.state.spec.filter, self.state.tags(), self.state.rule_counts()), apply)

    def apply_filter(self, flt: Filter) -> None:
        self.state.spec = replace(self.state.spec, filter=flt)
        try:
            self.reload_view()
        except CuratorError as exc:
            self.notify(exc.reason, title="filter", severity="error")
            self.state.spec = replace(self.state.spec, filter=Filter())
            self.reload_view()

    def _forget_search_error(self) -> None:
        """Take down the toast of a bad search once its cause is gone (a new search, or esc)."""
        if self._search_error is not None:
            self.app._unnotify(self._search_error)
            self._search_error = None

    def action_clear(self) -> None:
        self._forget_search_error()
        if self.state.pattern:
            self.set_search("")
        elif self.state.spec.filter.active:
            self.apply_filter(Filter())
        elif self.state.selected:
            self.action_unselect_all()

    def action_suspect_labels(self) -> None:
        """Rank the examples whose label the data disagrees with and list them, most suspect first (again: back
        to every example)."""
        if self.state.spec.filter.ids_label.startswith("suspect labels"):
            self.state.spec = replace(self.state.spec, filter=Filter(), sort="id", descending=False)
            self.reload_view()
            return
        if not self._ready():
            return
        self.notify("scoring every label out of fold with the local learner…", timeout=3)
        self._find_suspects(self.session.dataset.active())

    @work(thread=True, exclusive=True, group="suspects")
    def _find_suspects(self, frame) -> None:
        from curator.core.suspects import find_suspect_labels

        try:
            self.post_message(self.SuspectsFound(find_suspect_labels(frame)))
        except CuratorError as exc:
            self.post_message(self.SuspectsFound(None, exc.reason))

    def on_main_screen_suspects_found(self, message: SuspectsFound) -> None:
        if self.held_while_saving(self.on_main_screen_suspects_found, message):
            return
        if message.found is None:
            self.notify(message.error or "no ranking", title="suspect labels", severity="warning", timeout=8)
            return
        found = message.found
        self.state.suspects = found
        self.state.suspect_ranks = {int(i): rank for rank, i in enumerate(found.ranking())}
        ranked = found.ranked
        self.state.spec = replace(self.state.spec, filter=Filter(
            ids=frozenset(int(i) for i in ranked), ids_label=f"suspect labels ({len(ranked):,})"),
            sort=SUSPECT, descending=False)
        self.reload_view()
        if not len(ranked):
            self.notify("no suspect label: the data agrees with every label", title="suspect labels", timeout=5)

    def _suspect_note(self, example_id: int) -> list[Finding]:
        """The suspect-label verdict of an example, shown with its findings."""
        found = self.state.suspects
        at = self.state.suspect_ranks.get(example_id)
        if at is None:
            return []
        n = int(np.flatnonzero(found.ids == example_id)[0])
        if not found.suspect[n]:
            return []
        return [Finding("label.suspect", Severity.INFO, (example_id,),
                        f"the data says {found.suggested[n]!r} ({found.suggested_probability[n]:.2f}); "
                        f"{found.given[n]!r} has {found.probability[n]:.2f}, below its usual {found.threshold[n]:.2f}")]

    def action_sort(self) -> None:
        current = self.state.spec

        def apply(name: str | None) -> None:
            if name is None:
                return
            descending = not current.descending if name == current.sort else name in ("findings", "input length",
                                                                                          "output length")
            self.state.spec = replace(current, sort=name, descending=descending)
            self.reload_view()

        choices = [(n, f"{n}{'  (current: press again to reverse)' if n == current.sort else ''}") for n in SORT_NAMES]
        self.app.push_screen(ChoicePrompt("Sort by", choices, current=current.sort), apply)

    # -- selection ------------------------------------------------------------------------------------------

    def _select(self, mode: str) -> None:
        row = self.table.current
        if row is None:
            return
        if mode == "select" or (mode == "toggle" and row.id not in self.state.selected):
            self.state.selected.add(row.id)
        else:
            self.state.selected.discard(row.id)
        self.table.invalidate()
        self.table.move_to(self.table.cursor + 1)
        self.refresh_all(detail=False)

    def action_select(self) -> None:
        self._select("select")

    def action_toggle(self) -> None:
        self._select("toggle")

    def action_unselect(self) -> None:
        self._select("unselect")

    def action_select_all(self) -> None:
        self.state.selected.update(int(i) for i in self.state.ids)
        self.table.invalidate()
        self.refresh_all(detail=False)

    def action_unselect_all(self) -> None:
        self.state.selected.clear()
        self.table.invalidate()
        self.refresh_all(detail=False)

    # -- views ---------------------------------------------------------------------------------------------

    def action_toggle_whitespace(self) -> None:
        self.whitespace = not self.whitespace
        self.refresh_detail()

    def action_recheck(self) -> None:
        if not self._ready():
            return
        self.progress_text = "checking…"
        self.refresh_all(detail=False)
        self.check_fast()
        self.check_slow()

    def action_cancel_scan(self) -> None:
        running = [w for w in self.workers if w.node is self and w.group == "slow-checks" and w.is_running]
        if not running:
            self.notify("no scan is running", timeout=2)
            return
        for worker in running:
            worker.cancel()
        self._slow_run += 1  # progress the cancelled scan still posts is dropped
        self.progress_text = ""  # the status bar shows no progress of a scan that no longer runs
        self.refresh_all(detail=False)
        self.notify(f"scan cancelled ({key_of(MAIN, 'recheck')} runs it again)", timeout=3)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.session.history.labels()))

    def action_frequencies(self) -> None:
        if not self._ready():
            return
        from curator.tui.screens.frequency import FrequencyScreen

        def apply(result: Filter | None) -> None:
            if result is not None:
                self.apply_filter(result)

        self.app.push_screen(FrequencyScreen(self.session.dataset.active()), apply)

    def action_playground(self, model_a=None, model_b=None, text: str | None = None, template: str | None = None) -> None:
        """Open the playground on ``text`` or the cursor row's input (models: the base and the latest tuned
        one; template: the given one, else the settings', else the inferred one)."""
        if not self._ready():
            return
        from curator.core.models import default_pair, known_models
        from curator.core.template import infer_template
        from curator.tui.screens.playground import PlaygroundScreen

        try:
            jobs = self.app.jobs()
        except CuratorError as exc:
            self.notify(exc.reason, severity="error")
            return
        if text is None:
            row = self.table.current
            text = self.session.dataset.get(row.id)["text_input"] or "" if row else ""
        if model_a is None:
            model_a, model_b = default_pair(self.session.workspace)
        template = template or self.settings.template
        if template is None:
            active = self.session.dataset.active()
            inferred = infer_template(active["text_input"]) if active.height else None
            template = inferred.template.source if inferred and inferred.template else None

        def add_example(text_input: str, output: str) -> bool:
            ds = self.session.dataset
            (new_id,) = ds.reserve_ids(1)
            return self.do(AddRows("save-example", (ds.new_row(new_id, text_input=text_input, output=output),)),
                           new_id)

        self.app.push_screen(PlaygroundScreen(
            generate=self.app.generate_answer, model_a=model_a, model_b=model_b, template=template, text=text,
            known_models=known_models(jobs), workspace=self.session.workspace, dataset_path=self.session.path,
            add_example=None if self.session.read_only else add_example, limits=self.limits))

    def action_evaluate(self) -> None:
        """Set up an evaluation of A against B, then run it in the review screen."""
        if not self._ready():
            return
        from curator.core.evaluation.rules import ScoringRule, rule_from_settings
        from curator.core.models import default_pair, known_models
        from curator.tui.screens.eval_setup import EvalSetupScreen

        try:
            jobs = self.app.jobs()
        except CuratorError as exc:
            self.notify(exc.reason, severity="error")
            return
        active = self.session.dataset.active()
        split_counts = dict(zip(*active["split"].value_counts().to_dict(as_series=False).values()))
        auto = split_counts.get("test") or split_counts.get("validation") or active.height
        example_counts = {"auto": auto, **{k: split_counts.get(k, 0) for k in ("test", "validation", "train")},
                          "all": active.height, "view": self.state.row_count()}
        model_a, model_b = default_pair(self.session.workspace)
        try:
            rule = rule_from_settings(self.settings, self.session.path)
        except CuratorError as exc:
            self.notify(f"the settings' scoring rule: {exc.reason}", severity="warning", timeout=8)
            rule = ScoringRule()
        self.app.push_screen(EvalSetupScreen(model_a, model_b, self.settings.template, example_counts,
                                             known_models(jobs), rule, self.session.path.parent,
                                             estimate=self._estimate_evaluation),
                             self._start_evaluation)

    def _plan(self, form):
        """The evaluation plan of the form's choices (a CuratorError when one is invalid)."""
        from curator.core.evaluation.plan import EvalChoice, plan_evaluation

        view = form.examples == "view"
        choice = EvalChoice(form.model_a, form.model_b, form.config, form.template, form.task,
                            "auto" if view else form.examples, tuple(self.state.ids.tolist()) if view else None,
                            other_file=form.other_file, rule=form.rule, samples=form.samples)
        return plan_evaluation(self.session.dataset, self.session.path, self.session.workspace, self.settings,
                               choice)

    def _estimate_evaluation(self, form) -> str:
        """What the form's evaluation will cost (called from the form's worker)."""
        return self._plan(form).estimate(batch=form.batch).text()

    def _start_evaluation(self, form) -> None:
        if form is None:
            return
        jobs = self.app.jobs()
        try:
            plan = self._plan(form)
        except CuratorError as exc:
            self.notify(exc.reason, title="evaluation", severity="warning")
            return
        self._keep_rule(form.rule)

        def launch(progress, cancel, partial):  # in the review's worker: reading another file, the leakage scan
            return plan.run(jobs.new_backend, concurrency=form.concurrency, rpm=form.rpm, progress=progress,
                            cancel=cancel, batch=form.batch, partial=partial)

        self._open_review(launch=launch, title=f"A {form.model_a} vs B {form.model_b} · {plan.selection}",
                          can_jump=form.other_file is None, models=(str(form.model_a), str(form.model_b)),
                          template=form.template, rule=form.rule)

    def _keep_rule(self, rule) -> None:
        """Keep a scoring rule chosen in the app in the dataset's settings."""
        from curator.core.evaluation.rules import rule_settings

        values = rule_settings(rule)
        if all(getattr(self.settings, key) == value for key, value in values.items()):
            return
        self.settings = self.app.settings = replace(self.settings, **values)
        self.keep_settings(values)

    def action_eval_runs(self) -> None:
        """Pick a kept evaluation run of this dataset and open it in the review."""
        if not self._ready():
            return
        import datetime as dt

        from curator.core.evaluation.evaluate import load_run
        from curator.core.evaluation.report import headline
        from curator.core.evaluation.runs import Runs
        from curator.tui.screens.prompts import ChoicePrompt

        workspace = self.session.workspace
        if workspace is None:
            self.notify("this file is open read-only: it has no workspace with runs", severity="warning")
            return
        runs = Runs(workspace).list(self.session.path)
        if not runs:
            self.notify("no evaluation runs yet: E evaluates", severity="warning")
            return
        choices = []
        for run in runs:
            when = dt.datetime.fromtimestamp(run.created).strftime("%m-%d %H:%M")
            head = f" · {headline(run.metrics)}" if run.metrics else ""
            choices.append((run.id, f"{when} {run.state:9} {run.title} · {run.spec.get('examples', 0):,} ex{head}"))

        def picked(run_id: str | None) -> None:
            if run_id:
                result = load_run(workspace, run_id)
                self._open_review(result=result, can_jump=result.run.spec.get("examples_file") is None)

        self.app.push_screen(ChoicePrompt("Evaluation runs", choices, "enter opens the run in the review"), picked)

    def _open_review(self, **kwargs) -> None:
        from curator.tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(self.session.workspace, report_dir=self.session.path.parent,
                                          keep_rule=self._keep_rule, **kwargs))

    def action_tuning(self) -> None:
        if not self._ready():
            return
        from curator.tui.screens.tuning import TuningScreen

        try:
            jobs = self.app.jobs()
        except CuratorError as exc:
            self.notify(exc.reason, severity="error")
            return
        self.app.push_screen(TuningScreen(self.session, self.settings, jobs))

    def action_duplicates(self) -> None:
        if not self._ready():
            return
        from curator.core.checks.near_dups import dedupe_params
        from curator.core.dedupe import scan_dataset
        from curator.tui.screens.duplicates import DuplicatesScreen, Found
        from curator.tui.screens.scan_options import OPTION_KEYS

        ds, store = self.session.dataset, self.store
        cap = f"{key_of(DUPLICATES, 'scan-options')}: max chars"  # how the app changes the length cap

        def scan(settings: Settings, progress, cancel, max_seconds: float | None = None) -> Found:
            params = dict(dedupe_params(settings), progress=progress, cancel=cancel, max_seconds=max_seconds)
            if store is None:
                result = scan_dataset(ds, **params, isolated=True)
                return Found(list(result.clusters), list(result.numeric), result.compare, result.templates,
                             result.uncompared_note(cap))
            result, _ = store.dedupe(ds, **params)
            field = settings.near_dup_field
            return Found(store.clusters(ds, result, field), store.clusters(ds, result, field, numeric=True),
                         result.compare, result.templates, result.uncompared_note(cap))

        def not_duplicate(cluster, member: int | None, field: str, undo: bool) -> None:
            if store is None:
                raise CuratorError("no workspace can be written for this file; marks cannot be kept")
            if member is None:
                (store.unmark_cluster if undo else store.mark_cluster)(ds, cluster, field)
            else:
                (store.unmark if undo else store.mark_not_duplicate)(ds, cluster.keeper, member, field)

        def keep_options(settings: Settings) -> None:
            self.settings = self.app.settings = settings
            self.keep_settings({key: getattr(settings, key) for key in OPTION_KEYS})

        def back(_: None) -> None:
            self.check_slow()  # marks, deletions and new options change the near-duplicate findings

        self.app.push_screen(DuplicatesScreen(ds, self.settings, scan, lambda op, message: self.do(op, message=message),
                                              not_duplicate, keep_options, self.step_history), back)

    def step_history(self, direction: str) -> None:
        """Undo or redo from a screen above the table (``direction`` is "undo" or "redo")."""
        self.action_undo() if direction == "undo" else self.action_redo()

    def action_set_template(self) -> None:
        if not self._ready():
            return
        current = self.settings.template
        inferred = next((f.message for f in self.state.findings if f.rule == "template.inferred"), "")

        def apply(text: str | None) -> None:
            if text is None:
                return
            source = text.replace("\\n", "\n") or None
            try:
                self.settings = self.settings.with_overrides(template=source) if source else \
                    replace(self.settings, template=None)
            except CuratorError as exc:
                self.notify(exc.reason, title="template", severity="error", timeout=8)
                return
            self.keep_setting("template", source)
            self.app.settings = self.settings
            self.notify("template set; checking the inputs against it" if source else
                        "template cleared; the dominant structure is inferred", timeout=3)
            self.check_fast()
            self.describe_inputs()

        hint = "write line breaks as \\n; fields as {name}; empty infers it from the data"
        if inferred:
            hint += f"\ninferred: {inferred}"
        self.app.push_screen(TextPrompt("Production prompt template", hint,
                                        (current or "").replace("\n", "\\n"),
                                        "Classify the ticket.\\nquestion: {question}\\ncontext: {context}"), apply)

    def keep_setting(self, key: str, value) -> None:
        """Write a setting the user changed into the dataset's settings file, where every command reads it."""
        self.keep_settings({key: value})

    def keep_settings(self, values: dict) -> None:
        """``keep_setting`` for several settings at once (one write)."""
        if self.session.read_only:
            return
        try:
            save_dataset_settings(self.session.path, values)
        except CuratorError as exc:
            self.notify(str(exc), title="settings not saved", severity="error", timeout=10)

    def action_findings(self) -> None:
        if not self._ready():
            return
        from curator.tui.screens.findings import FindingsScreen

        def apply(op, message: str) -> bool:
            return self.do(op, message=message)

        self.app.push_screen(FindingsScreen(self.state.findings, apply, self.line_of, self.step_history,
                                            self.split_of, self.alive_ids))

    def split_of(self, example_id: int) -> str:
        try:
            return self.session.dataset.get(example_id)["split"] or "train"
        except KeyError:
            return "unknown"

    def alive_ids(self) -> set[int]:
        """The ids of the examples not marked for deletion (one dropped by a save is in no list)."""
        return set(self.session.dataset.active()["id"].to_list())

    def line_of(self, example_id: int) -> str:
        """Where an example is: its line in the file, or its id when it was added."""
        try:
            line = self.session.dataset.get(example_id)["src_line"]
        except KeyError:
            return f"id {example_id}"
        return f"line {line}" if line is not None else f"id {example_id}"

    def action_quit(self) -> None:
        self.app.action_quit_curator()
