"""Reports of a run: ``report.md`` for people, ``metrics.json`` and ``predictions.csv`` for machines
(written atomically into one folder, readable by the owner only, never over existing files unless forced),
and the metrics table both the report and the app show."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import polars as pl

from curator.core.backends.thinking import describe
from curator.core.errors import CuratorError
from curator.core.evaluation.evaluate import EvalResult
from curator.core.evaluation.scorecard import Scorecard
from curator.core.evaluation.scoring import CLASSIFICATION
from curator.core.storage.atomic import atomic_write, make_private_folder

# metric key -> (label, scale for display: 100 shows shares as percentages)
METRICS: dict[str, tuple[str, float]] = {
    "correct": ("right (verdict)", 100),
    "exact": ("exact match", 100),
    "normalised": ("normalised match", 100),
    "token_f1": ("token F1", 100),
    "similarity": ("similarity (fuzz.ratio)", 1),
    "json_valid": ("valid JSON", 100),
    "json_keys": ("JSON key agreement", 100),
}
CLASS_METRICS = {"accuracy": "accuracy", "macro_f1": "macro F1", "macro_precision": "macro precision",
                 "macro_recall": "macro recall", "weighted_f1": "weighted F1"}
OUTCOMES = {1: "B better", -1: "A better", 0: "tie"}
REPORT_FILES = ("report.md", "metrics.json", "predictions.csv")
# A cell a spreadsheet would run as a formula (CSV injection); plain numbers such as -1 are left as they are.
_FORMULA = r"^[=+\-@\t\r]"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def metric_rows(metrics: dict) -> list[tuple[str, float, float, dict | None]]:
    """(label, A, B, bootstrap of B - A or None) per metric, in display units (percent or 0-100)."""
    boot = metrics.get("paired", {}).get("bootstrap", {})
    rows = []
    if metrics["task"] == CLASSIFICATION:
        ca, cb = metrics["a"]["classification"], metrics["b"]["classification"]
        values = {
            "accuracy": (ca["accuracy"], cb["accuracy"], boot.get("correct")),
            "macro_f1": (ca["macro"]["f1"], cb["macro"]["f1"], boot.get("macro_f1")),
            "macro_precision": (ca["macro"]["precision"], cb["macro"]["precision"], None),
            "macro_recall": (ca["macro"]["recall"], cb["macro"]["recall"], None),
            "weighted_f1": (ca["weighted"]["f1"], cb["weighted"]["f1"], None),
        }
        for key, (a, b, ci) in values.items():
            rows.append((CLASS_METRICS[key], a * 100, b * 100, _scaled(ci, 100)))
    for key, (label, scale) in METRICS.items():
        if key not in metrics["a"] or (metrics["task"] == CLASSIFICATION and key == "correct"):
            continue
        rows.append((label, metrics["a"][key] * scale, metrics["b"][key] * scale, _scaled(boot.get(key), scale)))
    return rows


def extra_lines(metrics: dict) -> list[str]:
    """What the scoring rule, the judge and sampling add to a run's numbers, one sentence each."""
    out = []
    if "judge" in metrics:
        for side, j in metrics["judge"].items():
            line = f"judge passed {j['passed']:,} of {side.upper()}'s answers"
            if j["unreadable"]:
                line += f" ({j['unreadable']:,} replies unreadable, scored wrong)"
            if j["people"]:
                line += f"; it disagrees with your verdict on {j['disagree']} of {j['people']}"
            out.append(line)
    if "stability" in metrics:
        st = metrics["stability"]
        out.append(f"{st['samples']} samples per example: answers agree {st['a']['agreement'] * 100:.1f} % (A), "
                   f"{st['b']['agreement'] * 100:.1f} % (B); right {st['a']['right_share'] * 100:.1f} % (A), "
                   f"{st['b']['right_share'] * 100:.1f} % (B); {st['flaky']:,} flaky examples "
                   "(sometimes right, sometimes wrong); the verdicts use the most common answer")
    return out


