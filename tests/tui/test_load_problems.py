"""The app over a file it cannot read: every problem in a scrollable dialog with the true count, never a traceback."""

from __future__ import annotations

from textual.containers import VerticalScroll

from curator.core.formats import registry
from tests.tui.helpers import make_app

SIZE = (120, 40)


async def wait_for_screen(pilot, name: str) -> None:
    for _ in range(500):
        await pilot.pause(0.05)
        if type(pilot.app.screen).__name__ == name:
            return
    raise AssertionError(f"{name} not shown; on {type(pilot.app.screen).__name__}")


async def test_thousands_of_problems_are_counted_truly_and_scroll(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("{oops\n" * 7673)
    app = make_app(path, fmt="gemini-jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ErrorScreen")
        for _ in range(100):  # composed a moment after it is pushed, on a loaded machine
            if app.screen.query("#problems-scroll"):
                break
            await pilot.pause(0.05)
        title = str(app.screen.query_one("Label").render())
        assert "7,673 problems" in title and "first 200 listed" in title
        scroll = app.screen.query_one("#problems-scroll", VerticalScroll)
        for _ in range(100):  # the first layout of 200 lines
            if scroll.max_scroll_y:
                break
            await pilot.pause(0.05)
        assert scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        assert "... and 7,473 more problems" in str(app.screen.query_one("#problems").render())


async def test_an_unexpected_failure_while_reading_is_a_dialog_not_a_traceback(tmp_path, monkeypatch):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text_input": "secret row", "output": "b"}\n')

    def broken(*args, **kwargs):
        raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(registry, "read_data", broken)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, "ErrorScreen")
        for _ in range(100):
            if app.screen.query("#problems"):
                break
            await pilot.pause(0.05)
        text = str(app.screen.query_one("#problems").render())
        assert "cannot read this file (UnicodeEncodeError" in text and "secret row" not in text
