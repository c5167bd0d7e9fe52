"""What the Vertex AI and Gemini API backends share: the google-genai client, retries and generation."""

from __future__ import annotations

from typing import Any

from curator.core.backends.base import Backend, Generation, GenerationConfig
from curator.core.backends.retry import RetryPolicy, acall, call
from curator.core.backends.thinking import thinking_config
from curator.core.errors import BackendError, BackendErrorKind


def http_options(base_url: str | None, timeout: float | None):
    """google-genai HttpOptions: our base URL (a fake server in tests) and a timeout in seconds.

    No ``retry_options``: the SDK then makes one attempt and curator's RetryPolicy does the retrying
    (it honours the server's retryDelay, which the SDK ignores).
    """
    from google.genai import types

    return types.HttpOptions(base_url=base_url, timeout=None if timeout is None else int(timeout * 1000))


def content_config(config: GenerationConfig, system: str | None, client_timeout: float | None = None,
                   thinking_model: str | None = None):
    """GenerateContentConfig from curator's GenerationConfig (one candidate; a per-call timeout only when it
    differs from the client's, since per-call HTTP options cost the SDK a fifth of its time per request).
    The thinking budget is resolved for ``thinking_model`` (the model, or a tuned model's base)."""
    from google.genai import types

    kwargs: dict[str, Any] = {
        "temperature": config.temperature,
        "max_output_tokens": config.max_output_tokens,
        "candidate_count": 1,
    }
    if config.seed is not None:
        kwargs["seed"] = config.seed
    if system:
        kwargs["system_instruction"] = system
    thinking = thinking_config(thinking_model, config.thinking_budget)
    if thinking is not None:
        kwargs["thinking_config"] = types.ThinkingConfig(**thinking)
    if config.timeout is not None and config.timeout != client_timeout:
        kwargs["http_options"] = types.HttpOptions(timeout=int(config.timeout * 1000))
    return types.GenerateContentConfig(**kwargs)


def to_generation(response, model: str) -> Generation:
    """curator's Generation from a GenerateContentResponse (text "" when the model gave none)."""
    candidates = response.candidates or []
    reason = candidates[0].finish_reason if candidates else None
    reason_name = getattr(reason, "value", None) or (str(reason) if reason else "NO_CANDIDATE")
    feedback = getattr(response, "prompt_feedback", None)
    if not candidates and feedback is not None and feedback.block_reason:
        reason_name = f"BLOCKED_{getattr(feedback.block_reason, 'value', feedback.block_reason)}"
    parts = (candidates[0].content.parts or []) if candidates and candidates[0].content else []
    text = "".join(p.text for p in parts if getattr(p, "text", None) and not getattr(p, "thought", False))
    usage = response.usage_metadata
    return Generation(
        text=text,
        model=model,
        finish_reason=reason_name,
        prompt_tokens=getattr(usage, "prompt_token_count", None),
        output_tokens=getattr(usage, "candidates_token_count", None),
        thinking_tokens=getattr(usage, "thoughts_token_count", None),
    )


class GoogleBackend(Backend):
    """A backend talking to Google through google-genai. Subclasses build ``self.client``."""

    def __init__(self, client, *, retry: RetryPolicy | None = None, secrets: tuple[str | None, ...] = (),
                 timeout: float | None = None) -> None:
        self.client = client
        self.timeout = timeout  # seconds, as the client was built with
        self.retry = retry or RetryPolicy()
        self._secrets = secrets

    def _call(self, what: str, fn, *, idempotent: bool = True):
        return call(self.retry, fn, what=what, secrets=self._secrets, idempotent=idempotent)

    async def _acall(self, what: str, fn):
        return await acall(self.retry, fn, what=what, secrets=self._secrets)

    @staticmethod
    def _checked(config: GenerationConfig | None) -> GenerationConfig:
        config = config or GenerationConfig()
        problems = config.problems()
        if problems:
            raise BackendError(BackendErrorKind.INVALID, "; ".join(problems.values()))
        return config

    def thinking_model(self, model: str) -> str:
        """The model whose thinking rules apply to ``model`` (Vertex: a tuned endpoint's base model)."""
        return model

    async def athinking_model(self, model: str) -> str:
        """``thinking_model`` for asyncio callers (never blocks the event loop on a request)."""
        return self.thinking_model(model)

    def _content_config(self, model: str, config: GenerationConfig | None, system: str | None,
                        thinking_model: str | None = None):
        return content_config(self._checked(config), system, self.timeout,
                              thinking_model or self.thinking_model(model))

    def generate(self, model: str, prompt: str, config: GenerationConfig | None = None, *,
                 system: str | None = None) -> Generation:
        settings = self._content_config(model, config, system)
        response = self._call(
            f"generate with {model}",
            lambda: self.client.models.generate_content(model=model, contents=prompt, config=settings),
        )
        return to_generation(response, model)

    async def agenerate(self, model: str, prompt: str, config: GenerationConfig | None = None, *,
                        system: str | None = None) -> Generation:
        settings = self._content_config(model, config, system, await self.athinking_model(model))
        response = await self._acall(
            f"generate with {model}",
            lambda: self.client.aio.models.generate_content(model=model, contents=prompt, config=settings),
        )
        return to_generation(response, model)

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        """Close the async transport too (call from the event loop that used ``agenerate``)."""
        await self.client.aio.aclose()
        self.client.close()

    def __repr__(self) -> str:  # never the key
        return f"<{type(self).__name__}>"
