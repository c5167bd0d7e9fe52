"""Project settings: from ``curator.toml`` or ``[tool.curator]`` in ``pyproject.toml``, searched from the
dataset's folder upwards; command-line flags override them.

Keys (all optional):

| key | default | meaning |
|---|---|---|
| target | "gemini-api" | whose limits apply: "gemini-api" or "vertex" |
| task_type | none | "classification", "summarization", "document-search" or "generation": sets the recommended size |
| template | none | the production prompt template, e.g. "Classify the ticket.\\nquestion: {question}" |
| near_dup_threshold | 90 | similarity (0–100) from which two examples are near-duplicates |
| near_dup_scorer | "ratio" | rapidfuzz scorer: ratio, token_set_ratio, token_sort_ratio, partial_ratio, WRatio, QRatio |
| near_dup_field | "text_input" | compared field: "text_input", "output" or "both" |
| label_max_distinct | 100 | outputs form a label set when they have at most this many distinct values (and repeat) |
| json_output_share | 0.8 | outputs count as JSON when at least this share of them parse as JSON |
| score_extract | none | evaluation: take the answer out of the reply: "after:####", "last-number", "regex:PATTERN" |
| score_match | "auto" | evaluation: when an answer is right: auto, exact, normalised, numeric[:TOL], contains, starts-with, json[:schema=FILE;fields=a,b], judge:BACKEND:MODEL |
| judge_rubric | none | evaluation: what the judge model grades by (with score_match = "judge:...") |
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from curator.core.errors import CuratorError

TARGETS = ("gemini-api", "vertex")
TASK_TYPES = ("classification", "summarization", "document-search", "generation")


@dataclass(frozen=True)
class Settings:
    target: str = "gemini-api"
    task_type: str | None = None
    template: str | None = None
    near_dup_threshold: float = 90
    near_dup_scorer: str = "ratio"
    near_dup_field: str = "text_input"
    label_max_distinct: int = 100
    json_output_share: float = 0.8
    score_extract: str | None = None
    score_match: str | None = None
    judge_rubric: str | None = None
    source: str | None = None  # the file the settings came from, for messages

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given (non-None) values replaced and validated."""
        chosen = {k: v for k, v in overrides.items() if v is not None}
        return _validated(replace(self, **chosen), self.source or "command line")


_KEYS = {f.name: f for f in fields(Settings) if f.name != "source"}


def _validated(settings: Settings, where: str) -> Settings:
    if settings.target not in TARGETS:
        raise CuratorError(f"target must be one of {', '.join(TARGETS)}, not {settings.target!r}", where)
    if settings.task_type is not None and settings.task_type not in TASK_TYPES:
        raise CuratorError(f"task_type must be one of {', '.join(TASK_TYPES)}, not {settings.task_type!r}", where)
    if not 0 <= settings.near_dup_threshold <= 100:
        raise CuratorError("near_dup_threshold must be between 0 and 100", where)
    if settings.near_dup_field not in ("text_input", "output", "both"):
        raise CuratorError("near_dup_field must be text_input, output or both", where)
    if settings.score_extract or settings.score_match:
        from curator.core.evaluation.rules import parse_rule

        try:
            parse_rule(settings.score_extract, settings.score_match, load_schema=False)
        except CuratorError as exc:
            raise CuratorError(exc.reason, where) from None
    if settings.template:
        from curator.core.template.model import parse_template  # here: the template package uses the checks

        try:
            parse_template(settings.template)
        except CuratorError as exc:
            raise CuratorError(exc.reason, where) from None
    return settings


def find_settings_file(start: str | Path) -> tuple[Path, dict] | None:
    """The nearest curator.toml, or pyproject.toml with [tool.curator], from ``start`` upwards."""
    folder = Path(start).resolve()
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


def settings_from_table(table: dict, where: str) -> Settings:
    """Settings from a TOML table; unknown keys and wrong types are errors naming the file and key."""
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _KEYS:
            raise CuratorError(f"unknown setting {key!r}; known: {', '.join(_KEYS)}", where)
        expected = _KEYS[key].type
        ok = {
            "str": isinstance(value, str),
            "str | None": isinstance(value, str),
            "float": isinstance(value, (int, float)) and not isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
        }[expected]
        if not ok:
            raise CuratorError(f"setting {key!r} has the wrong type ({type(value).__name__})", where)
        values[key] = value
    return _validated(Settings(**values, source=where), where)


def load_settings(dataset_path: str | Path | None) -> Settings:
    """The settings that apply to a dataset (defaults when no settings file is found)."""
    if dataset_path is None:
        return Settings()
    found = find_settings_file(dataset_path)
    if found is None:
        return Settings()
    path, table = found
    return settings_from_table(table, str(path))


def saved_overrides(workspace, dataset_path: str | Path) -> dict[str, Any]:
    """Settings chosen in the app for this dataset (kept in its workspace), to apply over the files'."""
    rows = workspace.query("SELECT key, value FROM dataset_settings WHERE file = ?", (str(Path(dataset_path).resolve()),))
    known = {f.name for f in fields(Settings)}
    return {key: json.loads(value) for key, value in rows if key in known}


def save_override(workspace, dataset_path: str | Path, key: str, value: Any) -> None:
    """Keep one setting for this dataset (None forgets it, so the files' value applies again)."""
    if key not in {f.name for f in fields(Settings)}:
        raise CuratorError(f"unknown setting {key!r}")
    path = str(Path(dataset_path).resolve())
    if value is None:
        workspace.execute("DELETE FROM dataset_settings WHERE file = ? AND key = ?", (path, key))
    else:
        workspace.execute("INSERT OR REPLACE INTO dataset_settings (file, key, value) VALUES (?, ?, ?)",
                          (path, key, json.dumps(value)))
