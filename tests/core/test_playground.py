"""Playground core: model references, the default pair, and the input history."""

from __future__ import annotations

import pytest

from curator.core.backends import Hyperparameters
from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.model import records_frame
from curator.core.models import ModelRef, default_pair
from curator.core.playground import input_history, remember_input
from curator.core.storage.workspace import Workspace
from curator.core.tuning import Jobs


def test_model_refs():
    assert ModelRef.parse("local:local-echo") == ModelRef("local", "local-echo")
    assert ModelRef.parse("gemini:gemini-2.5-flash") == ModelRef("gemini-api", "gemini-2.5-flash")
    assert ModelRef.parse("local-model-1") == ModelRef("local", "local-model-1")
    vertex = "vertex:projects/p/locations/l/endpoints/123"
    assert str(ModelRef.parse(vertex)) == vertex
    with pytest.raises(CuratorError):
        ModelRef.parse("  ")


def test_default_pair_is_base_and_latest_tuned(tmp_path):
    ws = Workspace(tmp_path)
    assert default_pair(ws) == (ModelRef("local", "local-echo"), None)
    jobs = Jobs(ws)
    rows = [(f"ticket about {w} {i}", w) for i in range(40) for w in ("refund", "login")]
    dataset = Dataset.from_records(records_frame({"text_input": [r[0] for r in rows], "output": [r[1] for r in rows]}))
    backend = jobs.backend("local")
    prepared = backend.prepare(dataset, Hyperparameters(epochs=1), skip_slow_checks=True)
    job = jobs.start("local", prepared, "local-echo", Hyperparameters(epochs=1))
    status = jobs.wait(job, interval=0.05)
    assert default_pair(ws) == (ModelRef("local", "local-echo"), ModelRef("local", status.tuned_model))
    jobs.close()


def test_history_is_per_file_without_repeats(tmp_path):
    ws = Workspace(tmp_path)
    for text in ("first", "second", "second", "  ", "third"):
        remember_input(ws, tmp_path / "a.jsonl", text)
    remember_input(ws, tmp_path / "b.jsonl", "other file")
    assert input_history(ws, tmp_path / "a.jsonl") == ["first", "second", "third"]
    assert input_history(Workspace(tmp_path), tmp_path / "b.jsonl") == ["other file"]
