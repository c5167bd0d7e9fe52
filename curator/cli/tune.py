"""curator tune: check a dataset, then launch a tuning job (local, Vertex AI) and optionally wait for it."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from curator.cli.common import add_input_arguments, open_read_only
from curator.cli.models import add_backend_arguments, fail, open_jobs
from curator.cli.progress import StderrProgress
from curator.core.backends.base import Hyperparameters, JobState, JobStatus
from curator.core.backends.registry import BACKENDS, canonical_name
from curator.core.errors import BackendError, BackendErrorKind, CuratorError
from curator.core.settings import load_settings
from curator.core.storage.workspace import Workspace

if TYPE_CHECKING:
    from curator.core.backends.prepare import Preparation

DESCRIPTION = (
    "Check FILE, split train/validation and launch tuning. Check errors stop the launch; warnings need --yes\n"
    "(or a yes at the prompt). The local backend trains here and now (Ctrl+C cancels); a Vertex job runs in\n"
    "Google Cloud: add --wait to follow it, or look later with `curator job NAME`."
)
EPILOG = """guidance (from the tuning docs):
  start with about 100 good examples: quality matters far more than quantity
  epochs: watch the validation loss and stop where it plateaus or rises
  small datasets: a smaller learning rate (multiplier) avoids overfitting
  Vertex takes epochs, learning-rate multiplier and adapter size; batch size and learning rate are for
  open models there and are not sent

