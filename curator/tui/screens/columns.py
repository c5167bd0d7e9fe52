"""The column picker: a file whose fields cannot be told is shown with sample rows, and the user says which
field holds the input (one, or two composed), and which the output."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, Select

from curator.core.errors import FieldsUnknown
from curator.core.formats.base import FormatOptions

CELL = 40  # characters of a sample value shown


class ColumnPickerScreen(Screen[FormatOptions | None]):
    """Dismisses with the options naming the chosen fields, or None (quit)."""

    CSS_PATH = "columns.tcss"
    BINDINGS = [Binding("ctrl+s", "open", "open with these fields"), Binding("escape", "quit", "quit")]

    def __init__(self, error: FieldsUnknown, options: FormatOptions | None) -> None:
        super().__init__()
        self.error, self.options = error, options or FormatOptions()

    def compose(self) -> ComposeResult:
        problem = self.error.problems[0]
        yield Label(f"Which fields hold the examples of {problem.path}?", classes="title")
        yield Label(problem.reason, classes="hint", markup=False)
        yield DataTable(id="samples", cursor_type="none", zebra_stripes=True)
        choices = [(name, name) for name in self.error.fields]
        for key, label, blank in (("input", "input", False), ("input2", "and input (composed)", True),
                                  ("output", "output", False)):
            with Horizontal():
                yield Label(label, classes="field")
                yield Select(choices, id=key, prompt="(none)" if blank else "choose a field", compact=True)
        yield Label("", id="error")
        with Horizontal():
            yield Button("Open", id="open", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.error.fields)
        for row in self.error.samples:
            table.add_row(*(_cell(row.get(name, "")) for name in self.error.fields))
        self.query_one("#input", Select).focus()

    def on_button_pressed(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        picked = {key: self.query_one(f"#{key}", Select).value for key in ("input", "input2", "output")}
        chosen = {k: v for k, v in picked.items() if v is not Select.NULL}
        if "input" not in chosen or "output" not in chosen:
            self.query_one("#error", Label).update("choose the input field and the output field")
            return
        inputs = [chosen["input"], *([chosen["input2"]] if "input2" in chosen else [])]
        if chosen["output"] in inputs or len(set(inputs)) < len(inputs):
            self.query_one("#error", Label).update("each field can be used once")
            return
        self.dismiss(FormatOptions(",".join(inputs), chosen["output"], self.options.header))

    def action_quit(self) -> None:
        self.dismiss(None)


def _cell(value: str) -> str:
    flat = value.replace("\n", "⏎")
    return flat if len(flat) <= CELL else flat[: CELL - 1] + "…"
