"""The filter form: split, tag, finding rule, length range and text, combined with AND."""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select

from curator.core.model import SPLITS
from curator.core.view import Filter


class FilterScreen(ModalScreen[Filter | None]):
    """Edit the active filter; enter or ctrl+s applies, escape cancels, ctrl+r resets the form."""

    CSS_PATH = "filter.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("ctrl+s", "apply", "apply"),
                Binding("ctrl+r", "reset", "reset")]

    def __init__(self, current: Filter, tags: list[str], rules: list[tuple[str, int]]) -> None:
        super().__init__()
        self.current, self.tags, self.rules = current, tags, rules

    def compose(self) -> ComposeResult:
        f = self.current
        with Vertical():
            yield Label("Filter the examples (all conditions apply)", classes="title")
            with Horizontal():
                yield Label("split", classes="field")
                for split in SPLITS:
                    yield Checkbox(split, split in f.splits, id=f"split-{split}", compact=True)
            with Horizontal():
                yield Label("tag", classes="field")
                yield Select([(t, t) for t in self.tags], value=f.tag if f.tag in self.tags else Select.NULL,
                             prompt="any tag", id="tag", compact=True)
            with Horizontal():
                yield Label("finding", classes="field")
                yield Select([(f"{rule} ({n})", rule) for rule, n in self.rules],
                             value=f.rule if f.rule in dict(self.rules) else Select.NULL, prompt="any", id="rule", compact=True)
            with Horizontal():
                yield Label("length", classes="field")
                yield Select([("input", "input"), ("output", "output")], value=f.length_field, allow_blank=False,
                             id="length-field", compact=True)
                yield Input("" if f.min_length is None else str(f.min_length), placeholder="min", id="min",
                            type="integer", compact=True)
                yield Input("" if f.max_length is None else str(f.max_length), placeholder="max", id="max",
                            type="integer", compact=True)
            with Horizontal():
                yield Label("text", classes="field")
                yield Input(f.text or "", placeholder="in input or output", id="text", compact=True)
                yield Checkbox("regex", f.regex, id="regex", compact=True)
            with Horizontal(id="buttons"):
                yield Button("Reset", id="reset", compact=True)
                yield Button("Apply", id="apply", variant="primary", compact=True)

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False

    def _int(self, selector: str) -> int | None:
        value = self.query_one(selector, Input).value.strip()
        return int(value) if value.lstrip("-").isdigit() else None

    def read_form(self) -> Filter:
        """The filter the form describes (ids chosen elsewhere are kept)."""
        tag = self.query_one("#tag", Select).value
        rule = self.query_one("#rule", Select).value
        text = self.query_one("#text", Input).value
        return replace(
            self.current,
            splits=frozenset(s for s in SPLITS if self.query_one(f"#split-{s}", Checkbox).value),
            tag=None if tag is Select.NULL else str(tag),
            rule=None if rule is Select.NULL else str(rule),
            length_field=str(self.query_one("#length-field", Select).value),
            min_length=self._int("#min"),
            max_length=self._int("#max"),
            text=text or None,
            regex=self.query_one("#regex", Checkbox).value,
        )

    def on_input_submitted(self) -> None:
        self.action_apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.action_apply()
        else:
            self.action_reset()

    def action_apply(self) -> None:
        self.dismiss(self.read_form())

    def action_reset(self) -> None:
        self.dismiss(Filter())

    def action_cancel(self) -> None:
        self.dismiss(None)
