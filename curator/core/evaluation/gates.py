"""CI gates on a scored run: a floor per metric of model B, a most-allowed number of regressions, and the
run as JUnit XML (one test case per example, failed when B's verdict is wrong)."""

from __future__ import annotations

import math
from xml.etree import ElementTree as ET

import numpy as np

from curator.core.errors import CuratorError
from curator.core.evaluation.evaluate import EvalResult

# short names for metrics that sit deeper in metrics.json
SHORT = {"accuracy": "classification.accuracy", "macro_f1": "classification.macro.f1",
         "macro_precision": "classification.macro.precision", "macro_recall": "classification.macro.recall",
         "weighted_f1": "classification.weighted.f1"}


def parse_floor(text: str) -> tuple[str, float]:
    """``METRIC=VALUE`` (VALUE as in metrics.json, e.g. 0.8, or a percentage: 80%)."""
    name, eq, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not eq or not name or not value:
        raise CuratorError(f"--fail-below takes METRIC=VALUE (e.g. token_f1=0.6), not {text!r}")
    try:
        number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise CuratorError(f"--fail-below {name}: {value!r} is not a number") from None
    return name, number


def metric_value(metrics: dict, name: str, side: str = "b") -> float:
    """A metric of one model as named in metrics.json (``token_f1``, ``classification.macro.f1``) or by its
    short name (``accuracy``, ``macro_f1``); a CuratorError lists the names when there is no such metric."""
    value = metrics[side]
    for part in SHORT.get(name, name).split("."):
        if not isinstance(value, dict) or part not in value:
            raise CuratorError(f"no metric {name!r} in this run; known: {', '.join(metric_names(metrics, side))}")
        value = value[part]
    if not isinstance(value, (int, float)):
        raise CuratorError(f"{name!r} is not a single number; known: {', '.join(metric_names(metrics, side))}")
    return float(value)


def metric_names(metrics: dict, side: str = "b") -> list[str]:
    """The numbers a gate can name for this run."""
    names = [k for k, v in metrics[side].items() if isinstance(v, (int, float))]
    if "classification" in metrics[side]:
        names += list(SHORT)
    return names


def regressions(result: EvalResult) -> np.ndarray:
    """Examples A got right and B wrong (by the effective verdicts, people's included)."""
    card = result.scorecard
    return card.right_a & ~card.right_b


def failed_gates(result: EvalResult, floors: list[tuple[str, float]], most_regressions: int | None) -> list[str]:
    """Why the run fails its gates, one reason each (empty: it passes). ``most_regressions``: fail when B
    regresses on more examples than this."""
    metrics = result.scorecard.metrics
    reasons = []
    for name, floor in floors:
        value = metric_value(metrics, name)
        if math.isnan(value) or value < floor:
            reasons.append(f"B's {name} is {value:.4g}, below {floor:.4g}")
    if most_regressions is not None:
        count = int(regressions(result).sum())
        if count > most_regressions:
            reasons.append(f"B regresses on {count} example(s) A got right (at most {most_regressions} allowed)")
    return reasons


def junit_xml(result: EvalResult) -> bytes:
    """The run as JUnit XML: one test case per example, failed when B's answer is wrong (a regression says
    so), with an error when B's request failed."""
    card, run = result.scorecard, result.run
    suite = ET.Element("testsuite", name=f"curator eval {run.id}: {run.model_b}", tests=str(len(result.rows)))
    failures = errors = 0
    for row in result.rows:
        i = row.position
        case = ET.SubElement(suite, "testcase", classname=f"curator.eval.{run.id}",
                             name=f"example {row.example_id if row.example_id is not None else i}")
        if row.output_b is None and row.error_b:
            errors += 1
            ET.SubElement(case, "error", message=f"B's request failed: {row.error_b}"[:500])
        elif not card.right_b[i]:
            failures += 1
            kind = "regression: A was right, B is wrong" if card.right_a[i] else "B is wrong"
            failure = ET.SubElement(case, "failure", message=kind)
            failure.text = f"input: {row.text_input}\nexpected: {row.expected}\nB: {row.output_b}\nA: {row.output_a}"
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
