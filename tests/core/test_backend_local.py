"""The local backend really learns, honours its hyperparameters, runs in a thread, cancels and persists."""

from __future__ import annotations

import math
import random

import pytest

from curator.core.backends.base import GenerationConfig, Hyperparameters, JobState, UnknownJob
from curator.core.backends.local import BASE_MODEL, LocalBackend
from curator.core.backends.local_model import is_label_task
from curator.core.dataset import Dataset
from curator.core.errors import BackendError, CuratorError
from curator.core.model import records_frame
from curator.core.settings import Settings
from curator.core.storage.models import ModelStore
from curator.core.storage.workspace import Workspace

TOPICS = {
    "billing": ["invoice", "charge", "refund", "payment", "bill", "price", "card charged twice"],
    "shipping": ["parcel", "delivery", "courier", "tracking number", "arrive", "shipped", "package"],
    "login": ["password", "sign in", "locked out", "two-factor", "username", "reset link", "account access"],
}
FRAMES = ["hi, question about my {}", "the {} is wrong again", "help with {} please", "why is my {} not working",
          "I need support: {}", "{} problem since yesterday", "can you check the {}", "urgent {} issue"]


def tickets(n: int, seed: int = 0, split: str = "train") -> dict[str, list]:
    rng = random.Random(seed)
    inputs, outputs = [], []
    for _ in range(n):
        label = rng.choice(sorted(TOPICS))
        inputs.append(rng.choice(FRAMES).format(rng.choice(TOPICS[label])) + f" #{rng.randrange(1000)}")
        outputs.append(label)
    return {"text_input": inputs, "output": outputs, "split": [split] * n}


def dataset(*parts: dict[str, list]) -> Dataset:
    merged = {k: [v for p in parts for v in p[k]] for k in ("text_input", "output", "split")}
    return Dataset.from_records(records_frame(merged))


@pytest.fixture
def backend(tmp_path):
    b = LocalBackend(ModelStore(Workspace(tmp_path / ".curator")))
    yield b
    b.close()


def tune(backend: LocalBackend, ds: Dataset, hp: Hyperparameters):
    prepared = backend.prepare(ds, hp, skip_slow_checks=True)
    prepared.findings = [f for f in prepared.findings if f.severity.value != "error"]
    job_id = backend.start_job(prepared, BASE_MODEL, hp)
    return prepared, backend.wait(job_id, timeout=120)


def test_label_model_learns_and_reports_true_losses(backend):
    ds = dataset(tickets(240, seed=1), tickets(60, seed=2, split="validation"))
    hp = Hyperparameters(epochs=4, batch_size=8, learning_rate=0.01)
    prepared, status = tune(backend, ds, hp)
    assert status.state is JobState.SUCCEEDED, status.error
    assert [p.epoch for p in status.loss] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert status.loss[0].train_loss == pytest.approx(math.log(3), rel=1e-3)  # untrained: uniform over 3 labels
    assert status.loss[-1].train_loss < status.loss[0].train_loss / 3
    assert status.loss[-1].val_loss < status.loss[0].val_loss / 3
    assert status.stats["labels"] == 3 and status.stats["validation examples"] == 60
    test = tickets(90, seed=3)
    tuned = sum(backend.generate(status.tuned_model, x).text == y for x, y in zip(test["text_input"], test["output"]))
    base = sum(backend.generate(BASE_MODEL, x).text == y for x, y in zip(test["text_input"], test["output"]))
    assert tuned / 90 > 0.9 and base == 0
    assert "validation: the 60 example(s) marked validation" in prepared.notes


def test_hyperparameters_are_honoured(backend):
    ds = dataset(tickets(150, seed=4))
    _, slow = tune(backend, ds, Hyperparameters(epochs=2, batch_size=5, learning_rate=0.0005, validation_fraction=0.2))
    _, fast = tune(backend, ds, Hyperparameters(epochs=2, batch_size=5, learning_rate=0.05, validation_fraction=0.2))
    _, big_batch = tune(backend, ds, Hyperparameters(epochs=3, batch_size=40, learning_rate=0.0005,
                                                     validation_fraction=0.2))
    assert slow.stats["train examples"] == 120 and slow.stats["validation examples"] == 30
    assert slow.total_steps == 2 * math.ceil(120 / 5) and slow.step == slow.total_steps
    assert big_batch.total_steps == 3 * math.ceil(120 / 40) and len(big_batch.loss) == 4
    assert fast.loss[-1].train_loss < slow.loss[-1].train_loss  # a larger step size learns faster


