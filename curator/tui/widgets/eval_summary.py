"""The review's summary: the metrics table (A, B, B - A and its 95 % interval), the paired comparison, the
leaked examples apart, a bar chart of A vs B and, for classification, both confusion matrices."""

from __future__ import annotations

from rich.console import Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from curator.core.evaluation.report import confused_pairs, extra_lines, metric_rows, usage_beside_estimate, usage_text
from curator.core.evaluation.scoring import CLASSIFICATION, OTHER


def metrics_table(metrics: dict) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for name, justify in (("metric", "left"), ("A", "right"), ("B", "right"), ("B − A", "right"),
                          ("95 % CI", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    for label, a, b, ci in metric_rows(metrics):
        delta = b - a
        style = "green" if ci and ci["low"] > 0 else "red" if ci and ci["high"] < 0 else ""
        interval = f"[{ci['low']:+.1f}, {ci['high']:+.1f}]" if ci else ""
        table.add_row(label, f"{a:.1f}", f"{b:.1f}", Text(f"{delta:+.1f}", style=style), interval)
    return table


def paired_text(metrics: dict) -> Text:
    p = metrics["paired"]
    t = p["mcnemar"]["correct"]
    text = Text()
    text.append(f"B better on {p['wins']:,}", "green")
    text.append(" · ")
    text.append(f"A better on {p['losses']:,}", "red")
    text.append(f" · tie {p['ties']:,}\n")
    text.append(f"McNemar p = {t['p_value']:.3g} ({t['b_only']} only B right, {t['a_only']} only A right); "
                f"{p['resamples']} bootstrap resamples, seed {p['seed']}")
    failed = metrics["failed"]
    if failed["a"] or failed["b"]:
        text.append(f"\nfailed requests (scored wrong): A {failed['a']}, B {failed['b']}", "yellow")
    cut = metrics.get("truncated", {})
    if cut.get("a") or cut.get("b"):
        text.append(f"\nanswers cut at the max output tokens (…, key 9): A {cut['a']}, B {cut['b']}", "yellow")
    tokens = metrics.get("tokens")
    if tokens:
        text.append(f"\ntokens: {usage_text(tokens)}")
        if metrics.get("estimate"):
            text.append(f"\nused beside the estimate: {usage_beside_estimate(metrics)}")
    if "rule" in metrics:
        text.append(f"\nscored by rule: {metrics['rule']}")
    for line in extra_lines(metrics):
        text.append(f"\n{line}")
    if "judged" in metrics:
        j = metrics["judged"]
        text.append(f"\nwith your {j['verdicts']} verdict(s): A right {j['a'] * 100:.1f} %, B right {j['b'] * 100:.1f} %")
    for name, s in metrics.get("subsets", {}).items():
        text.append(f"\n{name:7} {s['n']:>5,} examples: A right {s['a']['correct'] * 100:5.1f} %, "
                    f"B right {s['b']['correct'] * 100:5.1f} %", "yellow" if name == "leaked" else "")
    return text


def confusion_table(metrics: dict, side: str) -> Table:
    """The confusion matrix with full label names on the rows and the columns numbered as the rows (the last,
    ?: answers that map to no label)."""
    conf = metrics[side]["classification"]["confusion"]
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("", no_wrap=True)
    width = len(str(len(conf["labels"])))
    for j, label in enumerate(conf["labels"], start=1):
        table.add_column("?" if label == OTHER else str(j), justify="right", no_wrap=True, min_width=width)
    for k, (label, row) in enumerate(zip(metrics["labels"], conf["matrix"])):
        cells = [Text(str(v), style="green" if j == k and v else "red" if v else "dim") for j, v in enumerate(row)]
        table.add_row(f"{k + 1:>{width}} {label}", *cells)
    return table


def confusion_view(metrics: dict, side: str) -> Group:
    """A side's confusion matrix under its most confused pairs."""
    pairs = confused_pairs(metrics, side, top=5)
    head = Text(f"{side.upper()}: expected ↓ answered → (columns numbered as the rows; ?: {OTHER})\n", style="bold")
    head.append("most confused (expected → answered): ")
    head.append("; ".join(f"{e} → {a} ({n})" for e, a, n in pairs) if pairs else "none")
    return Group(head, confusion_table(metrics, side))


class EvalSummary(VerticalScroll):
    """The summary panel of a scored run."""

    DEFAULT_CSS = """
    EvalSummary { height: 1fr; border: round $panel-lighten-2; padding: 0 1; overflow-x: auto; }
    EvalSummary:focus { border: round $accent; }
    EvalSummary #summary-metrics { width: auto; }
    EvalSummary #summary-chart { width: 1fr; max-width: 90; height: 12; }
    EvalSummary #summary-paired { margin: 1 0; }
    EvalSummary #summary-confusion { height: auto; width: auto; }
    EvalSummary #summary-confusion Static { width: auto; margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="summary-metrics")
        yield Static("", id="summary-paired")
        yield PlotextPlot(id="summary-chart")
        with Vertical(id="summary-confusion"):
            yield Static("", id="confusion-a")
            yield Static("", id="confusion-b")

    def on_mount(self) -> None:
        self.border_title = "summary"

    def show(self, metrics: dict) -> None:
        self.query_one("#summary-metrics", Static).update(metrics_table(metrics))
        self.query_one("#summary-paired", Static).update(paired_text(metrics))
        classification = metrics["task"] == CLASSIFICATION
        for side in ("a", "b"):
            panel = self.query_one(f"#confusion-{side}", Static)
            panel.display = classification
            if classification:
                table = confusion_view(metrics, side)
                console = self.app.console
                panel.styles.width = Measurement.get(console, console.options.update(max_width=1 << 16),
                                                     table).maximum  # wider than the panel: it scrolls
                panel.update(table)
        rows = metric_rows(metrics)[:4]
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        labels = [label.split(" (")[0][:12] for label, *_ in rows]
        plt.multiple_bar(labels, [[r[1] for r in rows], [r[2] for r in rows]], labels=["A", "B"])
        plt.title("A vs B")
        plt.ylim(0, 100)
        plot.refresh()
