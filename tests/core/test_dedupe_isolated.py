"""A scan in a child process gives the scan the process itself would, and stops when cancelled."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import curator.core.dedupe.scan as scan_module
from curator.core.dataset import Dataset
from curator.core.dedupe.scan import DedupeScan, LongScan, scan_dataset, scan_leakage
from curator.core.errors import Cancelled
from curator.core.model import records_frame
from tests.core.dedupe_corpus import corpus


@pytest.fixture
def dataset(monkeypatch) -> Dataset:
    monkeypatch.setattr(scan_module, "ISOLATE_FROM", 0)  # small data runs isolated too
    texts = corpus(seed=4, bases=120, variants=90)
    return Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * len(texts)}))


def test_isolated_scan_equals_the_scan_in_process(dataset):
    seen = []
    isolated = scan_dataset(dataset, isolated=True, progress=seen.append)
    here = scan_dataset(dataset)
    assert isolated == here
    assert len(isolated.clusters) > 5
    assert seen and seen[-1].fraction <= 1.0
    assert isolated.to_json() == here.to_json()  # the child's JSON, kept for the cache as it came
    assert DedupeScan.from_json(here.to_json()) == here


def test_isolated_scan_cancels_and_refuses_a_long_scan(dataset):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        scan_dataset(dataset, isolated=True, cancel=stop)
    with pytest.raises(LongScan) as caught:
        scan_dataset(dataset, isolated=True, max_seconds=0.0)
    assert caught.value.seconds > 0


def test_isolated_leakage_scan_runs_in_another_process_and_equals_the_scan_in_process(dataset, monkeypatch):
    texts = dataset.frame["text_input"].to_list()
    leaky = Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * len(texts),
                                                "split": ["train" if k % 3 else "test" for k in range(len(texts))]}))
    in_process = scan_leakage(leaky)
    assert len(in_process.leaks) > 5

    def here(*args, **kwargs):
        raise AssertionError("the leakage scan ran in the calling process")

    monkeypatch.setattr(scan_module, "leakage_frame", here)  # the spawned process imports its own
    seen = []
    assert scan_leakage(leaky, isolated=True, progress=seen.append) == in_process
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        scan_leakage(leaky, isolated=True, cancel=stop)


_UNDER_AN_APP = """
import sys
from curator.core.dataset import Dataset
import curator.core.dedupe.scan as scan_module
from curator.core.dedupe.scan import scan_dataset
from curator.core.model import records_frame

scan_module.ISOLATE_FROM = 0  # small data runs isolated too


class Captured:  # what a terminal app puts in place of sys.stderr: no file descriptor
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): return -1

sys.stderr = Captured()
texts = ["the cat sat on the mat", "the cat sat on the mat!", "a dog ran far away"] * 3
dataset = Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * len(texts)}))
scan = scan_dataset(dataset, isolated=True)
print(len(scan.clusters))
"""


def test_isolated_scan_runs_when_standard_error_has_no_descriptor():
    """Textual swaps sys.stderr for an object whose fileno() is -1; a fresh process (no resource tracker
    started yet) must still spawn its scan rather than fail with "bad value(s) in fds_to_keep"."""
    done = subprocess.run([sys.executable, "-c", _UNDER_AN_APP], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1


_THREADS_BEFORE = """
import os, threading
from curator.core.dedupe.isolated import _make_way

stop = threading.Event()
started = threading.Thread(target=stop.wait)  # as numpy's BLAS threads, started before the scan makes way
started.start()
cpus = os.sched_getaffinity(0)
_make_way()
threads = [int(tid) for tid in os.listdir("/proc/self/task")]
print(len(threads), len(cpus), sorted({os.getpriority(os.PRIO_PROCESS, t) for t in threads}),
      sorted({len(os.sched_getaffinity(t)) for t in threads}))
stop.set()
"""


def test_the_scan_process_makes_way_for_the_interface_in_every_thread():
    """On Linux os.nice and sched_setaffinity change one thread; a BLAS thread left as it was took a core from
    the interface at full priority."""
    done = subprocess.run([sys.executable, "-c", _THREADS_BEFORE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    threads, cpus, rest = done.stdout.split(" ", 2)
    assert int(threads) >= 2
    assert rest.strip() == f"[19] [{max(1, int(cpus) - 1)}]"  # every thread, the one started earlier too
