"""A user keymap rebinds actions by name: the new key runs the action, the old one no longer does, and the
help screen shows the new key; a bad keymap is reported and the defaults stay."""

from __future__ import annotations

from rich.console import Console

from curator.tui.actions import MAIN
from curator.tui.screens.help import help_table
from tests.tui.helpers import copy_fixture, make_app, until_main

SIZE = (120, 40)


async def test_a_keymap_rebinds_an_action_by_its_name(tmp_path):
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('playground = "f5"\ncursor-down = "down,ctrl+n"\n', encoding="utf-8")
    app = make_app(copy_fixture(tmp_path), keymap_path=keymap)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert main.table.cursor == 1
        await pilot.press("p")  # the old key is free now
        await pilot.pause()
        assert app.screen is main
        console = Console(width=200, record=True)
        console.print(help_table(MAIN))
        assert [line.split() for line in console.export_text().splitlines() if " playground " in line][0][0] == "f5"
        await pilot.press("f5")
        await pilot.pause()
        assert type(app.screen).__name__ == "PlaygroundScreen"


async def test_a_bad_keymap_is_reported_and_the_defaults_stay(tmp_path):
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('no-such-action = "f5"\n', encoding="utf-8")
    app = make_app(copy_fixture(tmp_path), keymap_path=keymap)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        assert any("unknown action 'no-such-action'" in n.message and str(keymap) in n.message
                   for n in app._notifications)
        await pilot.press("p")
        await pilot.pause()
        assert type(app.screen).__name__ == "PlaygroundScreen"
