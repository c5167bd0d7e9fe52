"""The virtual example table: renders only the visible rows of a view of any size (Line API).

The table holds no data: it asks a ``RowSource`` for the rows on screen and caches their rendered strips
until ``invalidate()``. Column widths adapt to the terminal width; the input and output columns share
what is left. Marks: ● selected, ✎ edited, + added, and deleted rows are struck through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from curator.core.view import match_spans
from curator.tui.widgets.cursor_view import CursorView


@dataclass(frozen=True)
class Row:
    """What one table row shows."""

    id: int
    split: str
    text_input: str
    output: str
    input_len: int
    output_len: int
    findings: int
    selected: bool
    edited: bool
    added: bool
    deleted: bool
    tags: tuple[str, ...] = ()


class RowSource(Protocol):
    """Where the table's rows come from; an ``output_width`` attribute, when present, sizes the output column,
    and a ``tags_width`` one the tags column (0 or absent: no tags column)."""

    def row_count(self) -> int: ...

    def rows(self, start: int, end: int) -> list[Row]: ...


def preview(text: str, width: int) -> str:
    """One line of ``text``: line breaks and tabs shown as ⏎ and →, cut with … to ``width`` cells."""
    flat = text[: width * 4].replace("\r\n", "⏎").replace("\n", "⏎").replace("\t", "→")
    plain = flat.replace("⏎", "").replace("→", "")
    if plain.isascii() and plain.isprintable():  # every character one cell wide: no cell counting
        return flat if len(flat) <= width else flat[: width - 1] + "…"
    if cell_len(flat) <= width:
        return flat
    out, used = [], 0
    for ch in flat:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


SPLIT_SHORT = {"train": "train", "validation": "valid", "test": "test"}


class ExampleTable(CursorView):
    """A scrolling table of examples with a cursor row."""

    COMPONENT_CLASSES = {
        "example-table--header",
        "example-table--cursor",
        "example-table--selected",
        "example-table--edited",
        "example-table--added",
        "example-table--deleted",
        "example-table--findings",
        "example-table--match",
        "example-table--dim",
    }

    DEFAULT_CSS = """
    ExampleTable { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }
    ExampleTable > .example-table--header { text-style: bold; background: $panel; color: $text; }
    ExampleTable > .example-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    ExampleTable:blur > .example-table--cursor { background: $block-cursor-blurred-background; }
    ExampleTable > .example-table--selected { color: $accent; text-style: bold; }
    ExampleTable > .example-table--edited { color: $warning; }
    ExampleTable > .example-table--added { color: $success; }
    ExampleTable > .example-table--deleted { color: $error; text-style: strike; }
    ExampleTable > .example-table--findings { color: $warning; }
    ExampleTable > .example-table--match { background: $warning 40%; }
    ExampleTable > .example-table--dim { color: $text-muted; }
    """

    class CursorMoved(Message):
        """The cursor went to another row (``index`` in the view, ``example_id`` or None when empty)."""

        def __init__(self, index: int, example_id: int | None) -> None:
            self.index = index
            self.example_id = example_id
            super().__init__()

    def __init__(self, source: RowSource, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.source = source
        self.search_pattern: str = ""
        self.search_regex = False
        self._rows: dict[int, Row] = {}

    # -- data ------------------------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget every rendered row (after an edit, a new view, a selection change) and repaint."""
        self._cache.clear()
        self._rows.clear()
        count = self.source.row_count()
        self.virtual_size = Size(self.size.width, count + 1)
        if count and self.cursor >= count:
            self.cursor = count - 1
        elif not count:
            self.cursor = 0
        self.refresh()

    def row(self, index: int) -> Row | None:
        """The row at ``index`` of the view (fetched, with its neighbours on screen, when not cached)."""
        if index < 0 or index >= self.source.row_count():
            return None
        if index not in self._rows:
            start = max(0, min(index, int(self.scroll_offset.y)))
            end = max(index + 1, start + self.size.height)
            for k, r in enumerate(self.source.rows(start, end)):
                self._rows[start + k] = r
        return self._rows.get(index)

    @property
    def current(self) -> Row | None:
        return self.row(self.cursor)

    # -- cursor ----------------------------------------------------------------------------------------

    def row_count(self) -> int:
        return self.source.row_count()

    def cursor_moved(self, index: int) -> None:
        row = self.row(index)
        self.post_message(self.CursorMoved(index, row.id if row else None))

    # -- rendering -------------------------------------------------------------------------------------

    @property
    def _tags_w(self) -> int:
        return getattr(self.source, "tags_width", 0)

    def _widths(self, width: int) -> tuple[int, int, int]:
        id_w = max(3, len(str(self.source.row_count() + 1000)) - 1)
        fixed = 2 + id_w + 1 + 5 + 1 + 6 + 1 + 6 + 1 + 3 + 2 + (self._tags_w + 1 if self._tags_w else 0)
        flex = max(10, width - fixed)
        wanted = getattr(self.source, "output_width", flex // 2)
        out_w = max(8, min(flex // 2, wanted + 1))
        return id_w, flex - out_w, out_w

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        index = int(self.scroll_offset.y) + y - 1
        strip = self._cache.get((index, width))
        if strip is not None:
            return strip
        row = self.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        strip = self._render_row(index, row, width)
        self._cache[(index, width)] = strip
        return strip

    def _header(self, width: int) -> Strip:
        id_w, in_w, out_w = self._widths(width)
        style = self.get_component_rich_style("example-table--header")
        tags = f"{'tags':<{self._tags_w}} " if self._tags_w else ""
        text = (f"  {'id':>{id_w}} {'split':<5} {tags}{'input':<{in_w - 1}} {'output':<{out_w - 1}} "
                f"{'in':>6} {'out':>6} {'!':>3}")
        return Strip([Segment(text[:width].ljust(width), style)], width)

    def _render_row(self, index: int, row: Row, width: int) -> Strip:
        id_w, in_w, out_w = self._widths(width)
        base = self.rich_style
        if row.deleted:
            state = self.get_component_rich_style("example-table--deleted")
        elif row.added:
            state = self.get_component_rich_style("example-table--added")
        elif row.edited:
            state = self.get_component_rich_style("example-table--edited")
        else:
            state = Style()
        mark = ("●" if row.selected else " ") + ("✗" if row.deleted else "+" if row.added else "✎" if row.edited else " ")
        text = Text(no_wrap=True, overflow="crop", style=base)
        text.append(mark, self.get_component_rich_style("example-table--selected") if row.selected else state)
        text.append(f"{row.id:>{id_w}} ", state)
        text.append(f"{SPLIT_SHORT.get(row.split, row.split)[:5]:<5} ", self.get_component_rich_style("example-table--dim"))
        if self._tags_w:
            tags = preview(" ".join(row.tags), self._tags_w)
            text.append(tags + " " * (self._tags_w - cell_len(tags)) + " ",
                        self.get_component_rich_style("example-table--selected"))
        for value, w in ((row.text_input, in_w - 1), (row.output, out_w - 1)):
            cell = preview(value, w)
            start = len(text)
            text.append(cell, state)
            text.append(" " * (w - cell_len(cell)) + " ")
            if self.search_pattern:
                for a, b in match_spans(cell, self.search_pattern, self.search_regex):
                    text.stylize(self.get_component_rich_style("example-table--match"), start + a, start + b)
        text.append(f"{row.input_len:>6} {row.output_len:>6} ", self.get_component_rich_style("example-table--dim"))
        text.append(f"{row.findings or '':>3}", self.get_component_rich_style("example-table--findings"))
        if index == self.cursor:
            text.stylize(self.get_component_rich_style("example-table--cursor"))
        return Strip(list(text.render(self.app.console))).adjust_cell_length(width, base)
