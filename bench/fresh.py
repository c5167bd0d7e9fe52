"""Run a benchmark case in a fresh process, so its peak memory (RSS) and imports are its own."""

from __future__ import annotations

import multiprocessing as mp


def in_fresh_process(target, *args) -> dict:
    """Call ``target(*args, queue)`` in a spawned process and return what it put on the queue."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result
