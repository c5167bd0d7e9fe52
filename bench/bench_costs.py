"""Cost estimate and dropped-example lookup at scale: what the tuning form, ``--dry-run`` and ctrl+g on a job
cost on 1M generated examples (issue 15 items 8 and 9).

    python bench/bench_costs.py [-n 1000000]

Figures, each in a fresh process, wall clock and CPU seconds, with the load average beside them:
- the tuning estimate (training tokens × epochs, estimated without the local tokenizer), target ≤ 1 s;
- the fingerprints kept with a job at launch, target ≤ 3 s;
- finding a job's dropped examples in the dataset again by content, target ≤ 3 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fresh import in_fresh_process  # noqa: E402

TARGETS = {"tuning estimate": 1.0, "fingerprints at launch": 3.0, "find dropped examples": 3.0}


def _case(n: int, queue) -> None:
    try:
        queue.put(_measure(n))
    except Exception as exc:  # report, do not leave the parent waiting
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def _measure(n: int) -> dict:
    from bench.generate import iter_examples
    from curator.core.costs import tuning_estimate
    from curator.core.dataset import Dataset
    from curator.core.fingerprints import fingerprint_at, find_examples, fingerprints
    from curator.core.model import records_frame

    rows = list(iter_examples(n, seed=5))
    dataset = Dataset.from_records(records_frame({"text_input": [r["text_input"] for r in rows],
                                                  "output": [r["output"] for r in rows]}))
    frame = dataset.active()
    train = frame.select("text_input", "output", "system")
    out = {}
    wall, cpu, estimate = _timed(lambda: tuning_estimate(train, "vertex", "gemini-2.5-flash", 3))
    out["tuning estimate"] = (wall, cpu, f"{estimate.lines[0].tokens['training']:,} training tokens")
    wall, cpu, blob = _timed(lambda: fingerprints(train))
    out["fingerprints at launch"] = (wall, cpu, f"{len(blob) / 1e6:.1f} MB kept with the job")
    lines = [1, n // 3, n // 2, n]
    wall, cpu, found = _timed(lambda: find_examples(frame, [fingerprint_at(blob, line) for line in lines]))
    out["find dropped examples"] = (wall, cpu, f"{len(found)} of {len(lines)} lines found "
                                                f"({sum(len(v) for v in found.values())} examples with their content)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1_000_000, help="generated examples (default 1,000,000)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    result = in_fresh_process(_case, args.n)
    if "error" in result:
        print(f"failed: {result['error']}")
        return
    print(f"{args.n:,} generated examples · load average {load:.2f} (2 cores)")
    print(f"{'case':24} {'wall s':>7} {'cpu s':>7} {'target':>7}")
    for name, (wall, cpu, what) in result.items():
        mark = "ok" if wall <= TARGETS[name] else "OVER"
        print(f"{name:24} {wall:7.2f} {cpu:7.2f} {'≤' + str(TARGETS[name]):>7} {mark:>4}  {what}")


if __name__ == "__main__":
    main()
