"""Pilot tests of browsing: moving, search, filter, sort, selection, detail pane, help and palette."""

from __future__ import annotations

from rich.console import Console

from curator.core.view import Filter
from curator.tui.screens.filter import FilterScreen
from curator.tui.screens.frequency import FrequencyScreen
from curator.tui.screens.help import HelpScreen
from curator.tui.widgets.detail_pane import DetailPane, TextPanel
from tests.tui.helpers import copy_fixture, make_app, settle, until_main

SIZE = (120, 40)


async def test_open_shows_rows_and_moves(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        table = main.table
        n = len(app.session.dataset)
        assert table.source.row_count() == n
        await pilot.press("j", "j", "down")
        assert table.cursor == 3
        await pilot.press("k")
        assert table.cursor == 2
        await pilot.press("G")
        assert table.cursor == n - 1
        await pilot.press("g")
        assert table.cursor == 0
        await pilot.press("pagedown")
        assert table.cursor == table.page
        # the detail pane shows the cursor row's full text
        row = app.session.dataset.get(table.current.id)
        body = main.query_one("#input-panel", TextPanel)._body
        assert str(body.render()) == row["text_input"]
        assert "/ 131,072 tokens" in main.query_one("#input-panel", TextPanel).border_subtitle  # Vertex's limit


async def test_search_next_previous_and_clear(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        texts = app.session.dataset.frame["text_input"].to_list()
        outputs = app.session.dataset.frame["output"].to_list()
        expected = [i for i, (a, b) in enumerate(zip(texts, outputs)) if "the" in a.lower() or "the" in b.lower()]
        await pilot.press("slash", *"the", "enter")
        assert main.state.matches.tolist() == expected
        assert main.table.cursor == expected[0]
        await pilot.press("n")
        assert main.table.cursor == expected[1]
        await pilot.press("N", "N")
        assert main.table.cursor == expected[-1]  # wraps around
        assert main.table.search_pattern == "the"
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"re:^t.e ", "enter")  # a regex
        assert main.state.regex and len(main.state.matches) > 0
        await pilot.press("escape")
        assert main.state.pattern == "" and main.table.search_pattern == ""


async def test_filter_form_combines_and_escape_clears(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        total = main.state.row_count()
        await pilot.press("f")
        form = app.screen
        assert isinstance(form, FilterScreen)
        form.query_one("#text").value = "service"
        await pilot.press("ctrl+s")
        await pilot.pause()
        frame = app.session.dataset.frame
        want = [i for i, t, o in zip(frame["id"], frame["text_input"], frame["output"])
                if "service" in t.lower() or "service" in o.lower()]
        assert main.state.ids.tolist() == want and 0 < len(want) < total
        assert "service" in str(main.query_one("#title-bar").render())
        # a second condition narrows further
        main.apply_filter(Filter(text="service", output_equals="negative"))
        assert set(main.state.ids.tolist()) <= set(want)
        await pilot.press("escape")
        assert main.state.row_count() == total


async def test_sort_by_input_length(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("o")
        await pilot.pause()
        options = app.screen.query_one("OptionList")
        options.highlighted = [o.id for o in options._options].index("input length")
        await pilot.press("enter")
        await pilot.pause()
        lengths = [len(app.session.dataset.get(int(i))["text_input"]) for i in main.state.ids]
        assert lengths == sorted(lengths, reverse=True)


async def test_selection_keys(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("s", "s", "t")
        assert main.state.selected == {0, 1, 2} and main.table.cursor == 3
        await pilot.press("k", "t")  # toggles row 2 off
        assert main.state.selected == {0, 1}
        await pilot.press("g", "u")
        assert main.state.selected == {1}
        await pilot.press("S")
        assert len(main.state.selected) == main.state.row_count()
        await pilot.press("U")
        assert main.state.selected == set()
        assert "selected" not in str(main.query_one("#status").render())


async def test_whitespace_toggle(tmp_path):
    path = tmp_path / "ws.jsonl"
    path.write_text('{"text_input": "a b\\tc\\nd", "output": "x"}\n' * 3)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        body = main.query_one("#input-panel", TextPanel)._body
        assert str(body.render()) == "a b\tc\nd"
        await pilot.press("w")
        assert str(body.render()) == "a·b→c⏎\nd"


async def test_findings_shown_for_the_row(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"text_input": " padded ", "output": "x"}\n{"text_input": "ok", "output": "y"}\n')
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        assert main.table.row(0).findings >= 1
        assert "basic.whitespace" in str(main.query_one(DetailPane).query_one("#findings").render())


async def test_help_lists_every_action_and_palette_runs_one(tmp_path):
    from curator.tui.actions import MAIN

    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=(120, 70)) as pilot:
        main = await until_main(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, record=True)
        for static in app.screen.query("Static"):
            console.print(static.content)
        text = console.export_text()
        for action in MAIN:
            assert action.name in text and action.description.split(" (")[0] in text
        await pilot.press("escape")
        assert app.screen is main
        await pilot.press("ctrl+p")
        await pilot.press(*"select-all")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert len(main.state.selected) == main.state.row_count()


async def test_frequency_enter_filters_table(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("F")
        await pilot.pause()
        assert isinstance(app.screen, FrequencyScreen)
        await pilot.press("enter")  # the most frequent output
        await pilot.pause()
        outputs = app.session.dataset.frame["output"].to_list()
        top = max(set(outputs), key=lambda o: (outputs.count(o), -ord(o[0])))
        shown = {app.session.dataset.get(int(i))["output"] for i in main.state.ids}
        assert shown == {main.state.spec.filter.output_equals}
        assert outputs.count(main.state.spec.filter.output_equals) == outputs.count(top)


async def test_the_detail_pane_grows_and_shrinks_with_the_cursor_rows_text(tmp_path):
    """Texts that fit the panel are shown without laying the screen out again; a longer one still scrolls,
    and the findings line grows and shrinks with the row's findings."""
    import json

    long_output = "\n".join(f"line {k}" for k in range(60))
    rows = [{"text_input": "short", "output": "one line"}, {"text_input": "short two", "output": long_output},
            {"text_input": " padded ", "output": "two\nlines"}, {"text_input": "last", "output": "x"}]
    path = tmp_path / "lengths.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        panel = main.query_one("#output-panel", TextPanel)
        findings = main.query_one(DetailPane).query_one("#findings")
        assert panel.max_scroll_y == 0
        await pilot.press("j")
        await pilot.pause()
        assert panel.max_scroll_y >= 60 - panel.scrollable_content_region.height
        await pilot.press("j")
        await pilot.pause()
        assert panel.max_scroll_y == 0 and str(panel._body.render()) == "two\nlines"
        assert "basic.whitespace" in str(findings.render()) and findings.size.height >= 1
        await pilot.press("j")
        await pilot.pause()
        assert str(findings.render()) == "no findings" and findings.size.height == 1


async def test_a_cursor_move_repaints_two_rows_and_the_detail_in_one_frame(tmp_path, monkeypatch):
    """The table repaints the rows the cursor left and reached, and the detail pane's new text is painted in
    the same frame (a frame later, it came 17 to 33 ms after the table: at 1M rows, most of a move's time)."""
    from textual.screen import Screen

    from curator.tui.screens.main import MainScreen

    frames: list[dict] = []  # each frame of the main screen: the widgets it paints, with their regions to repaint
    paint = Screen._on_timer_update

    def recording(screen) -> None:
        if isinstance(screen, MainScreen) and screen._dirty_widgets:
            frames.append({widget: set(widget._repaint_regions) for widget in screen._dirty_widgets})
        paint(screen)

    monkeypatch.setattr(Screen, "_on_timer_update", recording)
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        body = main.query_one("#input-panel", TextPanel)._body
        await pilot.pause()
        frames.clear()
        await pilot.press("j")
        await pilot.pause()
        first = frames[0]
        assert main.table in first and body in first
        assert sorted(region.height for region in first[main.table]) == [1, 1]
        assert str(body.render()) == app.session.dataset.get(main.table.current.id)["text_input"]
