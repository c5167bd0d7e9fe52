"""Provider limits: per-example tokens and lengths, example counts and file sizes, per target and base model.

The default target is Vertex AI, the service that tunes Gemini. Its limits depend on the base model
(``Settings.base_model``). Token counts come from google-genai's local tokenizer when it is installed
(``pip install 'google-genai[local-tokenizer]'``); otherwise from an estimate, which can only warn.
The Gemini API target keeps the limits of its tuning, which ended in May 2025 (for legacy data only).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from curator.core.checks.base import RULES, CheckContext
from curator.core.model import Finding, Severity


@dataclass(frozen=True)
class VertexModel:
    """What Vertex AI supervised tuning accepts for one base model."""

    example_tokens: int = 131_072  # input + output tokens of one training example
    train_examples: int = 1_000_000  # text-only examples in the training file
    file_bytes: int = 1024**3  # the training JSONL file
    validation_examples: int = 5_000
    adapter_sizes: tuple[int, ...] = (1, 2, 4, 8, 16)


# Source: Google Cloud, Vertex AI "About supervised fine-tuning for Gemini models" and "Prepare supervised
# fine-tuning data for Gemini models" (https://cloud.google.com/vertex-ai/generative-ai/docs/models/
# gemini-supervised-tuning, .../gemini-supervised-tuning-prepare), read 2026-11-30.
VERTEX_SOURCE = "Vertex AI supervised tuning docs, read 2026-11-30"
VERTEX_MODELS: dict[str, VertexModel] = {
    "gemini-2.5-flash-lite": VertexModel(),
    "gemini-2.5-flash": VertexModel(),
    "gemini-2.5-pro": VertexModel(adapter_sizes=(1, 2, 4, 8)),
}
DEFAULT_BASE_MODEL = "gemini-2.5-flash"
DISPLAY_NAME_CHARS = 128  # tunedModelDisplayName, same source

# The Gemini API's tuning (ended May 2025): Google AI "Fine-tuning with the Gemini API", read 2025-05.
GEMINI_API = {"input_chars": 40_000, "output_chars": 5_000, "inline_bytes": 4 * 1024 * 1024}
JSON_OVERHEAD_BYTES = 35  # {"text_input": "", "output": ""} plus a line break
VERTEX_OVERHEAD_BYTES = 90  # {"contents":[{"role":"user","parts":[{"text":""}]},{"role":"model",...}]}


def vertex_model(base_model: str | None) -> tuple[str, VertexModel]:
    """(name, limits) of a Vertex base model; an unknown one gets the default model's (named in the name)."""
    short = (base_model or DEFAULT_BASE_MODEL).rsplit("/", 1)[-1]
    for prefix in sorted(VERTEX_MODELS, key=len, reverse=True):
        if short.startswith(prefix):
            return short, VERTEX_MODELS[prefix]
    return f"{short} (limits of {DEFAULT_BASE_MODEL} assumed)", VERTEX_MODELS[DEFAULT_BASE_MODEL]


def estimated_tokens(expr: pl.Expr) -> pl.Expr:
    """A conservative token estimate: UTF-8 bytes / 3, rounded up (English runs ~4 bytes a token,
    CJK ~3), so a pass here leaves room rather than surprising at upload."""
    return (expr.fill_null("").str.len_bytes() + 2) // 3


@lru_cache(maxsize=8)
def token_counter(model: str) -> Callable[[str], int] | None:
    """google-genai's local tokenizer for ``model`` as text -> tokens, or None when it is not installed (the
    ``local-tokenizer`` extra), does not know the model or cannot load its vocabulary."""
    try:
        from google.genai.local_tokenizer import LocalTokenizer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tokenizer = LocalTokenizer(model_name=model)
    except Exception:  # noqa: BLE001 - ImportError, an unknown model, no network for the vocabulary
        return None

    def count(text: str) -> int:
        with warnings.catch_warnings():  # the SDK marks count_tokens experimental on every call
            warnings.simplefilter("ignore")
            return tokenizer.count_tokens(text).total_tokens if text else 0

    return count


def limits_for(target: str, base_model: str | None = None) -> dict[str, int]:
    """The per-example limits forms show: characters on the Gemini API, tokens on Vertex."""
    if target == "gemini-api":
        return GEMINI_API
    return {"example_tokens": vertex_model(base_model)[1].example_tokens}


