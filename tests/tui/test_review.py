"""Pilot tests of evaluation in the app: set up, run with progress, review (filters, sort, verdicts kept with
the run, jump to the example, playground, export), reopen a kept run, and cancel a run mid-way."""

from __future__ import annotations

import asyncio

from rich.console import Console

from curator.core.backends import Hyperparameters
from curator.core.backends.base import Generation
from curator.core.backends.local import LocalBackend
from curator.core.evaluation.cache import PredictionCache
from curator.core.evaluation.runs import Runs
from curator.core.session import Session
from curator.core.split import plan_split, split_op
from curator.core.storage.models import ModelStore
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs
from curator.tui.screens.compare import CompareScreen, comparison_table
from curator.tui.screens.main import MainScreen
from curator.tui.screens.playground import PlaygroundScreen
from curator.tui.screens.prompts import AskScreen, ChoicePrompt, TextPrompt
from curator.tui.screens.eval_setup import EvalSetupScreen
from curator.tui.screens.review import ReviewScreen
from curator.tui.widgets.eval_summary import paired_text
from curator.tui.widgets.verdict_table import VerdictTable
from tests.tui.helpers import copy_fixture, evaluate, make_app, until_main, wait_for

SIZE = (120, 40)


def tuned_fixture(tmp_path) -> tuple:
    """tickets.jsonl split 70/30 and a local model tuned on it (in the workspace, as the app finds it)."""
    path = copy_fixture(tmp_path, "tickets.jsonl")
    with Session.open(path) as session:
        session.apply(split_op(plan_split(session.dataset, 0.0, 0.3, seed=3)))
        session.save()
        jobs = Jobs(session.workspace)
        hp = Hyperparameters(epochs=15, learning_rate=0.1)
        prepared = jobs.backend("local").prepare(session.dataset, hp, skip_slow_checks=True)
        tuned = jobs.wait(jobs.start("local", prepared, "local-echo", hp), interval=0.05).tuned_model
        jobs.close()
    return path, tuned


async def run_evaluation(pilot) -> ReviewScreen:
    await until_main(pilot)
    return await evaluate(pilot)


async def test_evaluate_then_review_filters_verdicts_jump_and_export(tmp_path):
    path, tuned = tuned_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await run_evaluation(pilot)
        run = screen.result.run
        assert (run.model_a, run.model_b) == ("local:local-echo", f"local:{tuned}")
        table = screen.query_one(VerdictTable)
        assert len(table.positions) == 36  # the test split
        assert "accuracy: A 0.0 · B" in str(screen.query_one("#rv-headline").render())
        await pilot.press("3")  # improvements: the untuned base is wrong everywhere
        improvements = len(table.positions)
        assert improvements >= 30 and screen.filter_name == "improvements"
        await pilot.press("2")  # regressions: none
        assert len(table.positions) == 0
        assert "no example" in screen.query_one("#rv-input").border_title
        await pilot.press("1", "o", "o", "o")  # sort by B - A: B's worst first
        card = screen.result.scorecard
        deltas = [card.b.similarity[p] - card.a.similarity[p] for p in table.positions]
        assert deltas == sorted(deltas)

        await pilot.press("o", "j")  # back to run order, second example
        position = table.current
        example_id = screen.result.rows[position].example_id
        await pilot.press("a")  # a person says A's answer is right after all
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        stored = Runs(Workspace.for_dataset(path)).rows(run.id)[position]
        assert stored.human_a == 1
        assert screen.result.scorecard.right_a[position]
        assert Runs(Workspace.for_dataset(path)).get(run.id).metrics["judged"]["verdicts"] == 1
        assert "(yours)" in screen.query_one("#rv-a").border_title
        await pilot.press("a", "a")  # right -> wrong -> automatic again
        await pilot.app.workers.wait_for_complete()
        assert Runs(Workspace.for_dataset(path)).rows(run.id)[position].human_a is None

        await pilot.press("m")  # the summary
        assert screen.query_one("ContentSwitcher").current == "rv-summary"
        shown = Console(record=True, width=120)
        shown.print(screen.query_one("#summary-metrics").content)
        assert "macro F1" in shown.export_text()
        await pilot.press("m")

        await pilot.press("x")  # export the report
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one("Input").value = str(tmp_path / "report")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "report" / "report.md").read_text().startswith("# Evaluation: local:local-echo vs")
        (tmp_path / "report" / "report.md").write_text("my notes")
        await pilot.press("x")  # the same folder again: asked before anything is overwritten
        await pilot.pause()
        app.screen.query_one("Input").value = str(tmp_path / "report")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen) and "report.md" in app.screen.message
        assert (tmp_path / "report" / "report.md").read_text() == "my notes"
        await pilot.press("o")  # overwrite
        await pilot.pause()
        assert (tmp_path / "report" / "report.md").read_text().startswith("# Evaluation: local:local-echo vs")

        await pilot.press("p")  # the playground with this example's input and both models
        await pilot.pause()
        assert isinstance(app.screen, PlaygroundScreen)
        assert app.screen.query_one("#input").text == screen.result.rows[position].text_input
        assert app.screen.query_one("#model-b").value == f"local:{tuned}"
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("enter")  # jump to the example in the table
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        assert main.table.current.id == example_id

        await pilot.press("R")  # the kept run opens again in the review
        await pilot.pause()
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")
        await pilot.pause()
        reopened = app.screen
        assert isinstance(reopened, ReviewScreen) and reopened.result.run.id == run.id
        assert len(reopened.query_one(VerdictTable).positions) == 36

        await pilot.press("escape")  # a second run (every answer from the cache), compared with the first
        await pilot.pause()
        second = await run_evaluation(pilot)
        assert second.result.predictions.requests == 0 and second.result.run.id != run.id
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")
        await pilot.pause()
        compared = app.screen
        assert isinstance(compared, CompareScreen)
        assert comparison_table(compared.changes).row_count >= 5 and compared.changes.notes == []
        assert compared.changes.older.run.id == run.id and compared.changes.flips == []


