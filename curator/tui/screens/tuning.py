"""The tuning screen: choose a backend and base model, set the hyperparameters (with the tuning docs'
guidance beside them), run the pre-flight checks, launch, and watch every job of the workspace live.

Backends are called only from thread workers; workers post messages and never touch widgets.
"""

from __future__ import annotations

import time

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from curator.core.backends import HYPERPARAMETER_HELP, Hyperparameters, JobStatus
from curator.core.backends.base import ADAPTER_SIZES
from curator.core.backends.prepare import Preparation
from curator.core.backends.registry import BACKENDS, DEFAULT_BACKEND
from curator.core.errors import Cancelled, CuratorError
from curator.core.models import ModelRef
from curator.core.progress import Progress as JobProgress
from curator.core.session import Session
from curator.core.settings import Settings
from curator.core.tuning import JobRecord, Jobs
from curator.tui.actions import TUNING, bindings
from curator.tui.messages import OpenPlayground, ShowExamples
from curator.tui.screens.prompts import AskScreen
from curator.tui.widgets.cursor_view import Choices
from curator.tui.widgets.job_view import STATE_STYLE, JobView

SHORT = {"epochs": "Epochs", "batch_size": "Batch size", "learning_rate": "Learning rate",
         "learning_rate_multiplier": "LR multiplier", "validation_fraction": "Validation", "seed": "Seed"}
NUMBER_FIELDS = ("epochs", "batch_size", "learning_rate", "learning_rate_multiplier", "validation_fraction", "seed")
POLL_LOCAL, POLL_REMOTE = 0.5, 10.0


