"""The curator app: opens a dataset in a worker (with a loading screen), offers crash recovery, shows the
main screen, and asks before quitting with unsaved changes. Every action is in the command palette."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static
from textual.worker import get_current_worker

from curator.core import recent
from curator.core.demo import demo_copy
from curator.core.errors import CuratorError, FieldsUnknown, MoreProblems
from curator.core.formats.base import FormatOptions
from curator.core import loading
from curator.core.opening import Opening
from curator.core.session import Session
from curator.core.settings import Settings, load_settings, remember_columns
from curator.core.storage.lock import InUse
from curator.tui.actions import MAIN, REMAPPED, key_label
from curator.tui.keymap import KEYMAP_FILE, load_keymap
from curator.tui.messages import GoToExample, OpenPlayground, ShowExamples
from curator.tui.screens.main import MainScreen
from curator.tui.screens.prompts import AskScreen
from curator.tui.screens.start import StartScreen


SWITCH_INTERVAL = 0.001  # seconds a busy thread keeps the interpreter lock from one waiting for it (Python's: 5 ms)

# What the core logs for people (e.g. settings moved) is shown in the app as notices, never written to the screen.
logging.getLogger("curator").addHandler(logging.NullHandler())


class ActionCommands(Provider):
    """Every action of the registry, by name, in the command palette (ctrl+p)."""

    def _actions(self):
        screen = self.screen
        actions = MAIN if isinstance(screen, MainScreen) else getattr(screen, "ACTIONS", ())
        return [(f"{a.name}  ({', '.join(key_label(k) for k in a.current_keys)})", a) for a in actions]

    async def discover(self) -> Hits:
        for title, action in self._actions():
            yield DiscoveryHit(title, partial(self.screen.run_action, action.method), help=action.description)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in self._actions():
            score = max(matcher.match(title), matcher.match(action.description) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.screen.run_action, action.method),
                          help=action.description)


class LoadingScreen(Screen[None]):
    """Shown while a file loads in a worker: a line that counts the seconds, redrawn four times a second (an
    animated indicator would redraw the screen many times a second and take the core the reader needs)."""

    CSS_PATH = "app.tcss"
    SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.started = time.monotonic()

    def compose(self) -> ComposeResult:
        size = self.path.stat().st_size if self.path.exists() else 0
        with Vertical():
            yield Label(f"loading {self.path.name} ({size / 1e6:.1f} MB)…")
            yield Label(self.SPINNER[0], id="elapsed")

    def on_mount(self) -> None:
        self.set_interval(0.25, self._tick)

    def _tick(self) -> None:
        elapsed = time.monotonic() - self.started
        self.query_one("#elapsed", Label).update(f"{self.SPINNER[int(elapsed * 4) % len(self.SPINNER)]} "
                                                 f"{elapsed:.1f} s")


class ErrorScreen(Screen[None]):
    """A file that could not be opened: every problem with its location."""

    CSS_PATH = "app.tcss"
    BINDINGS = [Binding("q,escape", "app.quit", "quit")]

    def __init__(self, error: CuratorError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        problems, total = self.error.problems, self.error.total
        located = [p for p in problems if not isinstance(p, MoreProblems)]
        listed = f" (the first {len(located):,} listed)" if total > len(located) else ""
        yield Label(f"[b red]cannot open: {total:,} problem{'s' if total != 1 else ''}[/]{listed}")
        with VerticalScroll(id="problems-scroll"):
            yield Static("\n".join(str(p) for p in problems), id="problems", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#problems-scroll").focus()


class CuratorApp(App):
    """The curator terminal app over one dataset file."""

    TITLE = "curator"
    COMMANDS = App.COMMANDS | {ActionCommands}
    BINDINGS = [Binding("ctrl+q", "quit_curator", "quit", show=False, priority=True)]

    def __init__(self, path: str | Path | None = None, *, fmt: str | None = None,
                 options: FormatOptions | None = None, settings: Settings | None = None,
                 session: Session | None = None, theme: str = "textual-dark", run_slow_checks: bool = True,
                 read_only: bool = False, backend_factory=None, keymap_path: Path = KEYMAP_FILE,
                 watch_interval: float = 2.0, opening: Opening | None = None) -> None:
        """``backend_factory(name) -> Backend`` replaces the registry (tests, other installations);
        ``watch_interval``: seconds between two looks at whether the file changed on disk; ``opening``: ``path``
        being read already (started before the app was imported)."""
        super().__init__()
        self.opening = opening
        self.watch_interval = watch_interval
        self.keymap_path = keymap_path
        self.path = Path(path) if path is not None else None
        self.fmt, self.options, self.read_only = fmt, options, read_only
        self.settings = settings
        self.session = session
        self.initial_theme = theme
        self.run_slow_checks = run_slow_checks
        self._jobs = None
        self.backend_factory = backend_factory

    def on_mount(self) -> None:
        # The interface waits for the interpreter lock at every step of a key's answer (the key read, the frame
        # drawn, the frame written) while a worker runs Python (the checks): a switch at 1 ms instead of 5 took
        # the slowest tenth of the cursor moves during the checks at 1M examples from 89-100 ms to 40-44 ms.
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.theme = self.initial_theme
        self.apply_keymap()
        if self.session is not None:
            self.show_session(self.session)
        elif self.path is not None:
            self.load(self.path)
        else:
            self.push_screen(StartScreen(recent.recent_files(), demo_copy()), self._picked)

    def apply_keymap(self) -> None:
        """Rebind actions as the user's keymap says (a bad keymap is reported and the defaults stay)."""
        try:
            keymap = load_keymap(self.keymap_path)
        except CuratorError as exc:
            self.notify(str(exc), title="keymap", severity="error", timeout=10)
            return
        REMAPPED.clear()
        REMAPPED.update({name: tuple(keys.split(",")) for name, keys in keymap.items()})
        if keymap:
            self.set_keymap(keymap)

    def _picked(self, path: Path | None) -> None:
        if path is not None:
            self.load(path)

    # -- opening ---------------------------------------------------------------------------------------

    def load(self, path: Path, read_only: bool | None = None) -> None:
        self.path = path
        if loading.is_large(path):
            if self.opening is not None:  # read before the app ran, when memory was freer
                self.opening.discard()
                self.opening = None
            self._offer_sample(path)
            return
        self.push_screen(LoadingScreen(path))
        self._load_worker(path, self.read_only if read_only is None else read_only)

    def _offer_sample(self, path: Path) -> None:
        """A file too large to hold in memory: a read-only sample of its first examples, or the command line."""
        size = path.stat().st_size
        commands = (f"curator check --fast {path}\ncurator stats {path}\ncurator convert {path} OUT.parquet")

        def answer(choice: str | None) -> None:
            if choice == "sample":
                self.push_screen(LoadingScreen(path))
                self._sample_worker(path)
            else:
                self.exit(return_code=0, message=f"{path.name} streams through the command line:\n{commands}")

        rows = loading.SAMPLE_ROWS
        available = loading.available_memory()
        free = f", {available / 1e9:.1f} GB available" if available is not None else ""
        self.push_screen(AskScreen(
            "A large file",
            f"{path.name} is {size / 1e9:.1f} GB: opened whole to edit, it would take about "
            f"{loading.estimated_memory(size) / 1e9:.1f} GB of memory{free}. Open its first {rows:,} examples "
            f"read-only, or use the command line, which streams the whole file:\n{commands}",
            [("sample", f"Sample the first {rows:,}"), ("quit", "Quit")], "sample"), answer)

    @work(thread=True, exclusive=True, group="load")
    def _sample_worker(self, path: Path) -> None:
        try:
            sample = Session.of_records(path, loading.read_sample(path, loading.SAMPLE_ROWS, self.fmt, self.options))
        except CuratorError as exc:
            self.call_from_thread(self._load_failed, path, exc)
            return
        self.call_from_thread(self.notify, f"a read-only sample: the first {sample.dataset.frame.height:,} "
                              f"examples of {path.name}", title="sample", timeout=8)
        self.call_from_thread(self.show_session, sample)

    def _opening_of(self, path: Path, read_only: bool) -> Opening:
        """The opening started before the app for this file (once), else a new one."""
        opening, self.opening = self.opening, None
        wanted = (path, self.fmt, self.options, read_only)
        if opening is not None and not opening.declined and \
                (opening.path, opening.fmt, opening.options, opening.read_only) == wanted:
            return opening
        if opening is not None:
            opening.discard()
        return Opening(path, self.fmt, self.options, read_only=read_only)

    @work(thread=True, exclusive=True, group="load")
    def _load_worker(self, path: Path, read_only: bool) -> None:
        worker = get_current_worker()
        opening = self._opening_of(path, read_only)
        opening.listen(lambda fraction: self.post_message(self.LoadProgress(fraction)))
        stop = lambda: worker.is_cancelled  # noqa: E731 - the app quit while the file was read
        try:
            head = opening.head(stop)
            if head is not None and head.records.height and not worker.is_cancelled:
                self.call_from_thread(self.show_first_rows, Session.of_records(path, head))
            session = opening.session(stop)
        except Exception as exc:  # never Textual's traceback, which would print the rows being read
            if not isinstance(exc, CuratorError):
                exc = CuratorError(f"cannot read this file ({type(exc).__name__}: {exc})", path)
            if not worker.is_cancelled:
                self.call_from_thread(self._load_failed, path, exc)
            return
        if session is None:
            return
        if worker.is_cancelled:
            session.close()
            return
        self.call_from_thread(self.show_session, session)

    class LoadProgress(Message):
        """How much of the file being opened is read (0..1)."""

        def __init__(self, fraction: float) -> None:
            self.fraction = fraction
            super().__init__()

    def on_curator_app_load_progress(self, message: LoadProgress) -> None:
        main = self._loading_main()
        if main is not None:
            main.load_fraction = message.fraction

    def _loading_main(self) -> MainScreen | None:
        """The main screen showing the first examples of the file being loaded, if there is one."""
        return next((s for s in self.screen_stack if isinstance(s, MainScreen) and s.partial), None)

    async def show_first_rows(self, preview: Session) -> None:
        """The first examples while the rest loads: browsing and search work, checks wait for the whole file.

        Returns once the screen is mounted: the loader's next word (the whole file, a failure, a question) may
        pop it or ask over it, and a screen popped while it mounts would mount without its widgets."""
        if isinstance(self.screen, LoadingScreen):
            self.pop_screen()
        self.settings = self._settings_for(preview)
        await self.push_screen(MainScreen(preview, self.settings, run_slow_checks=self.run_slow_checks, partial=True))

    def _load_failed(self, path: Path, error: CuratorError) -> None:
        while self._loading_main() is not None:
            self.pop_screen()
        if isinstance(self.screen, LoadingScreen):
            self.pop_screen()
        if isinstance(error, FieldsUnknown) and not self.read_only:
            from curator.tui.screens.columns import ColumnPickerScreen

            def picked(options: FormatOptions | None) -> None:
                if options is None:
                    self.exit(return_code=1, message=str(error))
                else:
                    self.options = options
                    self.load(path)

            self.push_screen(ColumnPickerScreen(error, self.options), picked)
            return
        if isinstance(error, InUse):
            def answer(choice: str | None) -> None:
                if choice == "read":
                    self.load(path, read_only=True)
                else:
                    self.exit(return_code=1, message=str(error))

            self.push_screen(AskScreen("File in use", str(error), [("read", "Read-only"), ("quit", "Quit")], "read"),
                             answer)
            return
        self.push_screen(ErrorScreen(error))

    def _settings_for(self, session: Session) -> Settings:
        """The settings given to the app, else the file's (defaults, with a notice, when they do not read)."""
        if self.settings is not None:
            return self.settings
        try:
            return load_settings(session.path)
        except CuratorError as exc:
            self.notify(f"{exc}; using the defaults", title="settings", severity="error", timeout=10)
            return Settings()

    def show_session(self, session: Session) -> None:
        """Show the main screen for an open session, offering first to recover a crashed session's edits."""
        if isinstance(self.screen, LoadingScreen):
            self.pop_screen()
        self.session = session
        self.settings = self._settings_for(session)
        for notice in session.notices:
            self.notify(notice, title="settings", timeout=10)
        if session.mapping:
            self._remember_mapping(session)
        if not session.read_only:
            self.remember_file(session.path)
        if session.skipped:
            self.notify(f"{len(session.skipped)} lines could not be read (first: {session.skipped[0]}); "
                        "save to another file to keep the rest", severity="warning", timeout=10)
        pending = session.recoverable()
        if pending and pending.ops:
            self._offer_recovery(session, pending)
        else:
            self._show_main(session)

    def _remember_mapping(self, session: Session) -> None:
        """Say which fields were read, and keep them in the dataset's settings for every command."""
        self.notify(session.mapping, title=session.path.name, timeout=8)
        if session.read_only:
            return
        try:
            template = remember_columns(session.path, session.options)
        except CuratorError as exc:
            self.notify(str(exc), title="settings not saved", severity="error", timeout=10)
            return
        if template and not self.settings.template:
            self.settings = replace(self.settings, template=template)

    def _show_main(self, session: Session) -> None:
        main = self._loading_main()
        if main is not None:
            main.loaded(session, self.settings)
        else:
            self.push_screen(MainScreen(session, self.settings, run_slow_checks=self.run_slow_checks))

    def _offer_recovery(self, session: Session, pending) -> None:
        def answer(choice: str | None) -> None:
            if choice == "recover":
                count = session.recover()
                self.notify(f"recovered {count} unsaved change(s)", timeout=4)
            elif choice == "discard":
                session.discard_recovery()
            self._show_main(session)

        labels = ", ".join(pending.labels[-6:])
        if pending.stale:
            self.push_screen(AskScreen("Unsaved changes of an earlier session",
                                       f"{len(pending.ops)} change(s) ({labels}) were made to an earlier version of "
                                       "this file, which has changed since; they cannot be replayed.",
                                       [("discard", "Discard them"), ("later", "Keep for later")], "later"), answer)
        else:
            self.push_screen(AskScreen("Recover unsaved changes?",
                                       f"curator stopped without saving {len(pending.ops)} change(s): {labels}.",
                                       [("recover", "Recover"), ("discard", "Discard"), ("later", "Later")],
                                       "recover"), answer)

    # -- what screens ask for (tui/messages.py) ----------------------------------------------------------------

    def _main_screen(self) -> MainScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    def on_open_playground(self, message: OpenPlayground) -> None:
        main = self._main_screen()
        if main is not None:
            main.action_playground(message.model_a, message.model_b, text=message.text, template=message.template)

    def _back_to_main(self) -> MainScreen | None:
        """Close every screen above the table; the table's screen (None when there is none)."""
        main = self._main_screen()
        if main is not None:
            while self.screen is not main:
                self.pop_screen()
        return main

    def on_go_to_example(self, message: GoToExample) -> None:
        main = self._back_to_main()
        if main is not None and not main.go_to_example(message.example_id):
            self.notify(f"example {message.example_id} no longer exists", severity="warning")

    def on_show_examples(self, message: ShowExamples) -> None:
        main = self._back_to_main()
        if main is not None:
            main.show_examples(message.ids, message.label)

    def jobs(self):
        """The tuning jobs of the session's workspace (one per process: local jobs live in it)."""
        from curator.core.tuning import Jobs

        if self.session is None or self.session.workspace is None:
            raise CuratorError("tuning needs a writable workspace: this file is open read-only")
        if self._jobs is None or self._jobs.workspace is not self.session.workspace:
            self._jobs = Jobs(self.session.workspace, self.backend_factory)
        return self._jobs

    def generate_answer(self, ref, prompt: str, config, system: str | None = None):
        """One answer for the playground, through the evaluations' prediction cache (called from a worker)."""
        from curator.core.evaluation.cache import PredictionCache, cached_generate
        from curator.tui.screens.playground import Answer

        jobs = self.jobs()
        generation, cached, seconds = cached_generate(PredictionCache(jobs.workspace), jobs.backend(ref.backend),
                                                      ref.backend, ref.model, prompt, config, system)
        return Answer(generation.text, seconds, generation.prompt_tokens, generation.output_tokens, cached,
                      generation.thinking_tokens, generation.truncated)

    def reload_from_disk(self) -> None:
        """Drop the unsaved changes and open the file again as it is on disk now."""
        session = self.session
        if session is None:
            return
        session.discard_recovery()
        if self._jobs is not None:
            self._jobs.close()
            self._jobs = None
        session.close()
        self.session = None
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.load(session.path, read_only=session.read_only)

    @work(thread=True, group="recent")
    def remember_file(self, path: Path) -> None:
        """Put ``path`` first in the recent files, off the UI thread (the list is written and fsynced)."""
        recent.remember(path)

    # -- quitting --------------------------------------------------------------------------------------

    def action_quit_curator(self) -> None:
        """Quit, asking first when there are unsaved changes."""
        session = self.session
        if session is None or session.read_only or not session.dirty:
            self.exit()
            return
        main = self._main_screen()

        def answer(choice: str | None) -> None:
            if choice == "save" and main is not None:
                main.save_to(None, then_quit=True)
            elif choice == "discard":
                session.discard_recovery()
                self.exit()

        changes = len(session.history.labels())
        self.push_screen(AskScreen("Unsaved changes", f"{changes} unsaved change(s) to {session.path.name}.",
                                   [("save", "Save and quit"), ("discard", "Discard and quit"),
                                    ("cancel", "Cancel")], "save"), answer)

    def on_unmount(self) -> None:
        if self._jobs is not None:
            self._jobs.close()
        if self.session is not None:
            self.session.close()
