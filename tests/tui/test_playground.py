"""Pilot tests of the playground: send to two models, the template, history recall, errors in place, saving
the input as an example (undoable), and opening it from a finished job; with the local backend and the
fake Google server."""

from __future__ import annotations

from textual.widgets import Checkbox, Input

from curator.core.backends import Hyperparameters
from curator.tui.screens.playground import HistoryArea, PlaygroundScreen
from curator.tui.screens.prompts import AskScreen
from curator.tui.widgets.detail_pane import TextPanel
from tests.tui.helpers import copy_fixture, make_app, settle, until_main

SIZE = (120, 40)


def answer(screen, slot: str) -> str:
    return str(screen.query_one(f"#answer-{slot}", TextPanel)._body.render())


async def open_playground(pilot) -> PlaygroundScreen:
    await until_main(pilot)
    await pilot.press("p")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, PlaygroundScreen)
    return screen


async def test_send_with_template_and_history(tmp_path):
    app = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_playground(pilot)
        area = screen.query_one("#input", HistoryArea)
        assert area.text.startswith("Classify the ticket.\nquestion:")  # the cursor row's input
        area.text = "raw question only"
        await pilot.pause()
        assert "template: the template has 2 fields" in str(screen.query_one("#prompt").render())
        screen.query_one("#template", Input).value = "Classify the ticket.\\nquestion: {question}"
        await pilot.pause()
        assert screen.final_prompt() == "Classify the ticket.\nquestion: raw question only"
        screen.query_one("#model-b", Input).value = "local:local-echo"
        await pilot.press("ctrl+r")
        await settle(pilot)
        # local-echo answers with the prompt itself: the template was applied identically for both
        assert answer(screen, "a") == answer(screen, "b") == "Classify the ticket.\nquestion: raw question only"
        assert "tokens" in screen.query_one("#answer-a", TextPanel).border_subtitle
        await pilot.press("ctrl+t")  # template off: the input goes as it is
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert answer(screen, "a") == "raw question only"
        assert not screen.query_one("#answer-a", TextPanel).border_subtitle.startswith("cached")
        await pilot.press("ctrl+r")  # the same request again: the evaluations' prediction cache answers
        await settle(pilot)
        assert screen.query_one("#answer-a", TextPanel).border_subtitle.startswith("cached (took")
        area.text = "a second input"
        await pilot.press("ctrl+r")
        await settle(pilot)
        area.move_cursor((0, 0))
        await pilot.press("up")
        assert area.text == "raw question only"
        await pilot.press("down")
        assert area.text == "a second input"
    again = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"))
    async with again.run_test(size=SIZE) as pilot:  # the history is kept in the workspace
        screen = await open_playground(pilot)
        assert screen.history == ["raw question only", "a second input"]


async def test_errors_are_shown_in_place(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_playground(pilot)
        screen.query_one("#use-template", Checkbox).value = False
        screen.query_one("#model-a", Input).value = "local:no-such-model"
        screen.query_one("#model-b", Input).value = "gemini-api:gemini-2.5-flash"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "no-such-model" in answer(screen, "a")
        assert "GEMINI_API_KEY" in answer(screen, "b") or "key" in answer(screen, "b").lower()


async def test_save_example_with_a_models_output_is_undoable(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_playground(pilot)
        main_count = len(app.session.dataset)
        screen.query_one("#use-template", Checkbox).value = False
        screen.query_one("#input", HistoryArea).text = "brand new input"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, AskScreen)
        await pilot.press("a")  # A's output
        await pilot.pause()
        assert len(app.session.dataset) == main_count + 1
        added = app.session.dataset.frame.row(-1, named=True)
        assert (added["text_input"], added["output"]) == ("brand new input", "brand new input")
        assert app.session.history.labels()[-1] == "save-example"
        await pilot.press("escape")
        await pilot.press("ctrl+z")
        assert len(app.session.dataset) == main_count


async def test_open_from_a_finished_job_compares_base_and_tuned(tmp_path):
    app = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        jobs = app.jobs()
        prepared = jobs.backend("local").prepare(app.session.dataset, Hyperparameters(epochs=2),
                                                  skip_slow_checks=True)
        job = jobs.start("local", prepared, "local-echo", Hyperparameters(epochs=2))
        status = jobs.wait(job, interval=0.05)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("ctrl+o")
        screen = app.screen
        assert isinstance(screen, PlaygroundScreen)
        assert screen.query_one("#model-b", Input).value == f"local:{status.tuned_model}"
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert answer(screen, "b") in {"billing", "technical", "shipping", "refund"}


async def test_playground_against_the_fake_google_server(tmp_path, monkeypatch):
    from curator.testing.fake_google import FakeGoogle

    with FakeGoogle() as fake:
        monkeypatch.setenv("GEMINI_API_KEY", "AIzaSy-fake-playground-key")
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        app = make_app(copy_fixture(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_playground(pilot)
            screen.query_one("#use-template", Checkbox).value = False
            screen.query_one("#input", HistoryArea).text = "III"
            screen.query_one("#model-a", Input).value = "gemini-api:gemini-2.5-flash"
            screen.query_one("#model-b", Input).value = "gemini-api:err-429"
            await pilot.press("ctrl+r")
            await settle(pilot)
            assert answer(screen, "a") and "error" not in screen.query_one("#answer-a", TextPanel).border_subtitle
            assert "quota" in answer(screen, "b").lower()
            assert "AIzaSy-fake-playground-key" not in answer(screen, "b")
            assert fake.calls("POST", "generateContent")
