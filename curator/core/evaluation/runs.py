"""Evaluation runs kept in the workspace: what was asked (models, generation config, template, examples,
dataset version), every example's prompt and both answers, the metrics, and people's verdicts."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from curator.core.errors import CuratorError
from curator.core.storage.workspace import Workspace

RUNNING, DONE, CANCELLED, FAILED = "running", "done", "cancelled", "failed"
SIDES = ("a", "b")


@dataclass
class RunRow:
    """One example of a run with both answers (None until answered; ``error_*`` when the request failed)."""

    position: int
    example_id: int | None
    split: str | None
    text_input: str
    prompt: str
    system: str | None
    expected: str
    output_a: str | None = None
    output_b: str | None = None
    error_a: str | None = None
    error_b: str | None = None
    leaked: bool = False
    human_a: int | None = None  # 1 right, 0 wrong, None: the automatic verdict stands
    human_b: int | None = None
    judge_a: list | None = None  # [1 pass / 0 fail / None unreadable, reason] of a judge model
    judge_b: list | None = None
    samples_a: list | None = None  # every answer of a sampled run (output_a is the most common one)
    samples_b: list | None = None
    finish_a: str | None = None  # the finish reason of A's answer (MAX_TOKENS: cut at the max output tokens)
    finish_b: str | None = None
    reused_a: bool = False  # human_a is a person's verdict on the same answer in another run (not stored here)
    reused_b: bool = False

    def truncated(self, side: str) -> bool:
        """A's or B's answer was cut at the max output tokens (thinking included)."""
        return getattr(self, f"finish_{side}") == "MAX_TOKENS"


_COLUMNS = [f.name for f in fields(RunRow) if not f.name.startswith("reused_")]
_JSON = ("judge_a", "judge_b", "samples_a", "samples_b")


def _to_db(row: RunRow) -> tuple:
    values = (getattr(row, name) for name in _COLUMNS)  # not astuple: it deep-copies every value
    return tuple(json.dumps(v) if name in _JSON and v is not None else v for name, v in zip(_COLUMNS, values))


@dataclass
class EvalRun:
    """A run's record (its rows are read separately: ``Runs.rows``)."""

    id: str
    created: float
    finished: float | None
    state: str
    dataset: str | None
    dataset_version: str | None
    spec: dict[str, Any]
    metrics: dict[str, Any] | None

    @property
    def model_a(self) -> str:
        return self.spec["model_a"]

    @property
    def model_b(self) -> str:
        return self.spec["model_b"]

    @property
    def title(self) -> str:
        return f"{self.model_a} vs {self.model_b}"


