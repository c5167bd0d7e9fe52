"""Shared set-up of the TUI tests: a private copy of a fixture and an app opened on it."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.worker import WorkerCancelled, WorkerState

from curator.core.settings import Settings
from curator.tui.app import CuratorApp
from curator.tui.screens.main import MainScreen

FIXTURES = Path(__file__).parents[2] / "fixtures"


def copy_fixture(tmp_path: Path, name: str = "classification.jsonl") -> Path:
    target = tmp_path / name
    shutil.copyfile(FIXTURES / name, target)
    return target


def make_app(path: Path, **kwargs) -> CuratorApp:
    kwargs.setdefault("settings", Settings())
    kwargs.setdefault("run_slow_checks", False)
    return CuratorApp(path, **kwargs)


async def settle(pilot) -> None:
    """Wait for every worker and the messages they posted, including workers those messages started."""
    for _ in range(50):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # one replaced by a newer worker of its group (the disk watch, the checks)
            pass
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in pilot.app.workers):
            return


async def until_main(pilot) -> MainScreen:
    """Wait until the file is loaded and the main screen shows, with its first checks done."""
    for _ in range(200):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, MainScreen):
            break
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen), f"main screen not shown; on {type(screen).__name__}"
    await settle(pilot)
    return screen


async def wait_for(pilot, condition, tries: int = 300) -> None:
    """Wait until ``condition()`` holds (about 6 s at most)."""
    for _ in range(tries):
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError("condition not reached")


async def evaluate(pilot, **fields: str | None):
    """Open the evaluation form (E), fill ``fields`` (input id without ``eval-``: value; None leaves it), run it
    (ctrl+r) and return the review once the run is scored."""
    from textual.widgets import Input

    from curator.tui.screens.eval_setup import EvalSetupScreen
    from curator.tui.screens.review import ReviewScreen

    await pilot.press("E")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, EvalSetupScreen)
    for name, value in fields.items():
        if value is not None:
            form.query_one(f"#eval-{name}", Input).value = value
    await pilot.press("ctrl+r")
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    await wait_for(pilot, lambda: screen.result is not None and not screen.running)
    await pilot.pause()
    return screen
