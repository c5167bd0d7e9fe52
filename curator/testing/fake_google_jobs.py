"""The resources the fake Google server keeps: Vertex tuning jobs that progress with time, and the
Gemini API's legacy tuned models. JSON shapes follow the REST API (int64 fields as strings, RFC 3339 times)."""

from __future__ import annotations

import json
import math
import re
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


DROPPED_SAMPLE = 10  # the service lists "a partial sample" of the dropped examples' indices
LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")  # Google Cloud label keys (values: the same, may be empty or
# start with a digit): lowercase letters, digits, _ and -, at most 63 characters


@dataclass(frozen=True)
class TrainingData:
    """What the tuning service makes of a training file: examples, billable tokens (one epoch, of the examples
    kept) and the dropped examples as (1-based line, reason)."""

    examples: int
    tokens: int
    dropped: list[tuple[int, str]]


def read_training_file(data: bytes, max_tokens: int) -> TrainingData:
    """Read a Vertex JSONL training file as the service does: a line that is not JSON, has no contents, does
    not end with a model turn, or holds more than ``max_tokens`` tokens (words, here) is dropped."""
    from curator.testing.fake_google_replies import field, texts

    lines = data.decode("utf-8", errors="replace").splitlines()
    tokens, dropped = 0, []
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            dropped.append((number, "The example is not valid JSON."))
            continue
        contents = field(record, "contents", default=None) if isinstance(record, dict) else None
        if not isinstance(contents, list) or not contents:
            dropped.append((number, "The example has no contents."))
            continue
        if not isinstance(contents[-1], dict) or contents[-1].get("role") != "model":
            dropped.append((number, "The last turn of the example must have the role model."))
            continue
        system = field(record, "systemInstruction", "system_instruction", default=None)
        count = sum(len(t.split()) for t in texts(contents + ([system] if system else [])))
        if count > max_tokens:
            dropped.append((number, f"The example has {count} tokens, more than the maximum of {max_tokens}."))
            continue
        tokens += count
    return TrainingData(len(lines), tokens, dropped)


def label_problems(labels) -> str | None:
    """Why Vertex refuses these labels, or None."""
    if not isinstance(labels, dict):
        return "labels must be a map of strings"
    if len(labels) > 64:
        return "a resource takes at most 64 labels"
    for key, value in labels.items():
        if not LABEL.match(str(key)):
            return f"label key {key!r} must start with a lowercase letter and hold only lowercase letters, digits, _ and -"
        if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9_-]{0,63}", value):
            return f"label value {value!r} may hold only lowercase letters, digits, _ and - (at most 63)"
    return None


def matches_filter(labels: dict, expression: str) -> bool:
    """Whether a job's labels pass a list filter of ``labels.KEY=VALUE`` terms joined by AND (quotes optional);
    a ValueError for anything else, which the service refuses too."""
    for term in re.split(r"\s+AND\s+", expression.strip()):
        match = re.fullmatch(r'labels\.([a-z][a-z0-9_-]*)\s*=\s*"?([a-z0-9_-]*)"?', term.strip())
        if not match:
            raise ValueError(f"unsupported filter term {term!r}")
        if labels.get(match.group(1)) != match.group(2):
            return False
    return True


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
    data: TrainingData | None = None  # what the service read from the training file, when the fake has it

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
            tokens = self.data.tokens if self.data else self.examples * 180
            stats = {
                "tuningDatasetExampleCount": str(self.examples),
                "totalBillableTokenCount": str(tokens * self.epochs),
                "totalTuningCharacterCount": str(tokens * 4),
                "tuningStepCount": str(self.steps),
                "totalTruncatedExampleCount": str(len(self.data.dropped) if self.data else 0),
                "userInputTokenDistribution": {"sum": str(tokens * 2 // 3), "min": 12, "max": 410, "mean": 120.0},
                "userOutputTokenDistribution": {"sum": str(tokens // 3), "min": 1, "max": 95, "mean": 60.0},
            }
            if self.data and self.data.dropped:  # a sample, as the service gives
                sample = self.data.dropped[:DROPPED_SAMPLE]
                stats["truncatedExampleIndices"] = [str(line) for line, _ in sample]
                stats["droppedExampleReasons"] = [reason for _, reason in sample]
            job["tuningDataStats"] = {"supervisedTuningDataStats": stats}
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
