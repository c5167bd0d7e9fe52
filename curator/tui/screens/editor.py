"""The pair editor: input and output in multi-line text areas with live counts against the limits.

ctrl+s applies the edit (one undoable op), escape cancels, ctrl+o opens the focused text in $EDITOR.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, TextArea

from curator.tui.screens.prompts import AskScreen


class EditorScreen(ModalScreen[tuple[str, str] | None]):
    """Edit one example's input and output; dismisses with the new pair, or None when cancelled."""

    DEFAULT_CSS = """
    EditorScreen { align: center middle; background: $background 60%; }
    EditorScreen > Vertical { width: 96%; height: 94%; border: thick $accent; background: $surface; padding: 0 1; }
    EditorScreen .title { text-style: bold; width: 1fr; }
    EditorScreen TextArea { height: 1fr; }
    EditorScreen #output-area { height: 2fr; }
    EditorScreen .count { width: 1fr; color: $text-muted; text-align: right; }
    EditorScreen .count.over { color: $error; text-style: bold; }
    """
    BINDINGS = [
        Binding("ctrl+s", "apply", "apply"),
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+o", "external_editor", "$EDITOR"),
    ]

    def __init__(self, title: str, text_input: str, output: str, limits: dict[str, int]) -> None:
        super().__init__()
        self.title_text, self.original, self.limits = title, (text_input, output), limits

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Label("input", classes="title")
            yield TextArea(self.original[0], id="input-area", soft_wrap=True, show_line_numbers=False)
            yield Label("", id="input-count", classes="count")
            yield Label("output", classes="title")
            yield TextArea(self.original[1], id="output-area", soft_wrap=True, show_line_numbers=False)
            yield Label("", id="output-count", classes="count")
        yield Footer()

    def on_mount(self) -> None:
        for area in self.query(TextArea):
            area.cursor_blink = False
        self._update_counts()
        self.query_one("#input-area", TextArea).focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._update_counts()

    def _update_counts(self) -> None:
        texts = [self.query_one(f"#{name}-area", TextArea).text for name in ("input", "output")]
        token_limit = self.limits.get("example_tokens")  # Vertex: input + output tokens, shown under the output
        tokens = sum(len(t.encode()) for t in texts) // 3 + 1
        for name, key, text in (("input", "input_chars", texts[0]), ("output", "output_chars", texts[1])):
            n, limit = len(text), self.limits.get(key)
            words = f"{n:,} / {limit:,} characters" if limit else f"{n:,} characters"
            over = bool(limit and n > limit)
            if name == "output" and token_limit:
                words += f" · example ~{tokens:,} / {token_limit:,} tokens (estimate)"
                over = over or tokens > token_limit
            label = self.query_one(f"#{name}-count", Label)
            label.update(words)
            label.set_class(over, "over")

    @property
    def values(self) -> tuple[str, str]:
        return self.query_one("#input-area", TextArea).text, self.query_one("#output-area", TextArea).text

    def action_apply(self) -> None:
        self.dismiss(self.values)

    def action_cancel(self) -> None:
        """Leave without applying; asks first when something was changed."""
        if self.values == self.original:
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == "discard":
                self.dismiss(None)
            elif choice == "apply":
                self.dismiss(self.values)

        self.app.push_screen(AskScreen("Discard your changes?", "The input or output was changed in the editor.",
                                       [("discard", "Discard"), ("apply", "Apply"), ("keep", "Keep editing")],
                                       "discard"), answer)

    def action_external_editor(self) -> None:
        """Edit the focused text in $EDITOR (the app is suspended meanwhile)."""
        area = self.focused if isinstance(self.focused, TextArea) else self.query_one("#input-area", TextArea)
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "curator-edit.txt"
            path.write_text(area.text, encoding="utf-8")
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(editor), str(path)], check=False)
            except Exception as exc:  # suspend is unsupported in some environments (e.g. tests, web)
                self.notify(f"cannot open $EDITOR: {exc}", severity="error")
                return
            area.text = path.read_text(encoding="utf-8")
