"""The ``curator`` command: ``curator [FILE]`` opens the app; ``curator COMMAND ...`` runs headless.

Each command lives in its own module of this package, exposing ``add_arguments(parser)``
and ``run(args) -> int``. Modules are imported only when their command runs, so start-up stays fast.
Nothing here imports textual except the code path that opens the app.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from curator import __version__

# command name -> (module in curator.cli, one line of help). The top-level help needs no module; a command
# imports only its own, and a module imports what is slow to load (polars, scikit-learn, google-genai) inside
# its run(), so `curator --help` and `curator COMMAND --help` start at once.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check a dataset against the tuning rules and provider limits"),
    "stats": ("stats", "print counts, length distributions and label frequencies"),
    "convert": ("convert", "convert a dataset between formats"),
    "dedupe": ("dedupe", "list near-duplicate clusters (or leakage) with a suggested keeper"),
    "models": ("models", "list the models of a backend: base models to tune or evaluate, and tuned ones"),
    "tune": ("tune", "check a dataset and launch a tuning job (local by default; Vertex AI)"),
    # one module, three commands (it reads args.command)
    "jobs": ("jobs", "list the tuning jobs of a workspace"),
    "job": ("jobs", "show one tuning job (--wait follows it to the end)"),
    "cancel": ("jobs", "cancel a running tuning job (asks first)"),
    "try": ("try_", "send one input to a model (and another with --vs) and print the answers side by side"),
    # one module, two commands
    "eval": ("eval", "evaluate model A (base) against model B (tuned) on a dataset's examples and report"),
    "runs": ("eval", "list kept evaluation runs, export one as a report, or compare two"),
}

EXIT_CODES = """exit codes:
  0  success (for check: no findings above info)
  1  warnings (check), or a command failed for a reason it printed
  2  errors (check), or the input could not be read
  141  the reader of the output went away before all of it was written (curator ... | head);
       check still exits with its own verdict"""
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a program ended by SIGPIPE


def silence_stdout() -> None:
    """Send what is left to write to /dev/null: the reader of stdout went away (a broken pipe)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _command_module(name: str):
    return importlib.import_module(f"curator.cli.{COMMANDS[name][0]}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser listing every command; only ``command``'s module is imported, for its arguments."""
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
    for name, (_, help_line) in COMMANDS.items():
        if name != command:
            sub.add_parser(name, help=help_line)
            continue
        module = _command_module(name)
        p = sub.add_parser(name, help=help_line, description=getattr(module, "DESCRIPTION", help_line),
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=getattr(module, "EPILOG", None))
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run curator with ``argv`` (default: the process arguments); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        args = build_parser(argv[0]).parse_args(argv)
        try:
            code = int(_command_module(args.command).run(args) or 0)
            sys.stdout.flush()  # here, not at exit, so that a reader gone away is seen below
            return code
        except BrokenPipeError:  # the reader went away (curator ... | head): stop quietly, not as a success
            silence_stdout()
            return EXIT_BROKEN_PIPE
    if argv and argv[0] in ("-h", "--help", "--version"):
        build_parser().parse_args(argv)
        return 0
    from curator.cli.app import open_app

    return open_app(argv)
