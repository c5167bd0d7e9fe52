"""Making many objects that stay (a million examples' findings and their index) without Python's cyclic garbage
collector walking them over and over while the interface waits for the interpreter lock."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0  # blocks under way (in any thread)
_was_enabled = True  # whether the collector ran before the first of them


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block makes its objects, then set every object alive aside
    from later collections (``gc.freeze``); blocks nested or in several threads share one pause.

    Each full collection walks every object alive, holding the interpreter lock. Building the checks' findings
    of 1M examples (72k findings with their fixes, and their index by example and rule: ~600k objects) ran
    several: they held the lock up to 176 ms at a time (a key pressed then waited as long) and were 0.6 s of
    the 0.76 s the index took. Objects set aside are still freed when their last reference goes (findings hold no
    cycles); only a reference cycle among them is kept until the process ends.
    """
    global _inside, _was_enabled
    with _lock:
        if not _inside:
            _was_enabled = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if not _inside:
                gc.freeze()
                if _was_enabled:
                    gc.enable()
