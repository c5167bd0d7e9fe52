"""curator convert: rewrite a dataset in another format."""

from __future__ import annotations

import argparse
import os
import sys

from curator.cli.common import add_format_arguments, format_options, report_error, say_mapping
from curator.core.errors import CuratorError
from curator.core.formats import NAMES

DESCRIPTION = (
    "Convert IN to OUT. OUT's format comes from its ending (.jsonl gemini-jsonl, .json gemini-json, .csv, .tsv,\n"
    ".parquet) unless --to names one. Formats: " + ", ".join(NAMES) + ".\n"
    "A conversion that would drop data the target format cannot hold (splits, tags, notes, system\n"
    "instructions, unknown fields) stops and says what, unless --lossy.\n"
    "OUT open in curator is refused (close it there first); OUT changed by another program while converting\n"
    "is left as it is, unless --force."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="IN", help="the file to read")
    parser.add_argument("output", metavar="OUT", help="the file to write (replaced atomically)")
    add_format_arguments(parser, "--from")
    parser.add_argument("--to", choices=NAMES, help="OUT's format (default: from its ending)")
    parser.add_argument("--lossy", action="store_true", help="drop what the target format cannot hold")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT even when another program changed it while converting")


def run(args: argparse.Namespace) -> int:
    from curator.core.formats.registry import format_for_extension, read_file, write_file
    from curator.core.paths import real_path
    from curator.core.settings import read_options
    from curator.core.storage.lock import write_dataset
    from curator.core.storage.stamp import ChangedOnDisk, FileStamp

    try:
        stamp = None if args.force or not os.path.isfile(args.output) else FileStamp.of(args.output)
        options = read_options(args.input, format_options(args))
        target = args.to or format_for_extension(args.output)
        if real_path(args.output) == real_path(args.input):
            raise CuratorError("IN and OUT are the same file; convert to a new file", args.output)
        check = None if stamp is None else lambda: stamp.check_unchanged(args.output)
        if _streams(args):
            count = _streamed(args, options, target, check)
        else:
            result = read_file(args.input, args.format, options)
            say_mapping(args.input, result.mapping)
            with write_dataset(args.output, before_replace=check) as out:
                write_file(result.records, out, target, allow_lossy=args.lossy, source=result.source)
            count = result.records.height
    except KeyboardInterrupt:
        print("cancelled; OUT is left as it was", file=sys.stderr)
        return 130
    except ChangedOnDisk as e:
        print(f"{args.output}: changed by another program while converting ({e.detail}); left as it is "
              "(--force replaces it)", file=sys.stderr)
        return 2
    except CuratorError as e:
        return report_error(e)
    except OSError as e:
        return report_error(CuratorError(f"cannot write: {e.strerror}", e.filename or args.output))
    print(f"wrote {count:,} examples to {args.output} ({target})")
    return 0


def _streams(args: argparse.Namespace) -> bool:
    """Whether IN is too large to read whole, and is read in batches (``stream.streamed``)."""
    from curator.core.stream import streamed

    return streamed(args.input)


def _streamed(args: argparse.Namespace, options, target: str, check) -> int:
    """Convert IN a batch at a time, with progress on stderr; returns how many examples were written."""
    from curator.cli.progress import StderrProgress
    from curator.core.progress import Progress
    from curator.core.storage.lock import write_dataset
    from curator.core.stream import read_batches, write_batches, writes_in_batches

    if not writes_in_batches(target):
        raise CuratorError(f"{args.input} is too large to hold in memory and is converted a batch at a time: to a "
                           f"JSONL format, a JSON list or Parquet, not {target}", args.output)
    bar = StderrProgress("converting")

    def batches():
        for k, result in enumerate(read_batches(args.input, args.format, options,
                                                lambda p: bar(Progress(p.fraction, "streamed")))):
            if k == 0:
                say_mapping(args.input, result.mapping)
            yield result

    with write_dataset(args.output, before_replace=check) as out:
        count = write_batches(batches(), out, target, allow_lossy=args.lossy,
                              scratch=os.path.dirname(os.path.abspath(args.output)))
    bar.close()
    return count
