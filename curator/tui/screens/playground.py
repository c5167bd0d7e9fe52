"""The playground: one input, the production template applied (shown, editable, can be switched off), and
the answers of two models side by side with latency and token counts.

Requests run in thread workers and go through the prediction cache the evaluations use; errors (quota,
authentication, unsupported) are shown in place. ctrl+s saves the input with an output as a new example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Footer, Input, Label, Static, TextArea

from curator.core.backends import GenerationConfig
from curator.core.backends.thinking import parse_thinking, token_note
from curator.core.errors import CuratorError
from curator.core.models import ModelRef
from curator.core.playground import input_history, remember_input
from curator.core.template import parse_template
from curator.tui.actions import PLAYGROUND, bindings
from curator.tui.screens.editor import EditorScreen
from curator.tui.screens.model_choice import pick_model
from curator.tui.screens.prompts import AskScreen
from curator.tui.widgets.detail_pane import TextPanel

Generate = Callable[..., "Answer"]  # (model, prompt, config, *, system) -> the answer


@dataclass(frozen=True)
class Answer:
    """One model's answer as the playground shows it."""

    text: str
    seconds: float
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    cached: bool = False
    thinking_tokens: int | None = None
    truncated: bool = False  # cut at the max output tokens (thinking included)


class HistoryArea(TextArea):
    """The input: up on the first line and down on the last line walk the history of tried inputs."""

    class Step(Message):
        def __init__(self, step: int) -> None:
            self.step = step
            super().__init__()

    def action_cursor_up(self, select: bool = False) -> None:
        if self.cursor_location[0] == 0 and not select:
            self.post_message(self.Step(-1))
        else:
            super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if self.cursor_location[0] >= self.document.line_count - 1 and not select:
            self.post_message(self.Step(1))
        else:
            super().action_cursor_down(select)


