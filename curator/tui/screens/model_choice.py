"""Choose a model for a model field from the known ones (base models of the configured backends, the
workspace's tuned models), typing still possible: one helper for every form with model fields."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Input

from curator.tui.screens.prompts import ChoicePrompt


def pick_model(screen: Screen, known: list[str], fields: tuple[str, ...]) -> None:
    """List ``known`` models; the chosen one goes into the focused field of ``fields`` (ids), else the last."""
    if not known:
        screen.notify("no known models: type backend:model", severity="warning", timeout=3)
        return
    focused = screen.focused
    target = focused if isinstance(focused, Input) and focused.id in fields else screen.query_one(f"#{fields[-1]}",
                                                                                                  Input)
    label = target.id.rsplit("-", 1)[-1].upper()

    def chosen(value: str | None) -> None:
        if value is not None:
            target.value = value
            target.focus()

    screen.app.push_screen(ChoicePrompt(f"Model {label}", [(m, m) for m in known],
                                        "known models; or type any backend:model in the field",
                                        current=target.value.strip() or None), chosen)
