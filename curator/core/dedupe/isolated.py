"""A near-duplicate or leakage scan in a child process, so the caller's interpreter lock stays free.

A scan over 100k texts spends seconds in Python (template matching, normalising, union-find) that would
hold the lock a user interface draws with: cursor keys would lag while it runs. The app runs its scans (the
near-duplicate scan and the leakage scan) here instead: a spawned process, at the lowest priority and off one
core when there are several (``_make_way``), gets the
examples (id, input, output, split) through an Arrow file (written without the interpreter lock; pickling 1M
examples held it 3 s) and the scan parameters, sends progress back through a pipe and the result as JSON text
(which the caller's cache keeps as it is); setting ``cancel`` ends the child at once.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import tempfile
import time
from typing import TYPE_CHECKING

from curator.core.errors import Cancelled, CuratorError
from curator.core.progress import Cancel, Progress, ProgressFn

if TYPE_CHECKING:
    import polars as pl

    from curator.core.dedupe.scan import DedupeScan, LeakageScan

_EVERY = 0.1  # seconds between the progress reports the child sends
NICENESS = 19  # the scan is background work: the interface it runs for comes first


_NAMES = {"dedupe": "near-duplicate scan", "leakage": "leakage scan"}


def _make_way() -> None:
    """Give the user interface the machine first: every thread of this process at the lowest priority and, on a
    machine with several cores, off one of them (threads started later inherit both).

    On Linux ``os.nice`` and ``sched_setaffinity`` change one thread: the threads numpy's BLAS started when the
    child imported it went on at the interface's priority on every core. Measured on 2 cores (Alpaca, keys
    while the scan runs against keys at the same moments with the scan stopped, load 4-5): at nice 5 with BLAS
    left as it was, +35-48 ms a key; at nice 19 on both cores, +13-20 ms; at nice 19 off one core, +2-5 ms,
    the scan itself no slower on that loaded machine (Alpaca 4.3-6.6 s against 5.8-8.1 s, 100k 47 s against 48 s).
    """
    os.nice(NICENESS)
    level = os.getpriority(os.PRIO_PROCESS, 0)
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    left = cpus - {min(cpus)} if len(cpus) > 1 else cpus
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # no /proc (macOS): os.nice applied to the whole process
        threads = []
    for tid in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, level)
            if left != cpus:
                os.sched_setaffinity(tid, left)
        except OSError:  # a thread that ended meanwhile
            pass


def _child(conn, frame_path: str, kind: str, version: str, params: dict, max_seconds: float | None) -> None:
    import polars as pl

    from curator.core.dedupe.scan import LongScan, leakage_frame, scan_frame

    _make_way()
    frame = pl.read_ipc(frame_path)
    last = [0.0]

    def progress(p: Progress) -> None:
        now = time.monotonic()
        if now - last[0] >= _EVERY:
            last[0] = now
            conn.send(("progress", p))

    try:
        if kind == "leakage":
            scan = leakage_frame(frame, version, params, progress=progress)
        else:
            scan = scan_frame(frame, version, params, progress=progress, max_seconds=max_seconds)
    except LongScan as exc:
        conn.send(("long", exc.seconds))
    except CuratorError as exc:
        conn.send(("error", exc.reason))
    else:
        conn.send(("done", scan.to_json()))  # one string: unpickling nested lists held the caller's lock for long
    conn.close()


def _start_tracker() -> None:
    """Start multiprocessing's resource tracker with a real standard error.

    The tracker hands ``sys.stderr.fileno()`` to its process; a terminal app replaces ``sys.stderr`` with an
    object whose ``fileno()`` is -1 (Textual does), and then every spawn fails with "bad value(s) in
    fds_to_keep". The tracker is started once per process, so the real stream is lent only for that start.
    """
    from multiprocessing import resource_tracker

    try:
        usable = sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable or sys.__stderr__ is None:
        resource_tracker.ensure_running()
        return
    replaced, sys.stderr = sys.stderr, sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = replaced


def run_isolated(frame: pl.DataFrame, version: str, params: dict, max_seconds: float | None,
                 progress: ProgressFn | None, cancel: Cancel | None, kind: str = "dedupe") -> DedupeScan | LeakageScan:
    """``scan_frame(frame, version, params)`` (``kind`` "dedupe") or ``leakage_frame`` ("leakage") in a spawned
    process; raises what it would (``LongScan``, ``CuratorError``), and ``Cancelled`` as soon as ``cancel`` is
    set."""
    from curator.core.dedupe.scan import DedupeScan, LeakageScan, LongScan

    _start_tracker()
    ctx = mp.get_context("spawn")
    name = _NAMES[kind]
    with tempfile.TemporaryDirectory(prefix="curator-scan-") as folder:  # private (0700) and removed after
        frame_path = os.path.join(folder, "examples.arrow")
        frame.write_ipc(frame_path)
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(child, frame_path, kind, version, params, max_seconds), daemon=True)
        proc.start()
        child.close()
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                if not parent.poll(0.05):
                    if not proc.is_alive() and not parent.poll():
                        raise CuratorError(f"the {name} stopped (exit code {proc.exitcode})")
                    continue
                try:
                    message, payload = parent.recv()
                except EOFError:
                    raise CuratorError(f"the {name} stopped (exit code {proc.exitcode})") from None
                if message == "progress":
                    if progress is not None:
                        progress(payload)
                elif message == "long":
                    raise LongScan(payload)
                elif message == "error":
                    raise CuratorError(payload)
                else:
                    return (LeakageScan if kind == "leakage" else DedupeScan).from_json(payload)
        finally:
            if proc.is_alive():
                proc.terminate()
            proc.join(5)
            parent.close()
