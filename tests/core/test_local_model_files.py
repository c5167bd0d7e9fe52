"""A workspace from someone else is data, not code: local models are arrays and JSON, read only from the
workspace's models folder; a planted pickle or a path leading elsewhere is refused with a clear message."""

from __future__ import annotations

import json
import pickle
import time
import zipfile

import numpy as np
import pytest

from curator.cli import main
from curator.core.backends.base import Hyperparameters
from curator.core.backends.local import LocalBackend
from curator.core.dataset import Dataset
from curator.core.errors import BackendError
from curator.core.model import records_frame
from curator.core.storage.models import ModelStore
from curator.core.storage.workspace import Workspace
from tests.core.test_backend_local import dataset, tickets, tune


class Planted:
    """Unpickling this creates ``marker``: the proof that loading it ran code."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def plant(workspace: Workspace, name: str, file: str) -> None:
    workspace.execute("INSERT INTO local_models (name, job_id, display_name, kind, file, created, summary) "
                      "VALUES (?, ?, NULL, 'labels', ?, ?, '{}')", (name, f"job-{name}", file, time.time()))


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(tmp_path / "ds" / ".curator")
    yield ws
    ws.close()


def test_tuned_models_are_stored_as_arrays_and_json_and_answer_alike_after_a_restart(workspace):
    first = LocalBackend(ModelStore(workspace))
    _, labels = tune(first, dataset(tickets(120, seed=5)), Hyperparameters(epochs=2))
    inputs = [f"Summarise: project {n} moved to {d}" for n, d in [("apollo", "monday"), ("vega", "june"),
                                                                   ("orion", "friday"), ("lyra", "noon")]]
    texts = Dataset.from_records(records_frame({"text_input": inputs, "output": [i[-6:] for i in inputs]}))
    _, nearest = tune(first, texts, Hyperparameters(validation_fraction=0))
    prompts = ["my parcel tracking number does not work", "Summarise: project orion moved to friday!", "hello"]
    again = LocalBackend(ModelStore(Workspace(workspace.folder)))  # as a new process sees them
    for status in (labels, nearest):
        path = workspace.folder / "models" / f"{status.tuned_model}.npz"
        with zipfile.ZipFile(path) as z:
            assert all(name.endswith(".npy") for name in z.namelist())
        with np.load(path, allow_pickle=False) as npz:  # no object arrays: loads without pickle
            meta = json.loads(npz["meta"].tobytes())
            assert meta["format"] == 2 and all(npz[k].dtype != object for k in npz.files)
        for prompt in prompts:
            assert again.generate(status.tuned_model, prompt).text == first.generate(status.tuned_model, prompt).text
    assert again.generate(labels.tuned_model, prompts[0]).text == "shipping"
    assert again.generate(nearest.tuned_model, prompts[1]).text == "friday"


@pytest.mark.parametrize("where", ["absolute", "dotdot", "symlink"])
def test_a_model_path_leading_out_of_the_workspace_is_refused_without_reading_it(workspace, tmp_path, where):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.npz"
    evil.write_bytes(pickle.dumps(Planted(marker)))
    models = workspace.folder / "models"
    models.mkdir()
    stored = {"absolute": str(evil), "dotdot": "models/../../../evil.npz", "symlink": "models/link.npz"}[where]
    (models / "link.npz").symlink_to(evil)
    plant(workspace, "local-model-planted", stored)
    with pytest.raises(BackendError, match=r"local model 'local-model-planted': the workspace names the file .*"
                                           r"outside its models folder .*; curator reads models only from there"):
        LocalBackend(ModelStore(workspace)).generate("local-model-planted", "hi")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["local-model-old.joblib", "local-model-old.npz"])
def test_a_pickle_in_the_workspace_is_refused_and_never_unpickled(workspace, tmp_path, name):
    marker = tmp_path / "ran"
    models = workspace.folder / "models"
    models.mkdir()
    (models / name).write_bytes(pickle.dumps({"format": 1, "model": Planted(marker)}))
    plant(workspace, "local-model-old", f"models/{name}")
    with pytest.raises(BackendError, match="pickle") as caught:
        LocalBackend(ModelStore(workspace)).generate("local-model-old", "hi")
    assert "can run code" in caught.value.reason
    assert not marker.exists()


def test_an_npz_with_pickled_object_arrays_is_refused(workspace, tmp_path):
    models = workspace.folder / "models"
    models.mkdir()
    np.savez(models / "local-model-obj.npz", meta=np.array([{"format": 2}], dtype=object))
    plant(workspace, "local-model-obj", "models/local-model-obj.npz")
    with pytest.raises(BackendError, match="pickled Python objects, which can run code when loaded; "
                                           "curator never loads them"):
        LocalBackend(ModelStore(workspace)).generate("local-model-obj", "hi")


def test_the_cli_says_why_a_planted_model_is_refused(tmp_path, capsys):
    data = tmp_path / "ds" / "d.jsonl"
    data.parent.mkdir()
    data.write_text("".join(json.dumps({"text_input": f"q{i}", "output": "a", "split": "test"}) + "\n"
                            for i in range(3)))
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.joblib"
    evil.write_bytes(pickle.dumps(Planted(marker)))
    ws = Workspace.for_dataset(data)
    plant(ws, "local-model-planted", str(evil))
    ws.close()
    assert main(["try", "local:local-model-planted", "hello", "--file", str(data)]) != 0
    shown = capsys.readouterr()
    assert "outside its models folder" in shown.out + shown.err and "Traceback" not in shown.out + shown.err
    assert not marker.exists()