def test_free_text_uses_nearest_neighbour(backend):
    inputs = [f"Summarise: the meeting about project {name} moved to {day}" for name, day in
              zip(["apollo", "zephyr", "orion", "vega", "lyra", "draco"], ["monday", "tuesday", "friday", "june",
                                                                             "noon", "later"])]
    outputs = [f"{t.split()[5].title()} meeting moved to {t.split()[-1]}." for t in inputs]
    ds = Dataset.from_records(records_frame({"text_input": inputs, "output": outputs}))
    prepared, status = tune(backend, ds, Hyperparameters(epochs=7, validation_fraction=0))
    assert any("free text" in n for n in prepared.notes)
    assert status.state is JobState.SUCCEEDED and status.loss == []
    assert status.total_epochs is None  # no "epoch 0/7" for a model that is not trained in epochs
    from curator.cli.tune import progress_line

    assert "epoch" not in progress_line(status) and progress_line(status).startswith("succeeded")
    answer = backend.generate(status.tuned_model, "Summarise: the meeting about project orion moved to friday!")
    assert answer.text == "Orion meeting moved to friday."


def test_models_survive_a_restart(tmp_path):
    ws = Workspace(tmp_path / ".curator")
    first = LocalBackend(ModelStore(ws))
    _, status = tune(first, dataset(tickets(120, seed=5)), Hyperparameters(epochs=2, display_name="tickets v1"))
    prompt = "my parcel tracking number does not work"
    before = first.generate(status.tuned_model, prompt).text
    again = LocalBackend(ModelStore(Workspace(tmp_path / ".curator")))  # a new process would see this
    names = {m.name: m for m in again.list_models()}
    assert names[status.tuned_model].tuned and names[status.tuned_model].display_name == "tickets v1"
    assert again.generate(status.tuned_model, prompt).text == before == "shipping"
    assert again.status(status.job_id).loss == status.loss
    assert (tmp_path / ".curator" / "models" / f"{status.tuned_model}.npz").is_file()


def test_status_shows_progress_and_cancel_stops(backend):
    ds = dataset(tickets(2000, seed=6))
    hp = Hyperparameters(epochs=100, batch_size=1)
    prepared = backend.prepare(ds, hp, skip_slow_checks=True)
    prepared.findings = []
    job_id = backend.start_job(prepared, BASE_MODEL, hp)
    seen = backend.status(job_id)
    for _ in range(2000):
        if seen.step:
            break
        backend._runs[job_id].thread.join(0.01)
        seen = backend.status(job_id)
    assert seen.state is JobState.RUNNING and seen.step > 0 and 0 < seen.progress < 1
    assert seen.total_steps == 100 * 1800
    backend.cancel(job_id)
    final = backend.wait(job_id, timeout=60)
    assert final.state is JobState.CANCELLED and final.tuned_model is None
    assert [m for m in backend.list_models() if m.tuned] == []


def test_generation_config_is_honoured(backend):
    _, status = tune(backend, dataset(tickets(150, seed=7)), Hyperparameters(epochs=1))
    short = backend.generate(BASE_MODEL, "word " * 100, GenerationConfig(max_output_tokens=5))
    assert short.finish_reason == "MAX_TOKENS" and len(short.text) == 15
    prompt = "question"  # no topic word: the classifier is unsure, so sampling varies
    hot = {backend.generate(status.tuned_model, prompt, GenerationConfig(temperature=2.0, seed=s)).text
           for s in range(40)}
    cold = {backend.generate(status.tuned_model, prompt, GenerationConfig(temperature=0, seed=s)).text
            for s in range(40)}
    assert len(cold) == 1 and len(hot) > 1
    with pytest.raises(BackendError, match="temperature"):
        backend.generate(BASE_MODEL, "x", GenerationConfig(temperature=5))


