"""Scoring rules: what "right" means for a dataset, applied identically to A's and B's answers.

A rule has two parts, each written as one short text (in the settings, on the command line, in the forms):

- **extract** (optional) takes the answer out of a longer reply, on both the expected output and the answer:
  ``after:MARKER`` (the text after the last MARKER, e.g. ``after:####``), ``last-number``, or
  ``regex:PATTERN`` (the first capture group, else the whole match). An expected output the extraction does
  not find is used whole; an answer it does not find is wrong.
- **match** says when the (extracted) answer is right: ``auto`` (the task's own verdict: the label for
  classification, normalised equality otherwise), ``exact``, ``normalised``, ``numeric`` or ``numeric:TOL``
  (equal numbers within an absolute tolerance), ``contains`` and ``starts-with`` (the normalised expected
  text, as whole words), ``json`` (the answer is a JSON object equal to the expected one), with options
  ``json:schema=FILE`` (valid against that JSON schema) and ``json:fields=a,b.c`` (those fields equal the
  expected ones), joined by ``;``; or ``judge:BACKEND:MODEL`` (a judge model grades each answer against the
  expected output with the rubric; its verdict and reason are kept).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from curator.core.errors import CuratorError

MATCHES = ("auto", "exact", "normalised", "numeric", "contains", "starts-with", "json", "judge")
EXTRACTS = ("after:MARKER", "last-number", "regex:PATTERN")
_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*)?\.?\d+(?:[eE][-+]?\d+)?")
DEFAULT_RUBRIC = "The answer is right when it says what the expected output says; wording may differ."
JUDGE_PROMPT = (
    "You grade an answer against the expected output.\n"
    "Rubric: {rubric}\n\n"
    "Input:\n{input}\n\nExpected output:\n{expected}\n\nAnswer to grade:\n{answer}\n\n"
    "Reply with PASS or FAIL on the first line, then one sentence saying why."
)
_PASS = {"pass", "right", "correct", "yes", "true"}
_FAIL = {"fail", "wrong", "incorrect", "no", "false"}


@dataclass(frozen=True)
class ScoringRule:
    """An extraction (or none) and a match; ``schema`` is the loaded JSON schema, ``fields`` the compared
    JSON fields, ``judge`` the judge model (backend:model) and ``rubric`` what it grades by."""

    extract: str | None = None
    match: str = "auto"
    tolerance: float = 0.0
    schema: dict | None = None
    schema_file: str | None = None
    fields: tuple[str, ...] = ()
    judge: str | None = None
    rubric: str | None = None
    _pattern: re.Pattern | None = field(default=None, compare=False, repr=False)

    @property
    def is_default(self) -> bool:
        return self.extract is None and self.match == "auto"

    @property
    def match_text(self) -> str:
        """The match as written (``numeric:0.01``, ``json:schema=s.json;fields=a``, ``judge:local:m``)."""
        if self.match == "numeric" and self.tolerance:
            return f"numeric:{self.tolerance:g}"
        if self.match == "json":
            options = ([f"schema={self.schema_file}"] if self.schema_file else []) + (
                [f"fields={','.join(self.fields)}"] if self.fields else [])
            return "json" + (":" + ";".join(options) if options else "")
        if self.match == "judge":
            return f"judge:{self.judge}"
        return self.match

    def describe(self) -> str:
        """In words, for reports: ``after '####' · numeric ±0.01``."""
        parts = []
        if self.extract:
            kind, _, arg = self.extract.partition(":")
            parts.append({"after": f"after {arg!r}", "regex": f"regex {arg!r}"}.get(kind, "last number"))
        words = {"auto": "task default", "numeric": f"numeric ±{self.tolerance:g}" if self.tolerance else "numeric",
                 "starts-with": "starts with"}
        parts.append(words.get(self.match, self.match_text))
        return " · ".join(parts)

    def to_dict(self) -> dict:
        return {"extract": self.extract, "match": self.match_text, "schema": self.schema, "rubric": self.rubric}

    @classmethod
    def from_dict(cls, data: dict | None) -> ScoringRule:
        """The rule kept in a run's spec (the schema travels with it, not its file)."""
        if not data:
            return cls()
        rule = parse_rule(data.get("extract"), data.get("match"), data.get("rubric"), load_schema=False)
        return _with(rule, schema=data.get("schema"))

    # -- applying ----------------------------------------------------------------------------------------------

    def extract_all(self, texts: list[str | None]) -> list[str | None]:
        """The extracted answer of each text (None when the text is None or nothing is found)."""
        if not self.extract:
            return [t.strip() if t is not None else None for t in texts]
        kind, _, arg = self.extract.partition(":")
        out: list[str | None] = []
        for text in texts:
            if text is None:
                out.append(None)
                continue
            if kind == "after":
                at = text.rfind(arg)
                out.append(text[at + len(arg):].strip().split("\n", 1)[0].strip() if at >= 0 else None)
            elif kind == "last-number":
                numbers = _NUMBER.findall(text)
                out.append(numbers[-1].replace(",", "") if numbers else None)
            else:
                found = self._pattern.search(text)
                out.append(None if found is None else (found.group(1) if found.groups() else found.group(0)).strip())
        return out

    def reference(self, expected: list[str]) -> list[str]:
        """The expected side: extracted where the extraction finds something, else whole (trimmed)."""
        return [x if x is not None else e.strip() for x, e in zip(self.extract_all(expected), expected)]

    def verdicts(self, expected: list[str], answers: list[str | None]) -> np.ndarray:
        """Right or wrong per answer (already extracted, None: wrong) against the (extracted) expected texts.
        Not for ``auto`` (the task decides) or ``judge`` (the judge decides)."""
        from curator.core.evaluation.scoring import normalise_answer, parse_json_object

        n = len(answers)
        given = np.array([a is not None for a in answers], dtype=bool)
        if self.match == "exact":
            right = [a == e for a, e in zip(answers, expected)]
        elif self.match in ("normalised", "contains", "starts-with"):
            exp = normalise_answer(pl.Series(expected, dtype=pl.String)).to_list()
            ans = normalise_answer(pl.Series(answers, dtype=pl.String)).to_list()
            if self.match == "normalised":
                right = [a == e for a, e in zip(ans, exp)]
            elif self.match == "contains":
                right = [f" {e} " in f" {a} " for a, e in zip(ans, exp)]
            else:
                right = [f"{a} ".startswith(f"{e} ") for a, e in zip(ans, exp)]
        elif self.match == "numeric":
            right = [_numbers_equal(e, a, self.tolerance) for e, a in zip(expected, answers)]
        elif self.match == "json":
            right = [self._json_right(parse_json_object(e), parse_json_object(a)) for e, a in zip(expected, answers)]
        else:
            raise ValueError(f"the {self.match} match has no verdict of its own")
        return np.array(right, dtype=bool).reshape(n) & given

    def _json_right(self, expected: dict | None, answer: dict | None) -> bool:
        if answer is None:
            return False
        if self.schema is not None:
            import jsonschema

            if not jsonschema.Draft202012Validator(self.schema).is_valid(answer):
                return False
        if self.fields:
            return all(_field(answer, f) == _field(expected or {}, f) for f in self.fields)
        return self.schema is not None or answer == expected


