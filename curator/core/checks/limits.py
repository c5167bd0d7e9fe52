"""Provider limits: per-example lengths, token estimates and whole-file sizes, per target."""

from __future__ import annotations

import polars as pl

from curator.core.checks.base import RULES, CheckContext
from curator.core.model import Finding

GEMINI_API = {"input_chars": 40_000, "output_chars": 5_000, "inline_bytes": 4 * 1024 * 1024}
VERTEX = {"example_tokens": 131_072, "file_bytes": 1024**3, "validation_examples": 5_000}
JSON_OVERHEAD_BYTES = 35  # {"text_input": "", "output": ""} plus a line break


def estimated_tokens(expr: pl.Expr) -> pl.Expr:
    """A conservative token estimate: UTF-8 bytes / 3, rounded up (English runs ~4 bytes a token,
    CJK ~3), so a pass here leaves room rather than surprising at upload."""
    return (expr.fill_null("").str.len_bytes() + 2) // 3


def limits_for(target: str) -> dict[str, int]:
    return GEMINI_API if target == "gemini-api" else VERTEX


def check_limits(ctx: CheckContext) -> list[Finding]:
    frame, findings = ctx.frame, []
    if ctx.settings.target == "gemini-api":
        for field, key, rule in (
            ("text_input", "input_chars", "limits.input-length"),
            ("output", "output_chars", "limits.output-length"),
        ):
            limit = GEMINI_API[key]
            long = frame.select("id", n=pl.col(field).str.len_chars()).filter(pl.col("n") > limit)
            for example_id, n in long.iter_rows():
                what = "input" if field == "text_input" else "output"
                findings.append(
                    Finding(rule, RULES[rule].severity, (example_id,), f"{what} is {n:,} characters (limit {limit:,})")
                )
        size = frame.select(
            (pl.col("text_input").str.len_bytes() + pl.col("output").str.len_bytes() + JSON_OVERHEAD_BYTES).sum()
        ).item() or 0
        if size > GEMINI_API["inline_bytes"]:
            findings.append(
                Finding("limits.inline-size", RULES["limits.inline-size"].severity, (),
                        f"about {size / 1024**2:.1f} MB of examples; inline upload takes at most 4 MB")
            )
        return findings
    tokens = frame.select(
        "id",
        n=estimated_tokens(pl.col("text_input")) + estimated_tokens(pl.col("output")) + estimated_tokens(pl.col("system")),
    ).filter(pl.col("n") > VERTEX["example_tokens"])
    for example_id, n in tokens.iter_rows():
        findings.append(
            Finding("limits.example-tokens", RULES["limits.example-tokens"].severity, (example_id,),
                    f"about {n:,} tokens (limit {VERTEX['example_tokens']:,})")
        )
    train = frame.filter(pl.col("split") == "train")
    size = train.select(
        (pl.col("text_input").str.len_bytes() + pl.col("output").str.len_bytes() + 90).sum()
    ).item() or 0
    if size > VERTEX["file_bytes"]:
        findings.append(
            Finding("limits.file-size", RULES["limits.file-size"].severity, (),
                    f"the training file would be about {size / 1024**3:.2f} GB (limit 1 GB)")
        )
    validation = frame.filter(pl.col("split") == "validation").height
    if validation > VERTEX["validation_examples"]:
        findings.append(
            Finding("limits.validation-size", RULES["limits.validation-size"].severity, (),
                    f"{validation:,} validation examples (limit 5,000)")
        )
    return findings
