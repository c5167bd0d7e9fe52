"""Read and save benchmark for the dataset readers and writers (issue 18: fast path, exact errors).

    python bench/bench_formats.py                 # generated 1,000,000 examples (bench/generate.py)
    python bench/bench_formats.py -n 100000       # another size
    python bench/bench_formats.py --file F.jsonl  # a file of yours

Each figure is a whole process measured from outside (Python start-up and imports included), beside its target:
- read: the whole file into a Dataset, as the app gets it (fast path), target <= 3 s;
- save: open, edit 3 examples, save (untouched rows copied from their source bytes), target <= 3 s;
- peak memory (RSS) of either, target <= 1.5 GB;
beside the exact line-by-line reader and polars' own read_ndjson / write_ndjson on the same file.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

READ_S, SAVE_S, MEMORY_MB = 3.0, 3.0, 1536

CASES = {
    "read (fast path)": """
from curator.core.dataset import Dataset
from curator.core.formats.registry import read_file
dataset = Dataset.from_records(read_file(PATH).records)
assert len(dataset)
""",
    "save after 3 edits": """
from curator.core.ops import SetField
from curator.core.session import Session
with Session.open(PATH) as s:
    n = len(s.dataset)
    s.apply(SetField("edit", (0, n // 2, n - 1), "output", ("x", "y", "z")))
    t = time.perf_counter()
    s.save()
    extra["save alone"] = time.perf_counter() - t
""",
    "read (exact reader)": """
from pathlib import Path
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import read_data
read_data(Path(PATH).read_bytes(), PATH, "gemini-jsonl", FormatOptions(), exact=True)
""",
    "polars read_ndjson": """
import polars as pl
pl.read_ndjson(PATH)
""",
    "polars read_ndjson + write_ndjson": """
import polars as pl
frame = pl.read_ndjson(PATH)
t = time.perf_counter()
frame.write_ndjson(PATH + ".out")
extra["write_ndjson alone"] = time.perf_counter() - t
""",
}
TARGETS = {"read (fast path)": READ_S, "save after 3 edits": SAVE_S}


def run(code: str, path: Path) -> dict:
    """Run ``code`` in a fresh interpreter; its wall time from outside, its own peak RSS and extra figures."""
    program = (
        "import json, resource, sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\nPATH = {str(path)!r}\nextra = {{}}\n"
        + code
        + "\nprint(json.dumps({'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(done.stderr)
    return {"wall": wall, **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1_000_000, help="examples to generate (default 1,000,000)")
    parser.add_argument("--file", help="benchmark this JSONL file instead of a generated one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.jsonl"
        if args.file:
            shutil.copyfile(args.file, path)
        else:
            subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), str(path), "-n", str(args.n)],
                           check=True, capture_output=True)
        size = path.stat().st_size / 1e6
        print(f"{path.name}: {size:,.0f} MB; whole processes, start-up included\n")
        print(f"{'case':36} {'time':>8} {'target':>8} {'peak RSS':>10} {'target':>8}")
        for name, code in CASES.items():
            if name == "save after 3 edits":
                shutil.copyfile(path, path.with_name("save.jsonl"))
                figures = run(code, path.with_name("save.jsonl"))
            else:
                figures = run(code, path)
            target = TARGETS.get(name)
            mark = "" if target is None else ("ok" if figures["wall"] <= target else "OVER")
            mem_mark = "" if target is None else ("ok" if figures["rss_mb"] <= MEMORY_MB else "OVER")
            print(f"{name:36} {figures['wall']:7.2f}s {(f'{target:.1f}s ' + mark) if target else '':>8} "
                  f"{figures['rss_mb']:8,.0f}MB {(f'{MEMORY_MB}MB ' + mem_mark) if target else '':>8}")
            for key, value in figures.items():
                if key not in ("wall", "rss_mb"):
                    print(f"  {key:34} {value:7.2f}s")


if __name__ == "__main__":
    main()