def usage_text(tokens: dict) -> str:
    """A run's tokens per side, thinking beside output: "A 1,200 prompt, 300 output, 0 thinking; B …"."""
    return "; ".join(f"{side.upper()} {t['prompt']:,} prompt, {t['output']:,} output, {t['thinking']:,} thinking"
                     for side, t in tokens.items())


def usage_beside_estimate(metrics: dict) -> str:
    """The tokens of the answers a run asked for (not from the cache: what its estimate priced), each side
    beside its estimate and price (runs kept before that was recorded: every answer's tokens)."""
    from curator.core.costs import CostEstimate, actual_text

    return actual_text(CostEstimate.from_dict(metrics["estimate"]), metrics.get("asked", metrics["tokens"]))


def confused_pairs(metrics: dict, side: str, top: int = 10) -> list[tuple[str, str, int]]:
    """The most frequent (expected, answered) pairs off the diagonal of a side's confusion matrix."""
    conf = metrics[side]["classification"]["confusion"]
    cells = [(count, i, j) for i, row in enumerate(conf["matrix"]) for j, count in enumerate(row) if count and i != j]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [(metrics["labels"][i], conf["labels"][j], count) for count, i, j in cells[:top]]


def _scaled(ci: dict | None, scale: float) -> dict | None:
    return None if ci is None else {k: v * scale for k, v in ci.items()}


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _md_cell(text: str | None, limit: int = 120) -> str:
    text = (text or "").replace("\n", "⏎ ").replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown(result: EvalResult) -> str:
    """The report of a scored run, as Markdown."""
    run, card = result.run, result.scorecard
    if card is None:
        raise ValueError("the run has no scores (it was cancelled before the end)")
    m, spec = card.metrics, run.spec
    when = dt.datetime.fromtimestamp(run.created).strftime("%Y-%m-%d %H:%M")
    c = spec["config"]
    out = [f"# Evaluation: {run.model_a} vs {run.model_b}", "",
           f"- run `{run.id}`, {when}; dataset `{run.dataset}` (version `{(run.dataset_version or '-')[:12]}`)",
           f"- {m['n']:,} examples ({spec.get('selection') or 'chosen examples'}); task: {m['task']}"
           + (" with JSON outputs" if m["json"] else ""),
           f"- A = `{run.model_a}`, B = `{run.model_b}`; temperature {c['temperature']}, seed {c['seed']}, "
           f"max output tokens {c['max_output_tokens']}, thinking {describe(c.get('thinking_budget'))} (both)",
           f"- template: `{spec['template']!r}`" if spec.get("template") else "- template: none (inputs sent as they are)",
           f"- scoring rule: {m['rule']}" if "rule" in m else "- scoring rule: the task's default",
           ""]
    out += [f"{line}." for line in extra_lines(m)] + ([""] if extra_lines(m) else [])
    if m["failed"]["a"] or m["failed"]["b"]:
        out += [f"Failed requests (scored as wrong): A {m['failed']['a']}, B {m['failed']['b']}.", ""]
    cut = m.get("truncated", {})
    if cut.get("a") or cut.get("b"):
        out += [f"Answers cut at the max output tokens (thinking included): A {cut['a']}, B {cut['b']}.", ""]
    tokens = (run.metrics or {}).get("tokens")
    if tokens:
        out += [f"Tokens: {usage_text(tokens)}.", ""]
        if (run.metrics or {}).get("estimate"):
            out += [f"Used beside the estimate made before the run: {usage_beside_estimate(run.metrics)}.", ""]
    out += ["## Metrics", "", "| metric | A | B | B − A | 95 % CI |", "|---|---:|---:|---:|---|"]
    for label, a, b, ci in metric_rows(m):
        interval = f"[{ci['low']:+.1f}, {ci['high']:+.1f}]" if ci else ""
        out.append(f"| {label} | {a:.1f} | {b:.1f} | {b - a:+.1f} | {interval} |")
    p = m["paired"]
    out += ["", f"Per example: **B better on {p['wins']}**, A better on {p['losses']}, tie on {p['ties']}. "
                f"Intervals: {p['resamples']} bootstrap resamples, seed {p['seed']}.", "",
            "McNemar's exact test (discordant examples):", "", "| metric | only A right | only B right | p |",
            "|---|---:|---:|---:|"]
    for name, t in p["mcnemar"].items():
        out.append(f"| {METRICS.get(name, (name,))[0]} | {t['a_only']} | {t['b_only']} | {_p(t['p_value'])} |")
    if "judged" in m:
        j = m["judged"]
        out += ["", f"With people's verdicts on {j['verdicts']} examples: A right {j['a'] * 100:.1f} %, "
                    f"B right {j['b'] * 100:.1f} % (McNemar p {_p(j['mcnemar']['p_value'])})."]
    if m["task"] == CLASSIFICATION:
        out += ["", "## Per label", "", "| label | support | A precision | A recall | A F1 | B precision | B recall | B F1 |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        la, lb = m["a"]["classification"]["per_label"], m["b"]["classification"]["per_label"]
        for label in m["labels"]:
            a, b = la[label], lb[label]
            out.append(f"| {label} | {a['support']} | " + " | ".join(
                f"{x[k] * 100:.1f}" for x in (a, b) for k in ("precision", "recall", "f1")) + " |")
        for side in ("a", "b"):
            conf = m[side]["classification"]["confusion"]
            pairs = confused_pairs(m, side)
            if pairs:
                out += ["", f"Most confused by {side.upper()} (expected → answered): "
                        + ", ".join(f"{e} → {a} ({n})" for e, a, n in pairs) + "."]
            out += ["", f"Confusion matrix of {side.upper()} (rows: expected, columns: answered):", "",
                    "| expected \\ answered | " + " | ".join(conf["labels"]) + " |",
                    "|---|" + "---:|" * len(conf["labels"])]
            for label, row in zip(m["labels"], conf["matrix"]):
                out.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    if "subsets" in m:
        out += ["", "## Leaked examples apart", "",
                "Examples with a near-duplicate in train may flatter a tuned model; here they are apart.", "",
                "| examples | n | A right | B right | B better | A better |", "|---|---:|---:|---:|---:|---:|"]
        for name, s in m["subsets"].items():
            out.append(f"| {name} | {s['n']} | {s['a']['correct'] * 100:.1f} % | {s['b']['correct'] * 100:.1f} % | "
                       f"{s['wins']} | {s['losses']} |")
    regressions = [r for r, o in zip(result.rows, card.outcome) if o == -1]
    if regressions:
        out += ["", f"## Where A did better ({len(regressions)})", "", "| # | input | expected | A | B |",
                "|---:|---|---|---|---|"]
        for r in regressions[:20]:
            out.append(f"| {r.example_id} | {_md_cell(r.text_input, 80)} | {_md_cell(r.expected, 40)} | "
                       f"{_md_cell(r.output_a or r.error_a, 40)} | {_md_cell(r.output_b or r.error_b, 40)} |")
        if len(regressions) > 20:
            out.append(f"\n… and {len(regressions) - 20} more in predictions.csv.")
    return "\n".join(out) + "\n"


def predictions_frame(result: EvalResult) -> pl.DataFrame:
    """One row per example: prompt, expected, both answers, the verdicts and scores."""
    rows, card = result.rows, result.scorecard
    data = {
        "position": [r.position for r in rows], "example_id": [r.example_id for r in rows],
        "split": [r.split for r in rows], "leaked": [r.leaked for r in rows],
        "text_input": [r.text_input for r in rows], "prompt": [r.prompt for r in rows],
        "expected": [r.expected for r in rows], "output_a": [r.output_a for r in rows],
        "output_b": [r.output_b for r in rows], "error_a": [r.error_a for r in rows],
        "error_b": [r.error_b for r in rows], "human_a": [r.human_a for r in rows],
        "human_b": [r.human_b for r in rows],
    }
    if card is not None:
        data |= {"right_a": card.right_a.tolist(), "right_b": card.right_b.tolist(),
                 "similarity_a": card.a.similarity.round(2).tolist(), "similarity_b": card.b.similarity.round(2).tolist(),
                 "token_f1_a": card.a.token_f1.round(4).tolist(), "token_f1_b": card.b.token_f1.round(4).tolist(),
                 "outcome": [OUTCOMES[int(o)] for o in card.outcome]}
        if card.a.extracted is not None:
            data |= {"answer_a": card.a.extracted, "answer_b": card.b.extracted}
        for side in ("a", "b"):
            if any(getattr(r, f"judge_{side}") for r in rows):
                data[f"judge_{side}"] = [(getattr(r, f"judge_{side}") or [None, None])[0] for r in rows]
                data[f"judge_reason_{side}"] = [(getattr(r, f"judge_{side}") or [None, None])[1] for r in rows]
        if card.stability is not None:
            for side, (agree, right) in card.stability.items():
                data |= {f"agree_{side}": agree.round(4).tolist(), f"right_share_{side}": right.round(4).tolist()}
    return pl.DataFrame(data, strict=False)


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
    return) prefixed with ``'``, so that opening predictions.csv shows them instead of running them."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA) & ~pl.col(c).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in text
    )


