"""Two evaluation runs side by side: each metric of A and B in both runs, and what differs between them."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from curator.core.evaluation.evaluate import EvalResult
from curator.core.evaluation.report import compare_runs


def comparison_table(first: EvalResult, second: EvalResult) -> tuple[Table, list[str]]:
    rows, notes = compare_runs(first, second)
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("metric", no_wrap=True)
    for name in ("1 A", "1 B", "2 A", "2 B", "2 B − 1 B"):
        table.add_column(name, justify="right", no_wrap=True)
    for label, a1, b1, a2, b2 in rows:
        delta = b2 - b1
        table.add_row(label, f"{a1:.1f}", f"{b1:.1f}", f"{a2:.1f}", f"{b2:.1f}",
                      Text(f"{delta:+.1f}", style="green" if delta > 0 else "red" if delta < 0 else ""))
    return table, notes


class CompareScreen(ModalScreen[None]):
    """Shows ``comparison_table`` of two runs; escape closes."""

    DEFAULT_CSS = """
    CompareScreen { align: center middle; background: $background 60%; }
    CompareScreen > VerticalScroll { width: 96; max-width: 98%; height: auto; max-height: 90%;
                                     border: thick $accent; background: $surface; padding: 0 1; }
    CompareScreen .title { text-style: bold; margin-bottom: 1; }
    CompareScreen .notes { color: $warning; margin-top: 1; }
    """
    BINDINGS = [Binding("escape,enter,q", "dismiss_none", "close")]

    def __init__(self, first: EvalResult, second: EvalResult) -> None:
        super().__init__()
        self.first, self.second = first, second

    def compose(self) -> ComposeResult:
        table, notes = comparison_table(self.first, self.second)
        with VerticalScroll():
            yield Label("Two evaluation runs", classes="title")
            yield Static(f"1: {self.first.run.id} · {self.first.run.title}\n2: {self.second.run.id} · "
                         f"{self.second.run.title}", markup=False)
            yield Static(table)
            yield Static("\n".join(f"note: {n}" for n in notes) or "same examples, config and template",
                         classes="notes", markup=False)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
