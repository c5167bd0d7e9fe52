"""The frequency screen: output (label) counts, counts per split and per tag, and length histograms.
Enter on a value closes the screen and filters the table to the matching examples."""

from __future__ import annotations

import polars as pl
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from curator.core.frequency import Bin, Count, length_histogram, output_counts, split_counts, tag_counts
from curator.core.view import Filter
from curator.tui.widgets.cursor_view import Choices

BAR_WIDTH = 24


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of eighth blocks."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def _label(value: str, width: int = 28) -> str:
    flat = value.replace("\n", "⏎") if value.strip() else repr(value) + " (blank)"
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def count_option(count: Count, top: int, key: str) -> Option:
    text = Text(no_wrap=True)
    text.append(f"{_label(count.value):<28} ", "bold")
    text.append(f"{count.count:>8,} {count.share:6.1%}  ")
    text.append(bar(count.count / top if top else 0), "cyan")
    return Option(text, id=key)


def bin_option(b: Bin, top: int, key: str) -> Option:
    text = Text(no_wrap=True)
    text.append(f"{b.low:>7,}–{b.high:<8,}", "bold")
    text.append(f"{b.count:>8,}  ")
    text.append(bar(b.count / top if top else 0), "magenta")
    return Option(text, id=key)


class FrequencyScreen(Screen[Filter | None]):
    """Counts over the active examples; dismisses with a Filter for the chosen value, or None."""

    CSS_PATH = "frequency.tcss"
    BINDINGS = [Binding("escape,q", "close", "close"), Binding("left", "previous_tab", "previous tab", show=False),
                Binding("right", "next_tab", "next tab", show=False)]

    def __init__(self, active: pl.DataFrame) -> None:
        super().__init__()
        self.active = active
        self.filters: dict[str, Filter] = {}

    def compose(self) -> ComposeResult:
        n = self.active.height
        outputs = output_counts(self.active)
        distinct = self.active["output"].n_unique() if n else 0
        yield Static(f"{n:,} examples · {distinct:,} distinct outputs · enter filters the table · ←/→ switch tabs",
                     id="summary")
        with TabbedContent():
            with TabPane("outputs", id="tab-outputs"):
                yield self._counts_list(outputs, "output", lambda c: Filter(output_equals=c.value))
            with TabPane("splits", id="tab-splits"):
                yield self._counts_list(split_counts(self.active), "split",
                                        lambda c: Filter(splits=frozenset({c.value})))
            with TabPane("tags", id="tab-tags"):
                yield self._counts_list(tag_counts(self.active), "tag", lambda c: Filter(tag=c.value))
            for field, column in (("input", "text_input"), ("output", "output")):
                with TabPane(f"{field} lengths", id=f"tab-{field}-lengths"):
                    bins = length_histogram(self.active, column)
                    top = max((b.count for b in bins), default=0)
                    options = []
                    for k, b in enumerate(bins):
                        key = f"{field}-len-{k}"
                        self.filters[key] = Filter(length_field=field, min_length=b.low, max_length=b.high)
                        options.append(bin_option(b, top, key))
                    yield Choices(*options, id=f"list-{field}-lengths")
        yield Footer()

    def _counts_list(self, counts: list[Count], kind: str, make) -> OptionList:
        top = counts[0].count if counts else 0
        options = []
        for k, c in enumerate(counts):
            key = f"{kind}-{k}"
            self.filters[key] = make(c)
            options.append(count_option(c, top, key))
        if not options:
            options.append(Option(f"no {kind}s", id=f"none-{kind}", disabled=True))
        return Choices(*options, id=f"list-{kind}")

    def on_mount(self) -> None:
        self.query_one("#list-output", OptionList).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(lambda: event.pane.query_one(OptionList).focus())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = self.filters.get(event.option.id or "")
        if chosen is not None:
            self.dismiss(chosen)

    def _switch(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        panes = [p.id for p in self.query(TabPane)]
        index = panes.index(tabs.active) if tabs.active in panes else 0
        tabs.active = panes[(index + step) % len(panes)]

    def action_next_tab(self) -> None:
        self._switch(1)

    def action_previous_tab(self) -> None:
        self._switch(-1)

    def action_close(self) -> None:
        self.dismiss(None)
