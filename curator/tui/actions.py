"""The one registry of user actions: each name is shared by its key binding, the command palette,
the help screen and the undo log (ops carry the name as their label).

An action named ``move-split`` runs the method ``action_move_split`` of the screen that lists it. Its binding
carries the name as its id, so a user keymap (``keymap.py``) can give it other keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    """A user action: its name, keys, one-line description and the help group it belongs to."""

    name: str
    keys: tuple[str, ...]
    description: str
    group: str
    footer: str = ""  # a short label shown in the footer (empty: not in the footer)
    footer_keys: str = ""  # how the footer shows the keys when one hint stands for several actions

    @property
    def method(self) -> str:
        return self.name.replace("-", "_")

    @property
    def current_keys(self) -> tuple[str, ...]:
        """The keys it answers to now: the user's keymap's, else its own."""
        return REMAPPED.get(self.name, self.keys)

    def binding(self) -> Binding:
        return Binding(",".join(self.keys), self.method, self.footer or self.description, show=bool(self.footer),
                       key_display=self.footer_keys or key_label(self.keys[0]), tooltip=self.description,
                       id=self.name)


def _a(name, keys, description, group, footer="", footer_keys="") -> Action:
    return Action(name, tuple(keys), description, group, footer, footer_keys)


MAIN: tuple[Action, ...] = (
    _a("cursor-down", ["down", "j"], "next example", "Move"),
    _a("cursor-up", ["up", "k"], "previous example", "Move"),
    _a("page-down", ["pagedown"], "one page down", "Move"),
    _a("page-up", ["pageup"], "one page up", "Move"),
    _a("go-top", ["g", "home"], "first example", "Move"),
    _a("go-bottom", ["G", "end"], "last example", "Move"),
    _a("search", ["slash"], "search input and output (prefix re: for a regex)", "Find", "search"),
    _a("next-match", ["n"], "next search match", "Find"),
    _a("previous-match", ["N"], "previous search match", "Find"),
    _a("filter", ["f"], "filter by split, tag, finding, length or text", "Find", "filter"),
    _a("clear", ["escape"], "clear the search, then the filter", "Find"),
    _a("sort", ["o"], "sort by a column (again: reverse)", "Find"),
    _a("select", ["s"], "select the example, move down", "Select"),
    _a("toggle", ["t"], "toggle the selection of the example, move down", "Select"),
    _a("unselect", ["u"], "unselect the example, move down", "Select"),
    _a("select-all", ["S"], "select every example in the view", "Select"),
    _a("unselect-all", ["U"], "clear the selection", "Select"),
    _a("edit", ["e", "enter"], "edit input and output", "Edit", "edit"),
    _a("add", ["a"], "add an example", "Edit"),
    _a("duplicate", ["y"], "duplicate the example(s)", "Edit"),
    _a("delete", ["d"], "mark for deletion (again: keep)", "Edit", "delete"),
    _a("move-split", ["m"], "move to train / validation / test", "Edit"),
    _a("tag", ["plus"], "add a tag", "Edit"),
    _a("untag", ["minus"], "remove a tag", "Edit"),
    _a("undo", ["ctrl+z"], "undo the last change", "Edit", "undo"),
    _a("redo", ["ctrl+y"], "redo", "Edit"),
    _a("save", ["ctrl+s"], "save the file (atomic)", "File", "save"),
    _a("save-as", ["W"], "save as another file; the extension picks the format", "File"),
    _a("reload", ["ctrl+r"], "reload the file from disk (asks first when changes are unsaved)", "File"),
    _a("split-dataset", ["P"], "split into train / validation / test", "Views"),
    _a("frequencies", ["F"], "label, split, tag and length frequencies", "Views"),
    _a("playground", ["p", "ctrl+o"], "try the example's input on two models side by side", "Views"),
    _a("tuning", ["ctrl+t"], "tune a model: backend, base model, hyperparameters, launch, watch jobs", "Views"),
    _a("evaluate", ["E"], "evaluate model A (base) against model B (tuned) and review the differences", "Views"),
    _a("eval-runs", ["R"], "open a kept evaluation run in the review", "Views"),
    _a("duplicates", ["D"], "near-duplicate clusters, side by side with differences", "Views"),
    _a("set-template", ["T"], "set the production prompt template (empty: infer it from the data)", "Views"),
    _a("suspect-labels", ["L"], "list the examples whose label the data disagrees with, most suspect first "
       "(cross-validated local learner; again: every example)", "Views"),
    _a("findings", ["exclamation_mark"], "every finding grouped by rule; jump to examples, apply fixes", "Views"),
    _a("recheck", ["c"], "run every check again, near-duplicates and leakage included", "Views"),
    _a("cancel-scan", ["ctrl+c"], "cancel the running near-duplicate / leakage scan", "Views"),
    _a("toggle-whitespace", ["w"], "show whitespace and line breaks in the detail", "Views"),
    _a("toggle-inputs", ["i"], "list inputs whole, or by their template's slot values (shared start hidden)",
       "Views"),
    _a("help", ["question_mark", "f1"], "keys and actions", "App", "help"),
    _a("quit", ["q"], "quit (asks when changes are unsaved)", "App"),
)

FINDINGS: tuple[Action, ...] = (
    _a("jump", ["enter"], "go to the example in the main table", "Findings", "go to"),
    _a("fix", ["x"], "apply the finding's fix", "Findings", "fix"),
    _a("fix-all", ["X"], "apply the fixes of every finding of the rule (asks first; one undo step)", "Findings",
       "fix all"),
    _a("list-down", ["j"], "next item of the focused list", "Findings"),
    _a("list-up", ["k"], "previous item of the focused list", "Findings"),
    _a("undo", ["ctrl+z"], "undo the last change", "Findings", "undo"),
    _a("redo", ["ctrl+y"], "redo", "Findings"),
    _a("switch-list", ["tab"], "switch between rules and findings", "Findings"),
    _a("close", ["escape", "q"], "back to the table", "Findings", "back"),
)

DUPLICATES: tuple[Action, ...] = (
    _a("open", ["enter"], "clusters: show the members; members: go to the example", "Duplicates", "open"),
    _a("keep-this", ["K"], "keep the highlighted member, delete the rest of its cluster (asks first)", "Duplicates",
       "keep this"),
    _a("not-duplicate", ["n"], "the highlighted member is not a duplicate of the keeper (remembered)",
       "Duplicates", "not a dup"),
    _a("not-duplicate-cluster", ["N"], "no member of the highlighted cluster is a duplicate (remembered)",
       "Duplicates"),
    _a("toggle-inputs", ["i"], "compare inputs whole, or by their template's slot values; scans again",
       "Duplicates", "slots/whole"),
    _a("toggle-numbers", ["number_sign"], "show the clusters that differ in numbers only (different examples)",
       "Duplicates", "numbers"),
    _a("list-down", ["j"], "next item of the focused list", "Duplicates"),
    _a("list-up", ["k"], "previous item of the focused list", "Duplicates"),
    _a("undo", ["ctrl+z"], "undo the last change", "Duplicates", "undo"),
    _a("redo", ["ctrl+y"], "redo", "Duplicates"),
    _a("scan-options", ["o"], "scorer, threshold, compared field and comparison; scans again", "Duplicates",
       "options"),
    _a("switch-list", ["tab"], "switch between clusters and members", "Duplicates"),
    _a("cancel-scan", ["ctrl+c"], "cancel the running scan", "Duplicates"),
    _a("close", ["escape", "q"], "back to the table", "Duplicates", "back"),
)

TUNING: tuple[Action, ...] = (
    _a("launch", ["ctrl+l"], "check the data (pre-flight) and launch the tuning job", "Tuning", "launch"),
    _a("cancel-job", ["ctrl+b"], "cancel the highlighted running job (asks first)", "Tuning", "cancel job"),
    _a("refresh-jobs", ["ctrl+r"], "reload the jobs and their status", "Tuning"),
    _a("playground", ["ctrl+o"], "try the highlighted job's tuned model against its base", "Tuning"),
    _a("dropped-examples", ["ctrl+g"], "list the examples the highlighted job's service left out in the table",
       "Tuning", "dropped"),
    _a("close", ["escape"], "back to the table", "Tuning", "back"),
)

PLAYGROUND: tuple[Action, ...] = (
    _a("send", ["ctrl+r"], "send the input to both models", "Playground", "send"),
    _a("toggle-template", ["ctrl+t"], "apply the production template or send the input as it is", "Playground",
       "template"),
    _a("pick-model", ["f2"], "choose model A or B (the focused field, else B) from the known models", "Playground",
       "models"),
    _a("save-example", ["ctrl+s"], "save the input with an output (A's, B's or yours) as a new example",
       "Playground", "save as example"),
    _a("history-previous", ["up"], "at the first line: the previous tried input", "Playground"),
    _a("history-next", ["down"], "at the last line: the next tried input", "Playground"),
    _a("close", ["escape"], "cancel the running requests, else back", "Playground", "back"),
)

REVIEW: tuple[Action, ...] = (
    _a("cursor-down", ["down", "j"], "next example", "Review"),
    _a("cursor-up", ["up", "k"], "previous example", "Review"),
    _a("page-down", ["pagedown"], "one page down", "Review"),
    _a("page-up", ["pageup"], "one page up", "Review"),
    _a("go-top", ["g", "home"], "first example", "Review"),
    _a("go-bottom", ["G", "end"], "last example", "Review"),
    _a("show-all", ["1"], "list every example", "Review", "filters", "0…9"),  # a key hint, not a count
    _a("show-regressions", ["2"], "list regressions: A right, B wrong", "Review"),
    _a("show-improvements", ["3"], "list improvements: A wrong, B right", "Review"),
    _a("show-both-wrong", ["4"], "list examples both models got wrong", "Review"),
    _a("show-disagreements", ["5"], "list examples where the answers differ", "Review"),
    _a("show-leaked", ["6"], "list examples with a near-duplicate in train", "Review"),
    _a("show-failed", ["7"], "list examples where a request failed", "Review"),
    _a("show-flaky", ["8"], "list flaky examples: sampled answers sometimes right, sometimes wrong", "Review"),
    _a("show-truncated", ["9"], "list examples with an answer cut at the max output tokens", "Review"),
    _a("show-broke-since", ["0"], "list examples B got right in another run (you pick it) and wrong here", "Review"),
    _a("scoring-rule", ["r"], "change the scoring rule (answer extraction, when it is right): rescores, kept in "
       "the dataset's settings", "Review", "rule"),
    _a("sort-review", ["o"], "sort: run order, B's similarity, A's similarity, B - A", "Review", "sort"),
    _a("verdict-a", ["a"], "your verdict on A's answer: right, wrong, automatic (cycles)", "Review", "verdict A"),
    _a("verdict-b", ["b"], "your verdict on B's answer: right, wrong, automatic (cycles)", "Review", "verdict B"),
    _a("go-to-example", ["enter"], "jump to the example in the dataset to fix it", "Review", "go to"),
    _a("playground", ["p", "ctrl+o"], "try the example's input on A and B in the playground", "Review"),
    _a("summary", ["m"], "metrics, confusion matrix and A vs B chart (again: the examples)", "Review", "summary"),
    _a("export-report", ["x"], "write report.md, metrics.json and predictions.csv", "Review", "export"),
    _a("compare-runs", ["c"], "what changed since another run: metrics newer minus older, examples fixed and "
       "broken", "Review"),
    _a("cancel-eval", ["ctrl+c"], "cancel the running evaluation (answers so far are kept)", "Review"),
    _a("close", ["escape"], "back to the table (cancels a running evaluation first)", "Review", "back"),
)

EVAL_SETUP: tuple[Action, ...] = (
    _a("run-eval", ["ctrl+r"], "run the evaluation", "Evaluate", "run"),
    _a("pick-model", ["f2"], "choose model A or B (the focused field, else B) from the known models", "Evaluate",
       "models"),
    _a("close", ["escape"], "cancel", "Evaluate", "cancel"),
)

BY_NAME: dict[str, Action] = {a.name: a for a in MAIN}
EVERY_NAME: frozenset[str] = frozenset(a.name for group in (MAIN, FINDINGS, DUPLICATES, TUNING, PLAYGROUND, REVIEW,
                                                            EVAL_SETUP) for a in group)
REMAPPED: dict[str, tuple[str, ...]] = {}  # action name -> keys, from the user's keymap (set once at start)

# How key names read in the help screen.
KEY_LABELS = {"exclamation_mark": "!", "number_sign": "#", "tab": "Tab", "slash": "/", "plus": "+", "minus": "-", "question_mark": "?", "escape": "esc",
              "pagedown": "PgDn", "pageup": "PgUp", "enter": "Enter", "down": "↓", "up": "↑", "home": "Home",
    "end": "End", "f1": "F1", "f2": "F2", "ctrl+z": "^z", "ctrl+y": "^y", "ctrl+s": "^s"}


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key)


def key_of(actions: tuple[Action, ...], name: str) -> str:
    """How the first key of the action ``name`` of ``actions`` reads now (the user's keymap applied)."""
    return key_label(next(a for a in actions if a.name == name).current_keys[0])


def bindings(actions: tuple[Action, ...] = MAIN) -> list[Binding]:
    """Textual bindings for ``actions``."""
    return [a.binding() for a in actions]
