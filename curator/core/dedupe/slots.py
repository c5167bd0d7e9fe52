"""What near-duplicate search compares in an input: the slot values a template leaves variable, or the
whole input.

Fine-tuning inputs are templated (``Classify the ticket.\\nquestion: …\\ncontext: …``): the shared preamble
and field markers make every pair look alike, so two inputs are "the same example" when their *slot values*
are. With ``compare="slots"`` an input that follows a template (exactly, with its preamble left out, or closely
enough that every field is found) is compared by its values, one per line, in the template's order, and only
with the inputs that follow the same template; any other input is compared whole, with the others that follow
none. The template is the one set in the settings, else one inferred per family of inputs sharing a first
line (a data set often mixes a few templates). ``compare="whole"`` compares the raw input.

"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from curator.core.dedupe.normalise import normalise
from curator.core.errors import CuratorError

if TYPE_CHECKING:
    from curator.core.template.model import Template

COMPARES = ("slots", "whole")
FAMILY_SHARE = 0.05  # a first line shared by this share of the inputs (and at least FAMILY_MIN) starts a family
FAMILY_MIN = 20
MAX_FAMILIES = 8


def check_compare(compare: str) -> str:
    if compare not in COMPARES:
        raise CuratorError(f"unknown comparison {compare!r}; choose one of {', '.join(COMPARES)}")
    return compare


def _first_line(text: str) -> str:
    return text.lstrip().split("\n", 1)[0]


def slot_templates(inputs: pl.Series, template: str | None) -> tuple[Template, ...]:
    """The templates whose slot values are compared: the one given, else one per family of inputs."""
    from curator.core.template import infer_template, parse_template  # here: the template package uses dedupe

    if template:
        return (parse_template(template),)

    values = inputs.fill_null("")
    n = values.len()
    if n == 0:
        return ()
    first = values.str.strip_chars_start().str.split("\n").list.first()
    counts = first.value_counts(sort=True)
    out = []
    for line, count in counts.head(MAX_FAMILIES).iter_rows():
        if count < max(FAMILY_MIN, FAMILY_SHARE * n) or not line or not line.strip():
            break
        inferred = infer_template(values.filter(first == line))
        if inferred.template is not None and inferred.template.fields:
            out.append(inferred.template)
    return tuple(out)


def parse_templates(sources: Sequence[str]) -> tuple[Template, ...]:
    """The templates a scan recorded (``DedupeScan.templates``), parsed again."""
    from curator.core.template.model import parse_template

    return tuple(parse_template(source) for source in sources)


def slot_values(text: str, templates: Sequence[Template]) -> tuple[Template, dict[str, str]] | None:
    """The template ``text`` follows and its values, or None when it follows none."""
    from curator.core.template.match import exact_pattern, headless, match

    line = _first_line(text)
    for t in templates:
        m = exact_pattern(t).fullmatch(text)
        if m:
            return t, {f.name: m.group(f"f{k}") for k, f in enumerate(t.fields)}
    for t in templates:  # every field, the preamble left out
        m = exact_pattern(t, False).fullmatch(text) if headless(t) else None
        if m and not any(f.optional for f in t.fields):
            return t, {f.name: m.group(f"f{k}") for k, f in enumerate(t.fields)}
    for t in templates:  # close enough: every field found, the deviations aside
        if t.preamble and _first_line(t.literals[0]) != line:
            continue
        result = match(t, text)
        if result.values is not None and len(result.values) == len(t.fields):
            return t, {f.name: result.values[f.name] for f in t.fields}
    return None


def _values_joined(followers: pl.Series, template: Template, pattern: str, preamble: bool) -> list[str]:
    """The slot values of inputs that match ``pattern`` (``exact_groups_pattern``, with or without the
    ``preamble``), one per line.

    Where every field is followed by a marker, each lazy field ends at the first occurrence of the next marker
    (the pattern's match assures there is one, and the earliest leaves the most room for the rest), so the values
    are cut with literal splits: thirty times faster than polars' capture groups, the same values.
    """
    literals = template.literals
    if not all(literals[1:-1]):
        groups = followers.str.extract_groups(pattern).struct.unnest()
        return groups.select(pl.concat_str(pl.all(), separator="\n")).to_series().to_list()
    rest = followers.str.slice(len(literals[0] if preamble else template.fields[0].marker))
    values = []
    for marker in literals[1:-1]:
        cut = rest.str.splitn(marker, 2).struct.unnest()
        values.append(cut[:, 0])
        rest = cut[:, 1]
    if literals[-1]:
        rest = rest.str.slice(0, rest.str.len_chars() - len(literals[-1]))
    values.append(rest)
    return pl.select(pl.concat_str(values, separator="\n")).to_series().to_list()


def compared_inputs(inputs: Sequence[str | None] | pl.Series, templates: Sequence[Template]
                    ) -> tuple[list[str | None], np.ndarray]:
    """Each input as compared: its slot values one per line when it follows a template (exactly, with every
    field found, or with every field but not the preamble), else as it is; and the number of the template each
    follows (its position in ``templates``; -1: none).

    Two inputs are compared only when they follow the same template, or neither follows one (see
    ``search.find_near_duplicates``' ``parts``): slot values of different templates fill different fields.
    The inputs that follow a template exactly are found by polars (Rust regex, every core) with the pattern
    ``slot_values`` tries first, so they get the same values; the others that hold a template's first line go
    through ``slot_values`` (templated 100k: a third of the inputs follow no template).
    """
    from curator.core.template.match import exact_groups_pattern, headless

    series = inputs if isinstance(inputs, pl.Series) else pl.Series(list(inputs), dtype=pl.String)
    out: list[str | None] = series.to_list()
    follows = np.full(len(out), -1, dtype=np.int64)
    if not templates or not out:
        return out, follows
    rest = np.ones(len(out), dtype=bool)
    whole = [(number, t, True) for number, t in enumerate(templates)]
    bare = [(number, t, False) for number, t in enumerate(templates) if headless(t)]  # the preamble left out
    for number, t, preamble in whole + bare:
        if any(f.optional for f in t.fields):  # a field left out has no value: slot_values says what to do
            continue
        pattern = exact_groups_pattern(t, preamble=preamble)
        hit = (series.str.contains(pattern).fill_null(False).to_numpy() & rest).nonzero()[0]
        if not len(hit):
            continue
        joined = _values_joined(series.gather(hit), t, pattern, preamble)
        for k, value in zip(hit.tolist(), joined):
            out[k] = value
        rest[hit] = False
        follows[hit] = number
    if all(t.preamble and not any(f.optional for f in t.fields) for t in templates):
        # slot_values matches the others closely only when their first line is a template's: they must hold it
        near = np.zeros(len(out), dtype=bool)
        for t in templates:
            near |= series.str.contains(_first_line(t.literals[0]), literal=True).fill_null(False).to_numpy()
        rest &= near
    number_of = {id(t): number for number, t in enumerate(templates)}
    for k in rest.nonzero()[0].tolist():
        text = out[k]
        found = slot_values(text, templates) if text else None
        if found:
            out[k] = "\n".join(found[1].values())
            follows[k] = number_of[id(found[0])]
    return out, follows


def slot_differences(a: str, b: str, templates: Sequence[Template]) -> list[str]:
    """The slots (by marker label) whose normalised values differ between inputs ``a`` and ``b``.

    Empty when either input follows no template, or they follow different ones.
    """
    fa, fb = slot_values(a or "", templates), slot_values(b or "", templates)
    if fa is None or fb is None or fa[0] is not fb[0]:
        return []
    return [f.label for f in fa[0].fields if normalise(fa[1][f.name]) != normalise(fb[1][f.name])]
