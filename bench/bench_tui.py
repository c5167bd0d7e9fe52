"""TUI benchmark, headless: open to first paint, cursor moves and page-downs with their render, an edit,
a search, a save, and peak memory, on 100k generated examples and on Alpaca.

    python bench/bench_tui.py

Targets (issue 3): first paint <= 1.5 s; cursor move / page-down incl. render <= 50 ms; applying an edit
<= 50 ms; search over 100k <= 300 ms; save of 100k <= 2 s; peak memory <= 1 GB. "Render" is a full-screen
render of the app (``export_screenshot``), as in the Textual notes. Each case runs in a fresh process.
Figures are medians over repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fresh import in_fresh_process  # noqa: E402

TARGETS = {"first paint s": 1.5, "cursor move ms": 50, "page-down ms": 50, "edit ms": 50, "search ms": 300,
           "save s": 2.0, "peak MB": 1024}


async def _measure(path: str) -> dict:
    from curator.core.ops import SetField
    from curator.core.settings import Settings
    from curator.tui.app import CuratorApp
    from curator.tui.screens.main import MainScreen

    out: dict[str, float] = {}
    start = time.perf_counter()
    app = CuratorApp(path, settings=Settings(), run_slow_checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, MainScreen) or not app.screen.table.source.row_count():
            await asyncio.sleep(0.005)
        app.export_screenshot()  # the first full paint
        out["first paint s"] = time.perf_counter() - start
        await app.workers.wait_for_complete()
        await pilot.pause()
        main = app.screen

        def timed(action, repeats: int = 30) -> float:
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                action()
                app.export_screenshot()
                times.append(time.perf_counter() - t)
            return statistics.median(times) * 1000

        out["cursor move ms"] = timed(main.action_cursor_down)
        out["page-down ms"] = timed(main.action_page_down)
        counter = iter(range(10**6))

        def edit() -> None:
            row = main.table.current
            main.do(SetField("edit", (row.id,), "output", (f"edited {next(counter)}",)))

        out["edit ms"] = timed(edit, 15)
        await app.workers.wait_for_complete()
        times = []
        for word in ("photosynthesis", "refund", "charged twice", "zzz-no-match"):
            t = time.perf_counter()
            main.set_search(word)
            times.append(time.perf_counter() - t)
        out["search ms"] = statistics.median(times) * 1000
        t = time.perf_counter()
        app.session.save()
        out["save s"] = time.perf_counter() - t
        app.session.history.mark_clean()
    out["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _case(path: str, queue) -> None:
    queue.put(asyncio.run(_measure(path)))


def run_case(path: Path) -> dict:
    return in_fresh_process(_case, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    from bench.generate import generate, write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        cases = [("generated 100k", write_jsonl(Path(tmp) / "gen100k.jsonl", generate(100_000)))]
        alpaca = args.data / "alpaca_data.json"
        if alpaca.exists():  # a private copy: the benchmark saves the file it opened
            cases.append(("alpaca_data.json (52k)", Path(shutil.copy(alpaca, Path(tmp) / "alpaca_data.json"))))
        else:
            print(f"skipped Alpaca: {alpaca} not found")
        results = [(name, run_case(path)) for name, path in cases]
    print(f"{'figure':16}" + "".join(f"{name:>26}" for name, _ in results) + f"{'target':>10}")
    for key, target in TARGETS.items():
        cells = ""
        for _, r in results:
            mark = "ok" if r[key] <= target else "OVER"
            cells += f"{r[key]:>20.{1 if 'ms' in key else 2}f} {mark:>5}"
        print(f"{key:16}{cells}{target:>10}")


if __name__ == "__main__":
    main()
