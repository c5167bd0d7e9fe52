"""Checks: each rule on the fixtures built to trigger it, exact ids and severities; fixes undo cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curator.core.checks import RULES, limits, run_checks, worst
from curator.core.dataset import Dataset
from curator.core.errors import CuratorError
from curator.core.formats.registry import read_file
from curator.core.history import History
from curator.core.model import Severity, records_frame
from curator.core.settings import Settings, load_settings

FIXTURES = Path(__file__).parents[2] / "fixtures"


def load(name: str) -> Dataset:
    return Dataset.from_records(read_file(FIXTURES / name).records)


def by_rule(findings) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def make(inputs, outputs, splits=None) -> Dataset:
    cols = {"text_input": list(inputs), "output": list(outputs)}
    if splits:
        cols["split"] = list(splits)
    return Dataset.from_records(records_frame(cols))


def test_clean_fixture_has_no_findings():
    assert run_checks(load("clean.jsonl"), Settings()) == []


def test_classification_fixture_triggers_each_hygiene_rule_with_exact_ids():
    found = by_rule(run_checks(load("classification.jsonl"), Settings()))
    # ids are 0-based file order: line N is id N-1
    assert [f.ids for f in found["basic.empty"]] == [(29,)]
    assert found["basic.empty"][0].severity is Severity.ERROR
    assert [f.ids for f in found["basic.exact-duplicate"]] == [(0, 24)]
    assert [f.ids for f in found["basic.conflicting-outputs"]] == [(1, 25)]
    assert [f.ids for f in found["basic.whitespace"]] == [(26,)]
    assert [(f.ids, f.message) for f in found["labels.variant"]] == [
        ((27,), "label 'Positive' (1x) looks like 'positive' (11x)"),
        ((28,), "label 'negative.' (1x) looks like 'negative' (8x)"),
    ]
    assert [f.ids for f in found["leakage.train-twin"]] == [(30, 3)]
    clusters = sorted(f.ids for f in found["near-dup.cluster"])
    assert clusters == [(0, 24, 31), (1, 25), (3, 30)]
    assert worst(run_checks(load("classification.jsonl"), Settings(), skip_slow=True)) is Severity.ERROR


def test_skip_slow_leaves_out_near_duplicates_and_leakage():
    rules = {f.rule for f in run_checks(load("classification.jsonl"), Settings(), skip_slow=True)}
    assert "near-dup.cluster" not in rules and "leakage.train-twin" not in rules
    assert "basic.exact-duplicate" in rules


def test_json_output_rules():
    found = by_rule(run_checks(load("json_output.jsonl"), Settings()))
    assert set(found) == {"output.not-json", "output.json-keys"}
    assert found["output.not-json"][0].ids == (24,)
    assert found["output.json-keys"][0].ids == (25,)
    assert "missing priority; extra urgency" in found["output.json-keys"][0].message


def test_limits_depend_on_the_target():
    ds = load("qa_context.jsonl")
    gemini = by_rule(run_checks(ds, Settings(target="gemini-api"), skip_slow=True))
    assert [f.ids for f in gemini["limits.output-length"]] == [(24,)]
    vertex = by_rule(run_checks(ds, Settings(target="vertex"), skip_slow=True))
    assert "limits.output-length" not in vertex


def test_vertex_token_and_validation_limits(monkeypatch):
    big = "字" * 140_000  # 420,000 UTF-8 bytes: ~140k tokens by the conservative estimate
    near = "word " * 40_000  # 200,000 bytes: ~67k estimated, counted exactly (half the limit or more)
    ds = make(["q"] * 24 + [near, big], ["a"] * 26)
    monkeypatch.setattr(limits, "token_counter", lambda model: None)  # no local tokenizer: an estimate, a warning
    found = by_rule(run_checks(ds, Settings(target="vertex"), skip_slow=True))
    (estimate,) = found["limits.example-tokens-estimate"]
    assert estimate.ids == (25,) and estimate.severity is Severity.WARNING and "limits.example-tokens" not in found
    assert "by estimate (limit 131,072 for gemini-2.5-flash)" in estimate.message
    counted = []
    words = lambda text: len(text.split()) + text.count("字")  # noqa: E731 - a word or a 字 a token
    monkeypatch.setattr(limits, "token_counter", lambda model: counted.append(model) or words)
    found = by_rule(run_checks(ds, Settings(target="vertex", base_model="gemini-2.5-pro"), skip_slow=True))
    assert [(f.ids, f.severity) for f in found["limits.example-tokens"]] == [((25,), Severity.ERROR)]
    assert found["limits.example-tokens"][0].message == "140,002 tokens (limit 131,072 for gemini-2.5-pro)"
    assert counted == ["gemini-2.5-pro"] and "limits.example-tokens-estimate" not in found
    ds = make([f"q{i}" for i in range(5_021)], ["a"] * 5_021, ["train"] * 20 + ["validation"] * 5_001)
    found = by_rule(run_checks(ds, Settings(target="vertex"), skip_slow=True))
    assert found["limits.validation-size"][0].message == "5,001 validation examples (limit 5,000)"


def test_the_default_target_is_vertex_so_long_texts_it_accepts_are_not_errors():
    ds = make(["x" * 41_000] + [f"q{i}" for i in range(24)], ["y" * 6_000] + ["a"] * 24)
    found = by_rule(run_checks(ds, Settings(), skip_slow=True))
    assert Settings().target == "vertex" and not [f for f in found if f.startswith("limits.")]


def test_inline_upload_limit_on_the_gemini_api():
    ds = make([f"{i} " + "x" * 4_000 for i in range(1_100)], ["a"] * 1_100)
    found = by_rule(run_checks(ds, Settings(target="gemini-api"), skip_slow=True))
    assert found["limits.inline-size"][0].severity is Severity.ERROR


def test_size_rules():
    few = by_rule(run_checks(make([f"q{i}" for i in range(19)], ["a"] * 19), Settings(), skip_slow=True))
    assert few["size.too-few"][0].message == "19 training examples; tuning needs at least 20"
    some = make([f"q{i}" for i in range(40)], [f"a{i}" for i in range(40)])
    assert "size.below-recommended" not in by_rule(run_checks(some, Settings(), skip_slow=True))
    found = by_rule(run_checks(some, Settings(task_type="summarization"), skip_slow=True))
    assert found["size.below-recommended"][0].message == (
        "40 training examples; 100-500 or more are recommended for summarization"
    )


def test_deleted_examples_are_not_checked():
    ds = load("classification.jsonl")
    from curator.core.ops import SetField

    ds.apply(SetField.broadcast("delete", [29], "deleted", True))
    assert "basic.empty" not in by_rule(run_checks(ds, Settings(), skip_slow=True))


@pytest.mark.parametrize("rule", ["basic.whitespace", "basic.exact-duplicate", "labels.variant", "basic.empty"])
def test_fixes_apply_clear_the_finding_and_undo(rule):
    ds = load("classification.jsonl")
    history = History(ds)
    before = ds.frame.to_dicts()
    finding = by_rule(run_checks(ds, Settings(), skip_slow=True))[rule][0]
    history.do(finding.fix.op)
    after = by_rule(run_checks(ds, Settings(), skip_slow=True)).get(rule, [])
    assert finding not in after
    history.undo()
    assert ds.frame.to_dicts() == before


def test_every_rule_in_findings_is_catalogued():
    findings = run_checks(load("classification.jsonl"), Settings())
    assert all(f.rule in RULES for f in findings)


def test_settings_from_curator_toml_and_pyproject(tmp_path):
    (tmp_path / "curator.toml").write_text('target = "vertex"\ntask_type = "classification"\nnear_dup_threshold = 85\n')
    data = tmp_path / "sub" / "d.jsonl"
    data.parent.mkdir()
    data.write_text("")
    s = load_settings(data)
    assert (s.target, s.task_type, s.near_dup_threshold) == ("vertex", "classification", 85)
    assert s.with_overrides(target="gemini-api", task_type=None).target == "gemini-api"
    (tmp_path / "curator.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.curator]\ntemplate = "Q: {q}"\n')
    assert load_settings(data).template == "Q: {q}"


@pytest.mark.parametrize(
    "content,message",
    [
        ('colour = "blue"\n', "unknown setting 'colour'"),
        ('target = "openai"\n', "target must be one of gemini-api, vertex"),
        ("near_dup_threshold = 'high'\n", "setting 'near_dup_threshold' has the wrong type"),
        ("target = \n", "invalid TOML"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path, content, message):
    (tmp_path / "curator.toml").write_text(content)
    with pytest.raises(CuratorError, match=message) as info:
        load_settings(tmp_path / "d.jsonl")
    assert "curator.toml" in str(info.value)


def test_finding_to_dict_is_json_ready():
    finding = by_rule(run_checks(load("classification.jsonl"), Settings(), skip_slow=True))["labels.variant"][0]
    assert json.loads(json.dumps(finding.to_dict())) == {
        "rule": "labels.variant",
        "severity": "warning",
        "ids": [27],
        "message": "label 'Positive' (1x) looks like 'positive' (11x)",
        "fix": "change to 'positive'",
    }
