"""One evaluation, start to end: choose the examples, put each input into the production template (the
same prompt for both models), ask both models through the cache, score, compare, and keep the run.

Running the same evaluation again (same models, config, template, examples and dataset version) resumes the
unfinished run instead of starting another; the cache makes every answer already received free.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from curator.core.backends.base import Backend, GenerationConfig
from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.evaluation.cache import PredictionCache
from curator.core.evaluation.rules import ScoringRule
from curator.core.evaluation.runner import DEFAULT_CONCURRENCY, Outcome, Predictions, Request, predict
from curator.core.evaluation.runs import CANCELLED, DONE, SIDES, EvalRun, RunRow, Runs
from curator.core.evaluation.scorecard import Scorecard, build_scorecard
from curator.core.evaluation.scoring import task_for
from curator.core.model import Split
from curator.core.models import ModelRef
from curator.core.progress import Cancel, ProgressFn
from curator.core.settings import Settings
from curator.core.storage.workspace import Workspace
from curator.core.template.model import parse_template

AUTO = "auto"  # the test split, else validation, else every example


@dataclass(frozen=True)
class EvalSpec:
    """What to evaluate: two models, one generation config, the template, and how examples were chosen."""

    model_a: ModelRef
    model_b: ModelRef
    config: GenerationConfig = field(default_factory=GenerationConfig)
    template: str | None = None
    task: str | None = None  # None: detected from the expected outputs
    selection: str = ""  # in words: "test split", "filter: ...", "file: other.jsonl"
    seed: int = 0  # of the bootstrap
    examples_file: str | None = None  # the examples came from this file, not from the dataset
    rule: ScoringRule = ScoringRule()  # what "right" means
    samples: int = 1  # answers asked of each model per example (seeds seed, seed + 1, ...)

    def sample_configs(self) -> list[GenerationConfig]:
        """The generation config of each sample: the config itself, or one per seed (seed, seed + 1, ...)."""
        if self.samples == 1:
            return [self.config]
        return [replace(self.config, seed=self.config.seed + s) for s in range(self.samples)]

    def to_dict(self) -> dict:
        c = self.config
        out = {"model_a": str(self.model_a), "model_b": str(self.model_b), "template": self.template,
               "task": self.task, "selection": self.selection, "seed": self.seed,
               "examples_file": self.examples_file,
               "config": {"temperature": c.temperature, "seed": c.seed, "max_output_tokens": c.max_output_tokens,
                          "thinking_budget": c.thinking_budget}}
        if not self.rule.is_default:
            out["scoring"] = self.rule.to_dict()
        if self.samples > 1:
            out["samples"] = self.samples
        return out


@dataclass
class EvalResult:
    """A finished (or cancelled) evaluation: its record, rows, scorecard and what the requests cost."""

    run: EvalRun
    rows: list[RunRow]
    scorecard: Scorecard | None
    predictions: Predictions | None = None
    resumed: bool = False


def choose_examples(dataset: Dataset, split: str = AUTO, ids: Iterable[int] | None = None) -> tuple[pl.DataFrame, str]:
    """The active examples to evaluate and how they were chosen, in words.

    ``ids`` (a filter's result) wins; else ``split``: a split name, ``all``, or ``auto`` (test when there are
    test examples, else validation, else every example)."""
    frame = dataset.active()
    if ids is not None:
        wanted = list(ids)
        return frame.filter(pl.col("id").is_in(wanted)), f"{len(wanted):,} chosen examples"
    if split == AUTO:
        for name in (Split.TEST.value, Split.VALIDATION.value):
            part = frame.filter(pl.col("split") == name)
            if part.height:
                return part, f"{name} split"
        return frame, "every example (no test or validation split)"
    if split == "all":
        return frame, "every example"
    if split not in {s.value for s in Split}:
        raise CuratorError(f"split must be train, validation, test, all or auto, not {split!r}")
    return frame.filter(pl.col("split") == split), f"{split} split"


def build_rows(examples: pl.DataFrame, template: str | None, leaked: set[int] = frozenset()) -> list[RunRow]:
    """One row per example with the prompt both models get: the input put into the template when there is
    one (an input that cannot be put into it is sent as it is)."""
    parsed = parse_template(template) if template else None
    rows = []
    for position, ex in enumerate(examples.select("id", "split", "text_input", "system", "output").iter_rows()):
        example_id, split, text_input, system, output = ex
        text_input = text_input or ""
        prompt = text_input
        if parsed is not None:
            try:
                prompt = parsed.apply(text_input)
            except CuratorError:
                pass
        rows.append(RunRow(position, example_id, split, text_input, prompt, system, output or "",
                           leaked=example_id in leaked))
    return rows


def leaked_ids(dataset: Dataset, workspace: Workspace | None, settings: Settings,
               other: Dataset | None = None) -> set[int]:
    """Validation and test examples with a train twin (the leakage scan, cached in the workspace); with
    ``other``, the ids of ``other``'s examples with a twin among ``dataset``'s train examples."""
    from curator.core.dedupe.scan import scan_leakage
    from curator.core.dedupe.store import DedupeStore

    params = dict(field="text_input" if settings.near_dup_field == "both" else settings.near_dup_field,
                  threshold=settings.near_dup_threshold, scorer=settings.near_dup_scorer,
                  compare=settings.near_dup_compare, template=settings.template,
                  max_chars=settings.near_dup_max_chars)
    if other is not None:  # one dataset of this one's train examples and the other's, as test examples
        from curator.core.model import records_frame

        train = dataset.active().filter(pl.col("split") == Split.TRAIN.value)
        theirs = other.active()
        texts = train["text_input"].to_list() + theirs["text_input"].to_list()
        splits = [Split.TRAIN.value] * train.height + [Split.TEST.value] * theirs.height
        combined = Dataset.from_records(records_frame({"text_input": texts, "output": [""] * len(texts),
                                                       "split": splits}))
        ids = theirs["id"].to_list()
        return {ids[leak.eval_id - train.height] for leak in scan_leakage(combined, **params).leaks}
    if workspace is None:
        return {leak.eval_id for leak in scan_leakage(dataset, **params).leaks}
    store = DedupeStore(workspace)
    scan, _ = store.leakage(dataset, **params)
    return {leak.eval_id for leak in store.leaks(dataset, scan)}


def evaluate(
    workspace: Workspace,
    spec: EvalSpec,
    rows: list[RunRow],
    backend_for: Callable[[str], Backend],
    *,
    dataset_path: str | Path | None = None,
    dataset_version: str | None = None,
    outputs_for_task: list[str] | None = None,
    max_distinct: int = 100,
    concurrency: int = DEFAULT_CONCURRENCY,
    rpm: float | None = None,
    progress: ProgressFn | None = None,
    cancel: Cancel | None = None,
    batch: bool = False,
    poll: float = 30.0,
    partial: Callable[[list[RunRow], str], None] | None = None,
    partial_every: float = 1.0,
    estimate: dict | None = None,
) -> EvalResult:
    """Run ``spec`` on ``rows`` (from ``build_rows``) and keep the run. ``outputs_for_task`` (e.g. every
    output of the dataset) detects the task more surely than the evaluated examples alone. ``batch`` sends
    the requests of backends with a Batch API as batch jobs polled every ``poll`` seconds. ``partial(rows,
    task)`` receives, at most every ``partial_every`` seconds while the run goes on, copies of the rows
    that have both answers so far (to review them before the end). ``estimate`` (``CostEstimate.to_dict``,
    made before the run) is kept with the run's metrics, beside the tokens the answers used."""
    if not rows:
        raise CuratorError("no examples to evaluate")
    if spec.samples < 1:
        raise CuratorError("samples must be at least 1")
    if batch and spec.samples > 1:
        raise CuratorError("a batch job asks each model once per example: use --samples without --batch")
    runs = Runs(workspace)
    spec_dict = spec.to_dict() | {"examples": len(rows)}
    run = runs.unfinished(spec_dict, dataset_path, dataset_version)
    resumed = run is not None
    if run is None:
        run = runs.create(spec_dict, dataset_path, dataset_version, rows)
    else:
        rows = runs.rows(run.id)
    task = task_for(spec.task, outputs_for_task or [r.expected for r in rows], max_distinct)
    requests = []
    for config in spec.sample_configs():
        for row in rows:
            requests.append(Request(spec.model_a, row.prompt, row.system, config))
            requests.append(Request(spec.model_b, row.prompt, row.system, config))
    answered = _PartialRows(rows, task, partial, partial_every) \
        if partial is not None and spec.samples == 1 else None
    predictions = predict(requests, spec.config, PredictionCache(workspace), backend_for, concurrency=concurrency,
                          rpm=rpm, progress=progress, cancel=cancel, batch=batch, poll=poll, answered=answered)
    _take_answers(rows, predictions.outcomes, spec.samples)
    if not predictions.cancelled and spec.rule.match == "judge":
        predictions = _judge(rows, spec, backend_for, workspace, predictions, concurrency, rpm, progress, cancel)
    runs.store_outputs(run.id, rows)
    if predictions.cancelled:
        runs.finish(run.id, CANCELLED, None)
        return EvalResult(runs.get(run.id), rows, None, predictions, resumed)
    runs.reuse_verdicts(runs.get(run.id), rows)
    card = score_rows(rows, task, spec.seed, spec.rule)
    runs.finish(run.id, DONE, card.metrics | {"requests": predictions.requests, "seconds": predictions.seconds,
                                              "stopped": predictions.stopped, "tokens": token_usage(predictions),
                                              "asked": token_usage(predictions, asked_only=True)}
                | ({"estimate": estimate} if estimate else {}))
    return EvalResult(runs.get(run.id), rows, card, predictions, resumed)


