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


def generate_reply(model: str, body: dict | None, responder: Callable[[str, str], str]) -> dict:
    """A GenerateContentResponse for a request body; the answer is cut at maxOutputTokens words."""
    body = body or {}
    contents = field(body, "contents", default=[])
    if not contents:
        raise ApiError(400, "contents must not be empty")
    prompt = "".join(texts(contents))
    system = field(body, "systemInstruction", "system_instruction")
    config = field(body, "generationConfig", "generation_config", default={}) or {}
    limit = field(config, "maxOutputTokens", "max_output_tokens")
    words = responder(model, prompt).split(" ")
    cut = limit is not None and len(words) > int(limit)
    answer = " ".join(words[: int(limit)] if cut else words)
    prompt_tokens = max(1, len(prompt.split()) + len(" ".join(texts([system] if system else [])).split()))
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": answer}]},
                        "finishReason": "MAX_TOKENS" if cut else "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": len(answer.split()),
                          "totalTokenCount": prompt_tokens + len(answer.split())},
        "modelVersion": model.rsplit("/", 1)[-1],
    }
