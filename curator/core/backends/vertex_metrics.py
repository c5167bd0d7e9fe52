"""The loss curves of a Vertex tuning job, read where Vertex publishes them: the job's Vertex AI Experiment, whose
run keeps ``/train_total_loss`` and ``/eval_total_loss`` (and token accuracy) as TensorBoard time series.

Sources (read 2026-11-30): Vertex AI "Tune Gemini models by using supervised fine-tuning", section "Tuning and
validation metrics" (the metric names; validation metrics only with a validation dataset; "updated in real time
as tuning progresses"); the Vertex REST reference of ``metadataStores.contexts.get``, ``tensorboards.experiments.
runs.list``, ``…runs.timeSeries.list`` and ``tensorboards.batchRead`` (at most 1,000 points per scalar series,
sampled beyond that); the Vertex AI SDK and Google's tuning notebooks, which reach the series through the
experiment context's ``backing_tensorboard_resource`` and the TensorBoard experiment of the same id.
google-genai reads none of this, so it is read over REST with the credentials the backend gives google-genai.
The job's ``gcsMetricsUri`` is documented only as "the Cloud Storage metrics URI", with no format: not read.

The series are found once per job (three requests, one more per extra run); each poll then costs one
``batchRead``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from curator.core.backends.base import LossPoint

TRAIN_LOSS, EVAL_LOSS = "/train_total_loss", "/eval_total_loss"
MAX_TRAIN_POINTS = 300  # train points kept for the chart (every validation point is kept)

Get = Callable[[str, dict], dict]  # GET {api}/v1/{path} with query parameters -> the JSON reply


@dataclass(frozen=True)
class Series:
    """Where one job's loss series live: the TensorBoard and the time series resource names by metric."""

    tensorboard: str
    names: dict[str, str]  # "/train_total_loss" -> projects/…/runs/…/timeSeries/…


def find_series(get: Get, experiment: str) -> Series | None:
    """The loss series of the job whose Vertex AI Experiment is ``experiment``; None while it has none yet."""
    context = get(experiment, {})
    tensorboard = (context.get("metadata") or {}).get("backing_tensorboard_resource")
    if not tensorboard:
        return None
    experiment_id = experiment.rsplit("/", 1)[-1]  # its TensorBoard experiment has the same id
    runs = get(f"{tensorboard}/experiments/{experiment_id}/runs", {}).get("tensorboardRuns") or []
    for run in runs:
        listed = get(f"{run['name']}/timeSeries", {})
        names = {s.get("displayName"): s["name"] for s in listed.get("tensorboardTimeSeries") or []
                 if s.get("displayName") in (TRAIN_LOSS, EVAL_LOSS)}
        if TRAIN_LOSS in names:
            return Series(tensorboard, names)
    return None


def _scalars(data: dict) -> dict[int, float]:
    out: dict[int, float] = {}
    for value in data.get("values") or []:
        scalar = (value.get("scalar") or {}).get("value")
        if scalar is not None and value.get("step") is not None:
            out[int(value["step"])] = float(scalar)
    return out


def read_loss(get: Get, series: Series, steps_per_epoch: float | None) -> list[LossPoint]:
    """Train and validation loss by (fractional) epoch, from one ``batchRead``; by step when the epoch length
    is unknown. Train points are thinned to MAX_TRAIN_POINTS; validation points are all kept."""
    ids = {name.rsplit("/", 1)[-1]: metric for metric, name in series.names.items()}
    reply = get(f"{series.tensorboard}:batchRead", {"timeSeries": list(series.names.values())})
    by_metric = {ids.get(d.get("tensorboardTimeSeriesId"), ""): _scalars(d) for d in reply.get("timeSeriesData") or []}
    train, val = by_metric.get(TRAIN_LOSS, {}), by_metric.get(EVAL_LOSS, {})
    train_steps = sorted(train)
    if len(train_steps) > MAX_TRAIN_POINTS:
        stride = len(train_steps) / MAX_TRAIN_POINTS
        train_steps = sorted({train_steps[int(i * stride)] for i in range(MAX_TRAIN_POINTS)} | {train_steps[-1]})
    per = steps_per_epoch or 1.0
    return [LossPoint(step / per, train.get(step), val.get(step))
            for step in sorted(set(train_steps) | set(val))]
