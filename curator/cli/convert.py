"""curator convert: rewrite a dataset in another format."""

from __future__ import annotations

import argparse
from pathlib import Path

from curator.cli.common import add_format_arguments, format_options, report_error, say_mapping
from curator.core.errors import CuratorError
from curator.core.formats import NAMES

DESCRIPTION = (
    "Convert IN to OUT. OUT's format comes from its ending (.jsonl gemini-jsonl, .json gemini-json, .csv, .tsv,\n"
    ".parquet) unless --to names one. Formats: " + ", ".join(NAMES) + ".\n"
    "A conversion that would drop data the target format cannot hold (splits, tags, notes, system\n"
    "instructions, unknown fields) stops and says what, unless --lossy."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="the file to read")
    parser.add_argument("output", metavar="OUT", help="the file to write (replaced atomically)")
    add_format_arguments(parser, "--from")
    parser.add_argument("--to", choices=NAMES, help="OUT's format (default: from its ending)")
    parser.add_argument("--lossy", action="store_true", help="drop what the target format cannot hold")


def run(args: argparse.Namespace) -> int:
    from curator.core.formats.registry import format_for_extension, read_file, write_file
    from curator.core.settings import read_options
    from curator.core.storage.atomic import atomic_write

    try:
        result = read_file(args.input, args.format, read_options(args.input, format_options(args)))
        say_mapping(args.input, result.mapping)
        target = args.to or format_for_extension(args.output)
        if Path(args.output).resolve() == Path(args.input).resolve():
            raise CuratorError("IN and OUT are the same file; convert to a new file", args.output)
        with atomic_write(args.output) as out:
            write_file(result.records, out, target, allow_lossy=args.lossy, source=result.source)
    except CuratorError as e:
        return report_error(e)
    print(f"wrote {result.records.height:,} examples to {args.output} ({target})")
    return 0
