"""The status bar: file, example count, view and selection counts, unsaved changes, target, progress."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusBar(Static):
    """One line of state; the screen calls ``update_state`` whenever something it shows changes."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    _shown: tuple | None = None  # what the bar shows now

    def update_state(self, *, file: str, total: int, shown: int | None, selected: int, changes: int, target: str,
                     deleted: int = 0, read_only: bool = False, progress: str = "", partial: bool = False,
                     changed_on_disk: bool = False) -> None:
        """``total`` counts the examples kept; ``shown`` (None when no filter) those the filter shows;
        ``partial``: the file is still loading and ``total`` counts the first examples only;
        ``changed_on_disk``: something else changed the file since it was read or saved. Redraws only this line,
        and only when something it shows changed (a scan's progress calls it several times a second)."""
        state = (file, total, shown, selected, changes, target, deleted, read_only, progress, partial, changed_on_disk)
        if state == self._shown:
            return
        self._shown = state
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(file, "bold")
        text.append(f"  {'first ' if partial else ''}{total:,} examples")
        if deleted:
            text.append(f" · {deleted:,} to delete", "red")
        if shown is not None:
            text.append(f" · {shown:,} shown", "bold")
        if selected:
            text.append(f" · {selected:,} selected", "bold")
        if read_only:
            text.append("  read-only", "bold red")
        elif changes:
            text.append(f"  ● {changes} unsaved", "bold yellow")
        elif not partial:
            text.append("  saved", "dim")
        if changed_on_disk:
            text.append("  changed on disk (ctrl+r reloads)", "bold red")
        text.append(f"  target {target}", "dim")
        if progress:
            text.append(f"  {progress}", "italic")
        self.update(text, layout=False)  # one line high whatever it says: no layout of the screen
