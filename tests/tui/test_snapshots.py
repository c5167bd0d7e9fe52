"""Snapshots of the main screen, the editor, the help screen and the frequency screen at 80×24 and 120×40.

Review changes in snapshot_report.html, then accept them with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from curator.core.settings import Settings
from curator.tui.app import CuratorApp
from tests.tui.helpers import FIXTURES, until_main

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
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, app, size):
    assert snap_compare(app, run_before=opened("j", "j", "s", "j"), terminal_size=SIZES[size])


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
