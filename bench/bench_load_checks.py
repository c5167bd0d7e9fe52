"""Load and check benchmark: time to load a file into a Dataset, time of the checks, peak memory.

    python bench/bench_load_checks.py            # generated 100k (mixed and tickets) + Alpaca
    python bench/bench_load_checks.py --slow     # also time the near-duplicate and leakage checks

Targets (issue 2): load 100k examples <= 1 s; all non-fuzzy checks on 100k <= 2 s; peak memory <= 600 MB.
Each case runs in a fresh process so its peak memory (RSS) is its own; times are the median of 3 runs.
Real data comes from ``--data`` (default ../shared/data beside the repo) and is never copied.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fresh import in_fresh_process  # noqa: E402

LOAD_S = 1.0
CHECKS_S = 2.0
MEMORY_MB = 600


def _case(path: str, slow: bool, out) -> None:
    from curator.core.checks import run_checks
    from curator.core.dataset import Dataset
    from curator.core.formats.registry import read_file

    loads, checks = [], []
    for _ in range(3):
        t = time.perf_counter()
        dataset = Dataset.from_records(read_file(path).records)
        loads.append(time.perf_counter() - t)
        t = time.perf_counter()
        findings = run_checks(dataset, skip_slow=True)
        checks.append(time.perf_counter() - t)
    result = {"n": len(dataset), "load": statistics.median(loads), "checks": statistics.median(checks),
              "findings": len(findings)}
    if slow:
        t = time.perf_counter()
        result["slow_findings"] = len(run_checks(dataset)) - len(findings)
        result["slow"] = time.perf_counter() - t
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(result)


def run_case(path: Path, slow: bool) -> dict:
    return in_fresh_process(_case, str(path), slow)


def _mark(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--slow", action="store_true", help="also run the near-duplicate and leakage checks")
    args = parser.parse_args()
    from bench.generate import generate, write_jsonl

    with tempfile.TemporaryDirectory() as tmp:
        cases = [("generated 100k, mixed tasks", write_jsonl(Path(tmp) / "mixed.jsonl", generate(100_000))),
                 ("generated 100k, ticket labels", write_jsonl(Path(tmp) / "tickets.jsonl",
                                                               generate(100_000, task="tickets")))]
        alpaca = args.data / "alpaca_data.json"
        if alpaca.exists():
            cases.append(("alpaca_data.json (52k)", alpaca))
        else:
            print(f"skipped Alpaca: {alpaca} not found")
        print(f"{'case':32} {'n':>7} {'load s':>14} {'checks s':>14} {'peak MB':>14} {'findings':>9}")
        for name, path in cases:
            r = run_case(path, args.slow)
            print(f"{name:32} {r['n']:>7} "
                  f"{r['load']:6.2f} ≤{LOAD_S:<4} {_mark(r['load'], LOAD_S):>3} "
                  f"{r['checks']:6.2f} ≤{CHECKS_S:<4} {_mark(r['checks'], CHECKS_S):>3} "
                  f"{r['rss_mb']:6.0f} ≤{MEMORY_MB:<4} {_mark(r['rss_mb'], MEMORY_MB):>3} {r['findings']:>9}")
            if args.slow:
                print(f"{'':32} near-duplicates + leakage: {r['slow']:.2f} s, {r['slow_findings']} findings")


if __name__ == "__main__":
    main()
