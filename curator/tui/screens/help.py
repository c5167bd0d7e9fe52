"""The help screen: every action of the registry with its keys, grouped, plus the undo log."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from curator.tui.actions import DUPLICATES, EVAL_SETUP, FINDINGS, MAIN, PLAYGROUND, REVIEW, TUNING, Action, key_label


def help_table(actions: tuple[Action, ...]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    group = None
    for action in actions:
        if action.group != group:
            if group is not None:
                table.add_row("", "", "")
            table.add_row(Text(action.group, style="bold underline"), "", "")
            group = action.group
        table.add_row(" ".join(key_label(k) for k in action.current_keys), Text(action.name, style="cyan"), action.description)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and actions; escape, q or ? closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "close")]

    def __init__(self, undo_log: list[str]) -> None:
        super().__init__()
        self.undo_log = undo_log

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "curator · keys (every action is also in the command palette, ctrl+p)"
            yield Static(help_table(MAIN + FINDINGS + DUPLICATES + TUNING + PLAYGROUND + REVIEW + EVAL_SETUP))
            log = ", ".join(self.undo_log[-12:]) if self.undo_log else "nothing yet"
            yield Static(Text.assemble(("\nundo log (newest last): ", "bold"), log))
            yield Static(Text("\nescape closes this screen", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
