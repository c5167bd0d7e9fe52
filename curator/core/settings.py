"""Settings: what a user chose for a dataset, in TOML files people can read, edit and commit.

Layers, each over the one before:
1. the defaults below;
2. project settings: ``curator.toml``, or ``[tool.curator]`` in ``pyproject.toml``, the nearest one from the
   dataset's folder upwards;
3. the dataset's own settings file beside it, ``<file name>.curator.toml`` (``tickets.jsonl.curator.toml``),
   which the app writes when the user changes something (the template, the scan options, the column mapping);
4. command-line flags.
Every command and the app read them with ``load_settings``; the workspace database holds no settings.

Keys (all optional):

| key | default | meaning |
|---|---|---|
| target | "vertex" | whose limits apply: "vertex" (Vertex AI, which tunes Gemini) or "gemini-api" (its tuning ended in 2025) |
| base_model | "gemini-2.5-flash" | the Vertex base model whose limits apply |
| task_type | none | "classification", "summarization", "document-search" or "generation": sets the recommended size |
| template | none | the production prompt template, e.g. "Classify the ticket.\\nquestion: {question}" |
| [dedupe] threshold | 90 | similarity (0–100) from which two examples are near-duplicates |
| [dedupe] scorer | "ratio" | rapidfuzz scorer: ratio, token_set_ratio, token_sort_ratio, partial_ratio, WRatio, QRatio |
| [dedupe] field | "text_input" | compared field: "text_input", "output" or "both" |
| [dedupe] compare | "slots" | compare inputs by their template slot values ("slots") or whole ("whole") |
| [dedupe] max_chars | 10000 | compared texts longer than this are grouped only when identical, not compared for near-duplicates (0: no cap) |
| label_max_distinct | 100 | outputs form a label set when they have at most this many distinct values (and repeat) |
| json_output_share | 0.8 | outputs count as JSON when at least this share of them parse as JSON |
| score_extract | none | evaluation: take the answer out of the reply: "after:####", "last-number", "regex:PATTERN" |
| score_match | "auto" | evaluation: when an answer is right: auto, exact, normalised, numeric[:TOL], contains, starts-with, json[:schema=FILE;fields=a,b], judge:BACKEND:MODEL |
| judge_rubric | none | evaluation: what the judge model grades by (with score_match = "judge:...") |

The near-duplicate scan's options sit in a ``[dedupe]`` table (``Settings.near_dup_*``); the flat keys of earlier
files (``near_dup_threshold = 85``) are still read, the table's value winning over them, and the app writes the
table (dropping the flat key). A ``[columns]`` table says which fields of the file hold the example
(see ``Columns``), and ``[prices]`` tables over curator's price table (``curator.core.prices``), per model, in US
dollars per million tokens: ``[prices."gemini-2.5-flash"]`` with ``tuning``, ``input`` and ``output``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curator.core.errors import CuratorError

if TYPE_CHECKING:
    from curator.core.formats.base import FormatOptions

TARGETS = ("gemini-api", "vertex")
TASK_TYPES = ("classification", "summarization", "document-search", "generation")
SUFFIX = ".curator.toml"


@dataclass(frozen=True)
class Columns:
    """Which fields of a file hold the example: ``input`` (one, or several composed through the template),
    ``output`` and optionally ``system``. Nested keys are written with dots (``meta.question``)."""

    input: tuple[str, ...] = ()
    output: str | None = None
    system: str | None = None

    def to_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {"input": self.input[0] if len(self.input) == 1 else list(self.input)}
        if self.output is not None:
            table["output"] = self.output
        if self.system is not None:
            table["system"] = self.system
        return table


@dataclass(frozen=True)
class Settings:
    target: str = "vertex"
    base_model: str | None = None  # the Vertex base model whose limits apply (None: gemini-2.5-flash)
    task_type: str | None = None
    template: str | None = None
    near_dup_threshold: float = 90
    near_dup_scorer: str = "ratio"
    near_dup_field: str = "text_input"
    near_dup_compare: str = "slots"
    near_dup_max_chars: int = 10_000  # the [dedupe] table's max_chars
    label_max_distinct: int = 100
    json_output_share: float = 0.8
    score_extract: str | None = None
    score_match: str | None = None
    judge_rubric: str | None = None
    columns: Columns | None = None
    prices: dict[str, dict[str, float]] | None = None  # model -> {tuning, input, output}: $ per 1M tokens
    source: str | None = None  # the file the settings came from, for messages

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given (non-None) values replaced and validated."""
        chosen = {k: v for k, v in overrides.items() if v is not None}
        return _validated(replace(self, **chosen), self.source or "command line")


