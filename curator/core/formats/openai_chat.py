"""OpenAI chat JSONL: ``{"messages": [system?, user, assistant]}``. Conversations with more than one
user/assistant exchange are reported as unsupported; ``developer`` counts as a system message."""

from __future__ import annotations

from typing import Any

from curator.core.formats.common import RecordError, json_type
from curator.core.formats.objects import ObjectFormat, Unsupported


def _content(message: dict, where: str) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        return "".join(str(p.get("text", "")) for p in content)
    if isinstance(content, list):
        raise Unsupported(f"the {where} message has non-text content; curator handles text only", "content")
    raise RecordError(f"the {where} message 'content' must be a string, not {json_type(content)}", "content")


class OpenAIChat(ObjectFormat):
    name = "openai-jsonl"
    container = "lines"
    extensions = (".jsonl",)

    def looks_like(self, obj: Any) -> bool:
        return isinstance(obj, dict) and "messages" in obj

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        messages = obj.get("messages")
        if messages is None:
            raise RecordError("missing field 'messages'", "messages")
        if not isinstance(messages, list):
            raise RecordError(f"field 'messages' must be a list, not {json_type(messages)}", "messages")
        system, turns = None, []
        for m in messages:
            if not isinstance(m, dict):
                raise RecordError(f"each message must be an object, not {json_type(m)}", "messages")
            role = m.get("role")
            if role in ("system", "developer") and not turns and system is None:
                system = _content(m, "system")
            elif role in ("user", "assistant"):
                turns.append(m)
            else:
                raise RecordError(f"unexpected message role {role!r} at this position", "role")
        roles = [m["role"] for m in turns]
        if len(turns) > 2:
            raise Unsupported(f"multi-turn conversation with {len(turns)} turns; curator handles single-turn pairs")
        if roles != ["user", "assistant"]:
            raise RecordError(f"'messages' must hold a user message then an assistant message, found {roles}", "messages")
        rest = {k: v for k, v in obj.items() if k != "messages"}
        return _content(turns[0], "user"), _content(turns[1], "assistant"), system, rest

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        messages = []
        if row["system"] is not None:
            messages.append({"role": "system", "content": row["system"]})
        messages.append({"role": "user", "content": row["text_input"]})
        messages.append({"role": "assistant", "content": row["output"]})
        return {"messages": messages}


OPENAI_JSONL = OpenAIChat()
