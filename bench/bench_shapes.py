"""The common JSONL shapes at a million examples: OpenAI chat, Vertex (Gemini) contents, ShareGPT and a
column-mapped file (``prompt`` / ``completion``), each made from bench/generate.py's examples, beside the flat
Gemini pairs (``text_input`` / ``output``) of the same examples; and OpenAI and ShareGPT JSON lists (one
element a line as curator writes them, or indented as json.dump(..., indent=2) writes them), and a CSV file
with a system column.

    python bench/bench_shapes.py                  # 1,000,000 examples of each shape (kept in --dir)
    python bench/bench_shapes.py -n 100000 --shape openai

Each figure is a whole process measured from outside (start-up included), beside its target (issue 18):
- read: the whole file into a Dataset, as the app gets it when ready, target <= 3 s;
- `curator check --fast`, target <= 8 s;
- peak memory (RSS) of either, target <= 1.5 GB.

    python bench/bench_shapes.py --tables 10000000   # CSV, Parquet and a JSON list of 10M examples
    python bench/bench_shapes.py --tables 1000000 --table json

With --tables, the examples are written as CSV and Parquet (polars' streaming sinks) and as a JSON list (one
element per line) and `curator stats`, `check --fast` and `convert` (to Parquet) run on each, streamed (as they
stream a file above curator.core.loading.LARGE_SIZE, which a smaller file is taken to be), target peak <= 2 GB.
CPU seconds (user + system) are printed beside the wall clock, and the load average beside each shape: the
machine may be shared. A third of the examples carry a system instruction. Nothing is written in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

READ_S, CHECK_S, MEMORY_MB, STREAMED_MB = 3.0, 8.0, 1536, 2048
SYSTEM = "You are a careful support assistant. Answer briefly."


def openai(ex: dict, system: bool) -> dict:
    messages = [{"role": "system", "content": SYSTEM}] if system else []
    messages += [{"role": "user", "content": ex["text_input"]}, {"role": "assistant", "content": ex["output"]}]
    return {"messages": messages, "split": ex["split"]}


def vertex(ex: dict, system: bool) -> dict:
    obj: dict = {"systemInstruction": {"role": "system", "parts": [{"text": SYSTEM}]}} if system else {}
    obj["contents"] = [{"role": "user", "parts": [{"text": ex["text_input"]}]},
                       {"role": "model", "parts": [{"text": ex["output"]}]}]
    return obj | {"split": ex["split"]}


def sharegpt(ex: dict, system: bool) -> dict:
    turns = [{"from": "system", "value": SYSTEM}] if system else []
    turns += [{"from": "human", "value": ex["text_input"]}, {"from": "gpt", "value": ex["output"]}]
    return {"conversations": turns, "split": ex["split"]}


def mapped(ex: dict, system: bool) -> dict:
    return {"prompt": ex["text_input"], "completion": ex["output"], "split": ex["split"]}


def flat(ex: dict, system: bool) -> dict:
    return ex


SHAPES = {"openai": openai, "vertex": vertex, "sharegpt": sharegpt, "mapped": mapped, "flat": flat}
# JSON lists: (the shape of each element, indent): one element a line as curator writes a list, or as
# json.dump(..., indent=2) writes it
LISTS = {"openai-list": (openai, None), "sharegpt-list": (sharegpt, None), "openai-indented": (openai, 2)}


TABLES = ("system-csv",)  # the flat examples as CSV with a system column (filled on a third of the rows)


def ensure_file(shape: str, n: int, folder: Path) -> Path:
    from bench.generate import iter_examples

    if shape in TABLES:
        return system_csv(n, folder)
    path = folder / f"{shape}{n}.{'json' if shape in LISTS else 'jsonl'}"
    if not path.exists():
        print(f"generating {n:,} {shape} examples into {path} …", flush=True)
        partial = path.with_suffix(".part")
        make, indent = LISTS.get(shape, (SHAPES.get(shape), None))
        with partial.open("w", encoding="utf-8") as f:
            for k, ex in enumerate(iter_examples(n)):
                text = json.dumps(make(ex, k % 3 == 0), ensure_ascii=False, indent=indent)
                if shape in LISTS:
                    f.write(("[\n  " if k == 0 else ",\n  ") + text.replace("\n", "\n  "))
                else:
                    f.write(text + "\n")
            if shape in LISTS:
                f.write("\n]\n")
        partial.rename(path)
    return path


def system_csv(n: int, folder: Path) -> Path:
    import polars as pl

    path = folder / f"system{n}.csv"
    if not path.exists():
        print(f"writing {path} …", flush=True)
        flat = pl.read_ndjson(ensure_file("flat", n, folder))
        system = pl.when(pl.int_range(pl.len()) % 3 == 0).then(pl.lit(SYSTEM)).otherwise(pl.lit("")).alias("system")
        flat.select("text_input", "output", system, "split").write_csv(path)
    return path


STREAMED = """
import sys
from curator.core import loading
from curator.cli import main
loading.LARGE_SIZE = 0  # read in batches, as a file too large to read whole is
sys.exit(main(sys.argv[1:]))
"""


READ = """
import sys
from curator.core.dataset import Dataset
from curator.core.formats.registry import read_file
assert len(Dataset.from_records(read_file(sys.argv[1]).records))
"""


def measured(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak MB and CPU seconds (user + system) of a command run to its end."""
    import tempfile

    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err,
                                env=os.environ | {"PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) not in (0, 1, 2) or "Traceback" in text:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    return took, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def json_list(source: Path, path: Path) -> None:
    """The JSONL file ``source`` as a JSON list, one element per line."""
    with source.open("rb") as f, path.open("wb") as out:
        out.write(b"[\n")
        separator = b""
        for line in f:
            if line.strip():
                out.write(separator + line.rstrip(b"\r\n"))
                separator = b",\n"
        out.write(b"\n]\n")


def tables(n: int, folder: Path, kinds: list[str]) -> None:
    """stats, check --fast and convert of ``n`` examples as CSV, Parquet and a JSON list, streamed."""
    import polars as pl

    source = ensure_file("flat", n, folder)
    scan = pl.scan_ndjson(source, schema={"text_input": pl.String, "output": pl.String, "split": pl.String})
    write = {"csv": scan.sink_csv, "parquet": scan.sink_parquet, "json": lambda path: json_list(source, path)}
    for suffix in kinds:
        path = folder / f"flat{n}.{suffix}"
        if not path.exists():
            print(f"writing {path} …", flush=True)
            partial = path.with_suffix(".part")
            write[suffix](partial)
            partial.rename(path)
        target = folder / "converted.parquet"
        commands = {"stats": ["stats", str(path)], "check --fast": ["check", "--fast", str(path)],
                    "convert": ["convert", str(path), str(target)]}
        for case, args in commands.items():
            wall, peak, cpu = measured([sys.executable, "-c", STREAMED, *args])
            target.unlink(missing_ok=True)
            mem = "ok" if peak <= STREAMED_MB else "OVER"
            print(f"{suffix:16}{case:16}{wall:7.2f}s{'':12}{cpu:6.1f}s{peak:8,.0f}{STREAMED_MB:6} {mem:4}"
                  f"{os.getloadavg()[0]:5.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1_000_000, help="examples (default 1,000,000)")
    parser.add_argument("--shape", choices=[*SHAPES, *LISTS, *TABLES], action="append",
                        help="shapes to measure (default: all)")
    parser.add_argument("--tables", type=int, metavar="N", help="instead: N examples as CSV, Parquet and a JSON "
                        "list through stats, check --fast and convert, streamed")
    parser.add_argument("--table", choices=["csv", "parquet", "json"], action="append",
                        help="with --tables: which of them (default: all)")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/curator-shapes"), help="where generated files live")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    curator = [sys.executable, "-m", "curator"]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; whole processes, start-up "
          "included; cpu = user + system seconds")
    print(f"{'shape':16}{'case':16}{'wall':>8}{'target':>8}{'cpu':>8}{'peak MB':>9}{'target':>8}{'load':>6}")
    if args.tables:
        tables(args.tables, args.dir, args.table or ["csv", "parquet", "json"])
        return
    for shape in args.shape or [*SHAPES, *LISTS, *TABLES]:
        path = ensure_file(shape, args.n, args.dir)
        cases = {"read": ([sys.executable, "-c", READ, str(path)], READ_S),
                 "check --fast": ([*curator, "check", "--fast", str(path)], CHECK_S)}
        for case, (command, target) in cases.items():
            wall, peak, cpu = measured(command)
            mark = "ok" if wall <= target else "OVER"
            mem = "ok" if peak <= MEMORY_MB else "OVER"
            print(f"{shape:16}{case:16}{wall:7.2f}s{target:6.1f}s {mark:4}{cpu:6.1f}s{peak:8,.0f}"
                  f"{MEMORY_MB:6} {mem:4}{os.getloadavg()[0]:5.1f}", flush=True)
        shutil.rmtree(args.dir / ".curator", ignore_errors=True)


if __name__ == "__main__":
    main()
