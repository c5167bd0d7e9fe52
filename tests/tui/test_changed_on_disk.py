"""Saving over a file that another program changed since curator read it asks first, as vim does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path

from textual.widgets import TextArea

from curator.tui.screens.main import MainScreen
from curator.tui.screens.prompts import AskScreen, TextPrompt
from curator.tui.widgets.status_bar import StatusBar
from tests.tui.helpers import copy_fixture, make_app, settle, until_main, wait_for

SIZE = (120, 40)
ROOT = Path(__file__).parents[2]


def outputs(path) -> list[str]:
    return [json.loads(line)["output"] for line in path.read_text().splitlines()]


async def edit_first_output(pilot, text: str) -> None:
    await pilot.press("e")
    pilot.app.screen.query_one("#output-area", TextArea).text = text
    await pilot.press("ctrl+s")  # closes the editor, keeping the edit
    await pilot.pause()


async def save_and_get_asked(pilot) -> AskScreen:
    await pilot.press("ctrl+s")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AskScreen) and screen.title_text == "Changed on disk"
    return screen


def change_outside(path, first_output: str) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[0]["output"] = first_output
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@asynccontextmanager
async def asked_about_a_change(tmp_path):
    """The app at the question: the first output edited to "mine" while another program wrote "theirs" there."""
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await edit_first_output(pilot, "mine")
        change_outside(path, "theirs")
        yield app, pilot, path, await save_and_get_asked(pilot)


async def test_a_change_made_outside_is_never_silently_overwritten(tmp_path):
    async with asked_about_a_change(tmp_path) as (app, pilot, path, ask):
        assert "Another program changed classification.jsonl after curator read it" in ask.message
        assert "lose your 1 unsaved change(s)" in ask.message
        await pilot.press("c")  # cancel: nothing written, the edit kept
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.session.dirty
        assert outputs(path)[0] == "theirs"

        await save_and_get_asked(pilot)  # asked again: cancelling did not make the change go away
        await pilot.press("o")  # overwrite
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and not app.session.dirty
        assert outputs(path)[0] == "mine"

        await edit_first_output(pilot, "mine again")  # after a save the file is ours again: no question
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and outputs(path)[0] == "mine again"


async def test_reload_takes_the_file_from_disk_and_drops_the_edits(tmp_path):
    async with asked_about_a_change(tmp_path) as (app, pilot, path, _):
        await pilot.press("r")  # reload from disk
        await until_main(pilot)
        assert app.session.dataset.get(0)["output"] == "theirs" and not app.session.dirty
        assert app.session.recoverable() is None  # the dropped edits are not offered again
        assert outputs(path)[0] == "theirs"


async def test_save_as_keeps_both_versions(tmp_path):
    async with asked_about_a_change(tmp_path) as (app, pilot, path, _):
        await pilot.press("s")  # save as
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        app.screen.query_one("Input").value = str(tmp_path / "mine.jsonl")
        await pilot.press("enter")
        await settle(pilot)
        assert outputs(tmp_path / "mine.jsonl")[0] == "mine" and outputs(path)[0] == "theirs"


async def test_curator_convert_cannot_replace_a_file_open_in_the_app(tmp_path):
    path = copy_fixture(tmp_path)
    other = copy_fixture(tmp_path, "clean.jsonl")
    before = path.read_bytes()
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        convert = subprocess.run([sys.executable, "-m", "curator", "convert", str(other), str(path)],
                                 capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert convert.returncode == 2
        assert convert.stderr == f"{path}: in use by another curator (pid {os.getpid()} on {socket.gethostname()}); " \
                                 "close it there first\n"
        assert path.read_bytes() == before


def notices(app) -> list[str]:
    return [n.message for n in app._notifications if n.title == "changed on disk"]


async def test_a_change_made_while_idle_is_noticed_and_reload_takes_it(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path, watch_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        change_outside(path, "theirs")
        await wait_for(pilot, lambda: notices(app))
        assert notices(app)[0].startswith("classification.jsonl changed on disk (modified ")
        assert notices(app)[0].endswith("). ctrl+r reloads it.")
        assert isinstance(app.screen, MainScreen)  # a notice: nothing stops
        assert "changed on disk" in str(main.query_one(StatusBar).render())
        await pilot.press("ctrl+r")  # nothing unsaved: reloads at once
        await until_main(pilot)
        assert app.session.dataset.get(0)["output"] == "theirs"
        assert "changed on disk" not in str(app.screen.query_one(StatusBar).render())


async def test_with_unsaved_edits_the_notice_says_saving_will_ask(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path, watch_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await edit_first_output(pilot, "mine")
        change_outside(path, "theirs")
        await wait_for(pilot, lambda: notices(app))
        assert "you have 1 unsaved change(s): saving will ask whether to overwrite it" in notices(app)[0]
        await pilot.press("ctrl+r")  # reload asks first: the edits would be lost
        await pilot.pause()
        assert isinstance(app.screen, AskScreen) and app.screen.title_text == "Reload from disk"
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.dirty
        ask = await save_and_get_asked(pilot)  # and saving asks, as it said
        assert "lose your 1 unsaved change(s)" in ask.message


async def test_our_own_save_is_not_a_change_on_disk(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path, watch_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await edit_first_output(pilot, "mine")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert outputs(path)[0] == "mine"
        for _ in range(10):  # several looks at the file after our own save
            await pilot.pause(0.06)
        assert notices(app) == []


async def test_a_file_deleted_while_open_is_said_and_saving_writes_it_again(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path, watch_interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await edit_first_output(pilot, "mine")
        path.unlink()
        await wait_for(pilot, lambda: notices(app))
        assert notices(app)[0] == "classification.jsonl was deleted or moved away on disk; you can still save it " \
                                  "there (ctrl+s)"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert outputs(path)[0] == "mine" and not app.session.dirty
