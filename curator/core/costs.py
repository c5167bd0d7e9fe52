"""What a tuning run or an evaluation will cost, before it costs: tokens and an estimated price per model
(``curator.core.prices``), the same for the command line (``--dry-run``) and the app's forms.

Tokens are counted by google-genai's local tokenizer when it is installed (``google-genai[local-tokenizer]``,
on a sample of 20,000 texts when there are more), else estimated as UTF-8 bytes / 3 (on the high side), and the
estimate says which. After a run, ``actual_text`` puts the billable tokens the service reported beside it.

    estimate = tuning_estimate(prepared.train, backend.name, "gemini-2.5-flash", hp.epochs, settings.prices)
    print(estimate.text())            # the job keeps estimate.to_dict(); later:
    print(actual_text(estimate, status.stats["billable tokens"]))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import polars as pl

from curator.core.prices import BATCH_DISCOUNT, price_of

TOKENIZER_SAMPLE = 20_000
ESTIMATED = "tokens estimated (UTF-8 bytes / 3); google-genai[local-tokenizer] would count them"
COUNTED = "tokens counted by the local tokenizer"
RUNS_HERE = "tokens estimated (UTF-8 bytes / 3): the models run here, at no charge"
ALL_CACHED = "every answer is already in curator's cache: nothing to ask, nothing to pay"


def count_tokens(texts: list[pl.Series], model: str | None) -> tuple[int, bool]:
    """(tokens in every text of ``texts``, counted exactly?) with ``model``'s local tokenizer, else (or with
    no ``model``: nothing to price) estimated. No text: (0, True), without loading a tokenizer."""
    from curator.core.checks.limits import estimated_tokens, token_counter

    if not any(len(s) for s in texts):
        return 0, True
    count = None if model is None else token_counter(model.rsplit("/", 1)[-1])
    if count is None:
        return sum(int(pl.DataFrame({"t": s}).select(estimated_tokens(pl.col("t")).sum()).item() or 0)
                   for s in texts), False
    total = 0
    for series in texts:
        values = series.drop_nulls()
        if values.len() > TOKENIZER_SAMPLE:  # a seeded sample, scaled up
            sample = values.sample(TOKENIZER_SAMPLE, seed=0)
            total += round(sum(count(t) for t in sample) * values.len() / TOKENIZER_SAMPLE)
        else:
            total += sum(count(t) for t in values)
    return total, True


@dataclass
class CostLine:
    """One model's share: its tokens by kind (training; or prompt and output), the rates used ($ per 1M tokens
    of each kind, the Batch API's discount included; a kind without a known rate is missing) and the price."""

    what: str
    model: str
    tokens: dict[str, int]
    rates: dict[str, float]
    price: str  # the rates used and their source, or why there is none

    @property
    def cost(self) -> float | None:
        """US dollars; None when a kind of token has no known rate."""
        return priced(self.tokens, self.rates)


def money(dollars: float) -> str:
    return f"≈ ${dollars:,.2f}" if dollars >= 1 else f"≈ ${dollars:,.4f}"


def priced(tokens: Mapping[str, int], rates: Mapping[str, float]) -> float | None:
    if any(kind not in rates for kind in tokens):
        return None
    return sum(n * rates[kind] for kind, n in tokens.items()) / 1e6


@dataclass
class CostEstimate:
    """Tokens and price of a tuning run or an evaluation, before it runs."""

    lines: list[CostLine]
    exact: bool  # tokens counted by the local tokenizer (else estimated)
    notes: list[str] = field(default_factory=list)

    @property
    def asks(self) -> bool:
        """Whether anything is left to ask (an evaluation whose answers are all cached asks nothing)."""
        return any(sum(line.tokens.values()) for line in self.lines)

    @property
    def total(self) -> float | None:
        costs = [line.cost for line in self.lines]
        return None if any(c is None for c in costs) else sum(costs)

    def text(self) -> str:
        """Lines for a terminal or a form: each model's tokens and price, the total, how tokens were counted."""
        out = []
        for line in self.lines:
            tokens = ", ".join(f"{n:,} {kind}" for kind, n in line.tokens.items())
            if not any(line.tokens.values()):
                out.append(f"{line.what}: nothing to ask (every answer is in the cache)")
                continue
            if line.cost == 0:
                out.append(f"{line.what}: {tokens} tokens → free ({line.price})")
                continue
            cost = "price unknown" if line.cost is None else money(line.cost)
            out.append(f"{line.what}: {tokens} tokens → {cost} ({line.price})")
        total = self.total
        if len(self.lines) > 1:
            out.append("total: " + ("price unknown for some of it" if total is None else money(total)))
        if not self.asks:
            out.append(ALL_CACHED)
        elif not self.exact and all(line.cost == 0 for line in self.lines):
            out.append(RUNS_HERE)
        else:
            out.append(COUNTED if self.exact else ESTIMATED)
        out += self.notes
        return "\n".join(out)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CostEstimate:
        return cls([CostLine(**line) for line in data.get("lines", [])], data.get("exact", False),
                   list(data.get("notes", [])))


def _free(backend: str) -> bool:
    """A backend that runs on this machine sends no bill."""
    from curator.core.backends.registry import BACKENDS

    info = BACKENDS.get(backend)
    return info is not None and info.offline


def _rate_text(rates: dict[str, float | None], source: str) -> str:
    known = [f"{kind} ${rate:g}" for kind, rate in rates.items() if rate is not None]
    missing = [kind for kind, rate in rates.items() if rate is None]
    text = " · ".join(known) + " per 1M" if known else ""
    if missing:
        text += ("; " if text else "") + f"no {'/'.join(missing)} price known: set [prices] in settings"
    return f"{text}; {source}" if known else text