_TABLES = ("source", "columns", "prices", "near_dup_max_chars")  # not plain keys
_FIELDS = {f.name: f for f in fields(Settings)}
_KEYS = {name: f for name, f in _FIELDS.items() if name not in _TABLES}
_DEDUPE_KEYS = {"threshold": "near_dup_threshold", "scorer": "near_dup_scorer", "field": "near_dup_field",
                "compare": "near_dup_compare", "max_chars": "near_dup_max_chars"}  # the [dedupe] table: key -> field
_IN_DEDUPE = {name: key for key, name in _DEDUPE_KEYS.items()}  # field -> its key in [dedupe]
_CURRENT = [k for k in _KEYS if k not in _IN_DEDUPE] + ["columns", "prices", "dedupe"]  # keys documented today
PRICE_KINDS = ("tuning", "input", "output")


def _validated(settings: Settings, where: str) -> Settings:
    if settings.target not in TARGETS:
        raise CuratorError(f"target must be one of {', '.join(TARGETS)}, not {settings.target!r}", where)
    if settings.task_type is not None and settings.task_type not in TASK_TYPES:
        raise CuratorError(f"task_type must be one of {', '.join(TASK_TYPES)}, not {settings.task_type!r}", where)
    if not 0 <= settings.near_dup_threshold <= 100:
        raise CuratorError("[dedupe] threshold must be between 0 and 100", where)
    if settings.near_dup_field not in ("text_input", "output", "both"):
        raise CuratorError("[dedupe] field must be text_input, output or both", where)
    if settings.score_extract or settings.score_match:
        from curator.core.evaluation.rules import parse_rule

        try:
            parse_rule(settings.score_extract, settings.score_match, load_schema=False)
        except CuratorError as exc:
            raise CuratorError(exc.reason, where) from None
    if settings.near_dup_scorer != "ratio":  # the scorers' module imports rapidfuzz: only for another choice
        from curator.core.dedupe.verify import get_scorer

        try:
            get_scorer(settings.near_dup_scorer)
        except CuratorError as exc:
            raise CuratorError(f"[dedupe] scorer: {exc.reason}", where) from None
    if settings.near_dup_compare not in ("slots", "whole"):
        raise CuratorError("[dedupe] compare must be slots or whole", where)
    if settings.near_dup_max_chars < 0:
        raise CuratorError("[dedupe] max_chars must be 0 (no cap) or more", where)
    if settings.template:
        from curator.core.template.model import parse_template

        try:
            parse_template(settings.template)
        except CuratorError as exc:
            raise CuratorError(exc.reason, where) from None
    return settings


def dataset_settings_path(dataset_path: str | Path) -> Path:
    """The settings file of one dataset: ``<file name>.curator.toml`` beside it."""
    path = Path(dataset_path)
    return path.with_name(path.name + SUFFIX)


