"""A scan in a child process gives the scan the process itself would, and stops when cancelled."""

from __future__ import annotations

import threading

import pytest

import curator.core.dedupe.scan as scan_module
from curator.core.dataset import Dataset
from curator.core.dedupe.scan import LongScan, scan_dataset
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
    assert isolated == scan_dataset(dataset)
    assert len(isolated.clusters) > 5
    assert seen and seen[-1].fraction <= 1.0


def test_isolated_scan_cancels_and_refuses_a_long_scan(dataset):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        scan_dataset(dataset, isolated=True, cancel=stop)
    with pytest.raises(LongScan) as caught:
        scan_dataset(dataset, isolated=True, max_seconds=0.0)
    assert caught.value.seconds > 0
