"""Pilot tests of the tuning screen with the local backend: pre-flight, launch, live status with a loss
curve, cancel with a confirmation, the jobs list after a restart, and backend errors shown in place."""

from __future__ import annotations

import json

from rich.console import Console
from textual.widgets import Input, Select

from curator.core.backends import JobState
from curator.testing.fake_google_jobs import Timing
from curator.tui.screens.prompts import AskScreen
from curator.tui.screens.tuning import TuningScreen
from curator.tui.widgets.job_view import JobView, status_table
from tests.tui.helpers import copy_fixture, make_app, settle, until_main, wait_for

SIZE = (120, 40)


async def wait_until(pilot, condition, tries: int = 600, step: float = 0.05) -> None:  # 30 s: a loaded machine
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(step)
    raise AssertionError("condition not reached")


async def open_tuning(pilot) -> TuningScreen:
    await until_main(pilot)
    await pilot.press("ctrl+t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TuningScreen)
    await wait_until(pilot, lambda: screen.query_one("#base", Select).value is not Select.NULL)
    return screen


async def test_launch_watch_and_resume_after_restart(tmp_path):
    path = copy_fixture(tmp_path, "template_deviations.jsonl")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        screen.query_one("#epochs", Input).value = "3"
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen))
        assert "warning(s)" in app.screen.message and "Launch anyway?" in app.screen.message
        await pilot.press("l")
        await wait_until(pilot, lambda: screen.statuses and all(s.state.terminal for s in screen.statuses.values()))
        (status,) = screen.statuses.values()
        assert status.state is JobState.SUCCEEDED and status.tuned_model
        assert len(status.loss) == 4  # before training, then after each of the 3 epochs
        await pilot.pause(0.1)
        assert screen.query_one("#loss-plot").display
        job_id = status.job_id
    again = make_app(path)
    async with again.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        assert screen.order == [job_id] and screen.statuses[job_id].state is JobState.SUCCEEDED


async def test_invalid_hyperparameters_are_refused_in_place(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        screen.query_one("#epochs", Input).value = "0"
        screen.query_one("#learning_rate", Input).value = "fast"
        screen.query_one("#seed", Input).focus()
        await pilot.press("ctrl+l")
        assert "not a number: learning rate" in str(screen.query_one("#problems").render())
        assert app.focused.id == "learning_rate"  # the field in error, not the next control
        screen.query_one("#learning_rate", Input).value = "0.001"
        await pilot.press("ctrl+l")
        assert "epochs must be between 1 and 100" in str(screen.query_one("#problems").render())
        assert app.focused.id == "epochs"
        assert screen.statuses == {}


async def test_check_errors_block_the_launch(tmp_path):
    path = tmp_path / "tiny.jsonl"
    path.write_text('{"text_input": "a", "output": "b"}\n{"text_input": "c", "output": "d"}\n')
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: "block the launch" in str(screen.query_one("#problems").render()))
        assert "size.too-few" in str(screen.query_one("#problems").render())
        assert screen.statuses == {}


async def test_cancel_asks_and_explains(tmp_path):
    path = tmp_path / "many.jsonl"
    words = ["refund", "invoice", "crash", "login", "parcel", "upgrade", "password", "delivery"]
    path.write_text("".join(json.dumps({"text_input": f"ticket {i}: {words[i % 8]} {words[i * 7 % 8]} {i % 97}",
                                        "output": words[i % 8]}) + "\n" for i in range(3000)))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        screen.query_one("#epochs", Input).value = "100"
        screen.query_one("#batch_size", Input).value = "1"
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, AskScreen))
        await pilot.press("l")
        await wait_until(pilot, lambda: bool(screen.statuses))
        await pilot.press("ctrl+b")
        assert isinstance(app.screen, AskScreen) and "unpredictable" in app.screen.message
        await pilot.press("c")
        await wait_until(pilot, lambda: all(s.state.terminal for s in screen.statuses.values()))
        (status,) = screen.statuses.values()
        assert status.state is JobState.CANCELLED
        console = Console(width=100, record=True)
        console.print(screen.query_one(JobView).query_one("#job-status").content)
        assert "cancelled" in console.export_text()


async def test_gemini_api_backend_explains_it_cannot_tune(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        screen.query_one("#backend", Select).value = "gemini-api"
        await wait_for(pilot, lambda: "gemini-api" in screen.honours)  # its models were asked for
        text = str(screen.query_one("#problems").render())
        assert "GEMINI_API_KEY" in text or "cannot tune" in text or "no model it can tune" in text


async def test_vertex_job_through_the_fake_google_server(tmp_path, monkeypatch):
    from curator.testing.fake_google import FakeGoogle
    from curator.testing.fake_google_jobs import Timing

    with FakeGoogle(timing=Timing(pending=0.2, running=1.0, cancelling=0.2)) as fake:
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
        monkeypatch.setenv("CURATOR_VERTEX_ACCESS_TOKEN", "ya29.fake-token")
        monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", fake.url)
        app = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_tuning(pilot)
            screen.remote_poll = 0.2
            screen.query_one("#backend", Select).value = "vertex"
            await settle(pilot)
            await wait_until(pilot, lambda: screen.query_one("#base", Select).value is not Select.NULL)
            screen.query_one("#gcs_uri", Input).value = "gs://bucket/data/train.jsonl"
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: isinstance(app.screen, AskScreen))
            assert "batch size" in app.screen.message.lower() or "Launch" in app.screen.message
            await pilot.press("l")
            await wait_until(pilot, lambda: screen.statuses and all(s.state.terminal for s in screen.statuses.values()),
                             tries=300, step=0.1)
            (status,) = screen.statuses.values()
            assert status.state is JobState.SUCCEEDED and status.tuned_model
            assert status.backend == "vertex" and status.job_id.startswith("projects/")
            assert status.loss and status.loss[-1].train_loss < status.loss[0].train_loss  # from its experiment
            await pilot.pause(0.1)
            assert screen.query_one("#loss-plot").display
            (created,) = fake.calls("POST", "tuningJobs")
            assert created.body["supervisedTuningSpec"]["trainingDatasetUri"] == "gs://bucket/data/train.jsonl"


