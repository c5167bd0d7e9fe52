"""The findings screen: every finding of every check grouped by rule, with severity and counts.

Enter jumps to the example; x applies one finding's fix, X the fixes of every finding of the rule after
saying how many examples per split they change or delete (one undo step). Fixes go through the main
screen's op path, so they are journalled and undoable, here too (ctrl+z / ctrl+y). A fix whose examples are
all marked for deletion already (by another rule's fixes, or by hand) is not counted as one left to apply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from curator.core.checks import RULES
from curator.core.model import Finding, Severity
from curator.core.ops import Batch, Op, RemoveRows, SetField
from curator.tui.actions import FINDINGS, bindings
from curator.tui.messages import GoToExample
from curator.tui.screens.prompts import AskScreen
from curator.tui.widgets.cursor_view import ListActions
from curator.tui.widgets.detail_pane import SEVERITY_STYLE

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
SEVERITY_MARK = {Severity.ERROR: "✖", Severity.WARNING: "▲", Severity.INFO: "ℹ"}


def _effects(ops) -> tuple[set[int], set[int]]:
    """(ids the ops mark deleted or remove, ids they change otherwise)."""
    deleted: set[int] = set()
    changed: set[int] = set()
    for op in ops:
        if isinstance(op, Batch):
            more = _effects(op.ops)
            deleted |= more[0]
            changed |= more[1]
        elif isinstance(op, SetField) and op.field == "deleted":
            deleted.update(i for i, v in zip(op.ids, op.values) if v)
        elif isinstance(op, RemoveRows):
            deleted.update(op.ids)
        elif hasattr(op, "ids"):
            changed.update(op.ids)
    return deleted, changed


def _examples(n: int) -> str:
    return f"{n:,} example{'s' if n != 1 else ''}"


def group_by_rule(findings: list[Finding]) -> list[tuple[str, list[Finding]]]:
    """Rules with their findings, errors first, then by count."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[f.rule].append(f)
    return sorted(groups.items(), key=lambda kv: (_ORDER[kv[1][0].severity], -len(kv[1]), kv[0]))


