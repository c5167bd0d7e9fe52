"""The ``curator`` command: ``curator [FILE]`` opens the app; ``curator COMMAND ...`` runs headless.

Each command lives in its own module of this package, exposing ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``. Modules are imported only when their command runs, so start-up stays fast.
Nothing here imports textual except the code path that opens the app.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from curator import __version__

# command name -> module in curator.cli (one line of help lives in the module as HELP)
COMMANDS: dict[str, str] = {
    "check": "check",
    "stats": "stats",
    "convert": "convert",
    "dedupe": "dedupe",
    "models": "models",
    "tune": "tune",
    "jobs": "jobs", "job": "jobs", "cancel": "jobs",  # one module, three commands (it reads args.command)
    "try": "try_",
    "eval": "eval", "runs": "eval",  # one module, two commands
}

EXIT_CODES = """exit codes:
  0  success (for check: no findings above info)
  1  warnings (check), or a command failed for a reason it printed
  2  errors (check), or the input could not be read"""


def _command_module(name: str):
    return importlib.import_module(f"curator.cli.{COMMANDS[name]}")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="curator",
        description="Curate fine-tuning datasets, tune models and compare base vs tuned, from the terminal.\n\n"
        "  curator FILE          open FILE in the app\n"
        "  curator               open the app: recent files and the bundled demo\n"
        "  curator COMMAND ...   run a command without the app (see below)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"curator {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = _command_module(name)
        p = sub.add_parser(
            name,
            help=getattr(module, "HELPS", {}).get(name, module.HELP),
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=getattr(module, "EPILOG", None),
        )
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run curator with ``argv`` (default: the process arguments); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        parser = build_parser()
        args = parser.parse_args(argv)
        try:
            return int(_command_module(args.command).run(args) or 0)
        except BrokenPipeError:  # the reader went away (curator ... | head): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    if argv and argv[0] in ("-h", "--help", "--version"):
        build_parser().parse_args(argv)
        return 0
    from curator.cli.app import open_app

    return open_app(argv)
