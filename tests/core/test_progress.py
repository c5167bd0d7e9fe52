"""The one progress type and cancel token: spans report onto one bar, a span takes a sub-job's reports,
a set token raises Cancelled, and the checks, a scan and tuning all speak it."""

from __future__ import annotations

import threading

import pytest

from curator.core.checks import run_checks
from curator.core.dataset import Dataset
from curator.core.errors import Cancelled
from curator.core.model import records_frame
from curator.core.progress import Progress, Work


def test_spans_map_onto_the_whole_and_a_span_takes_a_sub_jobs_reports():
    seen: list[Progress] = []
    work = Work(seen.append)
    work.report(0.1, "reading")
    half = work.span(0.5, 1.0, "scanning")
    half.report(0.5)
    half(Progress(1.0, "verifying", done=3, total=3, detail="2 pairs"))
    assert [(p.fraction, p.stage) for p in seen] == [(0.1, "reading"), (0.75, "scanning"), (1.0, "verifying")]
    assert seen[-1].text() == "verifying · 3/3 · 2 pairs"


def test_a_set_token_raises_cancelled_at_the_next_report():
    cancel = threading.Event()
    work = Work(None, cancel)
    work.report(0.5)
    cancel.set()
    with pytest.raises(Cancelled):
        work.span(0, 1, "x").report(0.1)


def test_the_checks_report_one_rising_bar_and_stop_when_cancelled():
    frame = records_frame({"text_input": [f"question {i}" for i in range(40)],
                           "output": ["a" if i % 2 else "b" for i in range(40)]})
    dataset = Dataset.from_records(frame)
    seen: list[Progress] = []
    run_checks(dataset, progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"limits", "template", "done"} <= {p.stage for p in seen}
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        run_checks(dataset, cancel=cancel)
