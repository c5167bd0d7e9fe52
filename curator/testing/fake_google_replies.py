"""What the fake Google server sends back: error bodies as Google shapes them, and generateContent replies."""

from __future__ import annotations

from collections.abc import Callable

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


class ApiError(Exception):
    """An error reply: HTTP code, message and google.rpc details."""

    def __init__(self, code: int, message: str, details: list | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or []

    def body(self) -> dict:
        error = {"code": self.code, "message": self.message, "status": STATUS.get(self.code, "UNKNOWN")}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def error_for(code: int, model: str, *, retry_delay: float, key_invalid: bool = False) -> ApiError:
    """The error Google sends for ``code`` (429 with RetryInfo, 400 with ErrorInfo API_KEY_INVALID, ...)."""
    if code == 429:
        return ApiError(429, "Resource has been exhausted (e.g. check quota).", [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                 "quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}]},
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about rate limits", "url": "https://ai.google.dev/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_delay:g}s"},
        ])
    if key_invalid:
        return ApiError(400, "API key not valid. Please pass a valid API key.", [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
             "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}])
    messages = {400: f"Request contains an invalid argument (model {model}).",
                403: "The caller does not have permission", 500: "Internal error encountered.",
                503: "The service is currently unavailable."}
    return ApiError(code, messages[code])


def field(obj: dict, *names, default=None):
    """A field by its camelCase or snake_case name (google-genai sends both in nested objects)."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
    return default


def texts(contents: list) -> list[str]:
    """The text parts of Content objects (a system instruction may also be a plain string)."""
    out = []
    for content in contents:
        if isinstance(content, str):
            out.append(content)
            continue
        for part in field(content, "parts", default=[]) or []:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    return out


def default_answer(model: str, prompt: str) -> str:
    """The fake's answer: the model's short name, a colon, the prompt."""
    return f"{model.rsplit('/', 1)[-1]}: {prompt}"


# How the fake's models think (Google's "Gemini thinking" page, read 2026-11-30): what they do when not
# told, the budget range, and whether a budget of 0 turns thinking off. A model not listed does not think.
THINKING = {
    "gemini-2.5-flash-lite": ("off", 512, 24_576, True),
    "gemini-2.5-flash": ("dynamic", 1, 24_576, True),
    "gemini-2.5-pro": ("dynamic", 128, 32_768, False),
}


def thinking_spent(model: str, config: dict, demand: int) -> int:
    """Thinking tokens the model spends on a request (before the max output tokens cut them): ``demand``
    when it thinks freely, at most its budget when it has one; an ApiError for a setting the model refuses."""
    short = model.rsplit("/", 1)[-1]
    rules = next((THINKING[p] for p in sorted(THINKING, key=len, reverse=True) if short.startswith(p)), None)
    thinking = field(config, "thinkingConfig", "thinking_config", default=None) or {}
    budget = field(thinking, "thinkingBudget", "thinking_budget")
    level = field(thinking, "thinkingLevel", "thinking_level")
    if rules is None:
        if budget not in (None, 0) or level is not None:
            raise ApiError(400, f"Thinking is not supported for model {short}.")
        return 0
    if level is not None:
        raise ApiError(400, f"thinking_level is not supported for model {short}; use thinking_budget.")
    default, least, most, can_off = rules
    if budget is None:
        return demand if default == "dynamic" else 0
    budget = int(budget)
    if budget == -1:
        return demand
    if budget == 0:
        if not can_off:
            raise ApiError(400, "Budget 0 is invalid. This model only works in thinking mode.")
        return 0
    if not least <= budget <= most:
        raise ApiError(400, f"The thinking budget {budget} is invalid. Please choose a value between {least} and "
                            f"{most}.")
    return min(budget, demand)


def generate_reply(model: str, body: dict | None, responder: Callable[[str, str], str], *, thinking: int = 0,
                   base: str | None = None) -> dict:
    """A GenerateContentResponse for a request body. A thinking model (``base``: a tuned model's base) spends
    up to ``thinking`` tokens thinking first, out of maxOutputTokens; the answer gets what is left, cut at
    that many words (finish reason MAX_TOKENS, no text when thinking took it all)."""
    body = body or {}
    contents = field(body, "contents", default=[])
    if not contents:
        raise ApiError(400, "contents must not be empty")
    prompt = "".join(texts(contents))
    system = field(body, "systemInstruction", "system_instruction")
    config = field(body, "generationConfig", "generation_config", default={}) or {}
    limit = field(config, "maxOutputTokens", "max_output_tokens")
    thoughts = thinking_spent(base or model, config, thinking)
    words = responder(model, prompt).split(" ")
    room = None if limit is None else max(0, int(limit) - thoughts)
    thoughts = thoughts if limit is None else min(thoughts, int(limit))
    cut = room is not None and len(words) > room
    answer = " ".join(words[:room] if cut else words)
    prompt_tokens = max(1, len(prompt.split()) + len(" ".join(texts([system] if system else [])).split()))
    content: dict = {"role": "model", "parts": [{"text": answer}]} if answer else {"role": "model"}
    usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": len(answer.split()),
             "totalTokenCount": prompt_tokens + len(answer.split()) + thoughts}
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return {
        "candidates": [{"content": content, "finishReason": "MAX_TOKENS" if cut else "STOP", "index": 0}],
        "usageMetadata": usage,
        "modelVersion": model.rsplit("/", 1)[-1],
    }
