"""Small modal dialogs: a question with a few answers, a line of text, a choice from a list."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, LoadingIndicator, OptionList
from textual.widgets.option_list import Option

from curator.tui.widgets.cursor_view import Choices


class AskScreen(ModalScreen[str | None]):
    """A question answered by one of several buttons; each answer has a key (its first letter)."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "dismiss_none", "cancel", show=False),
                Binding("left", "app.focus_previous", "previous answer", show=False),
                Binding("right", "app.focus_next", "next answer", show=False)]

    def __init__(self, title: str, message: str, answers: list[tuple[str, str]], default: str | None = None) -> None:
        """``answers`` are (value, label) pairs; the label's first letter is its key."""
        super().__init__()
        self.title_text, self.message, self.answers, self.default = title, message, answers, default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Label(self.message, classes="message", markup=False)
            with Horizontal():
                for value, label in self.answers:
                    yield Button(label, id=f"answer-{value}", variant="primary" if value == self.default else "default")

    def on_mount(self) -> None:
        """Focus the answer the dialog is about (the default), else the first: enter gives it."""
        value = self.default or self.answers[0][0]
        self.query_one(f"#answer-{value}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("answer-"))

    def on_key(self, event) -> None:
        for value, label in self.answers:
            if event.character and event.character.lower() == label[0].lower():
                event.stop()
                self.dismiss(value)
                return

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text (enter accepts, escape cancels)."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "dismiss_none", "cancel", show=False)]

    def __init__(self, title: str, hint: str = "", value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text, self.hint, self.value, self.placeholder = title, hint, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            field = Input(self.value, placeholder=self.placeholder)
            field.cursor_blink = False
            yield field
            if self.hint:
                yield Label(self.hint, classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ChoicePrompt(ModalScreen[str | None]):
    """Pick one value from a list (enter picks, escape cancels)."""

    CSS_PATH = "prompts.tcss"
    BINDINGS = [Binding("escape", "dismiss_none", "cancel", show=False)]

    def __init__(self, title: str, choices: list[tuple[str, str]], hint: str = "", current: str | None = None) -> None:
        """``choices`` are (value, label) pairs; the list opens on ``current`` when given."""
        super().__init__()
        self.title_text, self.choices, self.hint, self.current = title, choices, hint, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            options = Choices(*[Option(label, id=value) for value, label in self.choices])
            values = [value for value, _ in self.choices]
            if self.current in values:
                options.highlighted = values.index(self.current)
            yield options
            if self.hint:
                yield Label(self.hint, classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class BusyScreen(ModalScreen[None]):
    """Holds the keys while something that must not be interrupted runs (a save); the caller pops it."""

    CSS_PATH = "prompts.tcss"

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.message, classes="title")
            yield LoadingIndicator()
