"""The split screen: random or stratified train / validation / test split with a seed and fractions,
kept as the ``split`` field (one undoable op) or written to separate files."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from curator.core.errors import CuratorError
from curator.core.ops import SetField
from curator.core.session import Session
from curator.core.settings import Settings
from curator.core.split import SplitPlan, plan_split, split_op, write_split_files


class SplitScreen(ModalScreen[SetField | None]):
    """Dismisses with the op setting every split, or None (cancelled, or files were written)."""

    CSS_PATH = "split.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("ctrl+s", "apply", "apply")]

    def __init__(self, session: Session, settings: Settings) -> None:
        super().__init__()
        self.session, self.settings = session, settings
        self.plan: SplitPlan | None = None

    def compose(self) -> ComposeResult:
        tests = int((self.session.dataset.active()["split"] == "test").sum())
        with Vertical():
            yield Label("Split into train / validation / test", classes="title")
            if tests:
                with Horizontal():
                    yield Label("test examples", classes="field")
                    yield Select([(f"keep the file's {tests:,} test examples, split the rest", "test"),
                                  ("split every example again", "none")], value="test", allow_blank=False,
                                 id="keep", compact=True)
            for name, label, value in (("validation", "validation", "0.1"), ("test", "test", "0" if tests else "0.1"),
                                       ("seed", "seed", "0")):
                with Horizontal():
                    yield Label(label, classes="field")
                    yield Input(value, id=name, type="number" if name != "seed" else "integer", compact=True)
            with Horizontal():
                yield Label("stratify", classes="field")
                yield Select([("auto: on the output when it is a label set", "auto"),
                              ("yes: on the output", "yes"), ("no: random", "no")], value="auto",
                             allow_blank=False, id="stratify", compact=True)
            with Horizontal():
                yield Label("result", classes="field")
                yield Select([("set the split field (undoable)", "field"),
                              ("write one file per split beside the dataset", "files")], value="field",
                             allow_blank=False, id="mode", compact=True)
            yield Label("", id="preview")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Split", id="apply", variant="primary", compact=True)

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.update_preview()

    def on_input_changed(self) -> None:
        self.update_preview()

    def on_select_changed(self) -> None:
        self.update_preview()

    def _plan(self) -> SplitPlan:
        try:
            validation = float(self.query_one("#validation", Input).value or 0)
            test = float(self.query_one("#test", Input).value or 0)
            seed = int(self.query_one("#seed", Input).value or 0)
        except ValueError:
            raise CuratorError("fractions are numbers like 0.1, the seed a whole number") from None
        stratify = {"auto": None, "yes": True, "no": False}[str(self.query_one("#stratify", Select).value)]
        keep = self.query("#keep")
        kept = ("test",) if keep and keep.first(Select).value == "test" else ()
        return plan_split(self.session.dataset, validation, test, seed=seed, stratify=stratify,
                          label_max_distinct=self.settings.label_max_distinct, keep=kept)

    def update_preview(self) -> None:
        preview = self.query_one("#preview", Label)
        try:
            self.plan = self._plan()
        except CuratorError as exc:
            self.plan = None
            preview.update(f"[red]{exc.reason}[/red]")
            return
        counts = self.plan.counts()
        how = "stratified on the output" if self.plan.stratified else "random"
        preview.update(f"{how}, seed {self.plan.seed}: train {counts['train']:,} · validation "
                       f"{counts['validation']:,} · test {counts['test']:,}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_cancel()

    def action_apply(self) -> None:
        if self.plan is None:
            self.notify("fix the form first", severity="error")
            return
        if self.query_one("#mode", Select).value == "field":
            self.dismiss(split_op(self.plan))
            return
        # Files: write a copy of the dataset with the planned splits, leaving the open file unchanged.
        from curator.core.dataset import Dataset

        copy = Dataset(self.session.dataset.frame)
        copy.apply(split_op(self.plan))
        path = self.session.path
        fmt = self.session.format if self.session.format.endswith("jsonl") else "gemini-jsonl"
        try:
            options = self.session.options if fmt == self.session.format else None
            written = write_split_files(copy, path.parent, path.stem, fmt, options)
        except (CuratorError, OSError) as exc:
            self.notify(str(exc), title="split", severity="error")
            return
        self.notify("wrote " + ", ".join(p.name for p in written), title="split", timeout=6)
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