def _resolved(path: str | Path) -> Path:
    """The real path, or the absolute one for a symbolic link loop (the dataset's reader reports the loop)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):  # Python 3.11 raises RuntimeError for a loop
        return Path(path).absolute()


def find_settings_file(start: str | Path) -> tuple[Path, dict] | None:
    """The nearest curator.toml, or pyproject.toml with [tool.curator], from ``start`` upwards."""
    folder = _resolved(start)
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        toml = candidate / "curator.toml"
        if toml.is_file():
            return toml, _load(toml)
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            table = _load(pyproject).get("tool", {}).get("curator")
            if table is not None:
                return pyproject, table
    return None


def _load(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CuratorError(f"invalid TOML: {e}", path) from None
    except (OSError, UnicodeDecodeError) as e:
        raise CuratorError(f"cannot read settings: {e}", path) from None


def _columns_from_table(table: Any, where: str) -> Columns:
    if not isinstance(table, dict):
        raise CuratorError("[columns] must be a table with input, output and optionally system", where)
    unknown = set(table) - {"input", "output", "system"}
    if unknown:
        raise CuratorError(f"unknown key {sorted(unknown)[0]!r} in [columns]; known: input, output, system", where)
    inputs = table.get("input", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(inputs, list) or not all(isinstance(i, str) and i for i in inputs):
        raise CuratorError("columns.input must be a field name or a list of field names", where)
    for key in ("output", "system"):
        if key in table and not (isinstance(table[key], str) and table[key]):
            raise CuratorError(f"columns.{key} must be a field name", where)
    return Columns(tuple(inputs), table.get("output"), table.get("system"))


def _prices_from_table(table: Any, where: str) -> dict[str, dict[str, float]]:
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise CuratorError('[prices] holds one table per model, e.g. [prices."gemini-2.5-flash"] tuning = 5.0', where)
    prices: dict[str, dict[str, float]] = {}
    for model, rates in table.items():
        for kind, value in rates.items():
            if kind not in PRICE_KINDS:
                raise CuratorError(f"unknown price {kind!r} for {model}; known: {', '.join(PRICE_KINDS)}", where)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CuratorError(f"prices.{model}.{kind} must be a number of dollars per 1M tokens, 0 or more",
                                   where)
        prices[model] = {k: float(v) for k, v in rates.items()}
    return prices


_KINDS = {"str": "text", "str | None": "text", "float": "a number", "int": "a whole number"}


def _typed(name: str, value: Any) -> bool:
    """Whether ``value`` has the type of the setting ``name`` (a ``Settings`` field)."""
    return {
        "str": isinstance(value, str),
        "str | None": isinstance(value, str),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
    }[_FIELDS[name].type]


def _dedupe_from_table(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise CuratorError("[dedupe] must be a table, e.g. threshold = 90 and max_chars = 10000", where)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _DEDUPE_KEYS:
            raise CuratorError(f"unknown key {key!r} in [dedupe]; known: {', '.join(_DEDUPE_KEYS)}", where)
        name = _DEDUPE_KEYS[key]
        if not _typed(name, value):
            raise CuratorError(f"[dedupe] {key} must be {_KINDS[_FIELDS[name].type]}, not {value!r}", where)
        values[name] = value
    return values


def _values_from_table(table: dict, where: str) -> dict[str, Any]:
    """The settings a TOML table holds; unknown keys and wrong types are errors naming the file and key."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "columns":
            values[key] = _columns_from_table(value, where)
            continue
        if key == "prices":
            values[key] = _prices_from_table(value, where)
            continue
        if key == "dedupe":
            continue  # below: the table wins over an earlier file's flat near_dup_* keys
        if key not in _KEYS:
            raise CuratorError(f"unknown setting {key!r}; known: {', '.join(_CURRENT)}", where)
        if not _typed(key, value):
            raise CuratorError(f"setting {key!r} has the wrong type ({type(value).__name__})", where)
        values[key] = value
    if "dedupe" in table:
        values.update(_dedupe_from_table(table["dedupe"], where))
    return values


