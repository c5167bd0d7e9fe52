"""Near-duplicate scan options: the rapidfuzz scorer, the threshold, the compared field, the comparison and the
length cap (texts longer than it are grouped only when identical)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from curator.core.dedupe import FIELDS, SCORERS
from curator.core.settings import Settings

OPTION_KEYS = ("near_dup_scorer", "near_dup_threshold", "near_dup_field", "near_dup_compare", "near_dup_max_chars")


class ScanOptionsScreen(ModalScreen[dict | None]):
    """Dismisses with {near_dup_scorer, near_dup_threshold, near_dup_field, near_dup_compare, near_dup_max_chars},
    or None."""

    CSS_PATH = "scan_options.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("ctrl+s", "apply", "scan")]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical():
            yield Label("Near-duplicate scan", classes="title")
            with Horizontal():
                yield Label("scorer", classes="field")
                yield Select([(name, name) for name in sorted(SCORERS)], value=s.near_dup_scorer, allow_blank=False,
                             id="scorer", compact=True)
            with Horizontal():
                yield Label("threshold", classes="field")
                yield Input(f"{s.near_dup_threshold:g}", id="threshold", type="number", compact=True)
            with Horizontal():
                yield Label("field", classes="field")
                yield Select([(name, name) for name in FIELDS], value=s.near_dup_field, allow_blank=False, id="field",
                             compact=True)
            with Horizontal():
                yield Label("compare", classes="field")
                yield Select([("slot values (template)", "slots"), ("whole input", "whole")], value=s.near_dup_compare,
                             allow_blank=False, id="compare", compact=True)
            with Horizontal(id="cap-row"):
                yield Label("max chars", classes="field")
                yield Input(str(s.near_dup_max_chars), id="max-chars", type="integer", compact=True)
            yield Label("longer texts are grouped only when identical · 0: no cap", classes="hint")
            yield Label("", id="error")
            with Horizontal(id="buttons"):
                yield Button("Scan", id="apply", variant="primary", compact=True)

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False

    def on_button_pressed(self) -> None:
        self.action_apply()

    def on_input_submitted(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        try:
            threshold = float(self.query_one("#threshold", Input).value)
        except ValueError:
            threshold = -1
        if not 0 <= threshold <= 100:
            self.query_one("#error", Label).update("the threshold is a number from 0 to 100")
            return
        try:
            max_chars = int(self.query_one("#max-chars", Input).value)
        except ValueError:
            max_chars = -1
        if max_chars < 0:
            self.query_one("#error", Label).update("max chars is a whole number, 0 (no cap) or more")
            return
        self.dismiss({"near_dup_scorer": str(self.query_one("#scorer", Select).value),
                      "near_dup_threshold": threshold,
                      "near_dup_field": str(self.query_one("#field", Select).value),
                      "near_dup_compare": str(self.query_one("#compare", Select).value),
                      "near_dup_max_chars": max_chars})

    def action_cancel(self) -> None:
        self.dismiss(None)
