"""Regenerate screenshots/*.svg from the real app on the bundled demo data (pinned size and theme).

    python scripts/screenshots.py
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)
THEME = "textual-dark"


async def shoot(name: str, keys: list[str], demo: Path) -> None:
    from curator.core.settings import Settings
    from curator.tui.app import CuratorApp
    from curator.tui.screens.main import MainScreen

    app = CuratorApp(demo, settings=Settings(), theme=THEME)
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, MainScreen):
            await pilot.pause(0.02)
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            if key == "<wait-jobs>":  # until every tuning job on screen has ended
                for _ in range(600):
                    statuses = getattr(app.screen, "statuses", {})
                    if statuses and all(s.state.terminal for s in statuses.values()):
                        break
                    await pilot.pause(0.05)
                await pilot.pause(0.8)
                continue
            if key == "<wait-eval>":  # until the evaluation on screen has finished
                for _ in range(600):
                    if getattr(app.screen, "result", None) is not None and not app.screen.running:
                        break
                    await pilot.pause(0.05)
                await pilot.pause(0.5)
                continue
            if key.startswith("<set:"):  # <set:#widget-id=value>: type a value into a form field
                target, value = key[5:-1].split("=", 1)
                app.screen.query_one(target).value = value
                continue
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        app.save_screenshot(filename=f"{name}.svg", path=str(ROOT / "screenshots"))
        print(f"screenshots/{name}.svg")
        app.session.history.mark_clean()  # nothing is saved: the demo copy stays as shipped


SHOTS = {
    "main": ["j", "j", "j", "s", "j", "s", "j"],
    "search": ["slash", *"refund", "enter"],
    "filter": ["f"],
    "editor": ["j", "j", "e"],
    "frequency": ["F"],
    "help": ["question_mark"],
    "duplicates": ["D"],
    "findings": ["exclamation_mark"],
    "tuning": ["ctrl+t", "ctrl+l", "l", "<wait-jobs>"],
    "playground": ["ctrl+t", "ctrl+l", "l", "<wait-jobs>", "ctrl+o", "ctrl+r"],
    "review": ["ctrl+t", "ctrl+l", "l", "<wait-jobs>", "escape", "E", "ctrl+r", "<wait-eval>", "4", "j"],
    "review-summary": ["ctrl+t", "ctrl+l", "l", "<wait-jobs>", "escape", "E", "ctrl+r", "<wait-eval>", "m"],
    # a second run sampling at temperature 1 against the first: what got fixed and broken
    "compare": ["ctrl+t", "ctrl+l", "l", "<wait-jobs>", "escape", "E", "ctrl+r", "<wait-eval>", "escape", "E",
                "<set:#eval-temperature=1>", "ctrl+r", "<wait-eval>", "c", "enter"],
    "suspects": ["L", "j"],
}


def main() -> None:
    from curator.core.demo import demo_source

    for name, keys in SHOTS.items():
        with tempfile.TemporaryDirectory() as tmp:
            demo = Path(shutil.copy(demo_source(), Path(tmp) / demo_source().name))
            asyncio.run(shoot(name, keys, demo))


if __name__ == "__main__":
    main()
