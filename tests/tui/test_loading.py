"""Opening a file: the first examples show at once while the rest loads (keys live, checks waiting), a load
error after the first screen still lands on the error screen, and a large file is offered as a sample."""

from __future__ import annotations

import json
import threading

import pytest

from curator.core import loading
from curator.core.opening import Opening
from curator.core.progress import Progress
from curator.core.session import Session
from curator.core.storage.lock import DatasetLock, InUse
from curator.tui.app import ErrorScreen
from curator.tui.screens.main import MainScreen
from curator.tui.screens.prompts import AskScreen
from curator.tui.widgets.status_bar import StatusBar

from tests.tui.helpers import make_app, settle, wait_for

SIZE = (120, 36)
TOTAL = 600


def write_jsonl(path, broken_at: int | None = None):
    """TOTAL examples; example 500 has stray whitespace (a finding far past the first screen)."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(TOTAL):
            if i == broken_at:
                f.write('{"text_input": "cut short", "output": \n')
                continue
            text = f"ticket {i}: my order has not arrived " + ("needle " if i % 7 == 0 else "") + "x" * 30
            f.write(json.dumps({"text_input": text + (" " if i == 500 else ""), "output": "shipping"}) + "\n")
    return path


@pytest.fixture
def held_open(monkeypatch):
    """The whole read waits until the test releases it; the first screen is 4 KB."""
    monkeypatch.setattr(loading, "HEAD_SIZE", 4096)
    release = threading.Event()
    real_open = Session.open.__func__

    def slow_open(cls, *args, **kwargs):
        if kwargs.get("progress"):
            kwargs["progress"](Progress(0.42, "reading"))  # the reader has read 42 % when it is held
        release.wait(20)
        return real_open(cls, *args, **kwargs)

    monkeypatch.setattr(Session, "open", classmethod(slow_open))
    return release


def status(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_first_rows_show_and_keys_work_while_the_rest_loads(tmp_path, held_open):
    path = write_jsonl(tmp_path / "big.jsonl")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.state.row_count())
        main = app.screen
        first = main.state.row_count()
        assert main.partial and 10 < first < TOTAL
        assert f"first {first:,} examples" in status(app) and "reading" in status(app)
        await wait_for(pilot, lambda: "42% ·" in status(app))  # how much of the file is read
        assert "checks start when the whole file is read" in str(main.query_one("#findings").render())
        # browsing, paging and search work on the first rows
        await pilot.press("j", "j", "pagedown")
        assert main.table.cursor > 2
        await pilot.press("slash", *"needle", "enter")
        assert len(main.state.matches) == len([i for i in range(first) if i % 7 == 0])
        at = main.table.current.id
        assert at % 7 == 0
        # actions that need every example wait, and say so; nothing changed
        await pilot.press("d")
        await pilot.press("ctrl+t")
        assert isinstance(app.screen, MainScreen) and not main.session.dataset.frame["deleted"].any()
        assert sum("still reading" in m for m in messages(app)) == 2
        assert main.state.findings == []  # no check ran on the partial data
        held_open.set()
        await wait_for(pilot, lambda: not main.partial)
        await settle(pilot)
        assert main.state.row_count() == TOTAL
        assert main.table.current.id == at  # same example under the cursor
        assert len(main.state.matches) == len([i for i in range(TOTAL) if i % 7 == 0])  # search over the whole
        assert f"{TOTAL:,} examples" in status(app) and "reading" not in status(app) and "first" not in status(app)
        whitespace = [f for f in main.state.findings if f.rule == "basic.whitespace"]
        assert [f.ids for f in whitespace] == [(500,)]  # the checks ran on the whole file
        await pilot.press("d")
        assert main.session.dataset.frame["deleted"].sum() == 1  # and edits work now


async def test_a_broken_line_past_the_first_screen_lands_on_the_error_screen(tmp_path, held_open):
    path = write_jsonl(tmp_path / "broken.jsonl", broken_at=550)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        held_open.set()
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen) and app.screen.query("#problems"))
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)
        problems = str(app.screen.query_one("#problems").render())
        assert "broken.jsonl:551:" in problems


async def test_the_loaders_next_word_right_after_the_first_rows_finds_their_screen_mounted(tmp_path, monkeypatch):
    """The loader shows the first rows, then at once says the file is in use (its lock is taken by another
    curator): the first rows' screen gives way to the question without failing to mount (it raised NoMatches
    for its detail pane when popped half-mounted)."""
    monkeypatch.setattr(loading, "HEAD_SIZE", 4096)
    path = write_jsonl(tmp_path / "big.jsonl")
    app = make_app(path)
    monkeypatch.setattr(app, "load", lambda path: None)  # the test speaks for the loader's worker
    async with app.run_test(size=SIZE) as pilot:
        preview = Session.of_records(path, loading.read_head(path))
        app.call_next(app.show_first_rows, preview)  # back to back, as the worker's call_from_thread gives them
        app.call_next(app._load_failed, path, InUse("in use by another curator (pid 1); close it there first", path))
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        assert app.screen.title_text == "File in use"
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 1


async def test_a_file_another_curator_has_open_asks_before_showing_any_example(tmp_path, monkeypatch):
    """Its lock is taken before the first examples are read: the question comes first, with no rows shown
    under it beforehand; read-only then opens it whole."""
    monkeypatch.setattr(loading, "HEAD_SIZE", 4096)
    path = write_jsonl(tmp_path / "big.jsonl")
    other = DatasetLock(path)  # another curator's lock (flock: another open file, even in this process)
    other.acquire()
    app = make_app(path)
    shown = []
    monkeypatch.setattr(app, "show_first_rows", lambda preview: shown.append(preview))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
            assert app.screen.title_text == "File in use" and shown == []
            assert not any(isinstance(s, MainScreen) for s in app.screen_stack)
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and not app.screen.partial)
            assert app.screen.session.read_only and app.screen.state.row_count() == TOTAL
    finally:
        other.release()


async def test_a_large_file_is_offered_as_a_read_only_sample(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "huge.jsonl")
    monkeypatch.setattr(loading, "LARGE_SIZE", 10_000)
    monkeypatch.setattr(loading, "SAMPLE_ROWS", 50)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        assert "curator check --fast" in app.screen.message and "first 50 examples" in app.screen.message
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        main = app.screen
        assert main.state.row_count() == 50 and main.session.read_only
        assert "read-only" in status(app)


async def test_a_large_json_list_is_offered_as_a_sample_too(tmp_path, monkeypatch):
    """Every format streams: the first examples of a JSON list are read alone (they could not: the sample read
    only line-based files, and choosing it on a list or a Parquet file ended on an error)."""
    path = tmp_path / "huge.json"
    path.write_text(json.dumps([{"text_input": f"q {i}", "output": "a"} for i in range(TOTAL)], indent=1))
    monkeypatch.setattr(loading, "LARGE_SIZE", 10_000)
    monkeypatch.setattr(loading, "SAMPLE_ROWS", 50)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        main = app.screen
        assert main.state.row_count() == 50 and main.session.read_only
        assert app.session.dataset.get(int(main.state.ids[-1]))["text_input"] == "q 49"


async def test_a_large_file_can_be_left_for_the_command_line(tmp_path, monkeypatch, capsys):
    path = write_jsonl(tmp_path / "huge.jsonl")
    monkeypatch.setattr(loading, "LARGE_SIZE", 10_000)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert "curator stats" in capsys.readouterr().err


async def test_the_app_shows_the_file_its_command_started_reading_without_reading_it_again(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "big.jsonl")
    opened = []
    real_open = Session.open.__func__
    monkeypatch.setattr(Session, "open", classmethod(lambda cls, *a, **k: opened.append(a) or real_open(cls, *a, **k)))
    app = make_app(path, opening=Opening(path).start())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen) and app.screen.state.row_count() == TOTAL)
        assert not app.screen.partial and len(opened) == 1
        assert f"{TOTAL:,} examples" in status(app)


async def test_a_file_needing_more_memory_than_is_available_is_offered_as_a_sample(tmp_path, monkeypatch):
    path = write_jsonl(tmp_path / "tight.jsonl")
    size = path.stat().st_size
    monkeypatch.setattr(loading, "available_memory", lambda: 2 * size)  # far below the LARGE_SIZE limit
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, AskScreen))
        message = app.screen.message
        assert f"about {3 * size / 1e9:.1f} GB of memory, {2 * size / 1e9:.1f} GB available" in message
        assert "curator convert" in message
