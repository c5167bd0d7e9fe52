"""TUI benchmark, headless: open to first paint, cursor moves and page-downs with their render, an edit,
a search, a save, and peak memory, on 100k generated examples and on Alpaca.

    python bench/bench_tui.py

Targets (issue 3): first paint <= 1.5 s; cursor move / page-down incl. render <= 50 ms; applying an edit
<= 50 ms; search over 100k <= 300 ms; save of 100k <= 2 s; peak memory <= 1 GB. "Render" is a full-screen
render of the app (``export_screenshot``), as in the Textual notes. Each case runs in a fresh process.
Cursor moves are timed again while the near-duplicate scan runs (target 50 ms, issue 14): with the scan in a
child process, as the app runs it, and, for comparison, in the worker thread. Figures are medians over repeats.

The "terminal" figures run ``curator FILE`` in a pseudo-terminal as a person would: a key (j) is written and the
time taken until the moved cursor's example shows on the screen, idle and while the checks' scans run (c; a key
counts when a scan process ran before and after it). Every other key during the scan is timed with the scan
processes stopped (SIGSTOP), so the scans' own cost shows apart from the machine's load at the same moments.
Beside them: the share of a core the app's own process used (its scans run in child processes, so this shows
what the app itself spends on them), the scans' wall-clock time from c (the stopped time left out) and the load
average: on a shared 2-core machine the idle figure itself moves with it. ``--terminal`` gives these figures
alone, ``--file`` benchmarks other files; "n/a" marks a figure the run could not measure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fresh import in_fresh_process  # noqa: E402
from curator.core.ops import SetField  # noqa: E402

TARGETS = {"first paint s": 1.5, "cursor move ms": 50, "page-down ms": 50, "edit ms": 50, "search ms": 300,
           "save s": 2.0, "cursor during scan ms": 50, "cursor, scan in thread ms": None, "peak MB": 1024,
           "terminal cursor ms": 50, "terminal cursor during scan ms": 50, "same moments, scan stopped ms": None,
           "keys timed during scan": None,
           "app CPU share idle": None, "app CPU share during scan": None, "scans s (from c)": None, "load average": None}
TERMINAL = ("terminal cursor ms", "terminal cursor during scan ms", "same moments, scan stopped ms",
            "keys timed during scan", "app CPU share idle", "app CPU share during scan", "scans s (from c)", "load average")


async def _measure(path: str) -> dict:
    from curator.core.settings import Settings
    from textual.screen import ModalScreen

    from curator.tui.app import CuratorApp, ErrorScreen
    from curator.tui.screens.main import MainScreen

    out: dict[str, float] = {}
    start = time.perf_counter()
    app = CuratorApp(path, settings=Settings(), run_slow_checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, MainScreen) or not app.screen.table.source.row_count():
            if isinstance(app.screen, ModalScreen | ErrorScreen):  # a question on open (recovery, file in use)
                raise SystemExit(f"{path}: the app asks before showing the file ({type(app.screen).__name__}: "
                                 f"{getattr(app.screen, 'title_text', '')}); benchmark a private copy")
            await asyncio.sleep(0.005)
        app.export_screenshot()  # the first full paint
        out["first paint s"] = time.perf_counter() - start
        await app.workers.wait_for_complete()
        await pilot.pause()
        main = app.screen
        if not isinstance(main, MainScreen) or main.partial:
            raise SystemExit(f"{path}: not on the whole file's table once loaded but on {type(main).__name__}")

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
        for isolated, key in ((True, "cursor during scan ms"), (False, "cursor, scan in thread ms")):
            out[key] = await _cursor_during_scan(app, main, isolated, timed)
    out["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


async def _cursor_during_scan(app, main, isolated: bool, timed) -> float:
    """Median cursor move (with its render) while the near-duplicate scan of the slow checks runs, the scan in a
    child process as the app runs it (``isolated``) or in the worker thread as before; NaN when the scan ended
    before the moves did."""
    main.store.isolated = isolated
    main.do(SetField("edit", (main.table.current.id,), "output", (f"scan {isolated}",)))  # a version not cached
    main.check_slow()
    await asyncio.sleep(1.5)  # the scan is under way (the child process has started)
    times = []
    for _ in range(30):
        times.append(timed(main.action_cursor_down, 1))
        await asyncio.sleep(0.03)  # the app's own loop runs between keys
    running = any(w.group == "slow-checks" and w.is_running for w in main.workers)
    for w in main.workers:
        w.cancel()
    while any(w.is_running for w in main.workers):  # a cancelled worker never completes: wait until it stops
        await asyncio.sleep(0.05)
    return statistics.median(times) if running else float("nan")


def _case(path: str, queue) -> None:
    queue.put(asyncio.run(_measure(path)))


def run_case(path: Path) -> dict:
    fresh = Path(shutil.copy(path, path.with_name(f"terminal-{path.name}")))  # none of the first case's edits
    return {**in_fresh_process(_case, str(path)), **terminal_case(fresh)}


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds a running process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _scan_children(pid: int) -> list[int]:
    """The scan processes a running app has started (spawned children, multiprocessing's tracker left out)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing" in command and b"resource_tracker" not in command:
                found.append(int(child))
    return found


def terminal_case(path: Path, keys: int = 30) -> dict:
    """``curator FILE`` in a pseudo-terminal: key j until the next example's detail shows, idle and while the
    checks' scans run (a key counts when a scan process ran before and after it; every other key is timed with the scan processes stopped, so
that the scans' own cost shows apart from the machine's load at the same moments); the share of a core the app's
    own process used meanwhile, and the scans' wall-clock time from c until the last scan process ended."""
    from bench import bench_million
    from bench.bench_million import CURATOR, Terminal

    home = Path(tempfile.mkdtemp(prefix="bench-tui-home-"))
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):  # the benchmark adds nothing to the user's recent files
        bench_million.PRIVATE_HOME[f"XDG_{name}_HOME"] = str(home / name.lower())
    term = Terminal(CURATOR + [str(path)])
    out: dict[str, float] = {}

    def down() -> float:  # until the detail pane's title names the next example
        return term.key(b"j", "input · #".encode(), timeout=10) * 1000

    try:
        term.wait_for(b"examples", 120)
        term.settle(quiet=3.0, timeout=600)  # loaded, and the first checks (a scan too, if one started) are done
        while _scan_children(term.pid):
            term.settle(quiet=1.0, timeout=1.0)
        before, start = _process_cpu(term.pid), time.perf_counter()
        out["terminal cursor ms"] = statistics.median(down() for _ in range(keys // 2))
        out["app CPU share idle"] = (_process_cpu(term.pid) - before) / (time.perf_counter() - start)
        term.key(b"d")  # a new version of the data, which no scan has cached
        term.settle(quiet=1.0)
        started = time.perf_counter()
        term.key(b"c", b"checking", timeout=10)
        while not _scan_children(term.pid) and time.perf_counter() - started < 60:
            term.settle(quiet=0.05, timeout=0.05)
        before, start = _process_cpu(term.pid), time.perf_counter()
        times, paused_times, paused = [], [], 0.0
        while len(times) < keys and (scans := _scan_children(term.pid)):
            if len(paused_times) < len(times):  # every other key with the scans stopped: the same moment's
                halt = time.perf_counter()      # load without them
                for pid in scans:
                    os.kill(pid, signal.SIGSTOP)
                took = down()
                for pid in scans:
                    os.kill(pid, signal.SIGCONT)
                paused += time.perf_counter() - halt
                paused_times.append(took)
                continue
            took = down()
            if _scan_children(term.pid):
                times.append(took)
        out["app CPU share during scan"] = (_process_cpu(term.pid) - before) / (time.perf_counter() - start)
        out["keys timed during scan"] = len(times)
        out["terminal cursor during scan ms"] = statistics.median(times) if times else float("nan")
        out["same moments, scan stopped ms"] = statistics.median(paused_times) if paused_times else float("nan")
        last = time.perf_counter()
        while time.perf_counter() - last < 2.0 and time.perf_counter() - started < 900:
            if _scan_children(term.pid):
                last = time.perf_counter()
            term.settle(quiet=0.05, timeout=0.05)
        out["scans s (from c)"] = last - started - paused
        out["load average"] = os.getloadavg()[0]
    finally:
        term.close()
        shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="the folder holding alpaca_data.json (default: shared/data "
                        "beside the checkout or a folder above it)")
    parser.add_argument("--terminal", action="store_true", help="only the terminal figures (quicker)")
    parser.add_argument("--file", type=Path, action="append", help="benchmark this file instead of generated "
                        "100k and Alpaca (a private copy is used; may be given more than once)")
    args = parser.parse_args()
    if args.data is None:
        args.data = next((up / "shared" / "data" for up in ROOT.parents if (up / "shared" / "data").is_dir()),
                         ROOT.parent / "shared" / "data")
    from bench.generate import generate, write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        if args.file:  # private copies: the benchmark edits and saves the file it opened
            cases = [(f.name[:24], Path(shutil.copy(f, Path(tmp) / f.name))) for f in args.file]
        else:
            cases = [("generated 100k", write_jsonl(Path(tmp) / "gen100k.jsonl", generate(100_000)))]
            alpaca = args.data / "alpaca_data.json"
            if alpaca.exists():
                cases.append(("alpaca_data.json (52k)", Path(shutil.copy(alpaca, Path(tmp) / "alpaca_data.json"))))
            else:
                print(f"skipped Alpaca: {alpaca} not found")
        run = (lambda path: terminal_case(path)) if args.terminal else run_case
        results = [(name, run(path)) for name, path in cases]
    print(f"{'figure':32}" + "".join(f"{name:>26}" for name, _ in results) + f"{'target':>10}")
    for key, target in TARGETS.items():
        if args.terminal and key not in TERMINAL:
            continue
        cells = ""
        for _, r in results:
            value = r.get(key, float("nan"))
            if value != value:  # NaN: not measured (the scan ended before a key could be timed)
                cells += f"{'n/a':>20} {'':>5}"
                continue
            mark = "" if target is None else "ok" if value <= target else "OVER"
            cells += f"{value:>20.{0 if 'keys' in key else 1 if 'ms' in key else 2}f} {mark:>5}"
        print(f"{key:32}{cells}{'' if target is None else target:>10}")


if __name__ == "__main__":
    main()