async def test_agenerate_matches_generate(backend):
    result = await backend.agenerate(BASE_MODEL, "hello", system="be brief")
    assert result.text == "hello" and result.prompt_tokens > 1


def test_errors_are_clear(backend):
    with pytest.raises(UnknownJob):
        backend.status("local-job-nope")
    with pytest.raises(BackendError, match="no local model"):
        backend.generate("local-model-nope", "x")
    prepared = backend.prepare(dataset(tickets(30)), Hyperparameters(), skip_slow_checks=True)
    prepared.findings = []
    with pytest.raises(BackendError, match="tunes local-echo"):
        backend.start_job(prepared, "gemini-2.5-flash", Hyperparameters())
    with pytest.raises(CuratorError, match="epochs"):
        backend.start_job(prepared, BASE_MODEL, Hyperparameters(epochs=0))
    only_test = Dataset.from_records(records_frame({"text_input": ["a"], "output": ["b"], "split": ["test"]}))
    with pytest.raises(CuratorError, match="no training examples"):
        backend.prepare(only_test, Hyperparameters(), skip_slow_checks=True)


def test_check_errors_block_the_launch(backend):
    ds = dataset(tickets(40), {"text_input": [""], "output": ["billing"], "split": ["train"]})
    prepared = backend.prepare(ds, Hyperparameters(), skip_slow_checks=True)
    assert prepared.errors
    with pytest.raises(CuratorError, match="block tuning"):
        backend.start_job(prepared, BASE_MODEL, Hyperparameters())


def test_label_detection():
    assert is_label_task(["a", "b"] * 3)
    assert not is_label_task(["a", "b", "c", "a"])  # labels must repeat (three uses each on average)
    assert not is_label_task(["same"] * 10)  # one value is not a label set
    assert not is_label_task([f"x{i % 150}" for i in range(1000)])  # too many distinct values


def test_hyperparameters_validate_and_round_trip():
    from dataclasses import fields

    from curator.core.backends.base import HYPERPARAMETER_HELP, JobStatus, LossPoint

    assert set(HYPERPARAMETER_HELP) == {f.name for f in fields(Hyperparameters)}
    bad = Hyperparameters(epochs=0, batch_size=0, learning_rate=0, learning_rate_multiplier=float("nan"),
                          adapter_size=3, validation_fraction=0.9, display_name=" ")
    assert set(bad.problems()) == {"epochs", "batch_size", "learning_rate", "learning_rate_multiplier",
                                   "adapter_size", "validation_fraction", "display_name"}
    assert Hyperparameters().problems() == {}
    hp = Hyperparameters(epochs=3, adapter_size=8, display_name="x")
    assert Hyperparameters.from_dict({**hp.to_dict(), "unknown": 1}) == hp
    status = JobStatus("j", "local", JobState.RUNNING, 0.5, loss=[LossPoint(1.0, 0.5, None)], stats={"a": 1})
    assert JobStatus.from_dict(status.to_dict()) == status


def test_a_training_failure_ends_the_job_with_the_reason(backend):
    ds = Dataset.from_records(records_frame({"text_input": [""] * 12, "output": ["a", "b", "c"] * 4}))
    prepared = backend.prepare(ds, Hyperparameters(), skip_slow_checks=True)
    prepared.findings = []  # the checks flag the empty inputs; launch anyway to see the job fail
    status = backend.wait(backend.start_job(prepared, BASE_MODEL, Hyperparameters()), timeout=60)
    assert status.state is JobState.FAILED and "empty vocabulary" in status.error and status.tuned_model is None


def test_provider_limits_warn_but_do_not_block_local_tuning(backend):
    rows = [("x" * 41_000 if i == 0 else f"question {i % 7} number {i}", f"label {i % 3}") for i in range(60)]
    dataset = Dataset.from_records(records_frame({"text_input": [r[0] for r in rows], "output": [r[1] for r in rows]}))
    prepared = backend.prepare(dataset, Hyperparameters(), Settings(target="gemini-api"), skip_slow_checks=True)
    assert not prepared.errors
    (limit,) = [f for f in prepared.warnings if f.rule == "limits.input-length"]
    assert "does not bind the local backend" in limit.message
    prepared.require_launchable()