def _with(rule: ScoringRule, **changes) -> ScoringRule:
    from dataclasses import replace

    return replace(rule, **changes)


_MISSING = object()


def _field(obj: dict, path: str):
    for part in path.split("."):
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


def number(text: str | None) -> float | None:
    """The number a short answer states (``1,234``, ``$5``, ``12 %``), else the last number in it."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", "").removeprefix("$").removesuffix("%").strip()
    try:
        return float(cleaned)
    except ValueError:
        found = _NUMBER.findall(text)
        try:
            return float(found[-1].replace(",", "")) if found else None
        except ValueError:
            return None


def _numbers_equal(expected: str, answer: str | None, tolerance: float) -> bool:
    e, a = number(expected), number(answer)
    return e is not None and a is not None and abs(e - a) <= tolerance + 1e-12


def parse_rule(extract: str | None, match: str | None, rubric: str | None = None, *,
               base: str | Path | None = None, load_schema: bool = True) -> ScoringRule:
    """A rule from its two texts (see the module docstring); a CuratorError says what is wrong.
    ``base`` is the folder a relative schema file is read from."""
    extract = (extract or "").strip() or None
    if extract is not None:
        kind, colon, arg = extract.partition(":")
        if kind not in ("after", "last-number", "regex") or (kind != "last-number" and not (colon and arg)):
            raise CuratorError(f"extract must be one of {', '.join(EXTRACTS)}, not {extract!r}")
        if kind == "last-number" and colon:
            raise CuratorError("last-number takes no argument")
    pattern = None
    if extract and extract.startswith("regex:"):
        try:
            pattern = re.compile(extract[6:], re.S)
        except re.error as exc:
            raise CuratorError(f"the extract regex does not compile: {exc}") from None
    text = (match or "auto").strip()
    kind, _, arg = text.partition(":")
    if kind not in MATCHES:
        raise CuratorError(f"match must be one of {', '.join(MATCHES)}, not {text!r}")
    rule = ScoringRule(extract, kind, rubric=rubric or None, _pattern=pattern)
    if kind == "numeric" and arg:
        try:
            tolerance = float(arg)
        except ValueError:
            raise CuratorError(f"the numeric tolerance must be a number, not {arg!r}") from None
        if tolerance < 0:
            raise CuratorError("the numeric tolerance cannot be negative")
        return _with(rule, tolerance=tolerance)
    if kind == "json" and arg:
        options: dict[str, str] = {}
        for part in arg.split(";"):
            key, eq, value = part.partition("=")
            if key.strip() not in ("schema", "fields") or not eq or not value.strip():
                raise CuratorError(f"json options are schema=FILE and fields=a,b (joined by ;), not {part!r}")
            options[key.strip()] = value.strip()
        fields = tuple(f.strip() for f in options.get("fields", "").split(",") if f.strip())
        schema_file = options.get("schema")
        schema = _load_schema(schema_file, base) if schema_file and load_schema else None
        return _with(rule, fields=fields, schema_file=schema_file, schema=schema)
    if kind == "judge":
        if not arg or ":" not in arg:
            raise CuratorError("name the judge model: judge:BACKEND:MODEL (e.g. judge:gemini-api:gemini-2.5-flash)")
        return _with(rule, judge=arg, rubric=rubric or DEFAULT_RUBRIC)
    if arg:
        raise CuratorError(f"the {kind} match takes no argument")
    return rule


def _load_schema(name: str, base: str | Path | None) -> dict:
    path = Path(name).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CuratorError(f"cannot read the JSON schema: {exc.strerror or exc}", path) from None
    except ValueError as exc:
        raise CuratorError(f"the JSON schema is not valid JSON: {exc}", path) from None
    try:
        import jsonschema
    except ImportError:
        raise CuratorError("checking answers against a JSON schema needs the jsonschema package: "
                           "pip install jsonschema") from None
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise CuratorError(f"not a valid JSON schema: {exc.message}", path) from None
    return schema


def judge_prompt(rule: ScoringRule, text_input: str, expected: str, answer: str) -> str:
    """What the judge model is asked about one answer."""
    return JUDGE_PROMPT.format(rubric=rule.rubric or DEFAULT_RUBRIC, input=text_input, expected=expected,
                               answer=answer)


def read_judgement(reply: str | None) -> tuple[int | None, str]:
    """(1 pass, 0 fail, None unreadable; the reason) from a judge's reply."""
    if not reply or not reply.strip():
        return None, "the judge gave no reply"
    first, _, rest = reply.strip().partition("\n")
    word = re.sub(r"[^a-z]", "", first.strip().split()[0].lower()) if first.strip() else ""
    verdict = 1 if word in _PASS else 0 if word in _FAIL else None
    reason = (rest.strip() or first.strip()[len(first.strip().split()[0]):].strip(" :.-")) if verdict is not None \
        else reply.strip()
    return verdict, reason.replace("\n", " ")[:500]


