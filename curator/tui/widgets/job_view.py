"""One tuning job's live status: state, progress bar, epoch and step, data statistics and a loss curve."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static
from textual_plotext import PlotextPlot

from curator.core.backends.base import JobState, JobStatus
from curator.core.costs import CostEstimate, actual_text

STATE_STYLE = {JobState.PENDING: "yellow", JobState.RUNNING: "cyan", JobState.CANCELLING: "yellow",
               JobState.SUCCEEDED: "bold green", JobState.FAILED: "bold red", JobState.CANCELLED: "magenta"}


def status_table(status: JobStatus, estimate: dict | None = None) -> Table:
    """The job's facts; with the ``estimate`` made before launch, the billable tokens stand beside it."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row("job", Text(status.display_name or status.job_id, style="bold"))
    state = Text(status.state.value, style=STATE_STYLE[status.state])
    if status.sub_state:
        state.append(f" · {status.sub_state}", "dim")
    table.add_row("state", state)
    table.add_row("base model", status.base_model or "?")
    if status.total_epochs:
        table.add_row("epoch", f"{status.epoch or 0} / {status.total_epochs}")
    if status.total_steps:
        table.add_row("step", f"{status.step or 0:,} / {status.total_steps:,}")
    if status.loss:
        last = status.loss[-1]
        losses = f"train {last.train_loss:.4f}" if last.train_loss is not None else "train –"
        losses += f" · validation {last.val_loss:.4f}" if last.val_loss is not None else ""
        table.add_row("loss", losses)
    guess = CostEstimate.from_dict(estimate) if estimate else None
    for key, value in list(status.stats.items())[:6]:
        if key == "billable tokens" and guess is not None:
            table.add_row("billed", actual_text(guess, int(value)))
            continue
        table.add_row(str(key), str(value))
    if guess is not None and "billable tokens" not in status.stats:
        table.add_row("estimate", guess.text().split("\n")[0])
    if status.dropped:
        table.add_row("dropped", Text(f"lines {', '.join(map(str, status.dropped[:8]))}"
                                      f"{' …' if len(status.dropped) > 8 else ''} of the training file · "
                                      "ctrl+g lists them", style="yellow"))
    if status.tuned_model:
        table.add_row("tuned model", Text(status.tuned_model, style="bold green"))
    if status.error:
        table.add_row("error", Text(status.error, style="red"))
    return table


class JobView(Vertical):
    """Shows a JobStatus; ``show(None)`` empties it."""

    DEFAULT_CSS = """
    JobView { height: 1fr; }
    JobView #job-status { height: auto; padding: 0 1; }
    JobView ProgressBar { height: 1; padding: 0 1; }
    JobView PlotextPlot { height: 1fr; min-height: 8; }
    """

    def compose(self) -> ComposeResult:
        yield Static("no job selected", id="job-status")
        yield ProgressBar(total=1.0, show_eta=False, id="job-progress")
        yield PlotextPlot(id="loss-plot")

    def on_mount(self) -> None:
        self.query_one("#loss-plot", PlotextPlot).display = False

    def show(self, status: JobStatus | None, estimate: dict | None = None) -> None:
        static = self.query_one("#job-status", Static)
        bar = self.query_one("#job-progress", ProgressBar)
        plot = self.query_one("#loss-plot", PlotextPlot)
        if status is None:
            static.update("no job selected: launch one on the left")
            bar.display = plot.display = False
            return
        static.update(status_table(status, estimate))
        bar.display = True
        bar.update(progress=1.0 if status.state is JobState.SUCCEEDED else status.progress)
        points = status.loss
        plot.display = bool(points)
        if points:
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            train = [(p.epoch, p.train_loss) for p in points if p.train_loss is not None]
            val = [(p.epoch, p.val_loss) for p in points if p.val_loss is not None]
            if train:
                plt.plot([x for x, _ in train], [y for _, y in train], label="train", marker="braille")
            if val:
                plt.plot([x for x, _ in val], [y for _, y in val], label="validation", marker="braille")
            plt.title("loss by epoch")
            plt.xlabel("epoch")
            plot.refresh()