async def test_a_jobs_dropped_examples_open_in_the_table(tmp_path):
    """Vertex drops examples it cannot train on; ctrl+g on the job lists them in the main table (a filter)."""
    from curator.core.backends.registry import create_backend
    from curator.core.storage.models import backend_storage
    from curator.testing.fake_google import FakeGoogle
    from curator.testing.fake_google_jobs import Timing
    from curator.tui.screens.main import MainScreen

    path = tmp_path / "tickets.jsonl"
    rows = [{"text_input": ("long " * 50 if i in (4, 11) else "") + f"ticket {i}: my card was charged",
             "output": "billing"} for i in range(30)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with FakeGoogle(timing=Timing(pending=0.1, running=0.3)) as fake:
        fake.max_example_tokens = 40
        env = {"GOOGLE_CLOUD_PROJECT": "proj", "CURATOR_VERTEX_ACCESS_TOKEN": "ya29.fake"}
        vertex = {"base_url": fake.url, "env": env, "uploader": fake.upload}
        app = make_app(path, backend_factory=lambda name: create_backend(
            name, **backend_storage(app.session.workspace), **(vertex if name == "vertex" else {})))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_tuning(pilot)
            screen.remote_poll = 0.1
            screen.query_one("#backend", Select).value = "vertex"
            await settle(pilot)
            await wait_until(pilot, lambda: screen.query_one("#base", Select).value is not Select.NULL)
            screen.query_one("#gcs_uri", Input).value = "gs://bucket/stage"
            screen.query_one("#validation_fraction", Input).value = "0"
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: isinstance(app.screen, AskScreen))
            await pilot.press("l")
            await wait_until(pilot, lambda: screen.statuses and all(s.state.terminal for s in screen.statuses.values()),
                             tries=300, step=0.1)
            (status,) = screen.statuses.values()
            assert status.stats["dropped examples"] == 2 and status.dropped == [5, 12]
            shown = Console(width=200, record=True)
            shown.print(status_table(status))
            assert "lines 5, 12 of the training file" in shown.export_text()
            line = str(screen.query_one("#jobs").get_option_at_index(0).prompt)
            assert "2 dropped (ctrl+g)" in line  # the jobs list says which job dropped examples
            await pilot.press("ctrl+g")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
            main = app.screen
            await wait_for(pilot, lambda: main.state.spec.filter.ids is not None)
            assert sorted(main.state.ids.tolist()) == [4, 11]
            assert main.state.spec.filter.ids_label.startswith("dropped by job")


async def test_the_form_shows_the_cost_before_launch_and_the_job_its_billable_tokens(tmp_path, monkeypatch):
    from curator.core.settings import Settings
    from curator.testing.fake_google import FakeGoogle

    with FakeGoogle(timing=Timing(pending=0.1, running=0.3)) as fake:
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
        monkeypatch.setenv("CURATOR_VERTEX_ACCESS_TOKEN", "ya29.fake-token")
        monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", fake.url)
        app = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"),
                       settings=Settings(prices={"gemini-2.5-flash": {"tuning": 5.0}}))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_tuning(pilot)
            estimate = screen.query_one("#estimate")
            await wait_until(pilot, lambda: "free" in str(estimate.render()))  # the local backend runs here
            screen.remote_poll = 0.1
            screen.query_one("#backend", Select).value = "vertex"
            await wait_until(pilot, lambda: "tuning gemini-2.5-flash (5 epochs" in str(estimate.render()))
            screen.query_one("#epochs", Input).value = "2"
            await wait_until(pilot, lambda: "(2 epochs" in str(estimate.render()))
            text = str(estimate.render())
            assert "≈ $" in text and "from your settings" in text and "UTF-8 bytes / 3" in text
            screen.query_one("#gcs_uri", Input).value = "gs://bucket/data/train.jsonl"
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: isinstance(app.screen, AskScreen))
            assert "Cost: tuning gemini-2.5-flash (2 epochs" in app.screen.message
            await pilot.press("l")
            await wait_until(pilot, lambda: screen.statuses and all(s.state.terminal for s in screen.statuses.values()),
                             tries=300, step=0.1)
            (status,) = screen.statuses.values()
            shown = Console(width=200, record=True)
            shown.print(status_table(status, screen.jobs.estimate(status.job_id)))
            assert f"billable tokens {status.stats['billable tokens']:,} (estimated " in shown.export_text()


async def test_a_field_half_typed_keeps_the_cursor_until_launch(tmp_path):
    """Typing something that is not (yet) a number leaves the focus where the user moves it; only launching
    sends it to the first field in error."""
    app = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tuning(pilot)
        epochs = screen.query_one("#epochs", Input)
        epochs.focus()
        epochs.value = ""
        await pilot.press("x")  # not a number: the form cannot be read while it says so
        await pilot.pause()
        screen.query_one("#seed", Input).focus()
        await pilot.press("4")  # typing in another field
        await pilot.pause()
        assert app.focused.id == "seed" and screen.query_one("#seed", Input).value.endswith("4")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.focused.id == "epochs"
        assert "not a number: epochs" in str(screen.query_one("#problems").render()).lower()

