"""What the virtual tables share: a scrolling list under a one-line header with a cursor row, rendered line
by line (Line API) with the strips cached by (row, width); and the screen actions that move its cursor (or the
focused list's, on screens of option lists)."""

from __future__ import annotations

import asyncio

from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import OptionList


class CursorView(ScrollView, can_focus=True, inherit_bindings=False):
    """Subclasses count their rows (``row_count``), render lines into ``_cache`` and say what a cursor move
    means (``cursor_moved``, usually a message)."""

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)  # watch_cursor repaints what changed

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self._cache: dict[tuple[int, int], Strip] = {}

    def row_count(self) -> int:
        raise NotImplementedError

    def cursor_moved(self, index: int) -> None:
        """Called after the cursor went to ``index``."""

    @property
    def page(self) -> int:
        return max(1, self.size.height - 2)

    def move_to(self, index: int) -> None:
        count = self.row_count()
        self.cursor = max(0, min(index, count - 1)) if count else 0

    def watch_cursor(self, old: int, new: int) -> None:
        for key in [k for k in self._cache if k[0] in (old, new)]:
            del self._cache[key]
        top = int(self.scroll_offset.y)
        self._scroll_to_cursor()
        if int(self.scroll_offset.y) == top:  # repaint the rows the cursor left and reached, not the whole screen
            lines = {old - top + 1, new - top + 1}  # line 0 is the header
            self.refresh(*(Region(0, y, self.size.width, 1) for y in lines if 1 <= y < self.size.height))
        else:
            self.refresh()
        self.cursor_moved(new)

    def _scroll_to_cursor(self) -> None:
        body = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(event.size.width, self.row_count() + 1)
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_to(int(self.scroll_offset.y) + event.y - 1)

    def watch_scroll_y(self, old: float, new: float) -> None:
        self._cache.clear()
        super().watch_scroll_y(old, new)


async def in_one_frame() -> None:
    """Await at the end of a cursor-move handler that changed other widgets (a detail pane): they tell the screen
    before it paints, so the move and what it shows reach the terminal in one frame. (The screen paints what was
    reported when it goes idle, and a widget reports on its own idle: without this turn the detail came a frame
    later, 17 to 33 ms after the table, and a move took twice as long to finish on screen.)"""
    await asyncio.sleep(0)


class CursorActions:
    """The move actions of a screen whose ``table`` is a CursorView (names in ``curator.tui.actions``)."""

    table: CursorView

    def action_cursor_down(self) -> None:
        self.table.move_to(self.table.cursor + 1)

    def action_cursor_up(self) -> None:
        self.table.move_to(self.table.cursor - 1)

    def action_page_down(self) -> None:
        self.table.move_to(self.table.cursor + self.table.page)

    def action_page_up(self) -> None:
        self.table.move_to(self.table.cursor - self.table.page)

    def action_go_top(self) -> None:
        self.table.move_to(0)

    def action_go_bottom(self) -> None:
        self.table.move_to(self.table.row_count() - 1)


class ListActions:
    """j/k on a screen of option lists: they move the focused list's highlight (names in ``curator.tui.actions``)."""

    focused: object

    def action_list_down(self) -> None:
        if isinstance(self.focused, OptionList):
            self.focused.action_cursor_down()

    def action_list_up(self) -> None:
        if isinstance(self.focused, OptionList):
            self.focused.action_cursor_up()


class Choices(OptionList):
    """An option list that j and k move too, as every list of the app does (on screens without ``ListActions``)."""

    BINDINGS = [Binding("j", "cursor_down", "next item", show=False),
                Binding("k", "cursor_up", "previous item", show=False)]
