"""The example editor: input and output in multi-line text areas with live counts against the limits, and
(for an example of the dataset) its split, tags and note.

ctrl+s applies the edit (one undoable op), escape cancels (asking when something changed), ctrl+o opens the
focused text in $EDITOR.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Select, TextArea

from curator.core.model import SPLITS
from curator.tui.screens.prompts import AskScreen


def parse_tags(text: str) -> list[str]:
    """Tags typed as 'a, b c' -> ['a', 'b', 'c'] (commas or spaces separate; order kept, repeats dropped)."""
    return list(dict.fromkeys(t for t in text.replace(",", " ").split() if t))


class EditorScreen(ModalScreen[dict | None]):
    """Edit one example; dismisses with its fields (text_input, output, and split, tags and note when they were
    given), or None when cancelled."""

    CSS_PATH = "editor.tcss"
    BINDINGS = [
        Binding("ctrl+s", "apply", "apply"),
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+o", "external_editor", "$EDITOR"),
    ]

    def __init__(self, title: str, text_input: str, output: str, limits: dict[str, int],
                 meta: dict | None = None) -> None:
        """``meta``: the example's split, tags and note, to edit them too (None: input and output only)."""
        super().__init__()
        self.title_text, self.limits = title, limits
        self.original = {"text_input": text_input, "output": output, **(meta or {})}
        self.meta = meta

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            if self.meta is not None:
                with Horizontal(id="meta"):
                    yield Label("split")
                    yield Select([(s, s) for s in SPLITS], value=self.meta["split"], allow_blank=False, id="split",
                                 compact=True)
                    yield Label("tags")
                    yield Input(" ".join(self.meta["tags"]), id="tags", placeholder="space or comma separated",
                                compact=True)
                    yield Label("note")
                    yield Input(self.meta["note"] or "", id="note", placeholder="a note for yourself", compact=True)
            yield Label("input", classes="title")
            yield TextArea(self.original["text_input"], id="input-area", soft_wrap=True, show_line_numbers=False)
            yield Label("", id="input-count", classes="count")
            yield Label("output", classes="title")
            yield TextArea(self.original["output"], id="output-area", soft_wrap=True, show_line_numbers=False)
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
    def values(self) -> dict:
        """The fields as they stand in the editor."""
        out = {"text_input": self.query_one("#input-area", TextArea).text,
               "output": self.query_one("#output-area", TextArea).text}
        if self.meta is not None:
            note = self.query_one("#note", Input).value
            out.update(split=str(self.query_one("#split", Select).value),
                       tags=parse_tags(self.query_one("#tags", Input).value),
                       note=note or ("" if self.meta["note"] == "" else None))  # cleared: no note
        return out

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