def _take_answers(rows: list[RunRow], outcomes: list, samples: int) -> None:
    """Each row's answers: with one sample, as they came; with several, every answer kept and the most common
    one (after normalising) taken as the row's answer."""
    n = len(rows)
    for i, row in enumerate(rows):
        for side, offset in (("a", 0), ("b", 1)):
            got = [outcomes[s * 2 * n + 2 * i + offset] for s in range(samples)]
            if samples == 1:
                set_outcome(row, side, got[0])
                continue
            texts = [o.text if o else None for o in got]
            setattr(row, f"samples_{side}", texts)
            text = majority(texts)
            error = None if text is not None else next((o.error for o in got if o and o.error), None)
            setattr(row, f"output_{side}", text)
            setattr(row, f"error_{side}", error)
            chosen = next((o.generation for o in got if o and o.generation and o.text == text), None)
            setattr(row, f"finish_{side}", chosen.finish_reason if chosen else None)


def majority(texts: list[str | None]) -> str | None:
    """The most common answer after normalising (ties: the one given first); None when none came."""
    from curator.core.evaluation.scoring import normalise_answer

    given = [t for t in texts if t is not None]
    if not given:
        return None
    keys = normalise_answer(pl.Series(given, dtype=pl.String)).to_list()
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    best = max(counts.values())
    return next(t for t, k in zip(given, keys) if counts[k] == best)


