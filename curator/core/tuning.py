"""Tuning jobs kept in the workspace database: launched through any backend, listed and resumed after a
restart. This is what the TUI's tuning screen and ``curator tune/jobs/job/cancel`` drive.

    jobs = Jobs(workspace)
    prepared = jobs.backend("local").prepare(dataset, hp, dataset_path=path)   # checks, split, export
    job_id = jobs.start("local", prepared, "local-echo", hp)
    status = jobs.status(job_id)          # polls the backend unless the job has ended; stored every time
    jobs.cancel(job_id); jobs.list(); jobs.wait(job_id, on_status=print)

Each job keeps the project and region it was started in and is followed there, whatever the environment says
later. A job of an in-process backend (local) that was still running when its process ended is marked failed
("interrupted") the next time it is polled. Finished jobs are never polled again.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from curator.core.backends.base import Backend, Hyperparameters, JobState, JobStatus, UnknownJob
from curator.core.errors import CuratorError
from curator.core.progress import Cancel
from curator.core.storage.workspace import Workspace

if TYPE_CHECKING:
    from curator.core.backends.prepare import Preparation

INTERRUPTED = "interrupted: curator ended while this local job ran; start it again"


@dataclass(frozen=True)
class DroppedExample:
    """An example the tuning service left out: its line in the training file, why, and the ids of the
    dataset's examples holding that content now (none: edited or deleted since the launch)."""

    line: int
    reason: str | None
    ids: tuple[int, ...]


@dataclass(frozen=True)
class JobRecord:
    """A job as the workspace remembers it."""

    id: str
    backend: str
    display_name: str | None
    base_model: str
    dataset: str | None
    dataset_version: str | None
    hyperparameters: Hyperparameters
    created: float
    updated: float
    status: JobStatus
    project: str | None = None  # where the job runs (cloud backends), as it was started
    location: str | None = None

    @property
    def short_name(self) -> str:
        """The last part of the id (Vertex: the numeric job id), for tables and the CLI."""
        return self.id.rsplit("/", 1)[-1]

    def settings_line(self, status: JobStatus | None = None) -> str:
        """What tells this job from its siblings: epochs, the hyperparameters set away from their defaults,
        and the best validation loss so far, e.g. '5 ep · lr×2 · adapter 4 · best val 0.412'."""
        hp, default = self.hyperparameters, Hyperparameters()
        parts = [f"{hp.epochs} ep"]
        if hp.batch_size != default.batch_size:
            parts.append(f"batch {hp.batch_size}")
        if hp.learning_rate != default.learning_rate:
            parts.append(f"lr {hp.learning_rate:g}")
        if hp.learning_rate_multiplier != default.learning_rate_multiplier:
            parts.append(f"lr×{hp.learning_rate_multiplier:g}")
        if hp.adapter_size is not None:
            parts.append(f"adapter {hp.adapter_size}")
        losses = [p.val_loss for p in (status or self.status).loss if p.val_loss is not None]
        if losses:
            parts.append(f"best val {min(losses):.3f}")
        return " · ".join(parts)


def _record(row: tuple) -> JobRecord:
    job_id, backend, display, base, dataset, version, hp, created, updated, _state, status, project, location = row
    return JobRecord(job_id, backend, display, base, dataset, version, Hyperparameters.from_dict(json.loads(hp)),
                     created, updated, JobStatus.from_dict(json.loads(status)), project, location)


_COLUMNS = ("id, backend, display_name, base_model, dataset, dataset_version, hyperparameters, created, updated, "
            "state, status, project, location")


def _this_process() -> str:
    return f"{socket.gethostname()} {os.getpid()}"


