"""One evaluation plan for every face. The CLI and the app gather a person's choices (an ``EvalChoice``);
``plan_evaluation`` turns them into what ``evaluate`` runs, the same way for both: which examples (a split, the
table's view, or every example of another file), the prompts (the template applied), the leakage marks, the
dataset version, the scoring rule (the settings', with the choice's overrides) and the task.

    plan = plan_evaluation(dataset, path, workspace, settings, choice)   # quick: validates, chooses examples
    plan.prepare()        # slow (a worker's job): reads another file, scans for leakage, builds the rows
    result = plan.run(backend_for, concurrency=8, progress=..., cancel=...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from curator.core.backends.base import GenerationConfig
from curator.core.errors import CuratorError
from curator.core.evaluation.evaluate import AUTO, EvalResult, EvalSpec, build_rows, choose_examples, evaluate, \
    leaked_ids
from curator.core.evaluation.rules import ScoringRule, rule_from_settings
from curator.core.model import Split
from curator.core.models import ModelRef

if TYPE_CHECKING:
    import polars as pl

    from curator.core.dataset import Dataset
    from curator.core.formats.base import FormatOptions
    from curator.core.evaluation.runs import RunRow
    from curator.core.settings import Settings
    from curator.core.storage.workspace import Workspace


@dataclass(frozen=True)
class EvalChoice:
    """What a person chose, from the command line or the evaluation form."""

    model_a: ModelRef
    model_b: ModelRef
    config: GenerationConfig = field(default_factory=GenerationConfig)
    template: str | None = None  # the production template (None: inputs as they are)
    task: str | None = None  # None: the settings' task type, else detected
    split: str = AUTO  # auto, all, train, validation or test
    ids: tuple[int, ...] | None = None  # these examples (the table's view) instead of a split
    other_file: str | None = None  # every example of this file instead (leakage against the train split)
    other_format: str | None = None
    other_options: FormatOptions | None = None
    rule: ScoringRule | None = None  # the rule chosen (the app's form); None: the settings' rule with the
    extract: str | None = None  # overrides given here (the command line)
    match: str | None = None
    rubric: str | None = None
    samples: int = 1


@dataclass
class EvalPlan:
    """A chosen evaluation, ready to prepare and run."""

    choice: EvalChoice
    spec: EvalSpec
    dataset: Dataset
    dataset_path: Path
    workspace: Workspace
    settings: Settings
    examples: pl.DataFrame | None  # None until prepared when the examples come from another file
    rows: list[RunRow] | None = None
    dataset_version: str | None = None

    @property
    def selection(self) -> str:
        return self.spec.selection

    @property
    def trained(self) -> int:
        """How many of the prepared rows are train examples (a tuned model learned from them)."""
        if self.choice.other_file or self.rows is None:
            return 0
        return sum(1 for r in self.rows if r.split == Split.TRAIN.value)

    def prepare(self) -> list[RunRow]:
        """Read the other file (when chosen), mark leaked examples and build the rows: the slow part."""
        if self.choice.other_file:
            from curator.core.session import Session

            with Session.open(self.choice.other_file, self.choice.other_format, self.choice.other_options,
                              read_only=True, allow_skipped=True) as other:
                self.examples = other.dataset.active()
                self.dataset_version = other.dataset.version_hash()
                leaked = leaked_ids(self.dataset, self.workspace, self.settings, other.dataset)
        else:
            self.dataset_version = self.dataset.version_hash()
            leaked = leaked_ids(self.dataset, self.workspace, self.settings)
        if not self.examples.height:
            raise CuratorError("no examples to evaluate")
        self.rows = build_rows(self.examples, self.spec.template, leaked)
        return self.rows

    def estimate(self, *, batch: bool = False):
        """Tokens and price of the run before it runs (``CostEstimate``): prompts and expected outputs of the
        chosen examples (prepared or not: no leakage scan needed), for A and B (a tuned model priced as its
        base model)."""
        import polars as pl

        from curator.core.backends.thinking import thinking_config
        from curator.core.costs import eval_estimate

        if self.rows is None and self.examples is None:
            self.prepare()
        rows = self.rows if self.rows is not None else build_rows(self.examples, self.spec.template)
        prompts = pl.DataFrame({"prompt": [r.prompt for r in rows], "system": [r.system for r in rows],
                                "expected": [r.expected for r in rows]},
                               schema={"prompt": pl.String, "system": pl.String, "expected": pl.String})
        sides, thinking = [], {}
        for side, ref in (("A", self.choice.model_a), ("B", self.choice.model_b)):
            priced = base_model_of(self.workspace, ref)
            sides.append((f"{side} {ref}", ref.backend, priced))
            try:
                config = thinking_config(priced, self.choice.config.thinking_budget) or {}
            except CuratorError:
                config = {}
            thinking[priced] = max(0, int(config.get("thinking_budget") or 0))
        return eval_estimate(prompts, sides, max_output_tokens=self.choice.config.max_output_tokens,
                             samples=self.choice.samples, thinking=thinking,
                             batch=batch, overrides=self.settings.prices, to_ask=self._to_ask(rows))

    def _to_ask(self, rows: list[RunRow]) -> list[list[int]] | None:
        """For model A and model B, how many requests each row still needs: its answers not in the cache
        (None without a workspace: no cache)."""
        from curator.core.evaluation.cache import PredictionCache, prediction_key

        if self.workspace is None:
            return None
        cache, configs = PredictionCache(self.workspace), self.spec.sample_configs()
        counts = []
        for ref in (self.spec.model_a, self.spec.model_b):
            keys = [[prediction_key(ref.backend, ref.model, r.prompt, c, r.system) for c in configs] for r in rows]
            cached = cache.cached_keys(k for row_keys in keys for k in row_keys)
            counts.append([sum(k not in cached for k in row_keys) for row_keys in keys])
        return counts

    def run(self, backend_for, **options) -> EvalResult:
        """Prepare (unless done) and run the evaluation; ``options`` go to ``evaluate`` (concurrency, rpm,
        progress, cancel, batch, poll, partial, estimate: made here when not given)."""
        if self.rows is None:
            self.prepare()
        if options.get("estimate") is None:
            options["estimate"] = self.estimate(batch=options.get("batch", False)).to_dict()
        return evaluate(self.workspace, self.spec, self.rows, backend_for, dataset_path=self.dataset_path,
                        dataset_version=self.dataset_version,
                        outputs_for_task=self.dataset.active()["output"].to_list(),
                        max_distinct=self.settings.label_max_distinct, **options)


def base_model_of(workspace: Workspace | None, ref: ModelRef) -> str:
    """The model whose price applies to ``ref``: a tuned model's base (from the workspace's jobs), else itself."""
    if workspace is not None:
        from curator.core.tuning import Jobs

        for record in Jobs(workspace).list():
            if record.backend == ref.backend and record.status.tuned_model == ref.model:
                return record.base_model
    return ref.model


def plan_evaluation(dataset: Dataset, dataset_path: str | Path, workspace: Workspace, settings: Settings,
                    choice: EvalChoice) -> EvalPlan:
    """The plan for ``choice`` on ``dataset``; a CuratorError when a choice is invalid or nothing is chosen."""
    problems = choice.config.problems()
    if problems:
        raise CuratorError("; ".join(problems.values()))
    if choice.samples < 1:
        raise CuratorError("samples must be at least 1")
    rule = choice.rule or rule_from_settings(settings, dataset_path, extract=choice.extract, match=choice.match,
                                             rubric=choice.rubric)
    if choice.other_file:
        examples, selection = None, f"every example of {choice.other_file}"
    else:
        examples, selection = choose_examples(dataset, choice.split, choice.ids)
        if not examples.height:
            raise CuratorError("no examples to evaluate")
    spec = EvalSpec(choice.model_a, choice.model_b, choice.config, choice.template,
                    choice.task or settings.task_type, selection,
                    examples_file=str(Path(choice.other_file).resolve()) if choice.other_file else None,
                    rule=rule, samples=choice.samples)
    return EvalPlan(choice, spec, dataset, Path(dataset_path), workspace, settings, examples)