def rule_from_settings(settings, dataset_path: str | Path | None = None, *, extract: str | None = None,
                       match: str | None = None, rubric: str | None = None) -> ScoringRule:
    """The dataset's scoring rule (its settings), with what was given here instead where given. A schema
    file is read relative to the settings file, else to the dataset's folder."""
    base = Path(settings.source).parent if settings.source and Path(settings.source).is_file() else (
        Path(dataset_path).resolve().parent if dataset_path else None)
    return parse_rule(settings.score_extract if extract is None else extract,
                      settings.score_match if match is None else match,
                      settings.judge_rubric if rubric is None else rubric, base=base)


def rule_settings(rule: ScoringRule) -> dict[str, str | None]:
    """The settings keys that hold ``rule`` (None: the default, nothing to keep)."""
    return {"score_extract": rule.extract, "score_match": None if rule.match == "auto" else rule.match_text,
            "judge_rubric": rule.rubric if rule.match == "judge" and rule.rubric != DEFAULT_RUBRIC else None}


def format_rule(rule: ScoringRule) -> str:
    """A rule on one line: ``EXTRACT | MATCH`` (either may be left out); what ``parse_rule_text`` reads."""
    match = "" if rule.match == "auto" else rule.match_text
    return " | ".join(part for part in (rule.extract, match) if part)


def parse_rule_text(text: str, *, rubric: str | None = None, base: str | Path | None = None) -> ScoringRule:
    """A rule from one line (``after:#### | numeric:0.01``, ``last-number``, ``contains``; empty: the default)."""
    text = text.strip()
    extract, bar, match = text.rpartition(" | ")
    if not bar:
        kind = text.partition(":")[0]
        extract, match = (text, "") if kind in ("after", "last-number", "regex") else ("", text)
    return parse_rule(extract, match, rubric, base=base)
