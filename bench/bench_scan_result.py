"""The app's interface while a near-duplicate scan result arrives: the longest the interpreter lock is held.

    python bench/bench_scan_result.py FILE                  # scan FILE as the app does, then read it from the cache
    python bench/bench_scan_result.py FILE --save scan.json # ... and keep the scan's JSON
    python bench/bench_scan_result.py --json scan.json      # replay only: a saved scan's JSON received, decoded, cached

The app scans from 5,000 examples in a child process that sends the result back as JSON; the app's worker thread
receives, decodes and caches it. Meanwhile a probe thread here sleeps 1 ms at a time and records the longest gap
between its wake-ups: the longest the interpreter lock was held, which is the longest a key waits (target, issue
14: cursor keys <= 50 ms while a scan runs). Printed beside the target, with the load average and CPU time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 50.0


class Probe:
    """A thread that wakes every millisecond and keeps the longest gap between wake-ups, per named stage."""

    def __init__(self) -> None:
        self.stage = "start"
        self.worst: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.worst[self.stage] = max(self.worst.get(self.stage, 0.0), now - last)
            last = now

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.02)
        self._stop.set()
        self._thread.join()


def _send(conn, path: str) -> None:
    conn.send(("done", Path(path).read_text()))
    conn.close()


def replay(path: str) -> dict[str, float]:
    """A saved scan's JSON sent from a child process as ``run_isolated`` receives it, decoded, cached."""
    from curator.core.dedupe.scan import DedupeScan
    from curator.core.dedupe.store import DedupeStore
    from curator.core.storage.workspace import Workspace

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_send, args=(child, path), daemon=True)
    with tempfile.TemporaryDirectory() as folder, Probe() as probe:
        store = DedupeStore(Workspace(folder))
        proc.start()
        child.close()
        while not parent.poll(0.05):
            pass
        probe.stage = "receive"
        _, text = parent.recv()
        probe.stage = "decode"
        scan = DedupeScan.from_json(text)
        probe.stage = "cache"
        store._remember("replay", "dedupe", scan.to_json())
        probe.stage = "end"
    proc.join()
    print(f"  {len(scan.clusters):,} clusters, {len(scan.numeric):,} numbers-only clusters, {len(text) / 1e6:,.0f} MB")
    return {k: v for k, v in probe.worst.items() if k not in ("start", "end")}


def scan_file(path: str, save: str | None) -> dict[str, float]:
    """The app's scan of ``path``: run in a child process, received, decoded and cached by a worker thread,
    then read back from the cache."""
    from curator.core.checks.near_dups import dedupe_params
    from curator.core.dedupe.store import DedupeStore
    from curator.core.session import Session
    from curator.core.settings import Settings
    from curator.core.storage.workspace import Workspace

    params = dedupe_params(Settings())
    with Session.open(path, read_only=True) as session, tempfile.TemporaryDirectory() as folder:
        store = DedupeStore(Workspace(folder), isolated=True)
        out = {}
        with Probe() as probe:
            probe.stage = "scan, receive, decode, cache"
            worker = threading.Thread(target=lambda: out.update(scan=store.dedupe(session.dataset, **params)[0]))
            start = time.perf_counter()
            worker.start()
            worker.join()
            print(f"  scan {time.perf_counter() - start:.1f} s: {len(out['scan'].clusters):,} clusters, "
                  f"{len(out['scan'].numeric):,} numbers-only clusters")
            probe.stage = "read from the cache"
            worker = threading.Thread(target=lambda: store.cached_dedupe(session.dataset, **params))
            worker.start()
            worker.join()
            probe.stage = "end"
        if save:
            Path(save).write_text(out["scan"].to_json())
    return {k: v for k, v in probe.worst.items() if k not in ("start", "end")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="a dataset to scan as the app does")
    parser.add_argument("--json", help="a saved scan's JSON to replay (no scan)")
    parser.add_argument("--save", help="where to keep the scan's JSON")
    args = parser.parse_args()
    if not (args.file or args.json):
        parser.error("give a FILE to scan or --json SAVED")
    sys.setswitchinterval(0.001)  # as the app sets it
    cpu = time.process_time()
    worst = replay(args.json) if args.json else scan_file(args.file, args.save)
    print(f"load average {os.getloadavg()[0]:.2f}, 2 cores; this process's CPU {time.process_time() - cpu:.1f} s")
    for stage, seconds in worst.items():
        ms = seconds * 1000
        print(f"  longest lock hold, {stage:<30} {ms:7.0f} ms   target <= {TARGET_MS:.0f} ms  "
              f"{'ok' if ms <= TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
