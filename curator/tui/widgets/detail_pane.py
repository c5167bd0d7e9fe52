"""The detail pane: the cursor row's full input and output, their lengths against the target's limits,
the row's note and its findings. A toggle shows whitespace and line breaks; search matches are highlighted."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from curator.core.model import Finding, Severity
from curator.core.view import match_spans

FINDING_LINES = 5  # the findings' lines shown at most (their max-height below)
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def show_whitespace(text: str) -> str:
    """Make spaces, tabs and line breaks visible (· → ⏎), keeping the line breaks."""
    return text.replace(" ", "·").replace("\t", "→").replace("\r\n", "⏎\n").replace("\n", "⏎\n")


def count_line(label: str, value: str, limit: int | None, tokens: int | None = None,
               token_limit: int | None = None) -> Text:
    """``input · 1,234 / 40,000 chars`` or ``1,234 chars · ~412 / 131,072 tokens``, red when over a limit."""
    n = len(value)
    text = Text(f"{label} ", style="bold")
    if limit is not None:
        text.append(f"{n:,} / {limit:,} chars", style="bold red" if n > limit else "dim")
    else:
        text.append(f"{n:,} chars", style="dim")
    if tokens is not None and token_limit is not None:
        text.append(f" · ~{tokens:,} / {token_limit:,} tokens", style="bold red" if tokens > token_limit else "dim")
    elif tokens is not None:
        text.append(f" · ~{tokens:,} tokens", style="dim")
    return text


def highlighted(text: str, spans: list[tuple[int, int]]) -> Text:
    """``text`` with the character ``spans`` highlighted (differences between two texts)."""
    out = Text(text)
    for a, b in spans:
        out.stylize("bold black on yellow", a, b)
    return out


def update_in_place(static: Static, content: Text | str, floor: int = 0, cap: int | None = None) -> None:
    """Show ``content`` in ``static``, laying the screen out again only when that changes its height (a layout
    at every cursor move was a third of the move's time); ``floor`` and ``cap``: the least and most height its
    styles give it, whatever its content."""
    width = static.size.width
    if not width or static.parent is None:
        static.update(content)
        return
    container, viewport = static.parent.size, static.app.size

    def height() -> int:
        content_height = max(floor, static.get_content_height(container, viewport, width))
        return content_height if cap is None else min(cap, content_height)

    before = height()
    static.update(content, layout=False)
    if height() != before:
        static.refresh(layout=True)


class TextPanel(VerticalScroll):
    """A titled, scrollable, wrapped text."""

    DEFAULT_CSS = """
    TextPanel { width: 1fr; height: 1fr; border: round $panel-lighten-2; padding: 0 1; }
    TextPanel:focus { border: round $accent; }
    TextPanel > Static { width: 1fr; min-height: 100%; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = title
        self._body = Static("", markup=False)

    def compose(self) -> ComposeResult:
        yield self._body

    def show(self, value: str, subtitle: Text, whitespace: bool, pattern: str, regex: bool) -> None:
        shown = show_whitespace(value) if whitespace else value
        text = Text(shown)
        if pattern:
            for a, b in match_spans(shown, pattern, regex):
                text.stylize("black on yellow", a, b)
        update_in_place(self._body, text, floor=self.scrollable_content_region.height)
        self.border_subtitle = subtitle.plain
        self.scroll_home(animate=False)


class DetailPane(Widget):
    """Input and output side by side, with findings below."""

    DEFAULT_CSS = """
    DetailPane { height: 45%; min-height: 7; }
    DetailPane > Horizontal { height: 1fr; }
    DetailPane > #findings { height: auto; max-height: 5; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield TextPanel("input", id="input-panel")
            yield TextPanel("output", id="output-panel")
        yield Static("", id="findings", markup=False)

    def show(self, row: dict | None, findings: list[Finding], limits: dict[str, int], *, whitespace: bool = False,
             pattern: str = "", regex: bool = False, unchecked: str = "") -> None:
        """Show an example (``row`` is a dataset row dict; None shows an empty pane); ``unchecked`` says why
        there are no findings yet (checks still to run)."""
        input_panel = self.query_one("#input-panel", TextPanel)
        output_panel = self.query_one("#output-panel", TextPanel)
        notes = self.query_one("#findings", Static)
        if row is None:
            input_panel.show("", Text("no example"), False, "", False)
            output_panel.show("", Text(""), False, "", False)
            notes.update("")
            return
        text_input, output = row["text_input"] or "", row["output"] or ""
        tokens = (len(text_input.encode()) + len(output.encode()) + 2) // 3
        title = f"input · #{row['id']} · {row['split']}"
        if row.get("tags"):
            title += " · " + " ".join(f"#{t}" for t in row["tags"])
        if row.get("deleted"):
            title += " · DELETED (until saved)"
        input_panel.border_title = title
        input_panel.show(text_input, count_line("", text_input, limits.get("input_chars"), tokens,
                                                limits.get("example_tokens")), whitespace, pattern, regex)
        output_panel.show(output, count_line("", output, limits.get("output_chars")), whitespace, pattern, regex)
        lines = Text(no_wrap=True, overflow="ellipsis")
        if row.get("note"):
            lines.append("note    ", "bold")
            lines.append(" ".join(str(row["note"]).split()))  # one line: the editor (e) shows it whole
        for f in findings[:3]:
            if lines:
                lines.append("\n")
            lines.append(f"{f.severity.value:<8}", SEVERITY_STYLE[f.severity])
            lines.append(f"{f.rule}  {f.message}")
            if f.fix:
                lines.append(f"  (fix: {f.fix.label})", "dim")
        if len(findings) > 3:
            lines.append(f"\n… {len(findings) - 3} more (filter by finding with f)", "dim")
        if not findings:
            lines.append(unchecked or "no findings", "dim")
        update_in_place(notes, lines, cap=FINDING_LINES)
