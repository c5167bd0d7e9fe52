"""Gemini-style pairs ``{"text_input": ..., "output": ...}``, as JSONL or as a JSON list."""

from __future__ import annotations

from typing import Any

from curator.core.formats.common import require_str
from curator.core.formats.objects import ObjectFormat


class GeminiPairs(ObjectFormat):
    holds_system = False

    def __init__(self, name: str, container: str, extensions: tuple[str, ...]) -> None:
        self.name, self.container, self.extensions = name, container, extensions

    def looks_like(self, obj: Any) -> bool:
        return isinstance(obj, dict) and "text_input" in obj

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        text_input = require_str(obj, "text_input")
        output = require_str(obj, "output")
        rest = {k: v for k, v in obj.items() if k not in ("text_input", "output")}
        return text_input, output, None, rest

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"text_input": row["text_input"], "output": row["output"]}


GEMINI_JSONL = GeminiPairs("gemini-jsonl", "lines", (".jsonl", ".ndjson"))
GEMINI_JSON = GeminiPairs("gemini-json", "list", (".json",))
