"""Pilot tests of editing: the editor, add, duplicate, delete, split moves, tags, undo/redo of bulk
actions, saving, save as, the quit prompt, crash recovery, the lock and the split screen."""

from __future__ import annotations

import json

from textual.widgets import TextArea

from curator.core.formats.registry import read_file
from curator.core.ops import SetField
from curator.core.session import Session
from curator.tui.screens.editor import EditorScreen
from curator.tui.screens.prompts import AskScreen, ChoicePrompt, TextPrompt
from curator.tui.screens.split import SplitScreen
from curator.tui.view_state import FindingIndex
from tests.tui.helpers import copy_fixture, make_app, settle, until_main

SIZE = (120, 40)


async def wait_for_screen(pilot, name: str) -> None:
    for _ in range(100):
        await pilot.pause(0.02)
        if type(pilot.app.screen).__name__ == name:
            return
    raise AssertionError(f"{name} not shown; on {type(pilot.app.screen).__name__}")


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_edit_in_modal_editor_then_undo_redo(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        original = app.session.dataset.get(0)
        await pilot.press("e")
        assert isinstance(app.screen, EditorScreen)
        app.screen.query_one("#output-area", TextArea).text = "mixed"
        await pilot.pause()
        assert "5 characters · example ~" in str(app.screen.query_one("#output-count").render())
        assert "/ 131,072 tokens" in str(app.screen.query_one("#output-count").render())  # Vertex's limit
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.session.dataset.get(0)["output"] == "mixed"
        assert app.session.dataset.get(0)["text_input"] == original["text_input"]
        assert main.table.row(0).edited
        assert app.session.history.labels() == ["edit"]
        await pilot.press("ctrl+z")
        assert app.session.dataset.get(0)["output"] == original["output"]
        await pilot.press("ctrl+y")
        assert app.session.dataset.get(0)["output"] == "mixed"
        await pilot.press("enter")  # enter edits too; escape cancels without a change
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("escape")
        assert app.session.history.labels() == ["edit"]


async def test_add_duplicate_and_bulk_delete_with_undo(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        n = len(app.session.dataset)
        await pilot.press("a")
        editor = app.screen
        editor.query_one("#input-area", TextArea).text = "a brand new input"
        editor.query_one("#output-area", TextArea).text = "neutral"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert len(app.session.dataset) == n + 1
        assert main.table.current.text_input == "a brand new input" and main.table.current.added
        await pilot.press("g", "s", "s", "s")  # select three rows
        await pilot.press("y")
        assert len(app.session.dataset) == n + 4
        await pilot.press("d")  # bulk delete of the selection
        deleted = app.session.dataset.frame.filter("deleted")["id"].to_list()
        assert deleted == [0, 1, 2]
        assert main.table.row(0).deleted
        await pilot.press("d")  # again: keep them
        assert not app.session.dataset.frame["deleted"].any()
        await pilot.press("d", "ctrl+z")
        assert not app.session.dataset.frame["deleted"].any()
        await pilot.press("ctrl+z", "ctrl+z")  # undo "keep", then the first bulk delete
        assert not app.session.dataset.frame["deleted"].any()
        await pilot.press("ctrl+z")  # undo the duplicate: one step for three rows
        assert len(app.session.dataset) == n + 1
        assert app.session.history.labels() == ["add"]


async def test_move_split_and_tags_on_selection(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("s", "s")
        await pilot.press("m")
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("down", "enter")  # validation
        await pilot.pause()
        frame = app.session.dataset.frame
        assert frame["split"].to_list()[:3] == ["validation", "validation", "train"]
        await pilot.press("plus")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press(*"hard", "enter")
        await pilot.pause()
        assert app.session.dataset.frame["tags"].to_list()[:3] == [["hard"], ["hard"], []]
        await pilot.press("minus")
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.dataset.frame["tags"].to_list()[:2] == [[], []]
        assert app.session.history.labels() == ["move-split", "tag", "untag"]


async def test_save_writes_atomically_and_drops_deleted(tmp_path):
    path = copy_fixture(tmp_path)
    before = lines(path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("d")
        await pilot.press("e")
        app.screen.query_one("#output-area", TextArea).text = "changed"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not app.session.dirty
        after = lines(path)
        assert len(after) == len(before) - 1
        assert after[0]["output"] == "changed" and after[0]["text_input"] == before[1]["text_input"]
        assert "saved" in str(app.screen.query_one("#status").render())


async def test_save_as_picks_format_from_extension(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("W")
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one("Input").value = str(tmp_path / "out.csv")
        await pilot.press("enter")
        await settle(pilot)
        out = tmp_path / "out.csv"
        assert out.exists()
        result = read_file(out)
        assert result.format == "csv" and result.records.height == len(lines(path))
        assert app.session.path == out.resolve()


async def test_quit_asks_when_unsaved(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("d", "q")
        assert isinstance(app.screen, AskScreen)
        await pilot.press("c")  # cancel
        assert app.is_running and app.session.dirty
        await pilot.press("q", "s")  # save and quit
        await settle(pilot)
    assert app.return_code == 0
    assert len(lines(path)) == 31


async def test_quit_discard_forgets_edits(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("d", "q", "d")
        await settle(pilot)
    assert len(lines(path)) == 32
    with Session.open(path) as again:
        assert again.recoverable() is None or not again.recoverable().ops


async def test_recovery_offered_after_crash(tmp_path):
    path = copy_fixture(tmp_path)
    crashed = Session.open(path)
    crashed.apply(SetField.broadcast("delete", [3, 4], "deleted", True))
    crashed.apply(SetField("edit", (0,), "output", ("recovered",)))
    crashed._lock.release()  # the process "died": its lock is gone, its journal stays
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "AskScreen")
        await pilot.press("r")
        main = await until_main(pilot)
        assert app.session.dataset.get(0)["output"] == "recovered"
        assert app.session.dataset.frame.filter("deleted")["id"].to_list() == [3, 4]
        assert main.table.row(0).edited


async def test_second_app_is_told_file_in_use(tmp_path):
    path = copy_fixture(tmp_path)
    holder = Session.open(path)
    try:
        app = make_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_screen(pilot, "AskScreen")
            assert "in use" in app.screen.message
            await pilot.press("r")  # read-only
            await until_main(pilot)
            assert app.session.read_only
            await pilot.press("d")
            assert not app.session.dataset.frame["deleted"].any()
    finally:
        holder.close()


async def test_split_screen_assigns_and_undoes(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        before = app.session.dataset.frame["split"].to_list()
        await pilot.press("P")
        assert isinstance(app.screen, SplitScreen)
        await pilot.pause()
        app.screen.query_one("#keep").value = "none"  # the file's one test example is split again too
        app.screen.query_one("#test").value = "0.1"
        await pilot.pause()
        assert "train" in str(app.screen.query_one("#preview").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        splits = app.session.dataset.frame["split"].to_list()
        assert splits.count("validation") >= 3 and splits.count("test") >= 3
        assert app.session.history.labels() == ["split-dataset"]
        await pilot.press("ctrl+z")
        assert app.session.dataset.frame["split"].to_list() == before


async def test_every_bad_line_is_reported(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text_input": "a", "output": "b"}\n{oops\n{"text_input": 3, "output": "b"}\n')
    app = make_app(path, fmt="gemini-jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ErrorScreen")
        text = str(app.screen.query_one("#problems").render())
        assert "bad.jsonl:2:2: malformed JSON" in text and "bad.jsonl:3:" in text


async def test_unreadable_file_shows_its_problems(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ErrorScreen")
        text = str(app.screen.query_one("#problems").render())
        assert "empty.jsonl" in text and "empty" in text.split("empty.jsonl", 1)[1]


async def test_check_result_during_a_save_waits_for_it(tmp_path, monkeypatch):
    """A save drops the deleted examples while the view still lists them: checks finishing in the middle of it
    (at 1M rows they often do) redrew the rows, the deleted one among them, and the app died with a KeyError."""
    path = copy_fixture(tmp_path)
    app = make_app(path)
    real_save = Session.save
    arrived = []

    def save_then_checks_finish(session, *args, **kwargs):
        written = real_save(session, *args, **kwargs)  # the deleted example is gone from the dataset now
        main = app.screen_stack[-2]
        done = main.ChecksDone(FindingIndex.of([], slow=True), True, main._generation)
        app.call_from_thread(main.on_main_screen_checks_done, done)  # handled now, on the UI thread
        arrived.append(main.table.row(main.table.cursor))
        return written

    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        gone = main.table.current.id
        await pilot.press("d")  # the deleted row stays in view, marked, until the save
        assert main.table.row(0).id == gone and main.table.row(0).deleted
        shown = main.table.current.id
        monkeypatch.setattr(Session, "save", save_then_checks_finish)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert arrived and arrived[0].id == shown  # the view was left alone while the save ran
        assert gone not in app.session.dataset and main.table.current.id != gone
        assert "saved" in str(main.query_one("#status").render())
        assert len(lines(path)) == len(main.state.ids)
