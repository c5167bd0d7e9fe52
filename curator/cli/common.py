"""Argument helpers shared by the commands: input options, loading with clear errors, output.

Importing this costs nothing: what loads data (polars) is imported by the functions that load it, so a
command's --help answers at once.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from typing import TYPE_CHECKING

from curator.core.errors import CuratorError
from curator.core.formats import NAMES

if TYPE_CHECKING:
    from curator.core.dedupe.store import DedupeStore
    from curator.core.formats.base import FormatOptions
    from curator.core.session import Session


def command_of(parser: argparse.ArgumentParser) -> str:
    """The command a subparser is for (one module can serve several: jobs, job, cancel)."""
    return parser.prog.split()[-1]


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE plus the options that say how to read it."""
    parser.add_argument("file", metavar="FILE", help="the dataset file")
    add_format_arguments(parser)


def add_format_arguments(parser: argparse.ArgumentParser, flag: str = "--format") -> None:
    parser.add_argument(flag, dest="format", choices=NAMES, help="the file's format (default: detected)")
    parser.add_argument("--input-col", help="the column or field holding the input: a name (nested JSON fields as "
                        "a.b; several, composed through the template, as a,b), or a number with --no-header")
    parser.add_argument("--output-col", help="the column or field holding the output")
    parser.add_argument("--system-col", help="the column or field holding the system instruction (default: a "
                        "column or field named system or system_prompt beside recognised ones)")
    parser.add_argument("--no-header", action="store_true", help="CSV/TSV: the first row is data, not column names")


def thinking_argument(text: str) -> int | None:
    """argparse type of --thinking: least, off, dynamic or a number of tokens."""
    from curator.core.backends.thinking import parse_thinking

    try:
        return parse_thinking(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give least, off, dynamic or a number of tokens") from None


def add_thinking_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--thinking", type=thinking_argument, default=None, metavar="BUDGET",
                        help="thinking budget of both models, out of the max output tokens: least (default: off "
                             "where the model allows it, its minimum where it does not), off, dynamic, or tokens")


def format_options(args: argparse.Namespace) -> FormatOptions:
    from curator.core.formats.base import FormatOptions

    return FormatOptions(args.input_col, args.output_col, header=not args.no_header, system_col=args.system_col)


def open_read_only(args: argparse.Namespace, *, allow_skipped: bool = True) -> Session:
    """Open FILE without a lock (commands that only read); skipped lines are reported on stderr."""
    from curator.core.session import Session

    session = Session.open(args.file, args.format, format_options(args), read_only=True, allow_skipped=allow_skipped)
    say_mapping(session.path, session.mapping)
    for problem in session.skipped:
        print(f"{problem} (skipped)", file=sys.stderr)
    return session


def say_mapping(path, mapping: str | None) -> None:
    """Tell on stderr which fields of the file were read (when they were not the format's own)."""
    if mapping:
        print(f"{path}: {mapping}", file=sys.stderr)


def report_error(error: CuratorError) -> int:
    """Print every problem of an error to stderr; returns exit code 2."""
    print("\n".join(str(p) for p in error.problems), file=sys.stderr)
    return 2


def open_store(path) -> DedupeStore | None:
    """The dedupe cache of the dataset's workspace, or None when no workspace can be written."""
    from curator.core.dedupe.store import DedupeStore
    from curator.core.storage.workspace import Workspace

    try:
        return DedupeStore(Workspace.for_dataset(path))
    except (OSError, sqlite3.Error):
        return None
