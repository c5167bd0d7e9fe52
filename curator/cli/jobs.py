"""curator jobs / job NAME / cancel NAME: the tuning jobs kept in a dataset's workspace.

One module serves three commands (registered as "jobs", "job" and "cancel"); which one runs is
``args.command``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from curator.cli.common import command_of
from curator.cli.models import add_backend_arguments, fail, open_jobs, workspace_for
from curator.cli.tune import follow, progress_line
from curator.core.backends.base import JobStatus
from curator.core.errors import CuratorError
from curator.core.tuning import JobRecord, Jobs

_WORKSPACE = ("FILE is the dataset whose workspace keeps the jobs\n"
              "(default: the .curator folder of the current directory).")
_NAME = "NAME is a job's id, the end of it (Vertex: the number) or its display name.\n"
EPILOGS = {
    "jobs": _WORKSPACE + """

exit codes:
  0  success
  1  a backend could not be reached or refused
  2  no workspace could be read""",
    "job": _NAME + _WORKSPACE + """

exit codes:
  0  success
  1  the backend could not be reached or refused, or (--wait) the job did not succeed
  2  no such job, or no workspace could be read""",
    "cancel": _NAME + _WORKSPACE + """

exit codes:
  0  cancelled
  1  the backend could not be reached or refused
  2  no such job, it has already ended, or you answered no""",
}

CANCEL_WARNING = ("A cancelled job stops where it is: on Vertex, the checkpoints saved so far remain, but the "
                  "quality of a model cut short is unpredictable (the local backend keeps no model).")

LOSS_ROWS = 20  # rows of the loss table `curator job` prints


def loss_rows(points: list) -> list:
    """At most LOSS_ROWS (+1) points of a loss curve for a table: the validated ones when they fit (a Vertex job
    logs training loss every step, validation loss at intervals), else evenly spaced ones; the last always."""
    if len(points) <= LOSS_ROWS:
        return points
    validated = [p for p in points if p.val_loss is not None]
    chosen = validated if 0 < len(validated) <= LOSS_ROWS else [points[i * len(points) // LOSS_ROWS]
                                                                for i in range(LOSS_ROWS)]
    return chosen if chosen[-1] is points[-1] else [*chosen, points[-1]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    command = command_of(parser)
    parser.epilog = EPILOGS[command]
    if command != "jobs":
        parser.add_argument("name", metavar="NAME", help="the job: id, end of the id, or display name")
    parser.add_argument("file", metavar="FILE", nargs="?", help="the dataset whose workspace keeps the jobs")
    add_backend_arguments(parser, choose=False)
    if command == "jobs":
        parser.description = "List the tuning jobs of a workspace, newest first, refreshing the unfinished ones."
        parser.add_argument("--no-refresh", action="store_true", help="show the last known states without asking "
                                                                      "the backends")
    elif command == "job":
        parser.description = "Show one tuning job: state, progress, loss per epoch, data statistics, tuned model."
        parser.add_argument("--wait", action="store_true", help="follow the job until it ends")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls with --wait")
    else:
        parser.description = "Cancel a running tuning job. " + CANCEL_WARNING
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "-"


def _list(jobs: Jobs, args: argparse.Namespace) -> int:
    rows: list[tuple[JobRecord, JobStatus]] = []
    for record in jobs.list():
        status = record.status
        if not args.no_refresh and not status.state.terminal:
            try:
                status = jobs.status(record.id)
            except CuratorError as e:
                print(f"{record.short_name}: not refreshed: {getattr(e, 'reason', e)}", file=sys.stderr)
        rows.append((record, status))
    if args.json:
        json.dump([dict(id=r.id, backend=r.backend, project=r.project, location=r.location,
                        base_model=r.base_model, display_name=r.display_name, dataset=r.dataset, created=r.created,
                        hyperparameters=r.hyperparameters.to_dict(), status=s.to_dict()) for r, s in rows],
                  sys.stdout, indent=2)
        print()
        return 0
    if not rows:
        print("no tuning jobs in this workspace (curator tune FILE starts one)")
        return 0
    for record, status in rows:
        name = record.display_name or ""
        dropped = status.stats.get("dropped examples")
        print(f"{record.short_name:20} {record.backend:10} {status.state.value:10} {status.progress:4.0%}  "
              f"{_when(record.created)}  {record.base_model}  {name}  {record.settings_line(status)}"
              + (f"  (dropped examples: {dropped:,}, see curator job {record.short_name})" if dropped else ""))
    return 0


def _show(status: JobStatus, record: JobRecord, estimate: dict | None) -> None:
    print(f"job        {record.id}")
    print(f"backend    {record.backend}" + (f"   in {record.project} / {record.location}" if record.location else ""))
    print(f"base model {record.base_model}" + (f"   name {record.display_name}" if record.display_name else ""))
    print(f"dataset    {record.dataset or '-'}")
    print(f"started    {_when(record.created)}")
    hp = record.hyperparameters
    print(f"settings   epochs {hp.epochs}, batch size {hp.batch_size}, learning rate {hp.learning_rate:g}, "
          f"multiplier {hp.learning_rate_multiplier:g}" + (f", adapter {hp.adapter_size}" if hp.adapter_size else ""))
    print(f"status     {progress_line(status)}")
    if status.tuned_model:
        print(f"tuned      {status.tuned_model}")
    if status.error:
        print(f"error      {status.error}")
    if estimate:
        from curator.core.costs import CostEstimate, actual_text

        guess = CostEstimate.from_dict(estimate)
        print("  estimated before launch: " + guess.text().split("\n")[0])
    for key, value in status.stats.items():
        if key == "billable tokens" and estimate:
            print(f"  {actual_text(guess, int(value))}")
            continue
        print(f"  {key}: {value}")
    if status.dropped:
        print("  dropped examples (a sample; lines of the training file, the app lists them with ctrl+g):")
        for i, line in enumerate(status.dropped):
            reason = status.dropped_reasons[i] if i < len(status.dropped_reasons) else ""
            print(f"    line {line}: {reason}".rstrip())
    if status.loss:
        print("  epoch  train loss  validation loss")
        for point in loss_rows(status.loss):
            train = f"{point.train_loss:.4f}" if point.train_loss is not None else "-"
            val = f"{point.val_loss:.4f}" if point.val_loss is not None else "-"
            print(f"  {point.epoch:5.2f}  {train:>10}  {val:>15}")
    for c in status.checkpoints:
        print(f"  checkpoint {c.checkpoint_id}: epoch {c.epoch}, step {c.step}  {c.endpoint or ''}".rstrip())


def run(args: argparse.Namespace) -> int:
    command = args.command
    try:
        jobs = open_jobs(args, workspace_for(args.file))
        if command == "jobs":
            return _list(jobs, args)
        job_id = jobs.resolve(args.name)
        record = jobs.get(job_id)
        if command == "cancel":
            if record.status.state.terminal:
                raise CuratorError(f"job {record.short_name} has already ended ({record.status.state.value})")
            if not args.yes:
                print(CANCEL_WARNING, file=sys.stderr)
                if not sys.stdin.isatty() or input(f"Cancel {record.short_name}? [y/N] ").strip().lower() not in (
                        "y", "yes"):
                    print("not cancelled (add --yes to cancel without asking)", file=sys.stderr)
                    return 2
            status = jobs.cancel(job_id)
        elif args.wait:
            status = follow(jobs, job_id, args.interval)
        else:
            status = jobs.status(job_id)
    except CuratorError as e:
        return fail(e)
    if args.json:
        json.dump(dict(id=record.id, backend=record.backend, hyperparameters=record.hyperparameters.to_dict(),
                       status=status.to_dict(), estimate=jobs.estimate(job_id)), sys.stdout, indent=2)
        print()
    elif command == "cancel":
        print(f"{record.short_name}: {status.state.value}")
    else:
        _show(status, record, jobs.estimate(job_id))
    if command == "job" and args.wait:
        return 0 if status.state.value == "succeeded" else 1
    return 0