class Runs:
    """The ``eval_runs`` and ``eval_rows`` tables of a workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def create(self, spec: dict, dataset: str | Path | None, version: str | None, rows: list[RunRow]) -> EvalRun:
        """A new run in state ``running`` with its rows (no answers yet)."""
        run = EvalRun(uuid.uuid4().hex[:12], time.time(), None, RUNNING,
                      str(Path(dataset).resolve()) if dataset else None, version, spec, None)
        with self.workspace.transaction() as db:
            db.execute("INSERT INTO eval_runs (id, created, state, dataset, dataset_version, spec) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (run.id, run.created, run.state, run.dataset, version, json.dumps(spec, sort_keys=True)))
            db.executemany(f"INSERT INTO eval_rows (run_id, {', '.join(_COLUMNS)}) "
                           f"VALUES (?, {', '.join('?' * len(_COLUMNS))})",
                           [(run.id, *_to_db(r)) for r in rows])
        return run

    def unfinished(self, spec: dict, dataset: str | Path | None, version: str | None) -> EvalRun | None:
        """The newest run of the same spec on the same dataset version that never finished (to resume)."""
        path = str(Path(dataset).resolve()) if dataset else None
        rows = self.workspace.query(
            "SELECT id FROM eval_runs WHERE state IN (?, ?) AND spec = ? AND dataset IS ? AND dataset_version IS ? "
            "ORDER BY created DESC LIMIT 1",
            (RUNNING, CANCELLED, json.dumps(spec, sort_keys=True), path, version))
        return self.get(rows[0][0]) if rows else None

    def store_outputs(self, run_id: str, rows: list[RunRow]) -> None:
        """Keep the rows' answers, errors, finish reasons, judge verdicts and samples."""
        names = ("output_a", "output_b", "error_a", "error_b", "finish_a", "finish_b", *_JSON)
        with self.workspace.transaction() as db:
            db.executemany(f"UPDATE eval_rows SET {', '.join(f'{n} = ?' for n in names)} "
                           "WHERE run_id = ? AND position = ?",
                           [(*(stored[n] for n in names), run_id, r.position)
                            for r, stored in ((r, dict(zip(_COLUMNS, _to_db(r)))) for r in rows)])

    def finish(self, run_id: str, state: str, metrics: dict | None) -> None:
        self.workspace.execute("UPDATE eval_runs SET state = ?, finished = ?, metrics = ? WHERE id = ?",
                               (state, time.time(), json.dumps(metrics) if metrics is not None else None, run_id))

    def set_spec(self, run_id: str, spec: dict) -> None:
        self.workspace.execute("UPDATE eval_runs SET spec = ? WHERE id = ?", (json.dumps(spec, sort_keys=True), run_id))

    def set_metrics(self, run_id: str, metrics: dict) -> None:
        self.workspace.execute("UPDATE eval_runs SET metrics = ? WHERE id = ?", (json.dumps(metrics), run_id))

    def get(self, run_id: str) -> EvalRun:
        """The run with this id (or a unique prefix of it); a CuratorError when there is none."""
        rows = self.workspace.query(
            "SELECT id, created, finished, state, dataset, dataset_version, spec, metrics FROM eval_runs "
            "WHERE id LIKE ? ORDER BY created DESC", (run_id.replace("%", "") + "%",))
        if not rows:
            raise CuratorError(f"no evaluation run {run_id!r} in this workspace")
        if len(rows) > 1 and rows[0][0] != run_id:
            raise CuratorError(f"run id {run_id!r} is ambiguous: {', '.join(r[0] for r in rows[:5])}")
        return _run(rows[0])

    def list(self, dataset: str | Path | None = None) -> list[EvalRun]:
        """Runs, newest first (of one dataset when given)."""
        sql = "SELECT id, created, finished, state, dataset, dataset_version, spec, metrics FROM eval_runs"
        params: tuple = ()
        if dataset is not None:
            sql += " WHERE dataset = ?"
            params = (str(Path(dataset).resolve()),)
        return [_run(r) for r in self.workspace.query(sql + " ORDER BY created DESC", params)]

    def rows(self, run_id: str) -> list[RunRow]:
        rows = self.workspace.query(f"SELECT {', '.join(_COLUMNS)} FROM eval_rows WHERE run_id = ? ORDER BY position",
                                    (run_id,))
        out = []
        for values in rows:
            row = RunRow(*(json.loads(v) if name in _JSON and v is not None else v
                           for name, v in zip(_COLUMNS, values)))
            row.leaked = bool(row.leaked)
            out.append(row)
        return out

    def reuse_verdicts(self, run: EvalRun, rows: list[RunRow]) -> int:
        """Give rows without a person's verdict the verdict a person gave in another run where the same model
        gave the same answer to the same prompt (the newest such verdict), marked as reused; how many."""
        found: dict[tuple, int] = {}
        for side in SIDES:
            for values in self.workspace.query(
                    f"SELECT json_extract(e.spec, '$.model_{side}'), r.prompt, r.system, r.output_{side}, "
                    f"r.human_{side} FROM eval_rows r JOIN eval_runs e ON e.id = r.run_id "
                    f"WHERE r.human_{side} IS NOT NULL AND r.run_id != ? ORDER BY e.created", (run.id,)):
                found[values[:4]] = values[4]
        if not found:
            return 0
        reused = 0
        for row in rows:
            for side in SIDES:
                output = getattr(row, f"output_{side}")
                if getattr(row, f"human_{side}") is not None or output is None:
                    continue
                verdict = found.get((run.spec[f"model_{side}"], row.prompt, row.system, output))
                if verdict is not None:
                    setattr(row, f"human_{side}", verdict)
                    setattr(row, f"reused_{side}", True)
                    reused += 1
        return reused

    def set_verdict(self, run_id: str, position: int, side: str, verdict: int | None) -> None:
        """Record a person's verdict on A's or B's answer (1 right, 0 wrong; None clears it)."""
        if side not in SIDES:
            raise CuratorError(f"side must be a or b, not {side!r}")
        if verdict not in (None, 0, 1):
            raise CuratorError("a verdict is 1 (right), 0 (wrong) or None")
        self.workspace.execute(f"UPDATE eval_rows SET human_{side} = ? WHERE run_id = ? AND position = ?",
                               (verdict, run_id, position))


def _run(row: tuple) -> EvalRun:
    run_id, created, finished, state, dataset, version, spec, metrics = row
    return EvalRun(run_id, created, finished, state, dataset, version, json.loads(spec),
                   json.loads(metrics) if metrics else None)