def tuning_estimate(train: pl.DataFrame, backend: str, base_model: str, epochs: int,
                    overrides: Mapping[str, Mapping[str, float]] | None = None) -> CostEstimate:
    """The training tokens of ``train`` (input, output, system) × ``epochs`` and their price on ``base_model``."""
    tokens, exact = count_tokens([train["text_input"], train["output"], train["system"]], base_model)
    billable = tokens * epochs
    what = f"tuning {base_model} ({epochs} epoch{'s' if epochs != 1 else ''} × {tokens:,} tokens)"
    if _free(backend):
        return CostEstimate([CostLine(what, base_model, {"training": billable}, {"training": 0.0},
                                      "runs here")], exact)
    price = price_of(base_model, overrides)
    rates = {} if price.tuning is None else {"training": price.tuning}
    return CostEstimate([CostLine(what, base_model, {"training": billable}, rates,
                                  _rate_text({"tuning": price.tuning}, price.source))], exact)


def generation_line(what: str, backend: str, model: str, prompt: int, output: int,
                    overrides: Mapping[str, Mapping[str, float]] | None = None, *, batch: bool = False) -> CostLine:
    """The price of ``prompt`` and ``output`` tokens on ``model`` (``model`` priced as given: pass a tuned
    endpoint's base model)."""
    tokens = {"prompt": prompt, "output": output}
    if _free(backend):
        return CostLine(what, model, tokens, {"prompt": 0.0, "output": 0.0}, "runs here")
    price = price_of(model, overrides)
    share = BATCH_DISCOUNT if batch else 1.0
    rates = {kind: rate * share for kind, rate in (("prompt", price.input), ("output", price.output))
             if rate is not None}
    text = _rate_text({"input": price.input, "output": price.output}, price.source)
    return CostLine(what, model, tokens, rates, text + (" · Batch API: half" if batch else ""))


def eval_estimate(prompts: pl.DataFrame, sides: list[tuple[str, str, str]], *, max_output_tokens: int,
                  samples: int = 1, thinking: Mapping[str, int] | None = None, batch: bool = False,
                  overrides: Mapping[str, Mapping[str, float]] | None = None,
                  to_ask: Sequence[Sequence[int]] | None = None) -> CostEstimate:
    """Prompt and expected-output tokens of an evaluation, for each side (what, backend, model priced).

    ``prompts`` has the columns prompt, system and expected. Each answer is taken to be as long as the
    expected output (at most ``max_output_tokens``), plus the thinking budget ``thinking[model]`` (an upper
    bound) when the model thinks; every example is asked ``samples`` times, or, given ``to_ask`` (for each
    side, how many requests each example still needs: the others' answers are in curator's cache), that many
    times. With ``batch``, sides whose backend has a Batch API are priced at its rate. Tokens of a side that
    runs here (free) are estimated, not counted: no tokenizer is loaded to price nothing."""
    from curator.core.backends.registry import BACKENDS
    from curator.core.checks.limits import estimated_tokens

    lines, exact, cached_notes = [], True, []
    for k, (what, backend, model) in enumerate(sides):
        if to_ask is None:
            asked, share = prompts, samples
        else:  # an example asked n times is counted n times
            asked, share = prompts[[i for i, n in enumerate(to_ask[k]) for _ in range(n)]], 1
            if asked.height < prompts.height * samples:
                cached_notes.append(f"{prompts.height * samples - asked.height:,} of {what}")
        free = _free(backend)
        prompt, counted = count_tokens([asked["prompt"], asked["system"]], None if free else model)
        if counted:
            answers, _ = count_tokens([asked["expected"]], model)
            answers = min(answers, max_output_tokens * asked.height)
        else:
            answers = int(asked.select(estimated_tokens(pl.col("expected")).clip(upper_bound=max_output_tokens)
                                       .sum()).item() or 0)
        exact = exact and counted
        think = (thinking or {}).get(model, 0) * asked.height
        lines.append(generation_line(what, backend, model, prompt * share, (answers + think) * share,
                                     overrides, batch=batch and backend in BACKENDS and BACKENDS[backend].batch_api))
    estimate = CostEstimate(lines, exact)
    if estimate.asks:
        estimate.notes.append("answers are taken as long as the expected outputs")
        if cached_notes:
            estimate.notes.append("answers already in curator's cache cost nothing and are left out: "
                                  + "; ".join(cached_notes))
        if thinking and any(thinking.values()):
            estimate.notes.append("output includes the thinking budget of each answer (at most that is spent)")
    return estimate


def actual_text(estimate: CostEstimate | None, used: Mapping[str, Mapping[str, int]] | int) -> str:
    """What a run was billed for, beside the estimate, priced at the estimate's rates: ``used`` is a tuning
    job's billable tokens, or an evaluation's usage per side ({"a": {"prompt", "output", "thinking"}, ...})."""
    lines = estimate.lines if estimate else []
    if isinstance(used, int):
        text = f"billable tokens {used:,}"
        if lines:
            cost = priced({"training": used}, lines[0].rates)
            text += f" (estimated {lines[0].tokens.get('training', 0):,})" + ("" if cost is None else f" {money(cost)}")
        return text
    parts = []
    for i, (side, usage) in enumerate(used.items()):
        real = {"prompt": usage.get("prompt", 0), "output": usage.get("output", 0) + usage.get("thinking", 0)}
        text = f"{side.upper()} {real['prompt']:,} prompt + {real['output']:,} output/thinking tokens"
        if i < len(lines):
            cost = priced(real, lines[i].rates)
            text += f" (estimated {lines[i].tokens['prompt']:,} + {lines[i].tokens['output']:,})" + \
                    ("" if cost is None else f" {money(cost)}")
        parts.append(text)
    return "; ".join(parts)