class PlaygroundScreen(Screen[None]):
    """Try an input on models A and B."""

    CSS_PATH = "playground.tcss"
    BINDINGS = bindings(PLAYGROUND)

    class Answered(Message):
        def __init__(self, slot: str, prompt: str, answer: Answer | None, error: str | None) -> None:
            self.slot, self.prompt, self.answer, self.error = slot, prompt, answer, error
            super().__init__()

    def __init__(self, *, generate: Generate, model_a: ModelRef, model_b: ModelRef | None, template: str | None,
                 text: str = "", known_models: list[str] = (), workspace=None, dataset_path=None,
                 add_example: Callable[[str, str], bool] | None = None, limits: dict[str, int] | None = None) -> None:
        super().__init__()
        self.generate = generate
        self.model_a, self.model_b = model_a, model_b
        self.template_source = template or ""
        self.initial_text = text
        self.known_models = list(known_models)
        self.workspace, self.dataset_path = workspace, dataset_path
        self.add_example, self.limits = add_example, limits or {}
        self.answers: dict[str, Answer | None] = {"a": None, "b": None}
        self.history: list[str] = input_history(workspace, dataset_path) if workspace is not None else []
        self.history_pos = len(self.history)
        self.pending: set[str] = set()

    def compose(self) -> ComposeResult:
        suggester = SuggestFromList(self.known_models, case_sensitive=False)
        yield Static("[b]playground[/b] · ctrl+r sends to both models · up/down recall tried inputs", id="pg-title")
        with Horizontal(classes="row"):
            yield Label("A")
            yield Input(str(self.model_a), id="model-a", suggester=suggester, compact=True)
            yield Label("B")
            yield Input(str(self.model_b) if self.model_b else "", placeholder="backend:model (empty: A only)",
                        id="model-b", suggester=suggester, compact=True)
        with Horizontal(classes="row"):
            yield Label("temperature")
            yield Input("0", id="temperature", classes="small", compact=True)
            yield Label("seed")
            yield Input("42", id="seed", classes="small", compact=True)
            yield Label("max tokens")
            yield Input("256", id="max-tokens", classes="small", compact=True)
            yield Label("thinking")
            yield Input("least", id="thinking", classes="small", compact=True,
                        tooltip="least (off where the model allows it), off, dynamic or a number of tokens")
            yield Checkbox("template", bool(self.template_source), id="use-template", compact=True)
        yield Input("", placeholder="system instruction (optional; sent to A and B alike)", id="system",
                    compact=True)
        yield Input(self.template_source.replace("\n", "\\n"), placeholder="production template, e.g. "
                    "Classify the ticket.\\nquestion: {question}", id="template", compact=True)
        yield HistoryArea(self.initial_text, id="input", soft_wrap=True)
        yield Static("", id="prompt", markup=False)
        with Horizontal(id="answers"):
            yield TextPanel("A", id="answer-a")
            yield TextPanel("B", id="answer-b")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        area = self.query_one("#input", HistoryArea)
        area.cursor_blink = False
        area.focus()
        self.query_one("#template", Input).display = bool(self.template_source)
        self._titles()
        self.update_prompt()

    # -- the prompt ----------------------------------------------------------------------------------------

    def final_prompt(self) -> str:
        """The input with the template applied when it is on (a CuratorError when it cannot be)."""
        text = self.query_one("#input", HistoryArea).text
        if not self.query_one("#use-template", Checkbox).value:
            return text
        source = self.query_one("#template", Input).value.replace("\\n", "\n")
        if not source.strip():
            return text
        return parse_template(source).apply(text)

    def update_prompt(self) -> None:
        preview = self.query_one("#prompt", Static)
        try:
            prompt = self.final_prompt()
        except CuratorError as exc:
            preview.update(Text(f"template: {exc.reason}", style="red"))
            return
        flat = prompt.replace("\n", "⏎ ")
        preview.update(f"prompt sent ({len(prompt):,} chars): {flat[:300]}{'…' if len(flat) > 300 else ''}")

    def on_text_area_changed(self) -> None:
        self.update_prompt()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "template":
            self.update_prompt()
        elif event.input.id in ("model-a", "model-b"):
            self._titles()

    def on_checkbox_changed(self) -> None:
        self.query_one("#template", Input).display = self.query_one("#use-template", Checkbox).value
        self.update_prompt()

    def action_pick_model(self) -> None:
        pick_model(self, self.known_models, ("model-a", "model-b"))

    def action_toggle_template(self) -> None:
        box = self.query_one("#use-template", Checkbox)
        box.value = not box.value

    def _titles(self) -> None:
        for slot in ("a", "b"):
            self.query_one(f"#answer-{slot}", TextPanel).border_title = \
                f"{slot.upper()} · {self.query_one(f'#model-{slot}', Input).value or 'none'}"

    # -- history ---------------------------------------------------------------------------------------------

    def on_history_area_step(self, message: HistoryArea.Step) -> None:
        self._step(message.step)

    def action_history_previous(self) -> None:
        self._step(-1)

    def action_history_next(self) -> None:
        self._step(1)

    def _step(self, step: int) -> None:
        if not self.history:
            return
        area = self.query_one("#input", HistoryArea)
        if step < 0 and self.history_pos == len(self.history) and area.text == self.history[-1]:
            self.history_pos -= 1  # the input on screen is the newest entry already
        self.history_pos = max(0, min(len(self.history), self.history_pos + step))
        area.text = self.history[self.history_pos] if self.history_pos < len(self.history) else ""
        area.move_cursor((0, 0) if step > 0 else (area.document.line_count - 1, 0))

    # -- sending ---------------------------------------------------------------------------------------------

    def config(self) -> GenerationConfig:
        try:
            config = GenerationConfig(temperature=float(self.query_one("#temperature", Input).value),
                                      seed=int(self.query_one("#seed", Input).value),
                                      max_output_tokens=int(self.query_one("#max-tokens", Input).value),
                                      thinking_budget=parse_thinking(self.query_one("#thinking", Input).value))
        except ValueError:
            raise CuratorError("temperature, seed and max tokens are numbers; thinking is least, off, dynamic or "
                               "a number of tokens") from None
        problems = config.problems()
        if problems:
            raise CuratorError("; ".join(problems.values()))
        return config

    def action_send(self) -> None:
        try:
            prompt = self.final_prompt()
            config = self.config()
            refs = {"a": ModelRef.parse(self.query_one("#model-a", Input).value)}
            if self.query_one("#model-b", Input).value.strip():
                refs["b"] = ModelRef.parse(self.query_one("#model-b", Input).value)
        except CuratorError as exc:
            self.notify(exc.reason, title="playground", severity="error")
            return
        if not prompt.strip():
            self.notify("type an input first", severity="warning", timeout=2)
            return
        text = self.query_one("#input", HistoryArea).text
        if self.workspace is not None:
            remember_input(self.workspace, self.dataset_path, text)
        if not self.history or self.history[-1] != text:
            self.history.append(text)
        self.history_pos = len(self.history)
        for slot, ref in refs.items():
            self.pending.add(slot)
            self._panel(slot, Text("…", style="dim"), "waiting")
            self._ask(slot, ref, prompt, config)
        if "b" not in refs:
            self._panel("b", Text("no model B", style="dim"), "")

    def _panel(self, slot: str, body: Text, subtitle: str) -> None:
        panel = self.query_one(f"#answer-{slot}", TextPanel)
        panel._body.update(body)
        panel.border_subtitle = subtitle

    def _ask(self, slot: str, ref: ModelRef, prompt: str, config: GenerationConfig) -> None:
        system = self.query_one("#system", Input).value.strip() or None
        self.run_worker(lambda: self._generate(slot, ref, prompt, config, system), thread=True, exclusive=True,
                        group=f"answer-{slot}")

    def _generate(self, slot: str, ref: ModelRef, prompt: str, config: GenerationConfig,
                  system: str | None = None) -> None:
        try:
            answer = self.generate(ref, prompt, config, system=system)
        except CuratorError as exc:
            self.post_message(self.Answered(slot, prompt, None, str(exc)))
            return
        self.post_message(self.Answered(slot, prompt, answer, None))

    def on_playground_screen_answered(self, message: Answered) -> None:
        if message.slot not in self.pending:
            return  # cancelled meanwhile
        self.pending.discard(message.slot)
        self.answers[message.slot] = message.answer
        if message.answer is None:
            self._panel(message.slot, Text(message.error or "failed", style="red"), "error")
            return
        a = message.answer
        tokens = token_note(a.prompt_tokens, a.output_tokens, a.thinking_tokens)
        where = f"cached (took {a.seconds * 1000:,.0f} ms)" if a.cached else f"{a.seconds * 1000:,.0f} ms"
        body = Text(a.text)
        if a.truncated:
            body.append(("\n" if a.text else "") + "… cut at the max output tokens (thinking included): raise max "
                        "tokens or lower thinking", style="yellow")
        self._panel(message.slot, body, f"{where}{tokens}")

    def action_close(self) -> None:
        if self.pending:
            for slot in self.pending:
                self._panel(slot, Text("cancelled", style="yellow"), "")
            self.pending.clear()
            return
        self.dismiss(None)

    # -- saving as an example ----------------------------------------------------------------------------------

    def action_save_example(self) -> None:
        if self.add_example is None:
            self.notify("open from a dataset to save examples", severity="warning")
            return
        text = self.query_one("#input", HistoryArea).text
        if not text.strip():
            self.notify("type an input first", severity="warning", timeout=2)
            return
        choices = [(slot, f"{slot.upper()}'s output") for slot in ("a", "b") if self.answers.get(slot)]
        choices.append(("write", "Write one"))

        def chosen(choice: str | None) -> None:
            if choice in ("a", "b"):
                self._save(text, self.answers[choice].text)
            elif choice == "write":
                start = next((a.text for a in self.answers.values() if a), "")
                self.app.push_screen(EditorScreen("new example from the playground", text, start, self.limits),
                                     lambda edited: edited and self._save(edited["text_input"], edited["output"]))

        self.app.push_screen(AskScreen("Save as a new example", "Which output goes with this input?", choices,
                                       choices[0][0]), chosen)

    def _save(self, text_input: str, output: str) -> None:
        if self.add_example(text_input, output):
            self.notify("saved as a new example (ctrl+z in the table undoes it)", timeout=3)