class Slow(LocalBackend):
    """The local backend answering after a pause, counting requests (to cancel a run mid-way)."""

    requests = 0
    pause = 0.05

    async def agenerate(self, model, prompt, config=None, *, system=None) -> Generation:
        Slow.requests += 1
        await asyncio.sleep(Slow.pause)
        return Generation(prompt.upper(), model)


async def test_a_cancelled_run_keeps_its_answers_and_resumes(tmp_path):
    path, tuned = tuned_fixture(tmp_path)
    Slow.requests, Slow.pause = 0, 1.0  # 72 answers, 8 at a time: about 9 s in all (room to cancel under load)
    app = make_app(path, backend_factory=lambda name: Slow(ModelStore(Workspace.for_dataset(path))))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("E")
        await pilot.pause()
        await pilot.press("ctrl+r")
        screen = app.screen
        table = screen.query_one(VerdictTable)
        # the examples answered so far are listed, scored, while the run goes on
        await wait_for(pilot, lambda: len(table.positions) > 0)
        assert screen.running and "answered so far" in str(screen.query_one("#rv-title").render())
        assert "(so far)" in str(screen.query_one("#rv-headline").render())
        assert all(r.output_a is not None and r.output_b is not None for r in table.rows)
        await pilot.press("a")  # no verdicts before the run is kept
        assert all(r.human_a is None for r in table.rows)
        await pilot.press("ctrl+c")
        await wait_for(pilot, lambda: not screen.running)
        assert "cancelled" in str(screen.query_one("#rv-title").render())
        assert len(table.positions) > 0  # what was answered stays on screen
        asked = Slow.requests
        kept = len(PredictionCache(Workspace.for_dataset(path)))
        assert 0 < kept <= asked < 72
        assert Runs(Workspace.for_dataset(path)).list()[0].state == "cancelled"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

        Slow.pause = 0.01
        screen = await run_evaluation(pilot)  # the same evaluation again: it resumes
        assert screen.result.resumed
        assert sum(1 for o in screen.result.predictions.outcomes if o.cached) == kept
        assert Slow.requests - asked == 72 - kept  # only the answers still missing were asked for
        assert len(Runs(Workspace.for_dataset(path)).list()) == 1


