"""What the fake server publishes for a tuning job's Vertex AI Experiment, as Vertex does (see
curator.core.backends.vertex_metrics): the experiment as a metadata context naming its TensorBoard, and a run of
the TensorBoard experiment of the same id with its time series, which grow with the job's completed steps
(training metrics every step; validation metrics at each epoch's end, only when the job has a validation
dataset). Paths are under projects/{p}/locations/{l}/:

| call | path |
|---|---|
| metadata context | GET metadataStores/default/contexts/{id} |
| runs of a TensorBoard experiment | GET tensorboards/{tb}/experiments/{e}/runs |
| time series of a run | GET tensorboards/{tb}/experiments/{e}/runs/{r}/timeSeries |
| their points | GET tensorboards/{tb}:batchRead?timeSeries=…&timeSeries=… |
"""

from __future__ import annotations

import math
import re

from curator.testing.fake_google_jobs import FakeTuningJob
from curator.testing.fake_google_replies import ApiError

MAX_SCALAR_POINTS = 1_000  # tensorboards.batchRead's limit for a scalar series
SERIES = ("/train_total_loss", "/train_fraction_of_correct_next_step_preds", "/train_num_predictions",
          "/eval_total_loss", "/eval_fraction_of_correct_next_step_preds", "/eval_num_predictions")


def names(job: FakeTuningJob) -> dict[str, str]:
    """The resource names of a job's experiment, its TensorBoard and the TensorBoard run."""
    prefix = job.name.split("/tuningJobs/")[0]
    experiment = f"tuning-{job.job_id}"
    tensorboard = f"{prefix}/tensorboards/{int(job.job_id) + 7000}"
    return {"experiment": f"{prefix}/metadataStores/default/contexts/{experiment}",
            "tensorboard": tensorboard, "tb_run": f"{tensorboard}/experiments/{experiment}/runs/{experiment}-run"}


def _value(metric: str, step: int, steps: int) -> float:
    """A plausible, deterministic curve: loss falls, accuracy rises; validation lags training a little."""
    x = step / max(steps, 1)
    wiggle = 0.03 * math.sin(step * 1.7)
    if metric.endswith("total_loss"):
        return round(2.4 * math.exp(-3 * x) + 0.25 + (0.08 if metric.startswith("/eval") else wiggle), 5)
    if metric.endswith("correct_next_step_preds"):
        return round(0.95 - 0.6 * math.exp(-3 * x) - (0.03 if metric.startswith("/eval") else 0), 5)
    return 4096.0


def _series_of(job: FakeTuningJob) -> list[str]:
    return [s for s in SERIES if job.validation_uri or not s.startswith("/eval")]


def _points(job: FakeTuningJob, metric: str, completed: int, created_wall: float) -> list[dict]:
    every = 1 if metric.startswith("/train") else job.steps // job.epochs  # validation at each epoch's end
    steps = list(range(every, completed + 1, every))
    if len(steps) > MAX_SCALAR_POINTS:  # Vertex returns a sample of 1,000 (at random; evenly spaced here)
        steps = [steps[i * len(steps) // MAX_SCALAR_POINTS] for i in range(MAX_SCALAR_POINTS)]
    return [{"wallTime": f"{created_wall:.0f}", "step": str(step), "scalar": {"value": _value(metric, step, job.steps)}}
            for step in steps]


def serve(job_for: dict[str, FakeTuningJob], completed_steps, method: str, prefix: str, rest: str,
          query: dict) -> dict:
    """The reply to a metadata or TensorBoard request under ``prefix``. ``job_for`` maps each job's resource
    names (see ``names``) to the job; ``completed_steps(job)`` is how far the job has got."""
    if method != "GET":
        raise ApiError(404, f"{method} {prefix}/{rest} is not a known resource")
    path = f"{prefix}/{rest}"
    if rest.startswith("metadataStores/default/contexts/"):
        job = job_for.get(path)
        if job is None or path != names(job)["experiment"]:
            raise ApiError(404, f"Context {path} not found.")
        return {"name": path, "schemaTitle": "system.Experiment",
                "metadata": {"backing_tensorboard_resource": names(job)["tensorboard"], "experiment_deleted": False}}
    runs = re.fullmatch(r"(tensorboards/\d+/experiments/[^/]+)/runs", rest)
    if runs:
        job = next((j for j in job_for.values() if names(j)["tb_run"].startswith(f"{prefix}/{runs.group(1)}/")), None)
        if job is None:
            raise ApiError(404, f"TensorboardExperiment {prefix}/{runs.group(1)} not found.")
        if completed_steps(job) is None:
            return {}
        return {"tensorboardRuns": [{"name": names(job)["tb_run"], "displayName": "run"}]}
    listing = re.fullmatch(r"(tensorboards/\d+/experiments/[^/]+/runs/[^/]+)/timeSeries", rest)
    if listing:
        job = job_for.get(f"{prefix}/{listing.group(1)}")
        if job is None:
            raise ApiError(404, f"TensorboardRun {prefix}/{listing.group(1)} not found.")
        return {"tensorboardTimeSeries": [
            {"name": f"{names(job)['tb_run']}/timeSeries/{SERIES.index(s) + 1}", "displayName": s,
             "valueType": "SCALAR", "pluginName": "scalars"} for s in _series_of(job)]}
    batch = re.fullmatch(r"(tensorboards/\d+):batchRead", rest)
    if batch:
        wanted = query.get("timeSeries") or []
        wanted = wanted if isinstance(wanted, list) else [wanted]
        data = []
        for name in wanted:
            run, _, series_id = name.rpartition("/timeSeries/")
            job = job_for.get(run)
            if job is None or not name.startswith(f"{prefix}/{batch.group(1)}/") or not series_id.isdigit() \
                    or not 1 <= int(series_id) <= len(SERIES) or SERIES[int(series_id) - 1] not in _series_of(job):
                raise ApiError(404, f"TensorboardTimeSeries {name} not found.")
            done = completed_steps(job) or 0
            data.append({"tensorboardTimeSeriesId": series_id, "valueType": "SCALAR",
                         "values": _points(job, SERIES[int(series_id) - 1], done, job.created_wall)})
        return {"timeSeriesData": data}
    raise ApiError(404, f"{method} {path} is not a known resource")
