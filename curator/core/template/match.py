"""Checking one input against a template: exact, or each deviation said precisely, with the rewrite
that puts the input in the template's exact format when every field was found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from curator.core.template.model import Template

KINDS = ("preamble", "field-missing", "field-order", "marker", "separator", "extra-text", "field-empty")


@dataclass(frozen=True)
class Deviation:
    """How an input differs from the template: a kind (one of ``KINDS``) and a precise message."""

    kind: str
    message: str


@dataclass(frozen=True)
class MatchResult:
    exact: bool
    deviations: tuple[Deviation, ...] = ()
    values: dict[str, str] | None = field(default=None, compare=False)
    fixed: str | None = None  # the input rewritten in the template's format, when that is possible


def short(text: str, width: int = 40) -> str:
    """A quoted excerpt with line breaks shown as \\n."""
    flat = text.replace("\n", "\\n")
    return repr(flat if len(flat) <= width else flat[: width - 1] + "…").replace("\\\\n", "\\n")


def headless(template: Template) -> bool:
    """Whether inputs may follow ``template`` but for its preamble (it has one, and a marker to start from)."""
    return bool(template.preamble.strip() and template.fields and template.fields[0].marker.strip())


@lru_cache(maxsize=64)
def exact_pattern(template: Template, preamble: bool = True) -> re.Pattern:
    """The inputs that follow ``template`` exactly, fields as groups ``f0``, ``f1``, ...; ``preamble=False``: but
    for its preamble, starting at the first field's marker."""
    parts = []
    for k, f in enumerate(template.fields):
        literal = template.literals[k] if preamble or k else f.marker
        part = re.escape(literal) + (f"(?P<f{k}>.*?)" if k < len(template.fields) - 1 else f"(?P<f{k}>.*)")
        parts.append(f"(?:{part})?" if f.optional else part)
    parts.append(re.escape(template.literals[-1]))
    return re.compile("".join(parts), re.DOTALL)


def _rust_escape(text: str) -> str:
    """Escape for the regex dialect of polars (Rust): meta characters, and line breaks / tabs as escapes."""
    out = []
    for ch in text:
        if ch in "\\.+*?()|[]{}^$#&-~":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return "".join(out)


def clean_pattern(template: Template) -> str:
    """A polars regex matching inputs that follow ``template`` exactly with no deviation at all: every
    field has non-blank content and no value ends in a line break (a longer separator)."""
    parts = ["(?s)^"]
    for k, f in enumerate(template.fields):
        last = k == len(template.fields) - 1
        part = _rust_escape(template.literals[k]) + (r"[^\n]*?\S(?:.*?\S)?" if not last else r"[^\n]*?\S.*")
        parts.append(f"(?:{part})?" if f.optional else part)
    parts.append(_rust_escape(template.literals[-1]))
    parts.append("$")
    return "".join(parts)


def loose_pattern(template: Template) -> str:
    """``exact_pattern`` for polars (Rust): the inputs ``match`` may call exact; any other input is not."""
    parts = ["(?s)^"]
    for k, f in enumerate(template.fields):
        part = _rust_escape(template.literals[k]) + (".*?" if k < len(template.fields) - 1 else ".*")
        parts.append(f"(?:{part})?" if f.optional else part)
    parts.append(_rust_escape(template.literals[-1]))
    parts.append("$")
    return "".join(parts)


def exact_groups_pattern(template: Template, *, preamble: bool = True) -> str:
    """``exact_pattern`` for polars (Rust), with the same groups ``f0``, ``f1``, ...: its matches and groups are
    Python's (both engines match leftmost-first, lazy fields as short as the rest allows). ``preamble=False``:
    inputs that follow the template but for its preamble, starting at the first field's marker."""
    parts = ["(?s)^"]
    for k, f in enumerate(template.fields):
        field = f"(?P<f{k}>.*?)" if k < len(template.fields) - 1 else f"(?P<f{k}>.*)"
        literal = template.literals[k] if preamble or k else f.marker
        part = _rust_escape(literal) + field
        parts.append(f"(?:{part})?" if f.optional else part)
    parts.append(_rust_escape(template.literals[-1]))
    parts.append("$")
    return "".join(parts)


@lru_cache(maxsize=256)
def marker_pattern(label: str) -> re.Pattern:
    """A marker at a line start, in any case and spacing: ``Question :``, ``QUESTION:``, ``question -``."""
    words = r"\s*".join(re.escape(w) for w in label.split())
    return re.compile(rf"(?im)^[ \t]*{words}[ \t]*[:=\-–>]+[ \t]*")


def match(template: Template, text: str) -> MatchResult:
    """Whether ``text`` follows ``template`` exactly; if not, every deviation found."""
    m = exact_pattern(template).fullmatch(text)
    if m:
        values = {f.name: m.group(f"f{k}") or "" for k, f in enumerate(template.fields)}
        devs = []
        for k, f in enumerate(template.fields[:-1]):  # a value ending in line breaks hides a longer separator
            value = values[f.name]
            trail = value[len(value.rstrip()):]
            nxt = template.fields[k + 1]
            if "\n" in trail:
                devs.append(Deviation("separator", f"separator before {short(nxt.marker.strip())} is "
                                                   f"{short(trail + nxt.separator)}, expected {short(nxt.separator)}"))
                values[f.name] = value.rstrip()
        devs += [Deviation("field-empty", f"field {f.name!r} is empty") for f in template.fields
                 if not f.optional and not values[f.name].strip()]
        if any(d.kind == "separator" for d in devs):
            return MatchResult(False, tuple(devs), values, template.render(values))
        return MatchResult(True, tuple(devs), values)
    return _diagnose(template, text)