def _sets(table: dict, name: str) -> bool:
    """Whether a settings file's ``table`` sets the setting ``name``, flat or in its [dedupe] table."""
    dedupe = table.get("dedupe")
    return name in table or (name in _IN_DEDUPE and isinstance(dedupe, dict) and _IN_DEDUPE[name] in dedupe)


def settings_from_table(table: dict, where: str) -> Settings:
    """Settings from one TOML table (over the defaults)."""
    return _validated(Settings(**_values_from_table(table, where), source=where), where)


def load_settings(dataset_path: str | Path | None) -> Settings:
    """The settings that apply to a dataset: defaults, then the project's file, then the dataset's own."""
    if dataset_path is None:
        return Settings()
    values: dict[str, Any] = {}
    source = None
    found = find_settings_file(dataset_path)
    if found is not None:
        path, table = found
        source = str(path)
        values.update(_values_from_table(table, source))
    own = dataset_settings_path(_resolved(dataset_path))
    if own.is_file():
        source = str(own)
        values.update(_values_from_table(_load(own), source))
    return _validated(Settings(**values, source=source), source or "settings")


def read_options(dataset_path: str | Path, options: FormatOptions | None = None) -> FormatOptions:
    """How to read a dataset: the fields named by the flags, else by its settings' ``[columns]``; several
    input fields are composed through the settings' template (when it is about those fields)."""
    from curator.core.formats.base import FormatOptions  # here: settings load without polars

    options = options or FormatOptions()
    settings = load_settings(dataset_path)
    columns = settings.columns
    if columns is not None and not (options.input_col or options.output_col):  # fields named by flags win
        options = replace(options, input_col=",".join(columns.input) or None, output_col=columns.output,
                          system_col=options.system_col or columns.system)
    return replace(options, template=options.template or settings.template)


def remember_columns(dataset_path: str | Path, options: FormatOptions) -> str | None:
    """Keep the fields a file was read through in its settings (with the composing template as the
    production template when none is set), so that every command reads it the same way. Returns the
    production template it set, if it set one."""
    inputs = tuple(c for c in (options.input_col or "").split(",") if c)
    if not inputs or options.output_col is None:
        return None
    columns = Columns(inputs, options.output_col, options.system_col)
    settings = load_settings(dataset_path)
    if settings.columns != columns:
        save_dataset_setting(dataset_path, "columns", columns)
    if len(inputs) > 1 and not settings.template:
        from curator.core.formats.compose import default_template

        template = options.template or default_template(inputs)
        save_dataset_setting(dataset_path, "template", template)
        return template
    return None


def copy_dataset_settings(source: str | Path, target: str | Path, *, columns: bool) -> None:
    """Give a file saved as another the settings of the one it came from, without the column mapping when it
    is written in another shape (``columns`` False). A target that has its own settings file keeps it."""
    import tomlkit

    from curator.core.storage.atomic import atomic_write

    src, dst = dataset_settings_path(Path(source).resolve()), dataset_settings_path(Path(target).resolve())
    if not src.is_file() or dst.exists():
        return
    try:
        document = tomlkit.parse(src.read_text(encoding="utf-8"))
        if not columns:
            document.pop("columns", None)
        with atomic_write(dst) as out:
            out.write(tomlkit.dumps(document).encode("utf-8"))
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as e:
        raise CuratorError(f"cannot copy the settings to {dst.name}: {e}", src) from None


_HEADER = """\
# curator settings for {name}: read by the app and by every curator command.
# Edit by hand or from the app; keys are described in curator's README ("Settings").
"""


def save_dataset_setting(dataset_path: str | Path, key: str, value: Any) -> Path:
    """Write one setting into the dataset's settings file (None removes it, so the project's value applies
    again), keeping the rest of the file, comments included. Returns the file's path."""
    return save_dataset_settings(dataset_path, {key: value})


