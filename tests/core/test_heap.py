"""The collector pause around building many objects that stay (the checks' findings in the app)."""

from __future__ import annotations

import gc
import threading

from curator.core.heap import collector_paused


def test_the_collector_is_paused_inside_and_what_was_made_is_set_aside_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested: one pause
            pass
        assert not gc.isenabled()
        kept = [[k] for k in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(kept)  # no later collection walks them again


def test_blocks_in_two_threads_share_one_pause():
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled()  # the other thread's block is still under way
    release.set()
    thread.join()
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
