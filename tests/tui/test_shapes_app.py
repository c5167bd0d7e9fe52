"""Files of other shapes in the app: a recognised shape is said and remembered; a file whose fields cannot be
told opens a column picker with sample rows, and the choice is kept in the dataset's settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select

from curator.core.settings import Columns, load_settings
from curator.tui.screens.columns import ColumnPickerScreen
from curator.tui.screens.main import MainScreen
from tests.tui.helpers import make_app, settle, until_main

SIZE = (120, 40)
SHAPES = Path(__file__).parents[2] / "fixtures" / "shapes"


def copy_shape(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(SHAPES / name, target)
    return target


async def test_a_file_without_known_fields_opens_the_column_picker(tmp_path):
    path = copy_shape(tmp_path, "nested.jsonl")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if isinstance(app.screen, ColumnPickerScreen) and app.screen.query(DataTable) and \
                    app.screen.query_one(DataTable).columns:  # mounted, with its sample rows
                break
        picker = app.screen
        assert isinstance(picker, ColumnPickerScreen)
        table = picker.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["id", "meta.source", "meta.question", "reply.text"]
        assert table.row_count == 3 and "Is there a dark mode?" in table.get_row_at(2)
        await pilot.press("ctrl+s")  # nothing chosen yet: said, not opened
        assert app.screen is picker and "choose the input field" in str(picker.query_one("#error").render())
        picker.query_one("#input", Select).value = "meta.question"
        picker.query_one("#output", Select).value = "reply.text"
        await pilot.press("ctrl+s")
        main = await until_main(pilot)
        assert isinstance(main, MainScreen)
        assert app.session.dataset.get(0)["text_input"] == "How do I reset my password?"
        assert app.session.dataset.get(0)["output"] == "Use the 'Forgot password' link."
    assert load_settings(path).columns == Columns(("meta.question",), "reply.text")


@pytest.mark.parametrize("name,output", [("instruction_input_response.json", "response"),
                                         ("instruction_input_output.csv", "output")])
async def test_a_recognised_shape_is_said_and_its_template_kept(tmp_path, name, output):
    path = copy_shape(tmp_path, name)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await settle(pilot)
        said = [n.message for n in app._notifications]
        assert any(m.startswith(f"recognised instruction/input/{output}") for m in said)
        assert main.settings.template == "{instruction}\n\n{input?}"
        assert not any(f.rule.startswith("template.") for f in main.state.findings)
    settings = load_settings(path)
    assert settings.columns == Columns(("instruction", "input"), output)
    assert settings.template == "{instruction}\n\n{input?}"


async def test_the_split_screen_keeps_the_files_test_examples(tmp_path):
    from curator.tui.screens.split import SplitScreen

    path = copy_shape(tmp_path, "question_answer.jsonl")  # 4 train, 2 test
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, SplitScreen)
        assert app.screen.query_one("#keep", Select).value == "test"
        app.screen.query_one("#validation").value = "0.25"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        splits = app.session.dataset.frame["split"].to_list()
        assert splits[4:] == ["test", "test"] and splits[:4].count("validation") == 1 and "test" not in splits[:4]


async def test_the_column_picker_composes_two_columns_of_a_csv(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("ticket,context,team\nMy card was declined,web shop,billing\nApp crashes,,technical\n")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if isinstance(app.screen, ColumnPickerScreen) and app.screen.query(DataTable) and \
                    app.screen.query_one(DataTable).columns:
                break
        picker = app.screen
        assert isinstance(picker, ColumnPickerScreen)
        picker.query_one("#input", Select).value = "ticket"
        picker.query_one("#input2", Select).value = "context"
        picker.query_one("#output", Select).value = "team"
        await pilot.press("ctrl+s")
        await until_main(pilot)
        assert app.session.dataset.get(0)["text_input"] == "My card was declined\n\nweb shop"
        assert app.session.dataset.get(1)["text_input"] == "App crashes"
    settings = load_settings(path)
    assert settings.columns == Columns(("ticket", "context"), "team")
    assert settings.template == "{ticket}\n\n{context?}"
