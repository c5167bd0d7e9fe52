"""Snapshots of the main screen, the editor, the help screen and the frequency screen at 80×24 and 120×40.

Review changes in snapshot_report.html, then accept them with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from curator.core.backends import Backend, BackendInfo, Hyperparameters, JobState, JobStatus, LossPoint, ModelInfo
from curator.core.backends.prepare import Preparation
from curator.core.settings import Settings
from curator.tui.app import CuratorApp
from tests.tui.helpers import FIXTURES, settle, until_main

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture
def app(tmp_path: Path) -> CuratorApp:
    path = tmp_path / "classification.jsonl"
    shutil.copyfile(FIXTURES / "classification.jsonl", path)
    return CuratorApp(path, settings=Settings(), run_slow_checks=False, theme="textual-dark")


def opened(*keys: str):
    async def run_before(pilot) -> None:
        await until_main(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)  # a worker replaced by a newer one of its group (the tuning estimate) is no failure

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("j", "j", "s", "j"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_main_screen_with_templated_inputs(snap_compare, tmp_path, size):
    path = tmp_path / "template_deviations.jsonl"
    shutil.copyfile(FIXTURES / "template_deviations.jsonl", path)
    app = CuratorApp(path, settings=Settings(), run_slow_checks=False, theme="textual-dark")
    assert snap_compare(app, run_before=opened("j"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_eval_form_with_its_model_list(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("E", "f2"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_editor(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("j", "e"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("question_mark"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_frequency_screen(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("F"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_findings_screen(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("exclamation_mark"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_duplicates_screen(snap_compare, tmp_path, size):
    path = tmp_path / "dups.jsonl"
    shutil.copyfile(FIXTURES / "qa_context.jsonl", path)
    app = CuratorApp(path, settings=Settings(near_dup_threshold=80), run_slow_checks=False, theme="textual-dark")
    assert snap_compare(app, run_before=opened("D"), terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_tuning_screen(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("ctrl+t"), terminal_size=SIZES[size])


class StillRunning(Backend):
    """A backend whose one job is always at epoch 3 of 5 with the same losses: a stable picture."""

    info = BackendInfo("local", "Fixed", "nothing", honours=frozenset({"epochs", "batch_size", "learning_rate",
                                                                       "display_name"}))
    description = "a test double with a fixed running job"

    def list_models(self):
        return [ModelInfo("base-1", "base-1", can_tune=True)]

    def prepare(self, *args, **kwargs):
        raise NotImplementedError

    def start_job(self, prepared, base_model, hp):
        return "job-0001"

    def status(self, job_id):
        loss = [LossPoint(0, 2.1, 2.2), LossPoint(1, 1.4, 1.6), LossPoint(2, 0.9, 1.2), LossPoint(3, 0.6, 1.1)]
        return JobStatus(job_id, "local", JobState.RUNNING, progress=0.6, epoch=3, total_epochs=5, step=258,
                         total_steps=430, loss=loss, display_name="tickets-v1", base_model="base-1",
                         stats={"train examples": 341, "validation examples": 42})

    def cancel(self, job_id):
        raise NotImplementedError

    def list_jobs(self):
        return []

    def generate(self, model, prompt, config=None, *, system=None):
        raise NotImplementedError

    async def agenerate(self, model, prompt, config=None, *, system=None):
        raise NotImplementedError


@pytest.mark.parametrize("size", SIZES)
def test_tuning_screen_with_a_running_job(snap_compare, tmp_path, size):
    path = tmp_path / "classification.jsonl"
    shutil.copyfile(FIXTURES / "classification.jsonl", path)
    app = CuratorApp(path, settings=Settings(), run_slow_checks=False, theme="textual-dark",
                     backend_factory=lambda name: StillRunning())

    async def run_before(pilot) -> None:
        await until_main(pilot)
        empty = pl.DataFrame({"text_input": [], "output": [], "system": []}, schema=dict.fromkeys(
            ("text_input", "output", "system"), pl.String))
        pilot.app.jobs().start("local", Preparation("local", empty, empty), "base-1",
                               Hyperparameters(display_name="tickets-v1"))
        await pilot.press("ctrl+t")
        for _ in range(100):
            await pilot.pause(0.05)
            screen = pilot.app.screen
            if getattr(screen, "statuses", None) and screen.statuses["job-0001"].loss:
                break
        await pilot.pause(0.3)

    assert snap_compare(app, run_before=run_before, terminal_size=SIZES[size])


@pytest.mark.parametrize("size", SIZES)
def test_playground_screen(snap_compare, app, size):
    from curator.tui.screens.playground import Answer

    def generate(ref, prompt, config, system=None):  # local-echo's answer, with a fixed latency for a stable picture
        return Answer(prompt if ref.model == "local-echo" else "positive", 0.042, 12, 3)

    app.generate_answer = generate

    async def run_before(pilot) -> None:
        await until_main(pilot)
        await pilot.press("p")
        await pilot.pause()
        pilot.app.screen.query_one("#model-b").value = "local:local-model-demo"
        await pilot.press("ctrl+r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=SIZES[size])


def fixed_review_result(workspace_folder: Path):
    """A scored run with fixed ids and answers: wins, a regression, both wrong, a leak and a failed request."""
    from curator.core.evaluation.evaluate import EvalResult
    from curator.core.evaluation.runs import EvalRun, RunRow
    from curator.core.evaluation.scorecard import build_scorecard

    cases = [("I love this phone", "positive", "I love this phone", "positive"),
             ("Terrible service", "negative", "Terrible service", "negative"),
             ("Arrived on Tuesday", "neutral", "neutral", "positive"),
             ("Best purchase this year", "positive", "Best purchase this year", "positive"),
             ("Screen cracked in a week", "negative", "Screen cracked", "neutral"),
             ("It is a phone", "neutral", "It is a phone", None),
             ("Great value, fast delivery", "positive", "positive", "positive"),
             ("Would not buy again", "negative", "Would not buy again", "negative")]
    rows = [RunRow(i, 10 + i, "test", text, text, None, expected, a, b, None, None if b else "quota: retry later",
                   leaked=i == 3) for i, (text, expected, a, b) in enumerate(cases)]
    card = build_scorecard([r.expected for r in rows], [r.output_a for r in rows], [r.output_b for r in rows],
                           "classification", leaked=[r.leaked for r in rows], resamples=200)
    spec = {"model_a": "local:local-echo", "model_b": "local:local-model-demo", "template": None,
            "config": {"temperature": 0.0, "seed": 42, "max_output_tokens": 256, "thinking_budget": None},
            "selection": "test split", "seed": 0, "task": None, "examples": len(rows)}
    run = EvalRun("0123456789ab", 1_790_000_000.0, 1_790_000_060.0, "done", str(workspace_folder), "v1", spec,
                  card.metrics)
    return EvalResult(run, rows, card)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", ["examples", "summary"])
def test_review_screen(snap_compare, app, size, view):
    from curator.core.storage.workspace import Workspace
    from curator.tui.screens.review import ReviewScreen

    async def run_before(pilot) -> None:
        await until_main(pilot)
        workspace = Workspace(pilot.app.path.parent / ".curator")
        await pilot.app.push_screen(ReviewScreen(workspace, result=fixed_review_result(pilot.app.path.parent)))
        await pilot.pause()
        await pilot.press("j", "j", *(["m"] if view == "summary" else []))
        await pilot.pause(0.2)

    assert snap_compare(app, run_before=run_before, terminal_size=SIZES[size])