class ReportExists(CuratorError):
    """The folder already holds report files and overwriting them was not asked for."""

    def __init__(self, folder: Path, names: list[str]) -> None:
        self.names = names
        super().__init__(f"{', '.join(names)} already {'exists' if len(names) == 1 else 'exist'} here; "
                         "choose another folder, or overwrite (--force)", folder)


def check_report_folder(folder: str | Path, *, force: bool = False) -> None:
    """Raise ReportExists unless ``force`` when ``folder`` already holds any of the report files."""
    folder = Path(folder)
    existing = [name for name in REPORT_FILES if os.path.lexists(folder / name)]
    if existing and not force:
        raise ReportExists(folder, existing)


def write_report(result: EvalResult, folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write report.md, metrics.json and predictions.csv into ``folder`` (created if needed, 0700; files 0600).

    Existing report files are replaced only with ``force`` (else ReportExists); a symlink among them is
    replaced by the file, never followed.
    """
    folder = Path(folder)
    check_report_folder(folder, force=force)
    make_private_folder(folder)
    run = result.run
    metrics = {"run": run.id, "created": run.created, "dataset": run.dataset, "dataset_version": run.dataset_version,
               "spec": run.spec, "metrics": result.scorecard.metrics if result.scorecard else run.metrics}
    metrics |= {k: run.metrics[k] for k in ("tokens", "asked", "estimate") if k in (run.metrics or {})}
    csv = io.BytesIO()
    neutralise_formulas(predictions_frame(result)).write_csv(csv)
    files = {"report.md": markdown(result).encode(), "metrics.json": (json.dumps(metrics, indent=2) + "\n").encode(),
             "predictions.csv": csv.getvalue()}
    paths = []
    for name, data in files.items():
        with atomic_write(folder / name, mode=0o600, follow_symlinks=False) as f:
            f.write(data)
        paths.append(folder / name)
    return paths


def headline(metrics: dict) -> str:
    """A run's first metric for A and B, for lists of runs: ``accuracy A 0.0 · B 97.2``."""
    label, a, b, _ = metric_rows(metrics)[0]
    return f"{label} A {a:.1f} · B {b:.1f}"


def scorecard_summary(card: Scorecard) -> str:
    """One line: the headline metric of A and B and the win / loss / tie count."""
    label, a, b, _ = metric_rows(card.metrics)[0]
    p = card.metrics["paired"]
    return f"{label}: A {a:.1f} · B {b:.1f} ({b - a:+.1f}) · B better on {p['wins']}, A on {p['losses']}, tie {p['ties']}"
