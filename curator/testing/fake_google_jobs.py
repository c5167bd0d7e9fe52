"""The resources the fake Google server keeps: Vertex tuning jobs that progress with time, and the
Gemini API's legacy tuned models. JSON shapes follow the REST API (int64 fields as strings, RFC 3339 times)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


def rfc3339(unix: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix)) + f".{int(unix % 1 * 1e6):06d}Z"


@dataclass(frozen=True)
class Timing:
    """Seconds each phase lasts at speed 1 (a speed of 10 makes a job ten times quicker)."""

    pending: float = 2.0
    running: float = 10.0
    cancelling: float = 1.0
    speed: float = 1.0


ADAPTER_ORDER = ["ADAPTER_SIZE_ONE", "ADAPTER_SIZE_TWO", "ADAPTER_SIZE_FOUR", "ADAPTER_SIZE_EIGHT",
                 "ADAPTER_SIZE_SIXTEEN", "ADAPTER_SIZE_THIRTY_TWO"]
ADAPTERS = set(ADAPTER_ORDER)
# What each tunable base model accepts (Vertex AI "About supervised fine-tuning for Gemini models", read
# 2026-11-30); a base model not listed accepts every size.
TUNING_ADAPTERS = {
    "gemini-2.5-flash": set(ADAPTER_ORDER[:5]),
    "gemini-2.5-flash-lite": set(ADAPTER_ORDER[:5]),
    "gemini-2.5-pro": set(ADAPTER_ORDER[:4]),
}


@dataclass
class FakeTuningJob:
    """A Vertex tuning job. Its state is a function of the time since creation (and of a cancel)."""

    name: str  # projects/{p}/locations/{l}/tuningJobs/{id}
    base_model: str
    display_name: str | None
    epochs: int
    training_uri: str
    validation_uri: str | None
    hyper_parameters: dict
    created: float  # clock time
    created_wall: float  # unix time, for the timestamps
    examples: int = 120
    fail: bool = False  # a base model named *fail-tuning* fails half-way
    cancelled_at: float | None = None
    labels: dict = field(default_factory=dict)

    @property
    def job_id(self) -> str:
        return self.name.rsplit("/", 1)[1]

    @property
    def steps(self) -> int:
        return self.epochs * math.ceil(self.examples / 8)

    def state(self, now: float, timing: Timing) -> tuple[str, str | None, float]:
        """(JobState, TuningJobState, fraction of the tuning done) at clock time ``now``."""
        elapsed = (now - self.created) * timing.speed
        running = min(1.0, max(0.0, (elapsed - timing.pending) / timing.running))
        if self.cancelled_at is not None:
            since = (now - self.cancelled_at) * timing.speed
            at_cancel = min(1.0, max(0.0, ((self.cancelled_at - self.created) * timing.speed - timing.pending)
                                     / timing.running))
            state = "JOB_STATE_CANCELLING" if since < timing.cancelling else "JOB_STATE_CANCELLED"
            return state, None, at_cancel
        if elapsed < timing.pending:
            return "JOB_STATE_PENDING", "TUNING_JOB_STATE_PROCESSING_DATASET", 0.0
        if self.fail and running >= 0.5:
            return "JOB_STATE_FAILED", None, 0.5
        if running < 0.9:
            return "JOB_STATE_RUNNING", "TUNING_JOB_STATE_TUNING", running
        if running < 1.0:
            return "JOB_STATE_RUNNING", "TUNING_JOB_STATE_POST_PROCESSING", running
        return "JOB_STATE_SUCCEEDED", None, 1.0

    def terminal(self, now: float, timing: Timing) -> bool:
        return self.state(now, timing)[0] in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")

    def endpoint(self) -> str:
        return self.name.replace(f"tuningJobs/{self.job_id}", f"endpoints/{int(self.job_id) + 5000}")

    def to_json(self, now: float, timing: Timing) -> dict:
        state, sub_state, done = self.state(now, timing)
        wall = self.created_wall + (now - self.created)
        spec: dict = {"trainingDatasetUri": self.training_uri, "hyperParameters": dict(self.hyper_parameters)}
        spec["hyperParameters"].setdefault("epochCount", str(self.epochs))
        if self.validation_uri:
            spec["validationDatasetUri"] = self.validation_uri
        job: dict = {
            "name": self.name,
            "baseModel": self.base_model,
            "state": state,
            "createTime": rfc3339(self.created_wall),
            "updateTime": rfc3339(wall),
            "supervisedTuningSpec": spec,
        }
        if self.display_name:
            job["tunedModelDisplayName"] = self.display_name
        if self.labels:
            job["labels"] = self.labels
        if sub_state:
            job["tuningJobState"] = sub_state
        if state != "JOB_STATE_PENDING":
            job["startTime"] = rfc3339(self.created_wall + timing.pending / timing.speed)
            tokens = self.examples * 180
            job["tuningDataStats"] = {"supervisedTuningDataStats": {
                "tuningDatasetExampleCount": str(self.examples),
                "totalBillableTokenCount": str(tokens * self.epochs),
                "totalTuningCharacterCount": str(tokens * 4),
                "tuningStepCount": str(self.steps),
                "totalTruncatedExampleCount": "0",
                "userInputTokenDistribution": {"sum": str(tokens * 2 // 3), "min": 12, "max": 410, "mean": 120.0},
                "userOutputTokenDistribution": {"sum": str(tokens // 3), "min": 1, "max": 95, "mean": 60.0},
            }}
            job["tuningJobMetadata"] = {
                "completedEpochCount": str(min(self.epochs, int(done * self.epochs))),
                "completedStepCount": str(min(self.steps, int(done * self.steps))),
            }
            job["experiment"] = f"{self.name.split('/tuningJobs/')[0]}/metadataStores/default/contexts/tuning-{self.job_id}"
        if state in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
            job["endTime"] = rfc3339(wall)
        if state == "JOB_STATE_SUCCEEDED":
            base = self.name.split("/tuningJobs/")[0]
            job["tunedModel"] = {
                "model": f"{base}/models/{int(self.job_id) + 9000}@1",
                "endpoint": self.endpoint(),
                "checkpoints": [
                    {"checkpointId": str(e), "epoch": str(e), "step": str(e * self.steps // self.epochs),
                     "endpoint": self.endpoint()}
                    for e in range(1, self.epochs + 1)
                ],
            }
        elif state == "JOB_STATE_FAILED":
            job["error"] = {"code": 3, "message": "the fake tuning run failed half-way (base model named fail-tuning)"}
        elif state == "JOB_STATE_CANCELLED":
            job["error"] = {"code": 1, "message": "CANCELLED"}
        return job


def legacy_tuned_models(now_wall: float) -> dict[str, dict]:
    """Two tuned models as the Gemini API kept them before tuning there ended in 2025."""
    created = rfc3339(now_wall - 400 * 86400)
    done = rfc3339(now_wall - 400 * 86400 + 3600)
    snapshots = [{"step": s, "epoch": 1 + (s - 1) // 5, "meanLoss": round(2.5 / s, 4), "computeTime": done}
                 for s in range(1, 16)]
    hyper = {"epochCount": 3, "batchSize": 4, "learningRate": 0.001}
    return {
        "tunedModels/sentiment-legacy-1": {
            "name": "tunedModels/sentiment-legacy-1", "displayName": "sentiment (legacy)",
            "baseModel": "models/gemini-1.5-flash-001-tuning", "state": "ACTIVE", "createTime": created,
            "updateTime": done, "temperature": 1.0, "topP": 0.95, "topK": 64,
            "tuningTask": {"startTime": created, "completeTime": done, "snapshots": snapshots,
                           "hyperparameters": hyper},
        },
        "tunedModels/broken-legacy-2": {
            "name": "tunedModels/broken-legacy-2", "displayName": "broken (legacy)",
            "baseModel": "models/gemini-1.5-flash-001-tuning", "state": "FAILED", "createTime": created,
            "updateTime": done, "tuningTask": {"startTime": created, "hyperparameters": hyper},
        },
    }
