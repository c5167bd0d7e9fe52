"""``curator [FILE]``: open the terminal app (the only command path that imports textual)."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from curator.cli.common import add_format_arguments, format_options
from curator.core.errors import CuratorError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curator",
        description="Open FILE in the curator app (no FILE: recent files and the demo).",
        epilog="Run `curator --help` for the headless commands.")
    parser.add_argument("file", metavar="FILE", nargs="?", help="the dataset file to open")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo dataset (a copy you may edit)")
    parser.add_argument("--read-only", action="store_true", help="browse without a lock; no changes")
    parser.add_argument("--theme", default="textual-dark", help="a Textual theme name (default textual-dark)")
    parser.add_argument("--no-slow-checks", action="store_true",
                        help="skip the near-duplicate and leakage scan at open (run it later with c)")
    add_format_arguments(parser)
    return parser


def open_app(argv: list[str]) -> int:
    """Parse the app's arguments and run it; returns the exit code. With a core to spare, the file starts being
    read before the app is imported, in a thread of its own: reading (mostly outside the GIL) and importing
    overlap."""
    args = build_parser().parse_args(argv)
    options = format_options(args)
    opening = None
    if args.file and not args.demo:
        from curator.core.opening import Opening, core_to_spare

        if core_to_spare():  # else the app's worker reads it once the app runs
            opening = Opening(Path(args.file), args.format, options, read_only=args.read_only).start()
    gc.disable()  # importing the app makes objects that live as long as it: no collection need look at them,
    try:
        from curator.core.demo import demo_copy
        from curator.tui.app import CuratorApp
    finally:
        gc.freeze()  # nor any later one
        gc.enable()

    path = demo_copy() if args.demo else args.file
    try:
        app = CuratorApp(path, fmt=args.format, options=options, theme=args.theme,
                         run_slow_checks=not args.no_slow_checks, read_only=args.read_only, opening=opening)
    except CuratorError as exc:
        print(exc, file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0
