"""Shared set-up of the TUI tests: a private copy of a fixture and an app opened on it."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.worker import WorkerState

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
        await pilot.app.workers.wait_for_complete()
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