class TuningScreen(Screen[None]):
    """Launch tuning jobs and follow them; jobs are kept in the workspace and resumed after a restart."""

    CSS_PATH = "tuning.tcss"
    BINDINGS = bindings(TUNING)

    class Models(Message):
        def __init__(self, backend: str, models: list | None, error: str | None,
                     honours: frozenset[str] = frozenset()) -> None:
            self.backend, self.models, self.error, self.honours = backend, models, error, honours
            super().__init__()

    class Checking(Message):
        def __init__(self, progress: JobProgress) -> None:
            self.progress = progress
            super().__init__()

    class Prepared(Message):
        def __init__(self, backend: str, base: str, hp: Hyperparameters, prepared: Preparation | None,
                     error: str | None, estimate=None) -> None:
            self.backend, self.base, self.hp, self.prepared, self.error = backend, base, hp, prepared, error
            self.estimate = estimate  # CostEstimate of the prepared training data
            super().__init__()

    class Estimated(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Started(Message):
        def __init__(self, job_id: str | None, error: str | None) -> None:
            self.job_id, self.error = job_id, error
            super().__init__()

    class Polled(Message):
        def __init__(self, statuses: list[JobStatus]) -> None:
            self.statuses = statuses
            super().__init__()

    def __init__(self, session: Session, settings: Settings, jobs: Jobs) -> None:
        super().__init__()
        self.session, self.settings, self.jobs = session, settings, jobs
        self.statuses: dict[str, JobStatus] = {}
        self.records: dict[str, JobRecord] = {}
        self.order: list[str] = []
        self._last_poll: dict[str, float] = {}
        self.honours: dict[str, frozenset[str]] = {}  # backend -> the hyperparameters it uses
        self.remote_poll = POLL_REMOTE  # seconds between polls of a cloud job
        self.busy = False

    # -- layout ------------------------------------------------------------------------------------------

    @property
    def n_train(self) -> int:
        return int((self.session.dataset.active()["split"] == "train").sum())

    def compose(self) -> ComposeResult:
        n_train = self.n_train
        yield Static(f"[b]tuning[/b] · {self.session.path.name} · {n_train:,} training examples", id="tuning-title")
        with Horizontal(id="tuning-body"):
            with VerticalScroll(id="form") as form:
                form.border_title = "new job"
                yield self._row("Backend", Select([(b.name, b.name) for b in BACKENDS.values()],
                                                  value=DEFAULT_BACKEND, allow_blank=False, id="backend", compact=True))
                yield self._row("Base model", Select([], prompt="loading…", id="base", compact=True))
                default = Hyperparameters()
                for name in NUMBER_FIELDS[:4]:
                    yield self._row(SHORT[name], Input(str(getattr(default, name)), id=name,
                                                                        compact=True))
                yield self._row("Adapter size", Select([(str(a), a) for a in ADAPTER_SIZES], prompt="default",
                                                       id="adapter_size", compact=True))
                yield self._row("Name", Input("", placeholder="optional display name", id="display_name",
                                              compact=True))
                for name in NUMBER_FIELDS[4:]:
                    yield self._row(SHORT[name], Input(str(getattr(default, name)), id=name,
                                                                        compact=True))
                yield self._row("Cloud data", Input("", placeholder="vertex: gs://bucket/folder or …/train.jsonl",
                                                    id="gcs_uri", compact=True))
                yield Static("", id="estimate", classes="estimate")
                yield Static("", id="problems", classes="problem")
                yield Static(self._tip(n_train), id="guidance")
                yield Button("Check and launch (ctrl+l)", id="launch-button", variant="primary", compact=True)
            with Vertical(id="right"):
                yield Choices(id="jobs")
                yield JobView(id="job-view")
        yield Footer()

    @staticmethod
    def _row(label: str, widget) -> Horizontal:
        return Horizontal(Label(label, classes="field"), widget)

    @staticmethod
    def _tip(n_train: int) -> str:
        tip = "Tip: " + HYPERPARAMETER_HELP["epochs"][1]
        if n_train < 500:
            tip += f" With {n_train:,} examples, prefer a smaller learning rate (or multiplier) to avoid overfitting."
        return tip

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.load_models(DEFAULT_BACKEND)
        self.reload_jobs()
        self.set_interval(POLL_LOCAL, self.poll)

    # -- form ----------------------------------------------------------------------------------------------

    def on_descendant_focus(self, event) -> None:
        name = getattr(event.widget, "id", None)
        if name in HYPERPARAMETER_HELP:
            label, guidance = HYPERPARAMETER_HELP[name]
            self.query_one("#guidance", Static).update(f"{label}: {guidance}")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "backend" and event.value is not Select.NULL:
            info = BACKENDS[str(event.value)]
            self.query_one("#guidance", Static).update(f"{info.title}: needs {info.needs}.\n{self._tip(self.n_train)}")
            self.load_models(str(event.value))
        self._show_ignored()
        self._estimate_form()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_ignored()
        if event.input.id in ("epochs", "validation_fraction"):
            self._estimate_form()

    def _estimate_form(self) -> None:
        """Refresh the cost estimate of the form's choices (tokens of the train split, held-out share left
        out, × epochs, at the base model's price)."""
        base, backend = self.query_one("#base", Select).value, self.query_one("#backend", Select).value
        try:
            hp = self.read_form()
        except CuratorError:
            return
        if base is Select.NULL or backend is Select.NULL or hp.problems():
            return
        self._estimate_worker(str(backend), str(base), hp)

    @work(thread=True, exclusive=True, group="estimate")
    def _estimate_worker(self, backend: str, base: str, hp: Hyperparameters) -> None:
        from curator.core.backends.prepare import split_for_tuning
        from curator.core.costs import tuning_estimate

        try:
            train, _, _ = split_for_tuning(self.session.dataset.active(), hp)
            estimate = tuning_estimate(train, backend, base, hp.epochs, self.settings.prices)
        except CuratorError as exc:
            self.post_message(self.Estimated(f"cost: {exc.reason}"))
            return
        self.post_message(self.Estimated("cost before launch: " + estimate.text()))

    def on_tuning_screen_estimated(self, message: Estimated) -> None:
        self.query_one("#estimate", Static).update(escape(message.text))

    def _show_ignored(self) -> None:
        try:
            hp = self.read_form()
        except CuratorError:
            return
        honours = self.honours.get(str(self.query_one("#backend", Select).value))
        default = Hyperparameters()
        ignored = [name for name in HYPERPARAMETER_HELP if honours is not None and name not in honours
                   and getattr(hp, name) != getattr(default, name)]
        if ignored:
            labels = ", ".join(HYPERPARAMETER_HELP[i][0].lower() for i in ignored)
            self.query_one("#problems", Static).update(f"[yellow]ignored by this backend: {labels}[/yellow]")

    def read_form(self, focus_error: bool = False) -> Hyperparameters:
        """The hyperparameters in the form; a CuratorError lists every field that is not a number (``focus_error``,
        on launch: the first of them takes the focus; never while the user types, where it would pull the cursor
        back into a field half typed)."""
        values: dict = {}
        bad = []
        for name in NUMBER_FIELDS:
            raw = self.query_one(f"#{name}", Input).value.strip()
            try:
                values[name] = int(raw) if name in ("epochs", "batch_size", "seed") else float(raw)
            except ValueError:
                bad.append(name)
        if bad:
            if focus_error:
                self.query_one(f"#{bad[0]}").focus()  # the first field in error, not the next control
            raise CuratorError(f"not a number: {', '.join(HYPERPARAMETER_HELP[n][0].lower() for n in bad)}")
        adapter = self.query_one("#adapter_size", Select).value
        values["adapter_size"] = None if adapter is Select.NULL else int(adapter)
        values["display_name"] = self.query_one("#display_name", Input).value.strip() or None
        return Hyperparameters(**values)

    @work(thread=True, exclusive=True, group="models")
    def load_models(self, backend: str) -> None:
        try:
            chosen = self.jobs.backend(backend)
            models = chosen.list_models()
        except CuratorError as exc:
            self.post_message(self.Models(backend, None, str(exc)))
            return
        self.post_message(self.Models(backend, models, None, chosen.honours))

    def on_tuning_screen_models(self, message: Models) -> None:
        select = self.query_one("#base", Select)
        self.honours[message.backend] = message.honours
        if message.error:
            select.set_options([])
            self.query_one("#problems", Static).update(f"[red]{message.error}[/red]")
            return
        tunable = [m for m in message.models if m.can_tune]
        select.set_options([(m.display_name, m.name) for m in tunable])
        if tunable:
            select.value = tunable[0].name
            self.query_one("#problems", Static).update("")
            self._estimate_form()
        else:
            self.query_one("#problems", Static).update(
                f"[yellow]{BACKENDS[message.backend].title} has no model it can tune[/yellow]")

    # -- launching -----------------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "launch-button":
            self.action_launch()

    def action_launch(self) -> None:
        problems = self.query_one("#problems", Static)
        if self.busy:
            return
        try:
            hp = self.read_form(focus_error=True)
        except CuratorError as exc:
            problems.update(f"[red]{exc.reason}[/red]")
            return
        found = hp.problems()
        if found:
            problems.update("[red]" + "\n".join(found.values()) + "[/red]")
            self.query_one(f"#{next(iter(found))}").focus()
            return
        base = self.query_one("#base", Select).value
        backend = str(self.query_one("#backend", Select).value)
        if base is Select.NULL:
            problems.update("[red]choose a base model[/red]")
            return
        problems.update("checking the data (pre-flight)…")
        self.busy = True
        self.preflight(backend, str(base), hp)

    @work(thread=True, exclusive=True, group="preflight")
    def preflight(self, backend: str, base: str, hp: Hyperparameters) -> None:
        from curator.core.costs import tuning_estimate

        try:
            prepared = self.jobs.backend(backend).prepare(self.session.dataset, hp,
                                                          self.settings.with_overrides(base_model=base or None),
                                                          dataset_path=str(self.session.path),
                                                          progress=lambda p: self.post_message(self.Checking(p)),
                                                          cancel=get_current_worker().cancelled_event)
            estimate = tuning_estimate(prepared.train, backend, base, hp.epochs, self.settings.prices)
        except Cancelled:
            return
        except CuratorError as exc:
            self.post_message(self.Prepared(backend, base, hp, None, str(exc)))
            return
        self.post_message(self.Prepared(backend, base, hp, prepared, None, estimate))

    def on_tuning_screen_checking(self, message: Checking) -> None:
        if self.busy:
            p = message.progress
            self.query_one("#problems", Static).update(f"checking the data (pre-flight): {p.stage} {p.fraction:.0%}…")

    def on_tuning_screen_prepared(self, message: Prepared) -> None:
        problems = self.query_one("#problems", Static)
        prepared = message.prepared
        if prepared is None:
            self.busy = False
            problems.update(f"[red]{message.error}[/red]")
            return
        notes = "\n".join(prepared.notes[:4])
        if prepared.errors:
            self.busy = False
            lines = "\n".join(f"• {f.rule}: {f.message}" for f in prepared.errors[:5])
            problems.update(f"[red]{len(prepared.errors)} check error(s) block the launch (see ! on the table)"
                            f"[/red]\n{lines}")
            return
        summary = (f"{prepared.train.height:,} training and {prepared.validation.height:,} validation examples "
                   f"on {BACKENDS[message.backend].title}, base {message.base}.\n{notes}\n\n"
                   f"Cost: {message.estimate.text()}")
        if prepared.warnings:
            rules = sorted({f.rule for f in prepared.warnings})
            question = (f"{summary}\n\n{len(prepared.warnings)} warning(s): {', '.join(rules)}.\nLaunch anyway?")
        else:
            question = f"{summary}\n\nThe checks found nothing to block or warn about. Launch?"

        def answer(choice: str | None) -> None:
            if choice == "launch":
                problems.update("launching…")
                self.start(message.backend, prepared, message.base, message.hp,
                           self.query_one("#gcs_uri", Input).value.strip(), message.estimate.to_dict())
            else:
                self.busy = False
                problems.update("not launched")

        self.app.push_screen(AskScreen("Launch tuning", question, [("launch", "Launch"), ("cancel", "Cancel")],
                                       "launch"), answer)

    @work(thread=True, exclusive=True, group="start")
    def start(self, backend: str, prepared: Preparation, base: str, hp: Hyperparameters, cloud: str = "",
              estimate: dict | None = None) -> None:
        try:
            if cloud and BACKENDS[backend].staging:  # a file already uploaded, or a folder to upload to
                if cloud.endswith(".jsonl"):
                    prepared.training_uri = cloud
                else:
                    self.jobs.backend(backend).staging_uri = cloud
            job_id = self.jobs.start(backend, prepared, base, hp, estimate)
        except CuratorError as exc:
            self.post_message(self.Started(None, str(exc)))
            return
        self.post_message(self.Started(job_id, None))

    def on_tuning_screen_started(self, message: Started) -> None:
        self.busy = False
        problems = self.query_one("#problems", Static)
        if message.error:
            problems.update(f"[red]{message.error}[/red]")
            return
        problems.update(f"[green]launched {message.job_id}[/green]")
        self.reload_jobs(select=message.job_id)

    # -- jobs ------------------------------------------------------------------------------------------------

    def reload_jobs(self, select: str | None = None) -> None:
        records = self.jobs.list()
        self.records = {r.id: r for r in records}
        self.statuses = {r.id: r.status for r in records}
        self.order = [r.id for r in records]
        self._fill_jobs(select)

    def _fill_jobs(self, select: str | None = None) -> None:
        listing = self.query_one("#jobs", OptionList)
        keep = select or self.current_job
        listing.clear_options()
        for job_id in self.order:
            s, record = self.statuses[job_id], self.records.get(job_id)
            how = f" · {escape(record.settings_line(s))}" if record else ""
            line = (f"[{STATE_STYLE[s.state]}]{s.state.value:<10}[/] {s.progress:4.0%}  "
                    f"{escape(s.display_name or job_id)}  [dim]{s.backend} · {escape(s.base_model or '')}{how}[/dim]"
                    + (f"  [yellow]{s.stats['dropped examples']:,} dropped (ctrl+g)[/yellow]"
                       if s.stats.get("dropped examples") else ""))
            listing.add_option(Option(line, id=job_id))
        listing.border_title = f"jobs ({len(self.order)})"
        if self.order:
            listing.highlighted = self.order.index(keep) if keep in self.order else 0
        self._show_job(self.current_job)

    @property
    def current_job(self) -> str | None:
        listing = self.query_one("#jobs", OptionList)
        if listing.highlighted is None or listing.highlighted >= len(self.order):
            return None
        return self.order[listing.highlighted]

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "jobs" and event.option.id in self.statuses:
            self._show_job(event.option.id)

    def _show_job(self, job_id: str | None) -> None:
        status = self.statuses.get(job_id) if job_id else None
        self.query_one(JobView).show(status, self.jobs.estimate(job_id) if status else None)

    def poll(self) -> None:
        now = time.monotonic()
        due = [job_id for job_id, s in self.statuses.items() if not s.state.terminal and
               now - self._last_poll.get(job_id, 0) >= (POLL_LOCAL if self._in_process(s.backend) else self.remote_poll)]
        if due:
            for job_id in due:
                self._last_poll[job_id] = now
            self._poll_worker(due)

    @staticmethod
    def _in_process(backend: str) -> bool:
        info = BACKENDS.get(backend)
        return info is not None and info.jobs_live_in_process

    @work(thread=True, exclusive=True, group="poll")
    def _poll_worker(self, job_ids: list[str]) -> None:
        statuses = []
        for job_id in job_ids:
            try:
                statuses.append(self.jobs.status(job_id))
            except CuratorError:
                continue  # shown as last stored; a transient failure is retried at the next poll
        self.post_message(self.Polled(statuses))

    def on_tuning_screen_polled(self, message: Polled) -> None:
        for status in message.statuses:
            before = self.statuses.get(status.job_id)
            self.statuses[status.job_id] = status
            if before is not None and not before.state.terminal and status.state.terminal:
                self.notify(f"{status.display_name or status.job_id}: {status.state.value}"
                            + (f", tuned model {status.tuned_model}" if status.tuned_model else ""), timeout=6)
        self._fill_jobs()

    def action_cancel_job(self) -> None:
        job_id = self.current_job
        status = self.statuses.get(job_id) if job_id else None
        if status is None or status.state.terminal:
            self.notify("highlight a running job first", severity="warning", timeout=2)
            return

        def answer(choice: str | None) -> None:
            if choice == "cancel":
                self._cancel_worker(job_id)

        self.app.push_screen(AskScreen(
            "Cancel tuning job",
            f"Cancel {status.display_name or job_id}? A cancelled job may leave a partly tuned model whose quality "
            "is unpredictable: it stopped wherever training was, not at a point anyone checked.",
            [("cancel", "Cancel the job"), ("keep", "Keep it running")], "cancel"), answer)

    @work(thread=True, group="cancel")
    def _cancel_worker(self, job_id: str) -> None:
        try:
            status = self.jobs.cancel(job_id)
        except CuratorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.post_message(self.Polled([status]))

    def action_refresh_jobs(self) -> None:
        self.reload_jobs()
        self._last_poll.clear()

    def action_playground(self) -> None:
        status = self.statuses.get(self.current_job) if self.current_job else None
        if status is None or not status.tuned_model:
            self.notify("highlight a job that has a tuned model", severity="warning", timeout=2)
            return
        self.post_message(OpenPlayground(ModelRef(status.backend, status.base_model or ""),
                                         ModelRef(status.backend, status.tuned_model)))

    def action_dropped_examples(self) -> None:
        status = self.statuses.get(self.current_job) if self.current_job else None
        if status is None or not status.dropped:
            self.notify("highlight a job whose service dropped examples (its statistics say how many)",
                        severity="warning", timeout=3)
            return
        self._find_dropped(status.job_id, status.display_name or status.job_id.rsplit("/", 1)[-1])

    @work(thread=True, exclusive=True, group="dropped")
    def _find_dropped(self, job_id: str, name: str) -> None:
        """Find the dropped examples in the dataset by content (a worker: it reads every example)."""
        try:
            found = self.jobs.dropped_examples(job_id, self.session.dataset.active())
        except CuratorError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        ids = frozenset(i for d in found for i in d.ids)
        gone = sum(1 for d in found if not d.ids)
        if gone:
            self.app.call_from_thread(self.notify, f"{gone} of the {len(found)} dropped examples were edited or "
                                      "deleted since the launch", severity="warning", timeout=6)
        if ids:
            self.post_message(ShowExamples(ids, f"dropped by job {name} ({len(ids):,})"))

    def action_close(self) -> None:
        self.dismiss(None)
