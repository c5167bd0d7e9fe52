"""Chats with one exchange: OpenAI's ``{"messages": [system?, user, assistant]}`` (role / content) and
ShareGPT's ``{"conversations": [system?, human, gpt]}`` (from / value), one per line (JSONL) or in a JSON
list. Conversations with more than one user/assistant exchange are reported as unsupported; ``developer`` counts as a system message. Writing
back uses the file's own keys and role names."""

from __future__ import annotations

from typing import Any

from curator.core.formats.common import RecordError, json_type
from curator.core.formats.objects import ObjectFormat, Unsupported


class Chat(ObjectFormat):
    """A chat format: the list's key, each message's role and text keys, and the role names it writes."""

    def __init__(self, name: str, container: str, extensions: tuple[str, ...], key: str, role: str, text: str,
                 roles: dict[str, str]) -> None:
        """``roles`` maps each role name the format writes (system, user, assistant) to the name in files."""
        self.name, self.container, self.extensions = name, container, extensions
        self.key, self.role, self.text, self.roles = key, role, text, roles
        self.reading = {"developer": "system", "human": "user", "gpt": "assistant", "model": "assistant",
                        **{v: k for k, v in roles.items()}}

    def looks_like(self, obj: Any) -> bool:
        return isinstance(obj, dict) and isinstance(obj.get(self.key), list)

    def _content(self, message: dict, where: str) -> str:
        content = message.get(self.text)
        if isinstance(content, str):
            return content
        if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
            return "".join(str(p.get("text", "")) for p in content)
        if isinstance(content, list):
            raise Unsupported(f"the {where} message has non-text content; curator handles text only", self.text)
        raise RecordError(f"the {where} message {self.text!r} must be a string, not {json_type(content)}", self.text)

    def decode(self, obj: dict[str, Any]) -> tuple[str, str, str | None, dict[str, Any]]:
        messages = obj.get(self.key)
        if messages is None:
            raise RecordError(f"missing field {self.key!r}", self.key)
        if not isinstance(messages, list):
            raise RecordError(f"field {self.key!r} must be a list, not {json_type(messages)}", self.key)
        system, turns = None, []
        for m in messages:
            if not isinstance(m, dict):
                raise RecordError(f"each message must be an object, not {json_type(m)}", self.key)
            role = self.reading.get(m.get(self.role))
            if role == "system" and not turns and system is None:
                system = self._content(m, "system")
            elif role in ("user", "assistant"):
                turns.append((role, m))
            else:
                raise RecordError(f"unexpected message {self.role} {m.get(self.role)!r} at this position", self.role)
        roles = [r for r, _ in turns]
        if len(turns) > 2:
            raise Unsupported(f"multi-turn conversation with {len(turns)} turns; curator handles single-turn pairs")
        if roles != ["user", "assistant"]:
            raise RecordError(f"{self.key!r} must hold a user message then an assistant message, found {roles}",
                              self.key)
        rest = {k: v for k, v in obj.items() if k != self.key}
        return self._content(turns[0][1], "user"), self._content(turns[1][1], "assistant"), system, rest

    def encode(self, row: dict[str, Any]) -> dict[str, Any]:
        messages = []
        if row["system"] is not None:
            messages.append({self.role: self.roles["system"], self.text: row["system"]})
        messages.append({self.role: self.roles["user"], self.text: row["text_input"]})
        messages.append({self.role: self.roles["assistant"], self.text: row["output"]})
        return {self.key: messages}


_OPENAI_ROLES = {"system": "system", "user": "user", "assistant": "assistant"}
_SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}
OPENAI_JSONL = Chat("openai-jsonl", "lines", (".jsonl",), "messages", "role", "content", _OPENAI_ROLES)
OPENAI_JSON = Chat("openai-json", "list", (".json",), "messages", "role", "content", _OPENAI_ROLES)
SHAREGPT_JSONL = Chat("sharegpt-jsonl", "lines", (".jsonl",), "conversations", "from", "value", _SHAREGPT_ROLES)
SHAREGPT_JSON = Chat("sharegpt-json", "list", (".json",), "conversations", "from", "value", _SHAREGPT_ROLES)
