"""How much Gemini models think, and the least each allows.

Thinking tokens count against ``maxOutputTokens``: a model left to think as it likes can spend the whole
output budget and answer nothing (finish reason MAX_TOKENS). So curator asks for the least thinking by
default (``GenerationConfig.thinking_budget`` None): off where the model allows it, its smallest budget or
level where it does not, and the same request for A and B.

Source: Google, "Gemini thinking" (https://ai.google.dev/gemini-api/docs/thinking) and Vertex AI "Thinking"
(https://cloud.google.com/vertex-ai/generative-ai/docs/thinking), read 2026-11-30.
"""

from __future__ import annotations

from dataclasses import dataclass

from curator.core.errors import BackendError, BackendErrorKind

DYNAMIC = -1  # thinking_budget -1: the model decides how much to think


@dataclass(frozen=True)
class Thinking:
    """What a model family accepts: a budget range (``can_off``: 0 turns thinking off) or levels."""

    default: str  # what the model does when not told: "dynamic", "off" or a level
    least_budget: int | None = None  # the least non-zero budget (None: the model takes levels)
    most_budget: int | None = None
    can_off: bool = False
    least_level: str | None = None  # Gemini 3: thinking_level instead of a budget

    def least(self) -> dict:
        """ThinkingConfig arguments for the least thinking the model allows."""
        if self.least_level is not None:
            return {"thinking_level": self.least_level}
        return {"thinking_budget": 0 if self.can_off else self.least_budget}


# Longest prefix first: "gemini-2.5-flash-lite" must match before "gemini-2.5-flash".
MODELS: dict[str, Thinking] = {
    "gemini-2.5-flash-lite": Thinking("off", 512, 24_576, can_off=True),
    "gemini-2.5-flash": Thinking("dynamic", 1, 24_576, can_off=True),
    "gemini-2.5-pro": Thinking("dynamic", 128, 32_768, can_off=False),
    "gemini-3-pro": Thinking("HIGH", least_level="LOW"),
    "gemini-3-flash": Thinking("HIGH", least_level="MINIMAL"),
    "gemini-3": Thinking("HIGH", least_level="LOW"),
}


def thinking_of(model: str | None) -> Thinking | None:
    """The thinking rules of a model by name (``models/…``, ``publishers/google/models/…`` or bare), or None
    for a model that does not think or that curator does not know (a tuned endpoint: pass its base model)."""
    if not model:
        return None
    short = model.rsplit("/", 1)[-1].lower()
    for prefix in sorted(MODELS, key=len, reverse=True):
        if short.startswith(prefix):
            return MODELS[prefix]
    return None


def thinking_config(model: str | None, budget: int | None) -> dict | None:
    """ThinkingConfig arguments for ``budget`` on ``model`` (None: send none).

    ``budget`` None asks for the least thinking (nothing is sent to a model that does not think);
    -1 lets the model decide; a number is that budget, checked against the model's range when it is known."""
    rules = thinking_of(model)
    if budget is None:
        return rules.least() if rules is not None else None
    if budget == DYNAMIC or rules is None or rules.least_level is not None:
        return {"thinking_budget": budget}
    if budget == 0 and not rules.can_off:
        raise BackendError(BackendErrorKind.INVALID, f"{model} cannot think less than {rules.least_budget:,} tokens: "
                                                     "thinking cannot be turned off on it")
    if budget and not rules.least_budget <= budget <= rules.most_budget:
        raise BackendError(BackendErrorKind.INVALID, f"{model} takes a thinking budget of {rules.least_budget:,} to "
                                                     f"{rules.most_budget:,} tokens (or -1), not {budget:,}")
    return {"thinking_budget": budget}


def describe(budget: int | None) -> str:
    """A thinking setting in words, for forms, reports and the CLI."""
    if budget is None:
        return "least (off where the model allows)"
    if budget == DYNAMIC:
        return "dynamic (the model decides)"
    return "off" if budget == 0 else f"{budget:,} tokens"


def token_note(prompt: int | None, output: int | None, thinking: int | None) -> str:
    """" · 12 → 40 tokens (+128 thinking)": an answer's tokens, thinking beside output ("" when unknown)."""
    if output is None:
        return ""
    return f" · {prompt} → {output} tokens" + (f" (+{thinking:,} thinking)" if thinking else "")


def parse_thinking(text: str) -> int | None:
    """A thinking setting from words: least / off / dynamic / a number of tokens (ValueError otherwise)."""
    value = text.strip().lower()
    if value in ("", "least", "min", "minimum"):
        return None
    if value == "dynamic":
        return DYNAMIC
    if value == "off":
        return 0
    number = int(value.replace(",", "").replace("_", ""))
    if number < DYNAMIC:
        raise ValueError(f"a thinking budget is -1 (dynamic), 0 (off) or a number of tokens, not {number}")
    return number