def _judge(rows: list[RunRow], spec: EvalSpec, backend_for, workspace: Workspace, predictions: Predictions,
           concurrency: int, rpm: float | None, progress, cancel) -> Predictions:
    """Ask the rule's judge model about every answer (through the same backends and cache) and keep its
    verdicts with the rows; the returned predictions count the judge's requests too."""
    from curator.core.evaluation.rules import judge_prompt, read_judgement

    judge = ModelRef.parse(spec.rule.judge)
    asked = []
    requests = []
    for row in rows:
        for side in ("a", "b"):
            answer = getattr(row, f"output_{side}")
            if answer is not None:
                asked.append((row, side))
                requests.append(Request(judge, judge_prompt(spec.rule, row.text_input, row.expected, answer)))
    config = GenerationConfig(temperature=0.0, seed=spec.config.seed, max_output_tokens=256)
    staged = None if progress is None else (lambda p: progress(replace(p, stage=f"the judge {judge} grades")))
    judged = predict(requests, config, PredictionCache(workspace), backend_for, concurrency=concurrency, rpm=rpm,
                     progress=staged, cancel=cancel)
    for (row, side), outcome in zip(asked, judged.outcomes):
        if outcome is None:
            continue
        verdict, reason = read_judgement(outcome.text) if outcome.text is not None else (None, outcome.error or "")
        setattr(row, f"judge_{side}", [verdict, reason])
    stopped = predictions.stopped | {f"{k} (judge)": v for k, v in judged.stopped.items()}
    return Predictions(predictions.outcomes, judged.cancelled, predictions.requests + judged.requests,
                       predictions.seconds + judged.seconds, stopped)


def set_outcome(row: RunRow, side: str, outcome: Outcome | None) -> None:
    """Put one side's answer (or failure) into a row."""
    generation = outcome.generation if outcome else None
    setattr(row, f"output_{side}", generation.text if generation else None)
    setattr(row, f"error_{side}", outcome.error if outcome else None)
    setattr(row, f"finish_{side}", generation.finish_reason if generation else None)


class _PartialRows:
    """Collects answers as they come and hands copies of the rows with both answers to ``partial``."""

    def __init__(self, rows: list[RunRow], task: str, partial: Callable[[list[RunRow], str], None],
                 every: float) -> None:
        self.rows = [replace(row) for row in rows]
        self.task, self.partial, self.every = task, partial, every
        self.have = [0] * len(rows)  # bit 1: A answered, bit 2: B answered
        self.complete: list[int] = []
        self.last = 0.0

    def __call__(self, indices: list[int], outcome) -> None:
        for i in indices:
            position, side = divmod(i, 2)
            set_outcome(self.rows[position], "ab"[side], outcome)
            before = self.have[position]
            self.have[position] |= 1 << side
            if before != 3 and self.have[position] == 3:
                self.complete.append(position)
        now = time.monotonic()
        if self.complete and now - self.last >= self.every:
            self.last = now
            self.partial([replace(self.rows[p]) for p in sorted(self.complete)], self.task)


