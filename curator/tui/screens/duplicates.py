"""The duplicates screen: near-duplicate clusters sorted by size and similarity; a cluster's members with
the keeper and the highlighted member side by side, character-level differences highlighted, and the template
slot that differs named.

The scan runs in a worker with a progress bar (ctrl+c cancels); one estimated over a minute says so and
starts only when asked. K keeps the highlighted member and deletes the others after saying how many per split
(one undoable op; ctrl+z / ctrl+y work here), n records "not a duplicate" for the pair and N for the whole
cluster (undo steps too), i switches between slot values and whole inputs, #
shows the clusters that differ only in numbers (different examples, kept apart), enter on a member jumps
to it. A member below the threshold says which member it joined through.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from curator.core.dataset import Dataset
from curator.core.dedupe.clusters import Cluster
from curator.core.dedupe.scan import LongScan
from curator.core.diff import char_diff
from curator.core.errors import Cancelled, CuratorError
from curator.core.ops import Op, SetField
from curator.core.progress import Progress as JobProgress
from curator.core.settings import Settings
from curator.tui.actions import DUPLICATES, bindings, key_of
from curator.tui.messages import GoToExample
from curator.tui.screens.prompts import AskScreen
from curator.tui.screens.scan_options import ScanOptionsScreen
from curator.tui.widgets.cursor_view import ListActions
from curator.tui.widgets.detail_pane import TextPanel, highlighted
from curator.tui.widgets.example_table import preview



@dataclass(frozen=True)
class Found:
    """What a scan gives the screen: the clusters, those that differ only in numbers, how inputs were compared,
    and what was not compared (``DedupeScan.uncompared_note``)."""

    clusters: list[Cluster]
    numeric: list[Cluster]
    compare: str = "whole"
    templates: tuple[str, ...] = ()
    uncompared: str = ""


ScanFn = Callable[..., Found]  # scan(settings, progress=..., cancel=..., max_seconds=...) -> Found
LONG_SCAN = 60.0  # seconds: a scan estimated longer asks before it starts
PROGRESS_EVERY = 0.25  # seconds between the progress redraws of a scan
MEMBERS_SHOWN = 1_000  # members listed of a cluster (templated data makes clusters of thousands)


def sort_clusters(clusters: list[Cluster]) -> list[Cluster]:
    """Largest first, then the most similar (highest lowest-similarity), then by keeper id."""
    return sorted(clusters, key=lambda c: (-c.size, -c.min_score, c.keeper))


class DuplicatesScreen(ListActions, Screen[None]):
    """Near-duplicate clusters; enter on a member posts ``GoToExample``."""

    CSS_PATH = "duplicates.tcss"
    BINDINGS = bindings(DUPLICATES)

    class Scanned(Message):
        def __init__(self, found: Found | None, error: str | None = None, long: float | None = None) -> None:
            self.found, self.error, self.long = found, error, long  # long: the estimate of a scan not started
            super().__init__()

    class Progress(Message):
        def __init__(self, progress: JobProgress) -> None:
            self.progress = progress
            super().__init__()

    def __init__(self, dataset: Dataset, settings: Settings, scan: ScanFn, apply: Callable[[Op, str], bool],
                 not_duplicate: Callable[[Cluster, int | None, str, bool], None], on_settings: Callable[[Settings], None],
                 history: Callable[[str], None]) -> None:
        """``scan`` finds clusters under settings, ``apply`` applies an op through the main screen,
        ``not_duplicate(cluster, member, field, undo)`` remembers a member (None: every member) as no duplicate
        of the keeper (``undo``: forgets it again), ``on_settings`` keeps changed scan options, ``history("undo" | "redo")`` steps the history."""
        super().__init__()
        self.dataset, self.settings, self.scan, self.apply_op = dataset, settings, scan, apply
        self.not_duplicate, self.on_settings, self.history = not_duplicate, on_settings, history
        self.found = Found([], [])
        self.numbers = False  # showing the clusters that differ only in numbers
        self.clusters: list[Cluster] = []
        self._undo: list[tuple] = []  # ("mark", cluster, member, found before, found after) or ("op",)
        self._redo: list[tuple] = []
        self._progress_title = ""  # the title the scan's progress last showed

    @property
    def field(self) -> str:
        return self.settings.near_dup_field

    def compose(self) -> ComposeResult:
        yield Static("[b]near-duplicates[/b] · scanning…", id="dup-title")
        yield ProgressBar(total=1.0, show_eta=True, id="progress")
        with Horizontal(id="lists"):
            yield OptionList(id="clusters")
            yield OptionList(id="members")
        with Horizontal(id="sides"):
            yield TextPanel("keeper", id="keeper-side")
            yield TextPanel("member", id="member-side")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#clusters", OptionList).focus()
        self.run_scan()

    # -- scanning ----------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="dup-scan")
    def run_scan(self, confirmed: bool = False) -> None:
        """Scan; one estimated over ``LONG_SCAN`` seconds starts only once the user says so (``confirmed``)."""
        worker = get_current_worker()
        last = [0.0]

        def progress(p: JobProgress) -> None:  # a few redraws a second, not one per report of the scan
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.post_message(self.Progress(p))

        try:
            found = self.scan(self.settings, progress=progress,
                              cancel=worker.cancelled_event, max_seconds=None if confirmed else LONG_SCAN)
        except LongScan as exc:
            self.post_message(self.Scanned(None, long=exc.seconds))
            return
        except Cancelled:
            self.post_message(self.Scanned(None, "scan cancelled"))
            return
        except Exception as exc:  # a failure shown in place
            self.post_message(self.Scanned(None, str(exc)))
            return
        self.post_message(self.Scanned(found))

    def on_duplicates_screen_progress(self, message: Progress) -> None:
        self.query_one(ProgressBar).update(progress=message.progress.fraction)
        title = f"[b]near-duplicates[/b] · {message.progress.stage}…"
        if title != self._progress_title:  # one line high: redrawn alone, when the stage changes
            self._progress_title = title
            self.query_one("#dup-title", Static).update(title, layout=False)

    def on_duplicates_screen_scanned(self, message: Scanned) -> None:
        self.query_one(ProgressBar).display = False
        self._progress_title = ""  # the title says something else now
        if message.long is not None:
            self._ask_long(message.long)
            return
        if message.found is None:
            self.query_one("#dup-title", Static).update(f"[b]near-duplicates[/b] · {message.error}")
            return
        self.found = replace(message.found, clusters=sort_clusters(message.found.clusters),
                             numeric=sort_clusters(message.found.numeric))
        self._fill_clusters()

    def _ask_long(self, seconds: float) -> None:
        s = self.settings
        about = f"about {seconds / 60:,.0f} min" if seconds >= 90 else f"about {seconds:,.0f} s"
        title = self.query_one("#dup-title", Static)
        options = key_of(DUPLICATES, "scan-options")
        title.update(f"[b]near-duplicates[/b] · scan not started ({about}) · {options} options")

        def answer(choice: str | None) -> None:
            if choice == "start":
                self.query_one(ProgressBar).display = True
                title.update("[b]near-duplicates[/b] · scanning…")
                self.run_scan(confirmed=True)

        self.app.push_screen(AskScreen("A long scan", f"This scan will take {about} ({s.near_dup_scorer} ≥ "
                                       f"{s.near_dup_threshold:g} on {s.near_dup_field}, inputs compared "
                                       f"{s.near_dup_compare}); ctrl+c cancels it while it runs. {options} changes the "
                                       "options.", [("start", "Start it"), ("cancel", "Cancel")], "cancel"), answer)

    def action_cancel_scan(self) -> None:
        for worker in self.workers:
            if worker.node is self and worker.is_running:
                worker.cancel()

    # -- lists ---------------------------------------------------------------------------------------------

    def _alive(self, ids) -> list[int]:
        frame = self.dataset.frame
        alive = set(frame.filter(~frame["deleted"] & frame["id"].is_in(list(ids)))["id"].to_list())
        return [i for i in ids if i in alive]

    def _fill_clusters(self, keep: int | None = None) -> None:
        # Clusters whose members were deleted shrink; those left with one are not shown (an undo brings them back).
        chosen = self.found.numeric if self.numbers else self.found.clusters
        alive = set(self.dataset.active()["id"].to_list())  # once: a 100k scan has thousands of clusters
        self.clusters = [c for c in chosen if sum(i in alive for i in c.ids) > 1]
        listing = self.query_one("#clusters", OptionList)
        listing.clear_options()
        width = max(16, listing.scrollable_content_region.width - 12)
        options = []
        for k, (c, keeper) in enumerate(zip(self.clusters, self._texts([c.keeper for c in self.clusters]))):
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(f"{c.size:>3} ", "bold")
            text.append(f"≥{c.min_score:3.0f} ", "cyan")
            text.append(preview(keeper, width))
            options.append(Option(text, id=str(k)))
        listing.add_options(options)
        total = sum(c.size - 1 for c in self.clusters)
        s = self.settings
        how = (f"slot values of {len(self.found.templates)} template(s)" if self.found.compare == "slots"
               and self.found.templates else "whole inputs") if s.near_dup_field != "output" else "outputs"
        numbers = len(self.found.numeric)
        if self.numbers:
            head = (f"{len(self.clusters):,} clusters differ in numbers only (different examples; # back) · "
                    f"{s.near_dup_scorer} ≥ {s.near_dup_threshold:g} on {s.near_dup_field}, {how}")
        else:
            head = (f"{len(self.clusters):,} clusters · {total:,} examples could go · {s.near_dup_scorer} ≥ "
                    f"{s.near_dup_threshold:g} on {s.near_dup_field}, {how}"
                    + (f" · {numbers:,} differ in numbers only (#)" if numbers else ""))
        if self.found.uncompared:
            head += f" · {self.found.uncompared}"
        self.query_one("#dup-title", Static).update(f"[b]near-duplicates[/b] · {head}")
        if self.clusters:
            listing.highlighted = min(keep or 0, len(self.clusters) - 1)
            self._show_cluster(listing.highlighted)
        else:
            self.query_one("#members", OptionList).clear_options()

    def _column(self, name: str, ids: list[int]) -> list:
        """The values of column ``name`` for the examples ``ids``, read in one go."""
        return self.dataset.frame[name].gather(pl.Series(self.dataset.positions(ids))).to_list()

    def _texts(self, ids: list[int]) -> list[str]:
        """The shown text of each example (the compared field, or input and output), read by column."""
        if self.field == "both":
            return [f"{a or ''}\n---\n{b or ''}" for a, b in zip(self._column("text_input", ids),
                                                                  self._column("output", ids))]
        return [t or "" for t in self._column("output" if self.field == "output" else "text_input", ids)]

    def _text(self, example_id: int) -> str:
        return self._texts([example_id])[0]

    @property
    def cluster(self) -> Cluster | None:
        index = self.query_one("#clusters", OptionList).highlighted
        return self.clusters[index] if index is not None and index < len(self.clusters) else None

    def _members(self, cluster: Cluster) -> list:
        alive = set(self._alive(cluster.ids))
        return [m for m in cluster.members if m.id in alive]

    def _show_cluster(self, index: int) -> None:
        cluster = self.clusters[index]
        members = self.query_one("#members", OptionList)
        members.clear_options()
        width = max(16, members.scrollable_content_region.width - 19)
        alive = self._members(cluster)
        shown = alive[:MEMBERS_SHOWN]
        ids = [m.id for m in shown]
        options = []  # read by column and added at once: a cluster of templated data has thousands of members
        for m, split, body in zip(shown, self._column("split", ids), self._texts(ids)):
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append("keeper " if m.id == cluster.keeper else f"{m.score:5.1f}  ", "bold" if m.id == cluster.keeper else "cyan")
            text.append(f"#{m.id} {split[:5]:<5} ")
            if m.via is not None:
                text.append(f"via #{m.via} ({m.via_score:.0f}) ", "yellow")
            text.append(preview(body, width))
            options.append(Option(text, id=str(m.id)))
        if len(alive) > len(shown):
            options.append(Option(f"… {len(alive) - len(shown):,} more, less similar (keeping one deletes them too)",
                                  disabled=True))
        members.add_options(options)
        members.highlighted = min(1, members.option_count - 1)
        self._show_sides()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "clusters":
            self._show_cluster(event.option_index)
        else:
            self._show_sides()

    def _member_id(self) -> int | None:
        members = self.query_one("#members", OptionList)
        if members.highlighted is None or not members.option_count:
            return None
        return int(members.get_option_at_index(members.highlighted).id)

    def _show_sides(self) -> None:
        cluster, member = self.cluster, self._member_id()
        if cluster is None or member is None:
            return
        keeper_text, member_text = self._text(cluster.keeper), self._text(member)
        spans_a, spans_b = char_diff(keeper_text, member_text)
        keeper = self.query_one("#keeper-side", TextPanel)
        other = self.query_one("#member-side", TextPanel)
        keeper.border_title = f"keeper #{cluster.keeper}"
        other.border_title = f"#{member}" + (" (the keeper)" if member == cluster.keeper else "")
        keeper._body.update(highlighted(keeper_text, spans_a))
        other._body.update(highlighted(member_text, spans_b))
        keeper.border_subtitle = f"{len(keeper_text):,} chars"
        slots = self._slots_differing(cluster.keeper, member)
        via = next((m for m in cluster.members if m.id == member and m.via is not None), None)
        other.border_subtitle = (f"{len(member_text):,} chars · {sum(b - a for a, b in spans_b)} differ"
                                 + (f" · slot {', '.join(slots)} differs" if slots else "")
                                 + (f" · below the threshold: joined via #{via.via}" if via else ""))

    def _slots_differing(self, a: int, b: int) -> list[str]:
        if self.found.compare != "slots" or not self.found.templates or self.field == "output" or a == b:
            return []
        from curator.core.dedupe.slots import parse_templates, slot_differences

        templates = parse_templates(self.found.templates)
        return slot_differences(self.dataset.get(a)["text_input"] or "", self.dataset.get(b)["text_input"] or "",
                                templates)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "clusters":
            self.query_one("#members", OptionList).focus()
        else:
            self._go_to(int(event.option.id))

    # -- actions -------------------------------------------------------------------------------------------

    def action_open(self) -> None:
        member = self._member_id()
        if self.focused and self.focused.id == "members" and member is not None:
            self._go_to(member)
        else:
            self.query_one("#members", OptionList).focus()

    def _go_to(self, example_id: int) -> None:
        self.dismiss(None)  # the main screen's own callback refreshes the findings first
        self.app.post_message(GoToExample(example_id))

    def action_keep_this(self) -> None:
        cluster, member = self.cluster, self._member_id()
        if cluster is None or member is None:
            return
        others = [m.id for m in self._members(cluster) if m.id != member]
        splits: dict[str, int] = {}
        for i in others:
            split = self.dataset.get(i)["split"]
            splits[split] = splits.get(split, 0) + 1
        per_split = ", ".join(f"{n} from {split}" for split, n in sorted(splits.items()))
        kind = " They differ from it in numbers only: different examples." if self.numbers else ""

        def answer(choice: str | None) -> None:
            if choice != "delete":
                return
            op = SetField.broadcast("keep-this", others, "deleted", True)
            if self.apply_op(op, f"kept #{member}, {len(others)} marked for deletion"):
                self._undo.append(("op",))
                self._redo.clear()
                self._fill_clusters(self.query_one("#clusters", OptionList).highlighted)

        self.app.push_screen(AskScreen("Keep this one, delete the rest?",
                                       f"Keep #{member} and mark {len(others)} examples for deletion ({per_split}).{kind}"
                                       " ctrl+z undoes it.", [("delete", "Delete them"), ("cancel", "Cancel")],
                                       "cancel"), answer)

    def action_not_duplicate(self) -> None:
        cluster, member = self.cluster, self._member_id()
        if cluster is None or member is None or member == cluster.keeper:
            self.notify("highlight a member other than the keeper", severity="warning", timeout=2)
            return
        if not self._remember(cluster, member):
            return
        rest = Cluster(tuple(m for m in cluster.members if m.id != member))
        self._replace(cluster, rest, member)
        self.notify(f"#{member} is not a duplicate of #{cluster.keeper}; remembered", timeout=2)

    def action_not_duplicate_cluster(self) -> None:
        cluster = self.cluster
        if cluster is None or not self._remember(cluster, None):
            return
        self._replace(cluster, None, None)
        self.notify(f"no member of #{cluster.keeper}'s cluster is a duplicate; remembered", timeout=2)

    def _remember(self, cluster: Cluster, member: int | None) -> bool:
        try:
            self.not_duplicate(cluster, member, self.field, False)
        except CuratorError as exc:
            self.notify(exc.reason, severity="error")
            return False
        return True

    def _replace(self, cluster: Cluster, new: Cluster | None, member: int | None) -> None:
        """Put ``new`` in place of ``cluster`` in the scan's lists (None removes it), and show them again; the
        "not a duplicate" mark of ``member`` (None: the whole cluster) behind it becomes an undo step."""
        before = self.found
        for kind in ("clusters", "numeric"):
            items = [new if c is cluster else c for c in getattr(self.found, kind)]
            self.found = replace(self.found, **{kind: [c for c in items if c is not None and c.size > 1]})
        self._undo.append(("mark", cluster, member, before, self.found))
        self._redo.clear()
        self._fill_clusters(self.query_one("#clusters", OptionList).highlighted)

    def action_toggle_numbers(self) -> None:
        if not self.found.numeric and not self.numbers:
            self.notify("no clusters differ in numbers only", timeout=2)
            return
        self.numbers = not self.numbers
        self._fill_clusters()

    def action_toggle_inputs(self) -> None:
        compare = "whole" if self.settings.near_dup_compare == "slots" else "slots"
        self._rescan({"near_dup_compare": compare})

    def action_undo(self) -> None:
        self._step(self._undo, self._redo, "undo")

    def action_redo(self) -> None:
        self._step(self._redo, self._undo, "redo")

    def _step(self, stack: list, other: list, direction: str) -> None:
        """Undo or redo the latest step: a "not a duplicate" mark made here, else an edit (the table's history)."""
        step = stack.pop() if stack else ("op",)
        if step[0] == "mark":
            _, cluster, member, before, after = step
            try:
                self.not_duplicate(cluster, member, self.field, direction == "undo")
            except CuratorError as exc:
                stack.append(step)
                self.notify(exc.reason, severity="error")
                return
            self.found = before if direction == "undo" else after
            who = f"#{member}" if member is not None else f"#{cluster.keeper}'s cluster"
            self.notify(f"{direction}: {who} marked not a duplicate", timeout=2)
        else:
            self.history(direction)
        other.append(step)
        self._fill_clusters(self.query_one("#clusters", OptionList).highlighted)

    def _rescan(self, chosen: dict) -> None:
        self.settings = self.settings.with_overrides(**chosen)
        self.on_settings(self.settings)
        self.found, self.numbers, self.clusters = Found([], []), False, []
        self.query_one("#clusters", OptionList).clear_options()
        self.query_one("#members", OptionList).clear_options()
        bar = self.query_one(ProgressBar)
        bar.update(progress=0)
        bar.display = True
        self.run_scan()

    def action_scan_options(self) -> None:
        def apply(chosen: dict | None) -> None:
            if chosen is not None:
                self._rescan(chosen)

        self.app.push_screen(ScanOptionsScreen(self.settings), apply)

    def action_switch_list(self) -> None:
        target = "#members" if self.focused and self.focused.id == "clusters" else "#clusters"
        self.query_one(target, OptionList).focus()

    def action_close(self) -> None:
        self.action_cancel_scan()
        self.dismiss(None)