async def test_evaluate_gemini_models_through_the_fake_server(tmp_path):
    from curator.core.backends.gemini_api import GeminiApiBackend
    from curator.core.backends.retry import RetryPolicy
    from curator.testing.fake_google import FakeGoogle

    path, _ = tuned_fixture(tmp_path)
    no_wait = RetryPolicy(attempts=3, sleep=lambda s: None, asleep=lambda s: asyncio.sleep(0))
    with FakeGoogle(faults={5: 429, 9: 500}.get, retry_delay=0.01) as fake:
        def factory(name):
            if name == "gemini-api":
                return GeminiApiBackend("AIzaSy-fake-review-key", base_url=fake.url, retry=no_wait, env={})
            return LocalBackend(ModelStore(Workspace.for_dataset(path)))

        app = make_app(path, backend_factory=factory)
        async with app.run_test(size=SIZE) as pilot:
            await until_main(pilot)
            await pilot.press("E")
            await pilot.pause()
            setup = app.screen
            setup.query_one("#eval-a").value = "gemini-api:gemini-2.5-flash"
            setup.query_one("#eval-b").value = "gemini-api:gemini-2.5-pro"
            await pilot.press("ctrl+r")
            screen = app.screen
            await wait_for(pilot, lambda: screen.result is not None and not screen.running)
            await pilot.pause()
            result = screen.result
            assert result.scorecard is not None and result.scorecard.metrics["failed"] == {"a": 0, "b": 0}
            assert fake.generations == 72 + 2  # the 429 and the 500 were retried, nothing else asked twice
            row = result.rows[screen.query_one(VerdictTable).current]
            assert row.output_a == f"gemini-2.5-flash: {row.prompt}"
            assert "gemini-api:gemini-2.5-pro" in screen.query_one("#rv-b").border_title


async def test_evaluate_another_file_from_the_app(tmp_path):
    path, tuned = tuned_fixture(tmp_path)
    other = tmp_path / "fresh.jsonl"
    other.write_text('{"text_input": "My invoice shows the wrong amount", "output": "billing"}\n'
                     '{"text_input": "The courier never rang the bell", "output": "shipping"}\n'
                     '{"text_input": "I cannot sign in since the reset", "output": "login"}\n')
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("E")
        await pilot.pause()
        app.screen.query_one("#eval-file").value = str(tmp_path / "missing.jsonl")
        await pilot.press("ctrl+r")
        assert "no such file" in str(app.screen.query_one("#setup-error").render())
        app.screen.query_one("#eval-file").value = str(other)
        await pilot.press("ctrl+r")
        screen = app.screen
        await wait_for(pilot, lambda: screen.result is not None and not screen.running)
        result = screen.result
        assert result.scorecard.metrics["n"] == 3
        assert result.run.spec["examples_file"] == str(other)
        assert [r.text_input for r in result.rows][0] == "My invoice shows the wrong amount"
        await pilot.press("enter")  # its ids are not this dataset's: no jump
        await pilot.pause()
        assert app.screen is screen


async def test_the_eval_form_shows_tokens_and_price_before_the_run(tmp_path):
    path, tuned = tuned_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, EvalSetupScreen))
        form = app.screen
        estimate = form.query_one("#eval-estimate")
        await wait_for(pilot, lambda: "Cost before the run" in str(estimate.render()))
        assert "→ free (runs here)" in str(estimate.render())  # local A and B
        form.query_one("#eval-a").value = "gemini-api:gemini-2.5-flash"
        await wait_for(pilot, lambda: "A gemini-api:gemini-2.5-flash" in str(estimate.render()))
        text = str(estimate.render())
        assert "prompt" in text and "output tokens → ≈ $" in text and "input $0.3" in text
        form.query_one("#eval-batch").value = True
        await wait_for(pilot, lambda: "Batch API: half" in str(estimate.render()))
        form.query_one("#eval-batch").value = False
        form.query_one("#eval-a").value = "local:local-echo"
        await wait_for(pilot, lambda: "A local:local-echo" in str(estimate.render()))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        await wait_for(pilot, lambda: review.result is not None and review.finished)
        metrics = review.result.run.metrics
        assert metrics["estimate"]["lines"][0]["what"] == "A local:local-echo"  # kept with the run
        text = paired_text(metrics | {"tokens": metrics["tokens"], "estimate": metrics["estimate"]}).plain
        assert "used beside the estimate: A " in text and "(estimated " in text