def check_limits(ctx: CheckContext) -> list[Finding]:
    return row_limits(ctx.frame, ctx.settings) + total_limits(limit_totals(ctx.frame), ctx.settings)


def row_limits(frame: pl.DataFrame, settings) -> list[Finding]:
    """The findings of single examples (too long, too many tokens): a batch of a file at a time if need be."""
    if settings.target == "gemini-api":
        return _gemini_api_lengths(frame)
    name, limits = vertex_model(settings.base_model)
    return _example_tokens(frame, name, limits.example_tokens)


def limit_totals(frame: pl.DataFrame) -> dict[str, int]:
    """What the whole-file limits count; the totals of a file's batches add up to the file's."""
    train = frame.filter(pl.col("split") == "train")
    size = pl.col("text_input").str.len_bytes() + pl.col("output").str.len_bytes()
    return {
        "train": train.height,
        "validation": frame.filter(pl.col("split") == "validation").height,
        "train_bytes": train.select((size + pl.col("system").fill_null("").str.len_bytes()
                                     + VERTEX_OVERHEAD_BYTES).sum()).item() or 0,
        "inline_bytes": frame.select((size + JSON_OVERHEAD_BYTES).sum()).item() or 0,
    }


def total_limits(totals: dict[str, int], settings) -> list[Finding]:
    """The findings of the whole file (example counts, sizes) from its ``limit_totals``."""
    if settings.target == "gemini-api":
        size = totals["inline_bytes"]
        if size > GEMINI_API["inline_bytes"]:
            return [_finding("limits.inline-size", (),
                             f"about {size / 1024**2:.1f} MB of examples; inline upload takes at most 4 MB")]
        return []
    name, limits = vertex_model(settings.base_model)
    findings = []
    if totals["train"] > limits.train_examples:
        findings.append(_finding("limits.train-examples", (), f"{totals['train']:,} training examples; {name} "
                                                              f"tunes on at most {limits.train_examples:,}"))
    size = totals["train_bytes"]
    if size > limits.file_bytes:
        findings.append(_finding("limits.file-size", (), f"the training file would be about {size / 1024**3:.2f} GB "
                                                         f"(limit {limits.file_bytes / 1024**3:.0f} GB)"))
    validation = totals["validation"]
    if validation > limits.validation_examples:
        findings.append(_finding("limits.validation-size", (),
                                 f"{validation:,} validation examples (limit {limits.validation_examples:,})"))
    return findings


def _finding(rule: str, ids: tuple, message: str, severity: Severity | None = None) -> Finding:
    return Finding(rule, severity or RULES[rule].severity, ids, message)


def _gemini_api_lengths(frame: pl.DataFrame) -> list[Finding]:
    findings = []
    for field, key, rule in (("text_input", "input_chars", "limits.input-length"),
                             ("output", "output_chars", "limits.output-length")):
        limit = GEMINI_API[key]
        long = frame.select("id", n=pl.col(field).str.len_chars()).filter(pl.col("n") > limit)
        what = "input" if field == "text_input" else "output"
        findings += [_finding(rule, (i,), f"{what} is {n:,} characters (limit {limit:,})") for i, n in long.iter_rows()]
    return findings


def _example_tokens(frame: pl.DataFrame, model: str, limit: int) -> list[Finding]:
    """Examples over the per-example token limit: counted by the local tokenizer (an error), else estimated
    (a warning: the estimate may be wrong either way). Only examples the estimate puts above half the limit
    are counted, so the tokenizer runs on a handful of rows."""
    estimate = frame.select(
        "id", "text_input", "output", "system",
        n=estimated_tokens(pl.col("text_input")) + estimated_tokens(pl.col("output"))
        + estimated_tokens(pl.col("system")),
    ).filter(pl.col("n") > limit // 2)
    if estimate.height == 0:
        return []
    count = token_counter(model.split(" ", 1)[0])
    findings = []
    for example_id, text_input, output, system, n in estimate.iter_rows():
        if count is None:
            if n > limit:
                findings.append(_finding("limits.example-tokens-estimate", (example_id,),
                                         f"about {n:,} tokens by estimate (limit {limit:,} for {model}); install "
                                         "google-genai[local-tokenizer] to count exactly"))
            continue
        exact = count(text_input or "") + count(output or "") + count(system or "")
        if exact > limit:
            findings.append(_finding("limits.example-tokens", (example_id,),
                                     f"{exact:,} tokens (limit {limit:,} for {model})"))
    return findings
