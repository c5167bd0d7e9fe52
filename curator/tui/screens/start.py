"""The start screen (``curator`` with no file): recent files and the bundled demo dataset."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from curator.tui.widgets.cursor_view import Choices


class StartScreen(Screen[Path | None]):
    """Pick a recent file, the demo, or type a path; dismisses with the chosen path."""

    CSS_PATH = "start.tcss"
    BINDINGS = [Binding("q", "app.quit", "quit"), Binding("o", "focus_path", "open a path")]

    def __init__(self, recent: list[Path], demo: Path) -> None:
        super().__init__()
        self.recent, self.demo = recent, demo

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("curator · curate fine-tuning data, tune, compare base vs tuned", classes="title")
            options = [Option(f"demo: support tickets ({self.demo.name})", id="demo")]
            options += [Option(str(p), id=f"recent-{k}") for k, p in enumerate(self.recent)]
            yield Choices(*options, id="files")
            path_input = Input(placeholder="or type a path and press enter (o)", id="path")
            path_input.cursor_blink = False
            yield path_input
            yield Label("recent files first come from `curator FILE`; the demo is a copy you may edit freely",
                        classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        self.dismiss(self.demo if key == "demo" else self.recent[int(key.removeprefix("recent-"))])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if path.is_file():
            self.dismiss(path)
        else:
            self.notify(f"no such file: {path}", severity="error")

    def action_focus_path(self) -> None:
        self.query_one("#path", Input).focus()