def _diagnose_free(template: Template, text: str) -> MatchResult:
    """A template without field markers (``Preamble\n{text}``): only the preamble can deviate."""
    from rapidfuzz import fuzz  # here: loading it is the dearest part of the module, and this its only use

    expected = template.literals[0]
    if not expected:
        return MatchResult(False, (Deviation("extra-text", "the text around the field differs from the template"),))
    lines = expected.count("\n") or 1
    head = "\n".join(text.split("\n")[:lines])
    rest = text[len(head):].lstrip("\n")
    if fuzz.ratio(head.strip(), template.preamble.strip()) >= 60:
        dev = Deviation("preamble", f"preamble is {short(head)}, expected {short(template.preamble)}")
        return MatchResult(False, (dev,), None, expected + rest)
    dev = Deviation("preamble", f"preamble {short(template.preamble)} is missing")
    return MatchResult(False, (dev,), None, expected + text)


def _diagnose(template: Template, text: str) -> MatchResult:
    if not any(f.marker.strip() for f in template.fields):
        return _diagnose_free(template, text)
    devs: list[Deviation] = []
    found: list[tuple[int, int, int]] = []  # (start, end, field index) of each located marker
    for k, f in enumerate(template.fields):
        if not f.marker.strip():
            continue
        hit = marker_pattern(f.label).search(text)
        if hit is None and f.optional:
            continue
        if hit is None:
            devs.append(Deviation("field-missing", f"field {f.name!r} (marker {short(f.marker.strip())}) is missing"))
            continue
        found.append((hit.start(), hit.end(), k))
        spelled = text[hit.start():hit.end()]
        if spelled != f.marker:
            devs.append(Deviation("marker", f"marker {short(spelled)} should be {short(f.marker)}"))
    in_text = sorted(found)
    order = [k for _, _, k in in_text]
    if order != sorted(order):
        names = [template.fields[k].name for k in order]
        devs.append(Deviation("field-order", f"fields in the order {', '.join(names)}; the template has "
                                             f"{', '.join(template.fields[k].name for k in sorted(order))}"))
    head = text[: in_text[0][0]] if in_text else text
    _check_preamble(template, head, devs, first=template.fields[in_text[0][2]] if in_text else None)
    values: dict[str, str] = {}
    for j, (start, end, k) in enumerate(in_text):
        stop = in_text[j + 1][0] if j + 1 < len(in_text) else len(text)
        raw = text[end:stop]
        if j + 1 < len(in_text):
            nxt = template.fields[in_text[j + 1][2]]
            sep = re.search(r"[ \t]*(\n\s*)?$", raw).group(0)
            if nxt.separator and sep != nxt.separator:
                devs.append(Deviation("separator", f"separator before {short(nxt.marker.strip())} is {short(sep)}, "
                                                   f"expected {short(nxt.separator)}"))
            raw = raw[: len(raw) - len(sep)]
        elif template.literals[-1] and raw.endswith(template.literals[-1]):
            raw = raw[: len(raw) - len(template.literals[-1])]
        values[template.fields[k].name] = raw.strip()
        if not raw.strip():
            devs.append(Deviation("field-empty", f"field {template.fields[k].name!r} is empty"))
    fixed = None
    marked = [f for f in template.fields if f.marker.strip()]
    if len(marked) == len(template.fields) and all(f.name in values or f.optional for f in marked):
        fixed = template.render(values)
        if fixed == text:
            fixed = None
    if not devs:  # located everything, yet not exact: say where the text differs
        devs.append(Deviation("extra-text", "the text around the fields differs from the template"))
    return MatchResult(False, tuple(devs), values or None, fixed)


def _check_preamble(template: Template, head: str, devs: list[Deviation], first) -> None:
    """``head`` is the text before the first marker found (the whole text when none was found)."""
    expected = template.preamble
    sep = first.separator if first is not None else ""
    actual = head[: len(head) - len(sep)] if sep and head.endswith(sep) else head.rstrip("\n")
    if expected:
        if not actual.strip():
            devs.append(Deviation("preamble", f"preamble {short(expected)} is missing"))
        elif actual != expected:
            if actual.strip() == expected.strip():
                devs.append(Deviation("preamble", f"preamble has extra whitespace: {short(actual)}"))
            else:
                devs.append(Deviation("preamble", f"preamble is {short(actual)}, expected {short(expected)}"))
        elif first is not None and not head.endswith(sep):
            devs.append(Deviation("separator", f"separator after the preamble is {short(head[len(actual):])}, "
                                               f"expected {short(sep)}"))
    elif actual.strip() and first is not None:
        devs.append(Deviation("extra-text", f"unexpected text {short(actual)} before {short(first.marker.strip())}"))
