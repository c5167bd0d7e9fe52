"""App-level messages: a screen asks the app for another view by posting one of these (to the app:
``self.app.post_message``), instead of importing that view's screen to drive it; ``CuratorApp`` handles them
(``on_open_playground``, ``on_go_to_example``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from curator.core.models import ModelRef


@dataclass
class OpenPlayground(Message):
    """Open the playground on ``text`` (default: the example under the table's cursor) with two models (default:
    the base and the latest tuned one) and a template (default: the settings', else the inferred one)."""

    model_a: ModelRef | None = None
    model_b: ModelRef | None = None
    text: str | None = None
    template: str | None = None


@dataclass
class GoToExample(Message):
    """Back to the table with its cursor on example ``example_id`` (a warning when it no longer exists)."""

    example_id: int


@dataclass
class ShowExamples(Message):
    """Show these examples in the main table (a filter named ``label``), e.g. the ones a tuning job dropped."""

    ids: frozenset[int]
    label: str
