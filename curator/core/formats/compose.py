"""Several input fields or columns composed into one input through a template, and split back for writing.

The common shapes (``SHAPES``) say which fields hold an example; several input fields are composed through a
template, by default ``{first}\\n\\n{second?}`` (a ``?`` field is left out with the text before it when empty),
which becomes the dataset's production template. JSON objects (``mapped``) and tables (``tabular``) share it.

Writing splits an input back into its fields: the later fields as read when the text still ends with them
(an example read from the file), else as the template matches, else the whole text in the first field;
whichever composes back to the text exactly. An edited input no split composes back to is refused (never
written half-right).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from curator.core.errors import CuratorError

AS_READ = "__as_read__"  # key in `extra` (common.PRIVATE_KEYS): later inputs as read, outputs read as numbers


@dataclass(frozen=True)
class Shape:
    """A common shape: the input fields (composed when several) and the output field."""

    inputs: tuple[str, ...]
    output: str

    @property
    def name(self) -> str:
        return "/".join((*self.inputs, self.output))


# In order of preference: the first shape whose fields are all in the file is used.
SHAPES = tuple(
    Shape(tuple(inputs), output)
    for *inputs, output in (
        ("instruction", "input", "output"),
        ("instruction", "input", "response"),
        ("instruction", "context", "response"),
        ("instruction", "output"),
        ("instruction", "response"),
        ("question", "answer"),
        ("question", "response"),
        ("prompt", "completion"),
        ("prompt", "response"),
        ("text", "label"),
        ("dialogue", "summary"),
        ("document", "summary"),
        ("input", "output"),
        ("query", "response"),
    )
)


def default_template(inputs: Iterable[str]) -> str:
    """``{a}\\n\\n{b?}\\n\\n{c?}``: the first input, then each other one after a blank line when not empty."""
    first, *rest = inputs
    return "".join([f"{{{first}}}", *(f"\n\n{{{name}?}}" for name in rest)])


def template_for(inputs: tuple[str, ...], template: str | None) -> str | None:
    """The template composing ``inputs``: ``template`` when it is about exactly those fields (a production
    template about other fields composes with the default), None for one input."""
    if len(inputs) < 2:
        return None
    if template:
        from curator.core.template.model import parse_template

        if set(parse_template(template).names) == set(inputs):
            return template
    return None


@dataclass(frozen=True)
class Mapping:
    """Which fields hold an example: ``inputs`` (composed through ``template`` when several), ``output``,
    optionally ``system``; ``shape`` names the recognised shape (None when the user named the fields)."""

    inputs: tuple[str, ...]
    output: str
    system: str | None = None
    template: str | None = None
    shape: str | None = None

    @cached_property
    def composer(self):
        """The parsed template composing several inputs (None for one input)."""
        if len(self.inputs) < 2:
            return None
        from curator.core.template.model import parse_template

        return parse_template(self.template or default_template(self.inputs))

    def describe(self) -> str:
        """What was mapped, for people: ``question/answer: input ← question, output ← answer``."""
        inputs = " + ".join(self.inputs)
        parts = [f"input ← {inputs}"]
        if len(self.inputs) > 1:
            parts[0] += f" (as {(self.template or default_template(self.inputs))!r})"
        parts.append(f"output ← {self.output}")
        if self.system:
            parts.append(f"system ← {self.system}")
        return (f"recognised {self.shape}: " if self.shape else "mapped ") + ", ".join(parts)

    def compose(self, values: dict[str, str]) -> str:
        """The input of one example from its input fields' values."""
        composer = self.composer
        return composer.render(values) if composer else values[self.inputs[0]]

    def split(self, text: str, kept: dict[str, str], line: int | None = None) -> list[str]:
        """The input fields' values for a composed ``text``: for an example read from ``line``, the later fields
        as read (``kept``) when the text still ends with them; else as the template matches; else the whole
        text in the first field. A CuratorError naming the example when none composes back to ``text``."""
        composer = self.composer
        if composer is None:
            return [text]
        first, later = self.inputs[0], [kept.get(n, "") for n in self.inputs[1:]]
        candidates = []
        head, tail = composer.literals[0], composer.render({first: "", **dict(zip(self.inputs[1:], later))})
        read = line is not None  # read from the file: its later fields as read come first, even when empty
        if read and text.startswith(head) and text.endswith(tail[len(head):]) and len(text) >= len(tail):
            candidates.append([text[len(head): len(text) - len(tail) + len(head)], *later])
        from curator.core.template.match import match

        result = match(composer, text)
        if result.exact and result.values:
            candidates.append([result.values.get(n, "") for n in self.inputs])
        candidates.append([text, *("" for _ in self.inputs[1:])])
        for values in candidates:
            if composer.render(dict(zip(self.inputs, values))) == text:
                return values
        example = f"the example read from line {line}" if line is not None else "an added example"
        raise CuratorError(f"cannot save {example}: its input no longer follows the template "
                           f"{composer.source!r} that composes {', '.join(self.inputs)}, so it cannot be split back "
                           "into them; edit it to follow the template, or save as JSONL (gemini-jsonl), which keeps "
                           "the input whole")


def recognise_fields(fields: Iterable[str]) -> Mapping | None:
    """The first common shape whose fields are all among ``fields``, or None."""
    present = set(fields)
    for shape in SHAPES:
        if present.issuperset(shape.inputs) and shape.output in present:
            return Mapping(shape.inputs, shape.output, shape=shape.name)
    return None
