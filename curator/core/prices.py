"""What Google's models cost, in one table: US dollars per million tokens, for curator's estimates.

Source and date (every figure below): Google Cloud, "Vertex AI generative AI pricing"
https://cloud.google.com/vertex-ai/generative-ai/pricing (the Gemini API's
https://ai.google.dev/gemini-api/docs/pricing lists the same standard figures), read 2026-11-30 as quoted by
public pages of June–November 2026; curator could not open Google's page itself from here.
- generation: standard (online) rates for prompts up to 200k tokens; output includes thinking tokens;
  the Batch API costs half.
- tuning (per million training tokens, i.e. tokens of the training file × epochs): NOT FOUND in any source
  curator could read, so it is left empty and the estimate says so. Set it from Google's page in settings.
- a tuned Vertex endpoint is priced as its base model (assumed; check the pricing page).
A backend that runs here (``BackendInfo.offline``) is free; one with a Batch API (``BackendInfo.batch_api``)
costs half when an evaluation goes as batch jobs. A model missing here is priced "unknown" in estimates.
Override or add figures per model in settings:

    [prices."gemini-2.5-flash"]
    tuning = 5.0      # an example figure: $ per 1M training tokens, from Google's page
    input = 0.30      # $ per 1M prompt tokens
    output = 2.50     # $ per 1M output (and thinking) tokens
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

SOURCE_URL = "https://cloud.google.com/vertex-ai/generative-ai/pricing"
READ = "2026-11-30"
BATCH_DISCOUNT = 0.5  # the Batch API's price, as a share of the online one


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens; None: not known."""

    input: float | None = None
    output: float | None = None
    tuning: float | None = None
    source: str = f"{SOURCE_URL}, read {READ}"


# Longest prefix first when matching: "gemini-2.5-flash-lite" before "gemini-2.5-flash".
PRICES: dict[str, Price] = {
    "gemini-2.5-pro": Price(input=1.25, output=10.00),
    "gemini-2.5-flash": Price(input=0.30, output=2.50),
    "gemini-2.5-flash-lite": Price(input=0.10, output=0.40),
}


def price_of(model: str, overrides: Mapping[str, Mapping[str, float]] | None = None) -> Price:
    """The price of ``model`` (bare, ``models/…`` or ``publishers/google/models/…``): the table's, with the
    settings' ``overrides`` (model name -> {input, output, tuning}) over it; an empty Price when unknown."""
    short = model.rsplit("/", 1)[-1].lower()
    found = next((PRICES[p] for p in sorted(PRICES, key=len, reverse=True) if short.startswith(p)), Price())
    mine = next((overrides[k] for k in sorted(overrides or {}, key=len, reverse=True)
                 if short.startswith(k.lower())), None)
    if mine:
        source = "your settings" if found == Price() else f"{found.source}; {', '.join(mine)} from your settings"
        found = replace(found, **{k: float(v) for k, v in mine.items()}, source=source)
    return found
