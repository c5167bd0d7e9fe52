"""A production prompt template: a preamble, then named fields, each introduced by a marker.

``Classify the ticket.\\nquestion: {question}\\ncontext: {context}`` parses into the preamble
``Classify the ticket.``, the fields ``question`` (marker ``question: ``, after a line break) and
``context`` (marker ``context: ``, after a line break). Literal braces are written ``{{`` and ``}}``.
A field written ``{name?}`` is optional: when its value is empty it is left out together with the text
before it, so ``{instruction}\\n\\n{input?}`` is the instruction alone when the input is empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curator.core.errors import CuratorError

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_ -]*)(\?)?\}")


@dataclass(frozen=True)
class FieldSpec:
    """One field: its name, the marker before its value (``question: ``) and the separator before that."""

    name: str
    marker: str
    separator: str
    optional: bool = False

    @property
    def label(self) -> str:
        """The marker without punctuation and spacing, as people would name it (``question``)."""
        return marker_label(self.marker) or self.name


def marker_label(marker: str) -> str:
    return re.sub(r"[\s:=\-–>]+$", "", marker.strip()).strip().lower()


@dataclass(frozen=True)
class Template:
    """A parsed template. ``literals[k]`` precedes field k; ``literals[-1]`` follows the last field."""

    source: str
    preamble: str
    fields: tuple[FieldSpec, ...]
    literals: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def render(self, values: dict[str, str]) -> str:
        """The template with each field replaced by its value (a missing value is an error, except for an
        optional field, which is left out with the text before it when its value is missing or empty)."""
        missing = [f.name for f in self.fields if f.name not in values and not f.optional]
        if missing:
            raise CuratorError(f"no value for template field {missing[0]!r}")
        out = []
        for k, f in enumerate(self.fields):
            value = values.get(f.name, "")
            if f.optional and not value:
                continue
            out.append(self.literals[k])
            out.append(value)
        out.append(self.literals[-1])
        return "".join(out)

    def apply(self, text: str) -> str:
        """A raw input put into the template: as it is when it already follows it, else as the value of
        the only field (a template with several fields needs ``render``)."""
        from curator.core.template.match import match

        if not self.fields or match(self, text).exact:
            return text if self.fields else self.source + text
        if len(self.fields) > 1:
            raise CuratorError(f"the template has {len(self.fields)} fields ({', '.join(self.names)}); "
                               "give each a value")
        return self.render({self.names[0]: text})

    def shown(self) -> str:
        """The template as users write it, line breaks visible as ``\\n``."""
        return self.source.replace("\n", "\\n")


def parse_template(source: str) -> Template:
    """Parse a template; raise CuratorError naming the column of a bad brace."""
    literals: list[str] = []
    names: list[str] = []
    optional: list[bool] = []
    buf, i = [], 0
    while i < len(source):
        ch = source[i]
        if source.startswith("{{", i) or source.startswith("}}", i):
            buf.append(ch)
            i += 2
            continue
        if ch == "{":
            m = _FIELD.match(source, i)
            if not m:
                raise CuratorError(f"template: '{{' at column {i + 1} does not start a field like {{question}} "
                                   "(write {{ for a literal brace)", column=i + 1)
            name = m.group(1).strip()
            if name in names:
                raise CuratorError(f"template: field {name!r} appears twice", column=i + 1)
            literals.append("".join(buf))
            names.append(name)
            optional.append(bool(m.group(2)))
            buf = []
            i = m.end()
            continue
        if ch == "}":
            raise CuratorError(f"template: '}}' at column {i + 1} closes nothing (write }} for a literal brace)",
                               column=i + 1)
        buf.append(ch)
        i += 1
    literals.append("".join(buf))
    fields = []
    preamble = literals[0]
    for k, name in enumerate(names):
        before = literals[k]
        cut = before.rfind("\n")
        marker = before[cut + 1:] if cut >= 0 else before
        separator = before[: cut + 1] if cut >= 0 else ""
        if k == 0:
            preamble = separator.rstrip("\n") if cut >= 0 else ""
            separator = separator[len(preamble):]
        fields.append(FieldSpec(name, marker, separator, optional[k]))
    return Template(source, preamble, tuple(fields), tuple(literals))
