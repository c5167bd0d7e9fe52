"""Production-format consistency: every input against the template from the settings, or, without one,
against the dominant structure inferred from the data (reported as an info finding)."""

from __future__ import annotations

from curator.core.checks.base import RULES, CheckContext, I, Rule, W, register
from curator.core.checks.listing import Listing
from curator.core.errors import CuratorError
from curator.core.model import Finding, Fix
from curator.core.ops import SetField

MIN_COVERAGE = 0.6  # an inferred template is enforced only when this share of inputs follows it exactly

for _kind, _title, _text in (
    ("preamble", "preamble missing or different", "The input does not start with the template's exact preamble."),
    ("field-missing", "template field missing", "A field of the template (e.g. context:) is not in the input."),
    ("field-order", "template fields out of order", "The input has the template's fields in another order."),
    ("marker", "field marker spelled differently", "A field marker differs in case, spacing or punctuation."),
    ("separator", "different separator between fields", "The text between two fields is not the template's."),
    ("extra-text", "text outside the template", "The input has text the template does not have."),
    ("field-empty", "empty template field", "A field of the template is present but empty."),
):
    register(Rule(f"template.{_kind}", W, _title, _text))
register(Rule("template.inferred", I, "inferred prompt template",
              "No template is set; this is the dominant structure of the inputs, which deviations are checked against."))


def check_template(ctx: CheckContext) -> list[Finding]:
    """Deviations from the set (or inferred) template, each with the rewrite that fixes it when possible."""
    check = TemplateCheck(ctx.settings)
    check.add(ctx.frame)
    return check.findings()


class TemplateCheck:
    """The template check over one frame or the batches of a file: a template the settings do not set is
    inferred from the first batch (and said so when more followed).

    Polars tells apart at once the inputs that follow the template cleanly, those ``match`` may still call exact
    (diagnosed at once, to count them) and those that cannot be exact. The last are diagnosed one by one only
    when their deviations are reported: an inferred template that too few inputs follow reports none, and
    diagnosing all of 1M inputs took 40 s and 1.3 GB. The last batch's are kept until ``findings`` (earlier
    batches' when the next comes).

    ``keep``: how many deviations of each kind are kept (those of the first examples), the rest only counted
    (``listing.Listing``)."""

    def __init__(self, settings, keep: int | None = None) -> None:
        self.settings = settings
        self.template = self.inferred = None
        self.decided = False
        self.rows = self.exact = self.batches = self.sample = 0
        self.listing = Listing(keep)
        self._pending: tuple | None = None  # (frame, mask) of the last batch's inputs that cannot be exact

    def _decide(self, frame) -> None:
        from curator.core.template import infer_template, parse_template  # here: the template package uses the checks

        self.decided, self.sample = True, frame.height
        if self.settings.template:
            try:
                self.template = parse_template(self.settings.template)
            except CuratorError as exc:
                raise CuratorError(f"settings: {exc.reason}") from None
            return
        self.inferred = infer_template(frame["text_input"], frame["output"],
                                       label_max_distinct=self.settings.label_max_distinct)
        self.template = self.inferred.template

    def add(self, frame) -> None:
        from curator.core.template.match import clean_pattern, loose_pattern

        if frame.height == 0:
            return
        if not self.decided:
            self._decide(frame)
        self._diagnose_pending()
        self.rows += frame.height
        self.batches += 1
        if self.template is None:
            return
        inputs = frame.select("id", "text_input")
        texts = inputs["text_input"].fill_null("")
        clean = texts.str.contains(clean_pattern(self.template))
        maybe = ~clean & texts.str.contains(loose_pattern(self.template))
        self.exact += int(clean.sum())
        self._diagnose(inputs.filter(maybe))
        self._pending = (inputs, ~clean & ~maybe)

    def _diagnose_pending(self) -> None:
        if self._pending is not None:
            frame, mask = self._pending
            self._pending = None
            self._diagnose(frame.filter(mask))

    def _diagnose(self, rows) -> None:
        """Each input of ``rows`` matched one by one: exact ones counted, every deviation a finding."""
        from curator.core.template import match

        for example_id, text in zip(rows["id"].to_list(), rows["text_input"].to_list()):
            result = match(self.template, text or "")
            self.exact += result.exact
            for dev in result.deviations:
                rule = f"template.{dev.kind}"
                fix = None
                if result.fixed is not None and dev.kind != "field-empty":
                    fix = Fix("rewrite in the template's format", SetField("fix-template", (example_id,), "text_input",
                                                                           (result.fixed,)))
                self.listing.add([Finding(rule, RULES[rule].severity, (example_id,), dev.message, fix)])

    def findings(self) -> list[Finding]:
        if self.template is None or not self.rows:
            return []
        findings: list[Finding] = []
        if self.inferred is not None:
            share = self.exact / self.rows  # the inputs not yet diagnosed cannot be exact
            sample = f"; inferred from the first {self.sample:,} examples" if self.batches > 1 else ""
            findings.append(Finding("template.inferred", I, (), f"inputs follow '{self.template.shown()}' "
                                    f"({share:.0%} exactly{sample}); outputs: {self.inferred.outputs}"))
            if share < MIN_COVERAGE:
                self._pending = None
                return findings
        self._diagnose_pending()
        return findings + self.listing.findings()