class FindingsScreen(ListActions, Screen[None]):
    """The findings by rule; enter posts ``GoToExample`` for the finding's first example."""

    CSS_PATH = "findings.tcss"
    BINDINGS = bindings(FINDINGS)

    def __init__(self, findings: list[Finding], apply: Callable[[Op, str], bool], line_of: Callable[[int], str],
                 history: Callable[[str], None], split_of: Callable[[int], str],
                 alive: Callable[[], set[int]]) -> None:
        """``apply(op, message)`` applies a fix through the main screen; ``line_of(id)`` locates an example,
        ``split_of(id)`` names its split, ``alive()`` gives the ids of the examples not marked for deletion;
        ``history("undo" | "redo")`` steps the main screen's history."""
        super().__init__()
        self.groups = group_by_rule(findings)
        self.apply_op, self.line_of, self.history, self.split_of = apply, line_of, history, split_of
        self.alive = alive
        self._alive = alive()  # as of the latest change made here
        self.fixed: set[int] = set()  # id() of findings whose fix was applied here
        self.done: list[set[int]] = []  # the findings each fix applied here marked fixed, latest last
        self.undone: list[set[int]] = []

    def compose(self) -> ComposeResult:
        total = sum(len(fs) for _, fs in self.groups)
        yield Static(f"[b]findings[/b] · {total:,} in {len(self.groups)} rules · ✖ error ▲ warning ℹ info",
                     id="findings-title")
        with Horizontal():
            yield OptionList(*[self._rule_option(rule, fs) for rule, fs in self.groups], id="rules")
            yield OptionList(id="items")
        yield Static("", id="rule-help")
        yield Footer()

    def _pending(self, finding: Finding) -> bool:
        """Whether the finding's fix is left to apply: not applied here, and some example it deletes or changes
        is not marked for deletion already."""
        if finding.fix is None or id(finding) in self.fixed:
            return False
        deleted, changed = _effects([finding.fix.op])
        touched = deleted | changed
        return not touched or not touched.isdisjoint(self._alive)

    def _rule_option(self, rule: str, findings: list[Finding]) -> Option:
        sev = findings[0].severity
        fixable = sum(1 for f in findings if self._pending(f))
        done = sum(1 for f in findings if id(f) in self.fixed)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(SEVERITY_MARK[sev], SEVERITY_STYLE[sev])
        text.append(f"{len(findings):>5,} ", "bold")
        text.append(rule)
        if fixable:
            text.append(f" ({fixable} fix)", "dim")
        if done:
            text.append(f" ({done} done)", "green")
        return Option(text, id=rule)

    def on_mount(self) -> None:
        rules = self.query_one("#rules", OptionList)
        rules.focus()
        if self.groups:
            rules.highlighted = 0
            self._show_rule(0)

    @property
    def current_rule(self) -> tuple[str, list[Finding]] | None:
        index = self.query_one("#rules", OptionList).highlighted
        return self.groups[index] if index is not None and self.groups else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "rules":
            self._show_rule(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "items":
            self.action_jump()
        else:
            self.query_one("#items", OptionList).focus()

    def _show_rule(self, index: int) -> None:
        rule, findings = self.groups[index]
        items = self.query_one("#items", OptionList)
        items.clear_options()
        for k, f in enumerate(findings[:2000]):
            text = Text(no_wrap=True, overflow="ellipsis")
            if id(f) in self.fixed:
                text.append("fixed  ", "green")
            text.append(f.message)
            text.append(f"  [{', '.join(self.line_of(i) for i in f.ids[:4])}{' …' if len(f.ids) > 4 else ''}]", "dim")
            if self._pending(f):
                text.append(f"  fix: {f.fix.label}", "cyan")
            elif f.fix and id(f) not in self.fixed:
                text.append("  its examples are marked for deletion already", "dim")
            items.add_option(Option(text, id=str(k)))
        if len(findings) > 2000:
            items.add_option(Option(f"… {len(findings) - 2000:,} more (filter the table by this rule with f)",
                                    disabled=True))
        if findings:
            items.highlighted = 0
        meta = RULES.get(rule)
        self.query_one("#rule-help", Static).update(f"{rule}: {meta.description}" if meta else rule)

    def _current_finding(self) -> Finding | None:
        group = self.current_rule
        items = self.query_one("#items", OptionList)
        if group is None or items.highlighted is None or items.highlighted >= len(group[1]):
            return None
        return group[1][items.highlighted]

    # -- actions -------------------------------------------------------------------------------------

    def action_jump(self) -> None:
        finding = self._current_finding()
        if finding is not None and finding.ids:  # a finding about the whole data set names no example
            self.app.post_message(GoToExample(finding.ids[0]))

    def action_fix(self) -> None:
        finding = self._current_finding()
        if finding is None or finding.fix is None or id(finding) in self.fixed:
            self.notify("no fix for this finding", severity="warning", timeout=2)
            return
        if not self._pending(finding):
            self.notify("its examples are marked for deletion already", severity="warning", timeout=2)
            return
        if self.apply_op(finding.fix.op, f"fixed: {finding.fix.label}"):
            self._mark({id(finding)})

    def action_fix_all(self) -> None:
        group = self.current_rule
        if group is None:
            return
        rule, findings = group
        todo = [f for f in findings if self._pending(f)]
        if not todo:
            self.notify("nothing left to fix for this rule", severity="warning", timeout=2)
            return
        deleted, changed = _effects([f.fix.op for f in todo])
        already = deleted - self._alive  # by another rule's fixes, or by hand
        deleted -= already

        def count(ids: set[int]) -> str:
            per: dict[str, int] = defaultdict(int)
            for i in ids:
                per[self.split_of(i)] += 1
            return ", ".join(f"{n:,} in {split}" for split, n in sorted(per.items()))

        parts = []
        if deleted:
            parts.append(f"delete {_examples(len(deleted))} ({count(deleted)})")
        if changed - deleted:
            parts.append(f"change {_examples(len(changed - deleted))} ({count(changed - deleted)})")
        message = f"{len(todo):,} fixes of {rule} would " + " and ".join(parts or ["change nothing"])
        if already:
            message += f" ({len(already):,} more they name are marked for deletion already)"
        message += ". ctrl+z undoes them."

        def answer(choice: str | None) -> None:
            if choice == "apply" and self.apply_op(Batch("fix-all", tuple(f.fix.op for f in todo)),
                                                   f"{len(todo)} fixes applied ({rule})"):
                self._mark({id(f) for f in todo})

        self.app.push_screen(AskScreen("Fix all?", message, [("apply", "Apply them"), ("cancel", "Cancel")], "cancel"),
                             answer)

    def _mark(self, ids: set[int]) -> None:
        self.fixed.update(ids)
        self.done.append(ids)
        self.undone.clear()
        self._refresh_rule()

    def action_undo(self) -> None:
        self.history("undo")
        if self.done:  # the screen's fixes are the latest changes while it is open
            ids = self.done.pop()
            self.fixed -= ids
            self.undone.append(ids)
        self._refresh_rule()

    def action_redo(self) -> None:
        self.history("redo")
        if self.undone:
            ids = self.undone.pop()
            self.fixed |= ids
            self.done.append(ids)
        self._refresh_rule()

    def _refresh_rule(self) -> None:
        """Redraw every rule's counts (a fix of one rule can delete the examples of another's) and the
        current rule's findings."""
        rules = self.query_one("#rules", OptionList)
        if not self.groups:
            return
        self._alive = self.alive()
        for k, (rule, findings) in enumerate(self.groups):
            rules.replace_option_prompt_at_index(k, self._rule_option(rule, findings).prompt)
        index = rules.highlighted or 0
        rule, findings = self.groups[index]
        items = self.query_one("#items", OptionList)
        keep = items.highlighted
        self._show_rule(index)
        if keep is not None:
            items.highlighted = min(keep, len(findings) - 1)

    def action_switch_list(self) -> None:
        target = "#items" if self.focused and self.focused.id == "rules" else "#rules"
        self.query_one(target, OptionList).focus()

    def action_close(self) -> None:
        self.dismiss(None)