def save_dataset_settings(dataset_path: str | Path, values: dict[str, Any], comment: str | None = None) -> Path:
    """``save_dataset_setting`` for several settings at once (one write), with an optional comment above them.
    Keys are ``Settings`` fields; the near-duplicate options go into the [dedupe] table (an earlier file's flat
    key for the same setting is dropped, so the file says it once)."""
    import tomlkit

    from curator.core.storage.atomic import atomic_write

    for key in values:
        if key not in _KEYS and key not in _IN_DEDUPE and key != "columns":
            raise CuratorError(f"unknown setting {key!r}")
    path = dataset_settings_path(_resolved(dataset_path))
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else _HEADER.format(name=Path(dataset_path).name)
        document = tomlkit.parse(text)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as e:
        raise CuratorError(f"cannot update the settings: {e}", path) from None
    if comment:
        document.add(tomlkit.comment(comment))
    for key, value in values.items():
        if isinstance(value, Columns):
            value = value.to_table()
        if key in _IN_DEDUPE:
            document.pop(key, None)
            _set_in_table(document, "dedupe", _IN_DEDUPE[key], value)
        elif value is None:
            document.pop(key, None)
        else:
            document[key] = value
    settings_from_table(tomllib.loads(tomlkit.dumps(document)), str(path))  # never write what cannot be read
    try:
        with atomic_write(path) as out:
            out.write(tomlkit.dumps(document).encode("utf-8"))
    except OSError as e:
        raise CuratorError(f"cannot write the settings: {e.strerror or e}", path) from None
    return path


def _set_in_table(document, name: str, key: str, value: Any) -> None:
    """Set (None: remove) ``key`` in the document's table ``name``, made when missing and dropped when empty."""
    import tomlkit

    table = document.get(name)
    if value is None:
        if table is not None:
            table.pop(key, None)
            if not table:
                document.pop(name)
        return
    if table is None:
        table = document[name] = tomlkit.table()
    table[key] = value


def move_old_settings(rows: list[tuple[str, str, str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Move settings an earlier curator kept in the workspace database, rows of (dataset file, key, JSON value),
    into each dataset's settings file. A key the file sets already keeps the file's value; an unknown key or a
    value that does not validate is left out. Returns what was done (for people) and the (file, key) rows dealt
    with; rows of a file whose settings cannot be written stay for another try."""
    import json
    from itertools import groupby

    notes: list[str] = []
    done: list[tuple[str, str]] = []
    for file, group in groupby(rows, key=lambda row: row[0]):
        items = [(key, value) for _, key, value in group]
        name, target = Path(file).name, dataset_settings_path(file)
        if not Path(file).exists():
            done += [(file, key) for key, _ in items]
            notes.append(f"{name}: no longer there; the settings the workspace kept for it are left out")
            continue
        try:
            own = _load(target) if target.is_file() else {}
        except CuratorError as exc:
            notes.append(f"{name}: the settings kept in the workspace were not moved ({exc}); kept for the next open")
            continue
        moving: dict[str, Any] = {}
        dropped: list[str] = []
        for key, text in items:
            try:
                value = json.loads(text)
                if not _sets(own, key):
                    settings_from_table({key: value}, "the workspace")
                    moving[key] = value
            except (ValueError, CuratorError):
                dropped.append(key)
        if moving:
            try:
                save_dataset_settings(file, moving, "moved from the workspace, where an earlier curator kept them")
            except CuratorError as exc:
                notes.append(f"{name}: the settings kept in the workspace were not moved ({exc.reason}); kept for "
                             "the next open")
                continue
        done += [(file, key) for key, _ in items]
        kept = [key for key, _ in items if _sets(own, key)]
        said = [f"moved {', '.join(moving)} from the workspace into {target.name}"] if moving else []
        said += [f"{target.name} already sets {', '.join(kept)}: its value stays"] if kept else []
        said += [f"left out {', '.join(dropped)} (not a valid setting)"] if dropped else []
        notes.append(f"{name}: " + "; ".join(said))
    return notes, done