exit codes:
  0  the job was launched (and, when waited for, succeeded); with --dry-run: it could be launched
  1  the backend refused, or the job failed or was cancelled
  2  FILE could not be read, a setting is invalid, or check errors block the launch"""

def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_input_arguments(parser)
    add_backend_arguments(parser)
    d = Hyperparameters()
    hp = parser.add_argument_group("hyperparameters")
    defaults = ", ".join(f"{b.default_base_model} on {b.name}" for b in BACKENDS.values() if b.default_base_model)
    hp.add_argument("--base-model", help=f"model to tune (default: {defaults})")
    hp.add_argument("--epochs", type=int, default=d.epochs, help=f"passes over the data (default {d.epochs})")
    hp.add_argument("--batch-size", type=int, default=d.batch_size, help=f"examples per step (default {d.batch_size})")
    hp.add_argument("--learning-rate", type=float, default=d.learning_rate,
                    help=f"step size (default {d.learning_rate})")
    hp.add_argument("--lr-multiplier", type=float, default=d.learning_rate_multiplier,
                    help=f"learning-rate multiplier (default {d.learning_rate_multiplier})")
    hp.add_argument("--adapter-size", type=int, choices=(1, 2, 4, 8, 16, 32), help="Vertex: LoRA adapter size")
    hp.add_argument("--display-name", help="a name for the tuned model")
    hp.add_argument("--validation-fraction", type=float, default=d.validation_fraction,
                    help="share of train held out for validation when no example is marked validation "
                         f"(default {d.validation_fraction})")
    hp.add_argument("--seed", type=int, default=d.seed, help="seed of the split and the shuffling")
    parser.add_argument("--training-uri", metavar="GS_URI", help="Vertex: training JSONL already in Cloud Storage")
    parser.add_argument("--validation-uri", metavar="GS_URI", help="Vertex: validation JSONL in Cloud Storage")
    parser.add_argument("--fast", action="store_true", help="skip the slow checks (near-duplicates, leakage)")
    parser.add_argument("--yes", action="store_true", help="launch despite check warnings, without asking")
    parser.add_argument("--dry-run", action="store_true", help="check, split and print the token count and estimated "
                        "price, then stop: nothing is uploaded or launched")
    parser.add_argument("--wait", action="store_true", help="follow a cloud job until it ends")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls with --wait (default 30)")


def hyperparameters(args: argparse.Namespace) -> Hyperparameters:
    return Hyperparameters(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        learning_rate_multiplier=args.lr_multiplier, adapter_size=args.adapter_size, display_name=args.display_name,
        validation_fraction=args.validation_fraction, seed=args.seed,
    ).validated()


def report_preparation(prepared: Preparation) -> None:
    print(f"train {prepared.train.height:,} examples, validation {prepared.validation.height:,}")
    for note in prepared.notes:
        print(f"  {note}")
    by_rule: dict[str, list] = {}
    for finding in prepared.errors + prepared.warnings:
        by_rule.setdefault(finding.rule, []).append(finding)
    for rule, found in by_rule.items():
        more = f" (+{len(found) - 1} more like it)" if len(found) > 1 else ""
        print(f"  {found[0].severity.value.upper():8} {rule}: {found[0].message}{more}")


def confirmed(prepared: Preparation, args: argparse.Namespace) -> bool:
    if not prepared.warnings or args.yes:
        return True
    if not sys.stdin.isatty():
        print(f"{len(prepared.warnings)} check warning(s): review them, then add --yes to launch", file=sys.stderr)
        return False
    return input(f"{len(prepared.warnings)} check warning(s). Launch anyway? [y/N] ").strip().lower() in ("y", "yes")


def progress_line(status: JobStatus) -> str:
    """One line about a running or finished job."""
    parts = [status.state.value]
    if status.sub_state and not status.state.terminal:
        parts.append(status.sub_state)
    if status.total_epochs:
        parts.append(f"epoch {status.epoch or 0}/{status.total_epochs}")
    if status.total_steps:
        parts.append(f"step {status.step or 0:,}/{status.total_steps:,}")
    parts.append(f"{status.progress:.0%}")
    if status.loss:
        last = status.loss[-1]
        parts.append(f"train loss {last.train_loss:.4f}")
        if last.val_loss is not None:
            parts.append(f"validation loss {last.val_loss:.4f}")
    return "  ".join(parts)


def follow(jobs, job_id: str, interval: float) -> JobStatus:
    """Poll until the job ends, printing a line whenever something changed; Ctrl+C cancels a local job."""
    last = ""

    def show(status: JobStatus) -> None:
        nonlocal last
        line = progress_line(status)
        if line.split("  step")[0] != last.split("  step")[0] or status.state.terminal:
            print(line, file=sys.stderr, flush=True)
        last = line

    try:
        return jobs.wait(job_id, interval=interval, on_status=show)
    except KeyboardInterrupt:
        record = jobs.get(job_id)
        if not jobs.backend(record.backend).jobs_live_in_process:
            print(f"\nstopped waiting; the job keeps running (curator job {record.short_name})", file=sys.stderr)
            return jobs.status(job_id)
        print("\ncancelling...", file=sys.stderr)
        jobs.cancel(job_id)
        return jobs.wait(job_id, interval=0.2)


def run(args: argparse.Namespace) -> int:
    from curator.core.costs import tuning_estimate

    try:
        info = BACKENDS[canonical_name(args.backend)]
        if not info.can_tune:
            raise BackendError(BackendErrorKind.UNSUPPORTED, info.why_not_tune)
        hp = hyperparameters(args)
        settings = load_settings(args.file)
        session = open_read_only(args)
        jobs = open_jobs(args, Workspace.for_dataset(session.path))
        backend = jobs.backend(args.backend)
        base = args.base_model or BACKENDS[backend.name].default_base_model or ""
        progress = StderrProgress("pre-flight")
        prepared = backend.prepare(session.dataset, hp, settings.with_overrides(base_model=base or None),
                                   skip_slow_checks=args.fast, dataset_path=session.path, progress=progress)
        progress.close()
        estimate = tuning_estimate(prepared.train, backend.name, base, hp.epochs, settings.prices)
    except CuratorError as e:
        return fail(e)
    report_preparation(prepared)
    print(f"cost before launch:\n  {estimate.text().replace(chr(10), chr(10) + '  ')}")
    if args.dry_run:
        print("dry run: nothing was uploaded or launched", file=sys.stderr)
        jobs.close()
        return 2 if prepared.errors else 0
    if prepared.errors:
        print(f"{len(prepared.errors)} check error(s) block tuning: fix them first (curator check lists them)",
              file=sys.stderr)
        return 2
    if not confirmed(prepared, args):
        return 2
    prepared.training_uri = args.training_uri or prepared.training_uri
    prepared.validation_uri = args.validation_uri or prepared.validation_uri
    try:
        job_id = jobs.start(backend.name, prepared, base, hp, estimate.to_dict())
        print(f"started {job_id} on {backend.title}: tuning {base}")
        if not (backend.jobs_live_in_process or args.wait):
            print(f"follow it with: curator job {jobs.get(job_id).short_name} {session.path}")
            return 0
        status = follow(jobs, job_id, 0.5 if backend.jobs_live_in_process else args.interval)
    except CuratorError as e:
        return fail(e)
    finally:
        jobs.close()
    print(progress_line(status))
    if status.tuned_model:
        print(f"tuned model: {status.tuned_model}")
    if status.error:
        print(f"error: {status.error}", file=sys.stderr)
    return 0 if status.state is JobState.SUCCEEDED else 1
