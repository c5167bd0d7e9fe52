"""Suspect-label benchmark: Banking77 with 5 % of its labels flipped at random (seeded), then
``curator check --labels`` as a whole process (start-up included).

    python bench/bench_suspects.py [path/to/banking77/train.csv]

Targets (issue 16): precision of the top-k suspects (k = the number of flipped labels) >= 0.6, in <= 10 s.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = Path("/work/shared/data/banking77/train.csv")
PRECISION_TARGET, SECONDS_TARGET, SHARE, SEED = 0.6, 10.0, 0.05, 0


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    frame = pl.read_csv(source).rename({"text": "text_input", "category": "output"})
    labels = sorted(set(frame["output"].to_list()))
    rng = np.random.default_rng(SEED)
    flipped = np.sort(rng.choice(frame.height, int(SHARE * frame.height), replace=False))
    outputs = frame["output"].to_list()
    for i in flipped:
        outputs[i] = rng.choice([label for label in labels if label != outputs[i]])
    noisy = frame.with_columns(pl.Series("output", outputs))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "banking77-noisy.csv"
        noisy.write_csv(path)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "curator", "check", "--labels", "--json", str(path)],
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"curator check --labels failed: {done.stderr}")
    suspects = json.loads(done.stdout)["suspects"]
    k = len(flipped)
    wrong = {int(i) for i in flipped}  # example ids are row numbers
    precision = sum(s["id"] in wrong for s in suspects[:k]) / k
    recall = sum(s["id"] in wrong for s in suspects) / k
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"Banking77 {frame.height:,} rows, {k} labels flipped (seed {SEED}); {len(suspects)} suspects listed")
    print(f"precision of the top {k}: {precision:.3f}   target >= {PRECISION_TARGET}")
    print(f"recall of all suspects:   {recall:.3f}")
    print(f"whole process: {seconds:.1f} s wall, {cpu:.1f} s CPU   target <= {SECONDS_TARGET:.0f} s")


if __name__ == "__main__":
    main()
