"""The review's virtual table: one line per example of an evaluation run with A's and B's verdicts, who did
better, both similarities and previews of the input and the expected output. Renders only what is visible.

Verdict marks: ✓ right, ✗ wrong, ! the request failed, … the answer was cut at the max output tokens
(coloured right or wrong); a trailing * means a person gave the verdict, ↺ that a person's verdict on the
same answer in another run was reused. Outcome: ▲ B better, ▼ A better, = tie.
For classification the similarities give way to the label each model's answer maps to, beside the expected one.
"""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from curator.core.errors import CuratorError
from curator.core.evaluation.runs import RunRow
from curator.core.evaluation.scorecard import Scorecard
from curator.core.evaluation.scoring import OTHER
from curator.core.template import parse_template
from curator.core.template.display import InputDisplay, input_display
from curator.tui.widgets.cursor_view import CursorView
from curator.tui.widgets.example_table import SPLIT_SHORT, preview

OUTCOME_MARKS = {1: ("▲", "verdict-table--good"), -1: ("▼", "verdict-table--bad"), 0: ("=", "verdict-table--dim")}


class VerdictTable(CursorView):
    """Rows of a run in a given order (``positions``), with a cursor."""

    COMPONENT_CLASSES = {"verdict-table--header", "verdict-table--cursor", "verdict-table--good",
                         "verdict-table--bad", "verdict-table--warn", "verdict-table--dim"}
    DEFAULT_CSS = """
    VerdictTable { height: 1fr; overflow-x: hidden; }
    VerdictTable > .verdict-table--header { text-style: bold; background: $panel; }
    VerdictTable > .verdict-table--cursor { background: $accent 40%; }
    VerdictTable:focus > .verdict-table--cursor { background: $accent 70%; }
    VerdictTable > .verdict-table--good { color: $success; }
    VerdictTable > .verdict-table--bad { color: $error; }
    VerdictTable > .verdict-table--warn { color: $warning; }
    VerdictTable > .verdict-table--dim { color: $text-muted; }
    """

    class CursorMoved(Message):
        """The cursor is on another example (``position`` in the run, None when the view is empty)."""

        def __init__(self, position: int | None) -> None:
            self.position = position
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[RunRow] = []
        self.card: Scorecard | None = None
        self.positions = np.zeros(0, dtype=np.int64)
        self._id_width = 3
        self.input_display = InputDisplay()

    def show(self, rows: list[RunRow], card: Scorecard, positions: np.ndarray, keep: int | None = None,
             template: str | None = None) -> None:
        """Show ``positions`` of the run; the cursor stays on example ``keep`` when it is still listed. Inputs
        are listed by ``template``'s slot values, else with a first line many of them share hidden."""
        if rows is not self.rows:
            try:
                parsed = parse_template(template) if template else None
            except CuratorError:
                parsed = None
            self.input_display = input_display([r.text_input or "" for r in rows], parsed)
        self.rows, self.card, self.positions = rows, card, positions
        self._id_width = max(3, len(str(max((r.example_id or 0 for r in rows), default=0))))
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(positions) + 1)
        where = np.flatnonzero(positions == keep) if keep is not None else []
        self.cursor = int(where[0]) if len(where) else 0
        self.refresh()

    @property
    def current(self) -> int | None:
        """The run position under the cursor."""
        return int(self.positions[self.cursor]) if len(self.positions) else None

    def row_count(self) -> int:
        return len(self.positions)

    def cursor_moved(self, index: int) -> None:
        self.post_message(self.CursorMoved(self.current))

    # -- rendering -------------------------------------------------------------------------------------------

    def _widths(self, width: int) -> tuple[int, int, int]:
        id_w = self._id_width
        fixed = 1 + id_w + 1 + 6 + 3 + 3 + 2 + 4 + 4 + 1
        flex = max(12, width - fixed)
        exp_w = max(8, flex // 3)
        return id_w, flex - exp_w, exp_w

    @property
    def labelled(self) -> bool:
        """A classification run: the predicted labels are listed."""
        return self.card is not None and self.card.a.labels is not None

    def _label_widths(self, width: int) -> tuple[int, int, int, int]:
        id_w = self._id_width
        fixed = 1 + id_w + 1 + 6 + 3 + 3 + 2 + 1
        flex = max(16, width - fixed)
        lab_w = max(6, flex // 5)
        return id_w, flex - 3 * lab_w, lab_w, lab_w

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0 and self.labelled:
            id_w, in_w, lab_w, _ = self._label_widths(width)
            text = (f" {'#':>{id_w}} {'split':<6}{'A':<3}{'B':<3}{'':<2}{'input':<{in_w}}{'expected':<{lab_w}}"
                    f"{'A said':<{lab_w}}{'B said'}")
            style = self.get_component_rich_style("verdict-table--header")
            return Strip([Segment(text[:width].ljust(width), style)], width)
        if y == 0:
            id_w, in_w, exp_w = self._widths(width)
            text = f" {'#':>{id_w}} {'split':<6}{'A':<3}{'B':<3}{'':<2}{'simA':>4}{'simB':>4}  {'input':<{in_w - 1}}{'expected'}"
            style = self.get_component_rich_style("verdict-table--header")
            return Strip([Segment(text[:width].ljust(width), style)], width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.positions) or self.card is None:
            return Strip.blank(width, self.rich_style)
        strip = self._cache.get((index, width))
        if strip is None:
            strip = self._cache[(index, width)] = self._render_row(index, width)
        return strip

    def _verdict(self, text: Text, right: bool, answered: bool, human: int | None, truncated: bool,
                 reused: bool) -> None:
        if not answered and human is None:
            text.append("! ", self.get_component_rich_style("verdict-table--warn"))
        else:
            text.append("…" if truncated and human is None else "✓" if right else "✗",
                        self.get_component_rich_style("verdict-table--good" if right else "verdict-table--bad"))
            text.append(("↺" if reused else "*") if human is not None else " ")
        text.append(" ")

    @staticmethod
    def _cell(text: Text, value: str, width: int, style=None) -> None:
        """``value`` cut to ``width - 1`` cells and padded to ``width``."""
        cell = preview(value, width - 1)
        text.append(cell + " " * (width - cell_len(cell)), style or "")

    def _render_row(self, index: int, width: int) -> Strip:
        id_w, in_w, exp_w = self._widths(width)
        position = int(self.positions[index])
        row, card = self.rows[position], self.card
        dim = self.get_component_rich_style("verdict-table--dim")
        text = Text(no_wrap=True, overflow="crop", style=self.rich_style)
        text.append(f" {row.example_id if row.example_id is not None else position:>{id_w}} ")
        split = SPLIT_SHORT.get(row.split or "", row.split or "")[:5]
        text.append(f"{split:<5}", dim)
        text.append("L" if row.leaked else " ", self.get_component_rich_style("verdict-table--warn"))
        self._verdict(text, bool(card.right_a[position]), bool(card.a.answered[position]), row.human_a,
                      row.truncated("a"), row.reused_a)
        self._verdict(text, bool(card.right_b[position]), bool(card.b.answered[position]), row.human_b,
                      row.truncated("b"), row.reused_b)
        mark, style = OUTCOME_MARKS[int(card.outcome[position])]
        text.append(f"{mark} ", self.get_component_rich_style(style))
        if self.labelled:
            _, in_w, lab_w, _ = self._label_widths(width)
            names = card.a.labels + [OTHER]
            truth = names[int(card.a.truth_codes[position])]
            self._cell(text, self.input_display(row.text_input or ""), in_w)
            self._cell(text, truth, lab_w, dim)
            for scores in (card.a, card.b):
                said = names[int(scores.codes[position])]
                good = said == truth
                self._cell(text, said, lab_w, self.get_component_rich_style(
                    "verdict-table--good" if good else "verdict-table--bad"))
        else:
            text.append(f"{card.a.similarity[position]:4.0f}{card.b.similarity[position]:4.0f}  ", dim)
            cell = preview(self.input_display(row.text_input or ""), in_w - 1)
            text.append(cell + " " * (in_w - cell_len(cell)))
            text.append(preview(row.expected, exp_w), dim)
        if index == self.cursor:
            text.stylize(self.get_component_rich_style("verdict-table--cursor"))
        return Strip(list(text.render(self.app.console))).adjust_cell_length(width, self.rich_style)
