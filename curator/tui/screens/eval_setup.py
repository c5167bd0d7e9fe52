"""Set up an evaluation: models A and B, which examples, the production template (applied identically to
both), the scoring rule (kept in the dataset's settings), samples per example, the generation config,
concurrency and an optional requests-per-minute limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from textual import work

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static

from curator.core.backends import GenerationConfig
from curator.core.backends.thinking import parse_thinking
from curator.core.errors import CuratorError
from curator.core.evaluation.rules import ScoringRule, parse_rule
from curator.core.evaluation.runner import DEFAULT_CONCURRENCY
from curator.core.models import ModelRef
from curator.core.template import parse_template
from curator.tui.actions import EVAL_SETUP, bindings
from curator.tui.screens.model_choice import pick_model


@dataclass(frozen=True)
class EvalChoice:
    """What the form asks for."""

    model_a: ModelRef
    model_b: ModelRef
    examples: str  # auto, test, validation, train, all, or view
    template: str | None
    config: GenerationConfig
    concurrency: int
    rpm: float | None
    batch: bool = False
    task: str | None = None  # None: detected
    other_file: str | None = None  # evaluate every example of this file instead
    rule: ScoringRule = ScoringRule()
    samples: int = 1


class FieldError(CuratorError):
    """A problem with one field of the form: the form shows it and focuses that field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class EvalSetupScreen(ModalScreen[EvalChoice | None]):
    """The evaluation form (ctrl+r runs, escape cancels)."""

    CSS_PATH = "eval_setup.tcss"
    BINDINGS = bindings(EVAL_SETUP)
    ACTIONS = EVAL_SETUP

    class Estimated(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    def __init__(self, model_a: ModelRef, model_b: ModelRef | None, template: str | None,
                 example_counts: dict[str, int], known_models: list[str] = (), rule: ScoringRule = ScoringRule(),
                 folder: Path | None = None, estimate: Callable[[EvalChoice], str] | None = None) -> None:
        """``example_counts``: how many examples each choice (auto, test, validation, train, all, view) holds;
        ``rule``: the dataset's scoring rule; ``folder``: where a JSON schema file named in it is read from;
        ``estimate(choice)``: the tokens and price of the form's evaluation, shown before it runs (a worker
        calls it)."""
        super().__init__()
        self.estimate = estimate
        self.model_a, self.model_b, self.template = model_a, model_b, template
        self.example_counts, self.known_models = example_counts, list(known_models)
        self.rule, self.folder = rule, folder

    def compose(self) -> ComposeResult:
        labels = {"auto": "test, else validation, else all", "test": "test split", "validation": "validation split",
                  "train": "train split (what B learned from!)", "all": "every example", "view": "the table's view"}
        options = [(f"{labels[k]} · {n:,}", k) for k, n in self.example_counts.items() if n or k == "auto"]
        suggester = SuggestFromList(self.known_models, case_sensitive=False)
        with Vertical():
            yield Label("Evaluate A (base) against B (tuned)", classes="title")
            yield Static("Both models get the same prompts: each input put into the production template.",
                         classes="hint")
            with Grid():
                yield Label("model A")
                yield Input(str(self.model_a), id="eval-a", suggester=suggester, compact=True)
                yield Label("model B")
                yield Input(str(self.model_b) if self.model_b else "", id="eval-b", suggester=suggester,
                            placeholder="backend:model, e.g. local:local-model-…", compact=True)
                yield Label("examples")
                yield Select(options, value="auto", allow_blank=False, id="eval-examples", compact=True)
                yield Label("or file")
                yield Input("", id="eval-file", compact=True,
                            placeholder="evaluate every example of another file instead (path)")
                yield Label("task")
                yield Select([("detect from the outputs", "detect"), ("classification", "classification"),
                              ("generation", "generation")], value="detect", allow_blank=False, id="eval-task",
                             compact=True)
                yield Label("template")
                yield Input((self.template or "").replace("\n", "\\n"), id="eval-template", compact=True,
                            placeholder="none: inputs sent as they are; \\n for a line break")
                yield Label("answer")
                yield Input(self.rule.extract or "", id="eval-extract", compact=True,
                            placeholder="the whole reply; or after:####, last-number, regex:PATTERN")
                yield Label("right when")
                yield Input("" if self.rule.match == "auto" else self.rule.match_text, id="eval-match", compact=True,
                            placeholder="auto; or exact, numeric:0.01, contains, starts-with, json:fields=a,b, "
                                        "judge:backend:model")
                yield Label("judge rubric")
                yield Input(self.rule.rubric or "", id="eval-rubric", compact=True,
                            placeholder="what the judge model grades by (with judge:...)")
                yield Label("samples")
                yield Input("1", id="eval-samples", compact=True)
                yield Label("temperature")
                yield Input("0", id="eval-temperature", compact=True)
                yield Label("seed")
                yield Input("42", id="eval-seed", compact=True)
                yield Label("max tokens")
                yield Input("256", id="eval-max-tokens", compact=True)
                yield Label("thinking")
                yield Input("least", id="eval-thinking", compact=True,
                            placeholder="least (off where allowed), off, dynamic or tokens: the same for A and B")
                yield Label("concurrency")
                yield Input(str(DEFAULT_CONCURRENCY), id="eval-concurrency", compact=True)
                yield Label("requests/min")
                yield Input("", id="eval-rpm", placeholder="no limit", compact=True)
                yield Label("Batch API")
                yield Checkbox("Gemini API: one batch job per model (half price, slower)",
                               False, id="eval-batch", compact=True)
            yield Static("", id="eval-estimate", classes="hint")
            yield Static("", id="setup-error")
            yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.query_one("#eval-b" if self.model_b is None else "#eval-a", Input).focus()
        self._estimate()

    ESTIMATED_BY = ("eval-a", "eval-b", "eval-examples", "eval-file", "eval-template", "eval-samples",
                    "eval-max-tokens", "eval-thinking", "eval-batch")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in self.ESTIMATED_BY:
            self._estimate()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id in self.ESTIMATED_BY:
            self._estimate()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id in self.ESTIMATED_BY:
            self._estimate()

    def _estimate(self) -> None:
        """Refresh the cost line (nothing while a field is invalid: the run would not start either)."""
        if self.estimate is None or not self.is_mounted:
            return
        try:
            choice = self.choice()
        except CuratorError:
            self.query_one("#eval-estimate", Static).update("")
            return
        self._estimate_worker(choice)

    @work(thread=True, exclusive=True, group="estimate")
    def _estimate_worker(self, choice: EvalChoice) -> None:
        try:
            text = self.estimate(choice)
        except CuratorError as exc:
            text = f"cost: {exc.reason}"
        self.post_message(self.Estimated(text))

    def on_eval_setup_screen_estimated(self, message: Estimated) -> None:
        self.query_one("#eval-estimate", Static).update(escape("Cost before the run: " + message.text))

    def _value(self, name: str) -> str:
        return self.query_one(f"#eval-{name}", Input).value.strip()

    def choice(self) -> EvalChoice:
        """The form's values (a CuratorError naming what is wrong)."""
        model_a = self._checked("a", lambda: ModelRef.parse(self._value("a")))
        if not self._value("b"):
            raise FieldError("b", "name model B (a tuned model: tune one with ctrl+t)")
        model_b = self._checked("b", lambda: ModelRef.parse(self._value("b")))
        template = self._value("template").replace("\\n", "\n") or None
        if template:
            self._checked("template", lambda: parse_template(template))
        temperature = self._number("temperature", float)
        seed = self._number("seed", int)
        max_tokens = self._number("max-tokens", int)
        concurrency = self._number("concurrency", int)
        rpm = self._number("rpm", float) if self._value("rpm") else None
        try:
            thinking = parse_thinking(self._value("thinking"))
        except ValueError as exc:
            raise FieldError("thinking", f"thinking is least, off, dynamic or a number of tokens ({exc})") from None
        samples = self._number("samples", int) if self._value("samples") else 1
        if samples < 1:
            raise FieldError("samples", "samples must be at least 1")
        rule = self._checked("extract", lambda: parse_rule(self._value("extract"), self._value("match"),
                                                           self._value("rubric"), base=self.folder))
        config = GenerationConfig(temperature=temperature, seed=seed, max_output_tokens=max_tokens,
                                  thinking_budget=thinking)
        for name, problem in config.problems().items():
            raise FieldError({"max_output_tokens": "max-tokens", "thinking_budget": "thinking"}.get(name, name),
                             problem)
        if concurrency < 1:
            raise FieldError("concurrency", "concurrency must be at least 1")
        if rpm is not None and rpm <= 0:
            raise FieldError("rpm", "requests/min must be positive")
        task = str(self.query_one("#eval-task", Select).value)
        other = self._value("file") or None
        if other is not None and not Path(other).expanduser().is_file():
            raise FieldError("file", f"no such file: {other}")
        return EvalChoice(model_a, model_b, str(self.query_one("#eval-examples", Select).value), template, config,
                          concurrency, rpm, self.query_one("#eval-batch", Checkbox).value,
                          None if task == "detect" else task,
                          str(Path(other).expanduser().resolve()) if other else None, rule, samples)

    def _checked(self, field: str, check):
        """``check()``'s value; its CuratorError becomes the field's."""
        try:
            return check()
        except FieldError:
            raise
        except CuratorError as exc:
            raise FieldError(field, exc.reason) from None

    def _number(self, field: str, kind: type):
        try:
            return kind(self._value(field))
        except ValueError:
            word = "a whole number" if kind is int else "a number"
            raise FieldError(field, f"{field.replace('-', ' ')} must be {word}, not {self._value(field)!r}") from None

    def action_run_eval(self) -> None:
        try:
            choice = self.choice()
        except CuratorError as exc:
            self.query_one("#setup-error", Static).update(exc.reason)
            if isinstance(exc, FieldError):
                self.query_one(f"#eval-{exc.field}").focus()
            return
        self.dismiss(choice)

    def on_input_submitted(self) -> None:
        self.action_run_eval()

    def action_pick_model(self) -> None:
        pick_model(self, self.known_models, ("eval-a", "eval-b"))

    def action_close(self) -> None:
        self.dismiss(None)
