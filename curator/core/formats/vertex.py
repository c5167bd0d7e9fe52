"""Vertex AI supervised-tuning JSONL: optional ``systemInstruction`` and ``contents`` with one ``user``
turn and one ``model`` turn. Multi-turn lines and non-text parts are reported as unsupported."""

from __future__ import annotations

from typing import Any

from curator.core.formats.common import RecordError, json_type
from curator.core.formats.objects import ObjectFormat, Unsupported


def _parts_text(parts: Any, where: str) -> str:
    if not isinstance(parts, list) or not parts:
        raise RecordError(f"{where} 'parts' must be a non-empty list", "parts")
    texts = []
    for part in parts:
        if not isinstance(part, dict):
            raise RecordError(f"{where} parts must be objects, not {json_type(part)}", "parts")
        if "text" not in part:
            kinds = ", ".join(sorted(part)) or "nothing"
            raise Unsupported(f"{where} has a non-text part ({kinds}); curator handles text only", "parts")
        if not isinstance(part["text"], str):
            raise RecordError(f"{where} part 'text' must be a string, not {json_type(part['text'])}", "text")
        texts.append(part["text"])
    return "".join(texts)


class VertexJsonl(ObjectFormat):
    name = "vertex-jsonl"
    container = "lines"
    extensions = (".jsonl",)

    def looks_like(self, obj: Any) -> bool:
        return isinstance(obj, dict) and "contents" in obj

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        contents = obj.get("contents")
        if contents is None:
            raise RecordError("missing field 'contents'", "contents")
        if not isinstance(contents, list):
            raise RecordError(f"field 'contents' must be a list, not {json_type(contents)}", "contents")
        for turn in contents:
            if not isinstance(turn, dict):
                raise RecordError(f"each turn in 'contents' must be an object, not {json_type(turn)}", "contents")
            if turn.get("role") not in ("user", "model"):
                raise RecordError(f"turn role must be 'user' or 'model', not {turn.get('role')!r}", "role")
        roles = [t["role"] for t in contents]
        if len(contents) > 2:
            raise Unsupported(f"multi-turn conversation with {len(contents)} turns; curator handles single-turn pairs")
        if roles != ["user", "model"]:
            raise RecordError(f"'contents' must be a user turn then a model turn, found {roles}", "contents")
        text_input = _parts_text(contents[0].get("parts"), "the user turn")
        output = _parts_text(contents[1].get("parts"), "the model turn")
        system = None
        if "systemInstruction" in obj:
            si = obj["systemInstruction"]
            if not isinstance(si, dict):
                raise RecordError("field 'systemInstruction' must be an object", "systemInstruction")
            system = _parts_text(si.get("parts"), "systemInstruction")
        rest = {k: v for k, v in obj.items() if k not in ("contents", "systemInstruction")}
        return text_input, output, system, rest

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        if row["system"] is not None:
            obj["systemInstruction"] = {"role": "system", "parts": [{"text": row["system"]}]}
        obj["contents"] = [
            {"role": "user", "parts": [{"text": row["text_input"]}]},
            {"role": "model", "parts": [{"text": row["output"]}]},
        ]
        return obj


VERTEX_JSONL = VertexJsonl()
