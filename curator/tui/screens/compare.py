"""Two evaluation runs, older then newer: each metric newer minus older, the examples that flipped (fixed,
broken) for B and for A with both answers, and what differs in how the runs were made."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from curator.core.evaluation.changes import BROKEN, FIXED, RunChanges, compare_runs
from curator.core.evaluation.evaluate import EvalResult
from curator.tui.widgets.example_table import preview


def _delta(value: float) -> Text:
    return Text(f"{value:+.1f}", style="green" if value > 0 else "red" if value < 0 else "")


def comparison_table(changes: RunChanges) -> Table:
    """Each metric of A and B in both runs and the newer-minus-older change."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("metric", no_wrap=True)
    for name in ("A older", "A newer", "A Δ", "B older", "B newer", "B Δ"):
        table.add_column(name, justify="right", no_wrap=True)
    for label, a1, b1, a2, b2 in changes.metrics:
        table.add_row(label, f"{a1:.1f}", f"{a2:.1f}", _delta(a2 - a1), f"{b1:.1f}", f"{b2:.1f}", _delta(b2 - b1))
    return table


def flips_table(changes: RunChanges, side: str, kind: str) -> Table | None:
    """The examples whose verdict for ``side`` flipped that way, with the older and the newer answer."""
    flips = changes.of(side, kind)
    if not flips:
        return None
    style = "red" if kind == BROKEN else "green"
    words = "right before, wrong now" if kind == BROKEN else "wrong before, right now"
    table = Table(title=Text(f"{side.upper()} {kind} · {len(flips)} · {words}", style=f"bold {style}"),
                  title_justify="left", box=None, pad_edge=False, header_style="bold", expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("input", ratio=3, no_wrap=True)
    table.add_column("expected", ratio=2, no_wrap=True)
    table.add_column("older answer", ratio=2, no_wrap=True)
    table.add_column("newer answer", ratio=2, no_wrap=True, style=style)
    for f in flips:
        table.add_row(str(f.example_id if f.example_id is not None else f.position), preview(f.text_input, 60),
                      preview(f.expected, 40), preview(f.before or "(no answer)", 40),
                      preview(f.after or "(no answer)", 40))
    return table


class CompareScreen(ModalScreen[None]):
    """Shows what changed between two runs; escape closes."""

    CSS_PATH = "compare.tcss"
    BINDINGS = [Binding("escape,enter,q", "dismiss_none", "close")]

    def __init__(self, first: EvalResult, second: EvalResult) -> None:
        super().__init__()
        self.changes = compare_runs(first, second)

    def compose(self) -> ComposeResult:
        changes = self.changes
        older, newer = changes.older.run, changes.newer.run
        with VerticalScroll():
            yield Label("What changed between two evaluation runs", classes="title")
            yield Static(f"older: {older.id} · {older.title}\nnewer: {newer.id} · {newer.title}", markup=False)
            yield Static(comparison_table(changes))
            counts = " · ".join(f"{side.upper()} {kind} {len(changes.of(side, kind))}"
                                for side in ("b", "a") for kind in (BROKEN, FIXED))
            yield Static(f"{changes.shared:,} examples in both runs · {counts}", classes="flips", markup=False)
            for side in ("b", "a"):
                for kind in (BROKEN, FIXED):
                    table = flips_table(changes, side, kind)
                    if table is not None:
                        yield Static(table, classes="flips")
            yield Static("\n".join(f"note: {n}" for n in changes.notes) or "same examples, models, config, "
                         "template and scoring rule", classes="notes", markup=False)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
