"""Alpaca-style ``{"instruction", "input", "output"}`` records, as a JSON list or JSONL.

Joining rule (documented in the README): ``text_input`` is the instruction, followed by a blank line
(``"\\n\\n"``) and the input when the input is not empty. A non-empty original input is kept with the
example, and on write:
- if ``text_input`` still ends with the blank line and that input, the two parts are written back unchanged;
- otherwise the whole ``text_input`` is written as the instruction and the input is left empty.
"""

from __future__ import annotations

import json
from typing import Any

from curator.core.formats.common import RecordError, require_str
from curator.core.formats.objects import ObjectFormat

_ORIGINAL = "__alpaca_input__"  # key in `extra` holding a non-empty input as read (common.PRIVATE_KEYS)


def join(instruction: str, input_text: str) -> str:
    """The text_input for an Alpaca record."""
    return f"{instruction}\n\n{input_text}" if input_text else instruction


class Alpaca(ObjectFormat):
    holds_system = False

    def __init__(self, name: str, container: str, extensions: tuple[str, ...]) -> None:
        self.name, self.container, self.extensions = name, container, extensions

    def looks_like(self, obj: Any) -> bool:
        return isinstance(obj, dict) and "instruction" in obj and "output" in obj

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        instruction = require_str(obj, "instruction")
        input_text = obj.get("input", "")
        if not isinstance(input_text, str):
            raise RecordError("field 'input' must be a string", "input")
        output = require_str(obj, "output")
        rest = {_ORIGINAL: input_text} if input_text else {}
        rest.update((k, v) for k, v in obj.items() if k not in ("instruction", "input", "output"))
        return join(instruction, input_text), output, None, rest

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        text_input = row["text_input"]
        input_text = json.loads(row["extra"]).get(_ORIGINAL) if row["extra"] else None
        if input_text and text_input.endswith("\n\n" + input_text):
            instruction = text_input[: -len(input_text) - 2]
        else:
            instruction, input_text = text_input, ""
        return {"instruction": instruction, "input": input_text, "output": row["output"]}



ALPACA_JSON = Alpaca("alpaca-json", "list", (".json",))
ALPACA_JSONL = Alpaca("alpaca-jsonl", "lines", (".jsonl",))
