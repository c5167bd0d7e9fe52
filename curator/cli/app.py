"""``curator [FILE]``: open the terminal app (the only command path that imports textual)."""

from __future__ import annotations

import argparse
import sys

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
    """Parse the app's arguments and run it; returns the exit code."""
    args = build_parser().parse_args(argv)
    from curator.core.demo import demo_copy
    from curator.tui.app import CuratorApp

    path = demo_copy() if args.demo else args.file
    try:
        app = CuratorApp(path, fmt=args.format, options=format_options(args), theme=args.theme,
                         run_slow_checks=not args.no_slow_checks, read_only=args.read_only)
    except CuratorError as exc:
        print(exc, file=sys.stderr)
        return 2
    app.run()
    return app.return_code or 0