def score_rows(rows: list[RunRow], task: str, seed: int = 0, rule: ScoringRule | None = None) -> Scorecard:
    """The scorecard of a run's rows by ``rule`` (people's verdicts, the judge's and samples included), with
    how many answers of each side were cut at the max output tokens."""
    judged = rule is not None and rule.match == "judge"
    card = build_scorecard([r.expected for r in rows], [r.output_a for r in rows], [r.output_b for r in rows], task,
                           leaked=[r.leaked for r in rows], human_a=[r.human_a for r in rows],
                           human_b=[r.human_b for r in rows], seed=seed, rule=rule,
                           judged_a=[(r.judge_a or [None])[0] for r in rows] if judged else None,
                           judged_b=[(r.judge_b or [None])[0] for r in rows] if judged else None,
                           samples_a=[r.samples_a for r in rows] if rows and rows[0].samples_a else None,
                           samples_b=[r.samples_b for r in rows] if rows and rows[0].samples_b else None)
    card.metrics["truncated"] = {side: sum(r.truncated(side) for r in rows) for side in SIDES}
    return card


def rule_of(run: EvalRun) -> ScoringRule:
    """The scoring rule a run was scored by."""
    return ScoringRule.from_dict(run.spec.get("scoring"))


def token_usage(predictions: Predictions, *, asked_only: bool = False) -> dict[str, dict[str, int]]:
    """Tokens each side's answers used (cached ones included, unless ``asked_only``: the answers asked for in
    this run, what the estimate before it priced): prompt, output and thinking."""
    usage = {side: {"prompt": 0, "output": 0, "thinking": 0} for side in SIDES}
    for i, outcome in enumerate(predictions.outcomes):
        generation = outcome.generation if outcome else None
        if generation is None or (asked_only and outcome.cached):
            continue
        side = usage[SIDES[i % 2]]
        side["prompt"] += generation.prompt_tokens or 0
        side["output"] += generation.output_tokens or 0
        side["thinking"] += generation.thinking_tokens or 0
    return usage


def load_run(workspace: Workspace, run_id: str) -> EvalResult:
    """A kept run with its rows and its scorecard recomputed (people's verdicts included)."""
    runs = Runs(workspace)
    run = runs.get(run_id)
    rows = runs.rows(run.id)
    runs.reuse_verdicts(run, rows)
    card = None
    if run.metrics is not None:
        card = score_rows(rows, run.metrics["task"], run.spec.get("seed", 0), rule_of(run))
    return EvalResult(run, rows, card)


def record_verdict(workspace: Workspace, result: EvalResult, position: int, side: str, verdict: int | None) -> EvalResult:
    """Keep a person's verdict with the run and rescore it (the stored metrics follow)."""
    runs = Runs(workspace)
    runs.set_verdict(result.run.id, position, side, verdict)
    row = result.rows[position]
    setattr(row, f"human_{side}", verdict)
    setattr(row, f"reused_{side}", False)
    if result.run.metrics is None:
        return result
    card = score_rows(result.rows, result.run.metrics["task"], result.run.spec.get("seed", 0), rule_of(result.run))
    kept = {k: v for k, v in result.run.metrics.items()
            if k in ("requests", "seconds", "stopped", "tokens", "asked", "estimate")}
    runs.set_metrics(result.run.id, card.metrics | kept)
    return EvalResult(runs.get(result.run.id), result.rows, card, result.predictions, result.resumed)


def rescore(workspace: Workspace, result: EvalResult, rule: ScoringRule) -> EvalResult:
    """Score a kept run again by another rule (not a judge rule: that asks a model) and keep the rule and
    the metrics with the run."""
    if rule.match == "judge" and rule_of(result.run).judge != rule.judge:
        raise CuratorError("a judge rule asks the judge model: evaluate again to use it")
    if result.run.metrics is None:
        raise CuratorError("the run has no scores (it was cancelled before the end)")
    runs = Runs(workspace)
    spec = {k: v for k, v in result.run.spec.items() if k != "scoring"}
    if not rule.is_default:
        spec["scoring"] = rule.to_dict()
    runs.set_spec(result.run.id, spec)
    card = score_rows(result.rows, result.run.metrics["task"], spec.get("seed", 0), rule)
    kept = {k: v for k, v in result.run.metrics.items() if k in ("requests", "seconds", "stopped")}
    runs.set_metrics(result.run.id, card.metrics | kept)
    return EvalResult(runs.get(result.run.id), result.rows, card, result.predictions, result.resumed)
