"""Issue 15 item 9: what a tuning run or an evaluation will cost, before it costs. ``--dry-run`` prints the
estimate and asks the (fake) service nothing that costs; a real run records the billable tokens beside it."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curator.cli import main
from curator.core.costs import (ALL_CACHED, COUNTED, ESTIMATED, RUNS_HERE, CostEstimate, actual_text, eval_estimate,
                                 tuning_estimate)
from curator.core.errors import CuratorError
from curator.core.prices import PRICES, READ, SOURCE_URL, price_of
from curator.core.settings import load_settings
from curator.testing.fake_google import FakeGoogle

TOKEN = "ya29.fake-cost-token"


def write_tickets(path, n: int = 40) -> None:
    rows = [{"text_input": f"ticket {i}: my card was charged twice", "output": ["billing", "login"][i % 2],
             "split": "test" if i % 5 == 0 else "train"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def vertex_env(monkeypatch):
    with FakeGoogle() as fake:
        for name in ("GOOGLE_CLOUD_LOCATION", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_API_KEY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "proj")
        monkeypatch.setenv("CURATOR_VERTEX_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("GOOGLE_VERTEX_BASE_URL", fake.url)
        monkeypatch.setenv("GEMINI_API_KEY", "AIzaSy-fake-cost-key")
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
        yield fake


def test_the_price_table_names_its_source_and_date_and_says_what_it_lacks():
    assert SOURCE_URL.startswith("https://cloud.google.com/") and READ == "2026-11-30"
    assert price_of("publishers/google/models/gemini-2.5-flash-lite") == PRICES["gemini-2.5-flash-lite"]
    assert price_of("gemini-2.5-flash").tuning is None  # not found: said, not invented
    mine = price_of("gemini-2.5-flash", {"gemini-2.5-flash": {"tuning": 5.0}})
    assert mine.tuning == 5.0 and mine.input == PRICES["gemini-2.5-flash"].input and "your settings" in mine.source
    assert price_of("someone-elses-model") .input is None


def test_tuning_estimate_is_training_tokens_times_epochs_and_marks_an_estimate():
    train = pl.DataFrame({"text_input": ["a" * 300] * 10, "output": ["b" * 30] * 10, "system": [None] * 10},
                         schema={"text_input": pl.String, "output": pl.String, "system": pl.String})
    estimate = tuning_estimate(train, "vertex", "gemini-2.5-flash", 3, {"gemini-2.5-flash": {"tuning": 5.0}})
    (line,) = estimate.lines
    assert line.tokens == {"training": (100 + 10) * 10 * 3} and line.cost == pytest.approx(3300 * 5 / 1e6)
    assert not estimate.exact and ESTIMATED in estimate.text() and COUNTED not in estimate.text()
    unknown = tuning_estimate(train, "vertex", "gemini-2.5-flash", 3)
    assert unknown.total is None and "no tuning price known" in unknown.text()
    assert CostEstimate.from_dict(json.loads(json.dumps(estimate.to_dict()))).text() == estimate.text()
    assert actual_text(estimate, 3000).startswith("billable tokens 3,000 (estimated 3,300) ≈ $0.0150")


def test_eval_estimate_prices_both_sides_and_the_batch_api_at_half():
    prompts = pl.DataFrame({"prompt": ["x" * 30] * 4, "system": ["y" * 3] * 4, "expected": ["z" * 9] * 4})
    sides = [("A", "gemini-api", "gemini-2.5-flash"), ("B", "local", "local-model-1")]
    online = eval_estimate(prompts, sides, max_output_tokens=2)
    a, b = online.lines
    assert a.tokens == {"prompt": 44, "output": 8} and b.cost == 0  # answers capped at max output tokens
    assert a.cost == pytest.approx((44 * 0.30 + 8 * 2.50) / 1e6)
    batch = eval_estimate(prompts, sides, max_output_tokens=2, batch=True, samples=2)
    assert batch.lines[0].cost == pytest.approx(a.cost * 2 * 0.5)


def test_settings_prices_are_read_and_checked(tmp_path):
    data = tmp_path / "d.jsonl"
    write_tickets(data)
    (tmp_path / "curator.toml").write_text('[prices."gemini-2.5-flash"]\ntuning = 5\ninput = 0.3\n')
    assert load_settings(data).prices == {"gemini-2.5-flash": {"tuning": 5.0, "input": 0.3}}
    (tmp_path / "curator.toml").write_text('[prices."gemini-2.5-flash"]\ntraining = 5\n')
    with pytest.raises(CuratorError, match="unknown price 'training'"):
        load_settings(data)


def test_tune_dry_run_prints_the_estimate_and_launches_nothing(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    (tmp_path / "curator.toml").write_text('[prices."gemini-2.5-flash"]\ntuning = 5.0\n')
    code = main(["tune", str(data), "--backend", "vertex", "--epochs", "4", "--staging", "gs://b/stage",
                 "--dry-run", "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tuning gemini-2.5-flash (4 epochs ×" in out and "training tokens → ≈ $" in out and ESTIMATED in out
    assert vertex_env.requests == []  # not even a list: nothing asked of the service, nothing uploaded


def test_tune_records_the_estimate_and_job_shows_billable_tokens_beside_it(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    code = main(["tune", str(data), "--backend", "vertex", "--training-uri", "gs://b/train.jsonl", "--yes"])
    assert code == 0, capsys.readouterr()
    vertex_env.clock = lambda: 1e9  # long after: the job has finished
    capsys.readouterr()
    assert main(["job", "1001", str(data)]) == 0
    out = capsys.readouterr().out
    assert "billable tokens" in out and "(estimated " in out


def test_eval_dry_run_prints_both_models_and_asks_nothing(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    code = main(["eval", str(data), "--a", "vertex:gemini-2.5-flash", "--b", "gemini-api:gemini-2.5-flash-lite",
                 "--dry-run"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "A vertex:gemini-2.5-flash: " in captured.out and "B gemini-api:gemini-2.5-flash-lite: " in captured.out
    assert "prompt" in captured.out and "total: ≈ $" in captured.out
    assert vertex_env.generations == 0 and vertex_env.requests == []


def test_eval_prints_the_tokens_used_beside_the_estimate(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    code = main(["eval", str(data), "--a", "vertex:gemini-2.5-flash", "--b", "vertex:gemini-2.5-flash-lite"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert vertex_env.generations == 16  # 8 test examples, two models
    assert "cost before the run:" in err and "asked in this run (cached answers left out): A " in err and "(estimated " in err


def test_the_run_keeps_its_estimate_and_the_report_shows_both(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    assert main(["eval", str(data), "--a", "vertex:gemini-2.5-flash", "--b", "vertex:gemini-2.5-flash-lite",
                 "--report", str(tmp_path / "report")]) == 0
    report = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "Used beside the estimate made before the run: A " in report and "≈ $" in report
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text(encoding="utf-8"))
    assert [line["what"] for line in metrics["estimate"]["lines"]] == ["A vertex:gemini-2.5-flash",
                                                                         "B vertex:gemini-2.5-flash-lite"]


def test_with_the_local_tokenizer_tokens_are_counted_and_said_so(monkeypatch):
    import curator.core.checks.limits as limits

    monkeypatch.setattr(limits, "token_counter", lambda model: lambda text: len(text.split()))
    train = pl.DataFrame({"text_input": ["one two three"] * 4, "output": ["four"] * 4, "system": [None] * 4},
                         schema={"text_input": pl.String, "output": pl.String, "system": pl.String})
    estimate = tuning_estimate(train, "vertex", "gemini-2.5-flash", 2)
    assert estimate.exact and estimate.lines[0].tokens == {"training": 32} and COUNTED in estimate.text()


def test_a_tuned_endpoint_is_priced_as_its_base_model(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    assert main(["tune", str(data), "--backend", "vertex", "--training-uri", "gs://b/train.jsonl", "--yes"]) == 0
    vertex_env.clock = lambda: 1e9
    assert main(["job", "1001", str(data)]) == 0  # now succeeded, with its tuned endpoint
    capsys.readouterr()
    endpoint = "projects/proj/locations/us-central1/endpoints/6001"
    assert main(["eval", str(data), "--b", f"vertex:{endpoint}", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"B vertex:{endpoint}: " in out and "input $0.3 · output $2.5 per 1M" in out  # gemini-2.5-flash's
    assert vertex_env.generations == 0


def test_eval_estimate_leaves_out_cached_answers_and_loads_no_tokenizer_for_them(monkeypatch):
    counted = []
    monkeypatch.setattr("curator.core.checks.limits.token_counter",
                        lambda model: counted.append(model) or (lambda text: len(text)))
    prompts = pl.DataFrame({"prompt": ["x" * 30, "y" * 60], "system": [None, None], "expected": ["z" * 9] * 2},
                           schema={"prompt": pl.String, "system": pl.String, "expected": pl.String})
    sides = [("A gemini-api:gemini-2.5-flash", "gemini-api", "gemini-2.5-flash"),
             ("B gemini-api:gemini-2.5-flash-lite", "gemini-api", "gemini-2.5-flash-lite")]
    some = eval_estimate(prompts, sides, max_output_tokens=100, samples=2, to_ask=[[2, 1], [0, 0]])
    a, b = some.lines
    assert a.tokens == {"prompt": 30 * 2 + 60, "output": 9 * 3} and b.tokens == {"prompt": 0, "output": 0}
    assert set(counted) == {"gemini-2.5-flash"}  # B asks nothing: its tokenizer is not even loaded
    assert "left out: 1 of A gemini-api:gemini-2.5-flash; 4 of B" in some.text() and COUNTED in some.text()
    counted.clear()
    none = eval_estimate(prompts, sides, max_output_tokens=100, to_ask=[[0, 0], [0, 0]])
    assert counted == [] and none.total == 0 and none.text().endswith(ALL_CACHED)
    free = eval_estimate(prompts, [("A local:m", "local", "m")], max_output_tokens=100)
    assert counted == [] and free.lines[0].tokens["prompt"] == 30  # estimated: a free model costs nothing
    assert RUNS_HERE in free.text() and ESTIMATED not in free.text()


def test_a_cached_eval_rerun_prices_nothing_and_reports_what_it_asked(tmp_path, vertex_env, capsys):
    data = tmp_path / "tickets.jsonl"
    write_tickets(data)
    command = ["eval", str(data), "--a", "vertex:gemini-2.5-flash", "--b", "vertex:gemini-2.5-flash-lite",
               "--temperature", "0.5"]
    assert main(command) == 0
    first = capsys.readouterr().err
    assert ALL_CACHED not in first and "answers are taken as long as the expected outputs" in first
    assert main(command) == 0
    again = capsys.readouterr().err
    assert vertex_env.generations == 16  # nothing asked the second time
    assert ALL_CACHED in again and "A vertex:gemini-2.5-flash: nothing to ask (every answer is in the cache)" in again
    assert "asked in this run (cached answers left out): A 0 prompt + 0 output/thinking tokens (estimated 0 + 0)" \
        in again
