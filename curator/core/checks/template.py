"""Production-format consistency: every input against the template from the settings, or, without one,
against the dominant structure inferred from the data (reported as an info finding)."""

from __future__ import annotations

from curator.core.checks.base import RULES, CheckContext, I, Rule, W, register
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
    from curator.core.template import infer_template, match, parse_template  # here: the template package uses the checks
    from curator.core.template.match import clean_pattern

    frame = ctx.frame
    if frame.height == 0:
        return []
    findings: list[Finding] = []
    if ctx.settings.template:
        try:
            template = parse_template(ctx.settings.template)
        except CuratorError as exc:
            raise CuratorError(f"settings: {exc.reason}") from None
        inferred = None
    else:
        inferred = infer_template(frame["text_input"], frame["output"],
                                  label_max_distinct=ctx.settings.label_max_distinct)
        template = inferred.template
        if template is None:
            return []
    # Most inputs follow the template cleanly: polars finds those at once; the rest are diagnosed one by one.
    clean = frame["text_input"].fill_null("").str.contains(clean_pattern(template))
    rest = frame.filter(~clean)
    results = [(i, match(template, t or "")) for i, t in zip(rest["id"].to_list(), rest["text_input"].to_list())]
    exact = int(clean.sum()) + sum(r.exact for _, r in results)
    if inferred is not None:
        share = exact / frame.height
        findings.append(Finding("template.inferred", I, (), f"inputs follow '{template.shown()}' "
                                f"({share:.0%} exactly); outputs: {inferred.outputs}"))
        if share < MIN_COVERAGE:
            return findings
    for example_id, result in results:
        for dev in result.deviations:
            rule = f"template.{dev.kind}"
            fix = None
            if result.fixed is not None and dev.kind != "field-empty":
                fix = Fix("rewrite in the template's format", SetField("fix-template", (example_id,), "text_input",
                                                                       (result.fixed,)))
            findings.append(Finding(rule, RULES[rule].severity, (example_id,), dev.message, fix))
    return findings