def _alive_elsewhere(runner: str | None) -> bool:
    """Whether ``runner`` ("host pid") is another live process on this host."""
    if not runner or runner == _this_process():
        return False
    host, _, pid = runner.rpartition(" ")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Jobs:
    """The tuning jobs of one workspace. ``backend_factory(name)`` builds a backend; built ones are kept
    (a local job lives in its backend's thread), so use one Jobs per workspace per process."""

    def __init__(self, workspace: Workspace, backend_factory: Callable[[str], Backend] | None = None) -> None:
        self.workspace = workspace
        if backend_factory is None:
            from curator.core.backends.registry import create_backend
            from curator.core.storage.models import backend_storage

            def backend_factory(name: str) -> Backend:
                return create_backend(name, **backend_storage(workspace))

        self._factory = backend_factory
        self._backends: dict[str, Backend] = {}

    def backend(self, name: str) -> Backend:
        """The backend called ``name`` (built once)."""
        from curator.core.backends.registry import canonical_name

        name = canonical_name(name)
        if name not in self._backends:
            self._backends[name] = self._factory(name)
        return self._backends[name]

    def new_backend(self, name: str) -> Backend:
        """A backend of its own for a caller that closes it when done (an evaluation run)."""
        from curator.core.backends.registry import canonical_name

        return self._factory(canonical_name(name))

    def start(self, backend: str, prepared: Preparation, base_model: str, hp: Hyperparameters,
              estimate: dict | None = None) -> str:
        """Launch a job and record it, with the fingerprints of its training rows and the cost ``estimate``
        shown before (``CostEstimate.to_dict``); returns its id. Check errors in ``prepared`` block the launch."""
        from curator.core.fingerprints import fingerprints

        prepared.require_launchable()
        chosen = self.backend(backend)
        job_id = chosen.start_job(prepared, base_model, hp)
        now = time.time()
        status = JobStatus(job_id, chosen.name, JobState.PENDING, total_epochs=hp.epochs,
                           display_name=hp.display_name, base_model=base_model, created=now, updated=now)
        runner = _this_process() if chosen.jobs_live_in_process else None
        project, location = chosen.place
        self.workspace.execute(
            f"INSERT OR REPLACE INTO jobs ({_COLUMNS}, runner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job_id, chosen.name, hp.display_name, base_model, prepared.dataset_path, prepared.dataset_version,
             json.dumps(hp.to_dict()), now, now, status.state.value, json.dumps(status.to_dict()), project, location,
             runner),
        )
        self.workspace.execute("INSERT OR REPLACE INTO job_data (job_id, train_rows, estimate) VALUES (?, ?, ?)",
                               (job_id, fingerprints(prepared.train), json.dumps(estimate) if estimate else None))
        return job_id

    def estimate(self, job_id: str) -> dict | None:
        """The cost estimate shown before the job was launched (None for a job launched without one)."""
        rows = self.workspace.query("SELECT estimate FROM job_data WHERE job_id = ?", (job_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    def dropped_examples(self, job_id: str, frame) -> list[DroppedExample]:
        """The examples the service left out of the job (a sample, as it reports them), found in ``frame``
        (the dataset's examples, with ids) by content."""
        from curator.core.fingerprints import find_examples, fingerprint_at

        status = self.get(job_id).status
        rows = self.workspace.query("SELECT train_rows FROM job_data WHERE job_id = ?", (job_id,))
        blob = rows[0][0] if rows and rows[0][0] else b""
        wanted = {line: fingerprint_at(blob, line) for line in status.dropped}
        found = find_examples(frame, [f for f in wanted.values() if f is not None]) if blob else {}
        reasons = status.dropped_reasons
        return [DroppedExample(line, reasons[i] if i < len(reasons) else None,
                               tuple(found.get(wanted[line], ())) if wanted[line] else ())
                for i, line in enumerate(status.dropped)]

    def get(self, job_id: str) -> JobRecord:
        rows = self.workspace.query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise CuratorError(f"no tuning job {job_id!r} in this workspace")
        return _record(rows[0])

    def list(self) -> list[JobRecord]:
        """Every job of the workspace, newest first, as last seen (``status`` refreshes one)."""
        return [_record(r) for r in self.workspace.query(f"SELECT {_COLUMNS} FROM jobs ORDER BY created DESC")]

    def resolve(self, name: str) -> str:
        """The id of the job called ``name``: its id, the end of its id, or its display name (unique)."""
        records = self.list()
        for test in (lambda r: r.id == name, lambda r: r.short_name == name, lambda r: r.id.endswith(name),
                     lambda r: r.display_name == name):
            found = [r.id for r in records if test(r)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise CuratorError(f"{name!r} names {len(found)} jobs; use the full id")
        raise CuratorError(f"no tuning job {name!r} in this workspace (curator jobs lists them)")

    def backend_of(self, record: JobRecord) -> Backend:
        """The backend that follows ``record``'s job: in the project and region it was started in."""
        return self.backend(record.backend).at(record.project, record.location)

    def _running_elsewhere(self, job_id: str) -> str | None:
        """The pid of another live process on this host running the (in-process) job, if any."""
        runner = self.workspace.query("SELECT runner FROM jobs WHERE id = ?", (job_id,))[0][0]
        return runner.rpartition(" ")[2] if _alive_elsewhere(runner) else None

    def _store(self, status: JobStatus) -> None:
        now = time.time()
        self.workspace.execute(
            "UPDATE jobs SET state = ?, status = ?, updated = ? WHERE id = ?",
            (status.state.value, json.dumps(status.to_dict()), now, status.job_id),
        )

    def status(self, job_id: str) -> JobStatus:
        """The job's status: stored if it has ended, else fetched from its backend (and stored)."""
        record = self.get(job_id)
        if record.status.state.terminal:
            return record.status
        backend = self.backend_of(record)
        try:
            status = backend.status(job_id)
        except UnknownJob:
            if not backend.jobs_live_in_process:
                raise
            status = record.status
            pid = self._running_elsewhere(job_id)
            if pid:  # another curator process runs it: report what that process stored last
                status.sub_state = f"running in another curator process (pid {pid})"
                return status
            status.state, status.error, status.updated = JobState.FAILED, INTERRUPTED, time.time()
        if status.display_name is None:
            status.display_name = record.display_name
        self._store(status)
        return status

    def cancel(self, job_id: str) -> JobStatus:
        """Ask the backend to stop the job; returns the status right after."""
        record = self.get(job_id)
        if record.status.state.terminal:
            raise CuratorError(f"job {record.short_name} has already ended ({record.status.state.value})")
        backend = self.backend_of(record)
        try:
            backend.cancel(job_id)
        except UnknownJob:
            if not backend.jobs_live_in_process:
                raise
            pid = self._running_elsewhere(job_id)
            if pid:
                raise CuratorError(f"job {record.short_name} runs in another curator process (pid {pid}); "
                                   "cancel it there") from None
        return self.status(job_id)

    def wait(
        self,
        job_id: str,
        *,
        interval: float = 5.0,
        on_status: Callable[[JobStatus], None] | None = None,
        cancel: Cancel | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> JobStatus:
        """Poll until the job ends (or ``cancel`` is set: the job keeps running); returns the last status."""
        while True:
            status = self.status(job_id)
            if on_status:
                on_status(status)
            if status.state.terminal or (cancel is not None and cancel.is_set()):
                return status
            sleep(interval)

    def close(self) -> None:
        """Close the backends built here (running local jobs stop)."""
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()
