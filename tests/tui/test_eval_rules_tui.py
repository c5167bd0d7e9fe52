"""Pilot tests of issue 16 in the app: the scoring rule in the evaluation form (kept in the dataset's
settings) and in the review (rescores the run), "broke since run X", what changed between two runs, and the
suspect-label filter and sort of the main table."""

from __future__ import annotations

import json

from textual.widgets import Input

from curator.core.evaluation.changes import BROKEN
from curator.tui.screens.compare import CompareScreen
from curator.tui.screens.prompts import ChoicePrompt, TextPrompt
from curator.tui.screens.review import ReviewScreen
from curator.tui.widgets.verdict_table import VerdictTable
from tests.core.test_eval_gates import write_gsm
from tests.core.test_suspects import FLIPPED, frame
from tests.tui.helpers import evaluate, make_app, settle, until_main
from tests.tui.test_review import SIZE, wait_for


async def evaluate_with(pilot, extract: str | None, match: str | None) -> ReviewScreen:
    return await evaluate(pilot, a="local:local-echo", b="local:local-echo", extract=extract, match=match)


async def test_rule_from_the_form_and_the_review_broke_since_and_compare(tmp_path):
    path = tmp_path / "gsm.jsonl"
    write_gsm(path)  # the echo answers "... #### N": right on 3 of 4 by the number after ####
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        first = await evaluate_with(pilot, "after:####", "numeric")
        assert first.result.scorecard.right_b.tolist() == [True, True, False, True]
        assert app.settings.score_extract == "after:####" and app.settings.score_match == "numeric"
        kept = (tmp_path / "gsm.jsonl.curator.toml").read_text()  # the dataset's settings file, for every command
        assert 'score_extract = "after:####"' in kept and 'score_match = "numeric"' in kept
        assert first.result.run.spec["scoring"]["match"] == "numeric"
        first_id = first.result.run.id
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("E")  # the form shows the dataset's rule
        await pilot.pause()
        assert pilot.app.screen.query_one("#eval-extract", Input).value == "after:####"
        await pilot.press("escape")
        await pilot.pause()
        second = await evaluate_with(pilot, "", "exact")  # the whole reply must equal the expected output
        assert not second.result.scorecard.right_b.any()
        table = second.query_one(VerdictTable)

        await pilot.press("0")  # broke since the first run: B was right there on three examples
        await pilot.pause()
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")
        await wait_for(pilot, lambda: second.filter_name == "broke-since")
        assert sorted(table.positions.tolist()) == [0, 1, 3]
        assert f"broke since {first_id[:6]} 3" in str(second.query_one("#rv-view").render())

        await pilot.press("c")  # what changed: the three examples broken, newer minus older
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        compared = app.screen
        assert isinstance(compared, CompareScreen)
        assert compared.changes.older.run.id == first_id
        assert [f.position for f in compared.changes.of("b", BROKEN)] == [0, 1, 3]
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("r")  # the rule of this run, changed from the review: rescored and kept
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        prompt.query_one(Input).value = "after:#### | numeric"
        await pilot.press("enter")
        await wait_for(pilot, lambda: second.result.scorecard.right_b.sum() == 3)
        assert second.result.run.spec["scoring"]["extract"] == "after:####"
        await wait_for(pilot, lambda: app.settings.score_match == "numeric")


async def test_suspect_labels_filter_and_sort_the_table(tmp_path):
    path = tmp_path / "tickets.jsonl"
    path.write_text("".join(json.dumps({"text_input": r["text_input"], "output": r["output"]}) + "\n"
                            for r in frame().iter_rows(named=True)))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("L")
        await wait_for(pilot, lambda: main.state.spec.filter.ids_label.startswith("suspect labels"))
        await settle(pilot)
        ids = main.state.ids.tolist()
        assert set(ids[:3]) == set(FLIPPED) and len(ids) <= 10
        assert main.state.spec.sort == "suspect label"
        notes = str(main.query_one("#findings").render())
        assert "label.suspect" in notes and "the data says" in notes
        await pilot.press("L")  # again: every example
        await pilot.pause()
        assert len(main.state.ids) == 60 and not main.state.spec.filter.active


async def test_a_150_label_confusion_matrix_scrolls_both_ways_with_full_names():
    from textual.app import App

    from curator.core.evaluation.scorecard import build_scorecard
    from curator.core.evaluation.scoring import CLASSIFICATION
    from rich.console import Console

    from curator.tui.widgets.eval_summary import EvalSummary, confusion_view

    labels = [f"calendar_update_{i:03d}" if i % 2 else f"calendar_{i:03d}" for i in range(150)]
    expected = [labels[i % 150] for i in range(600)]
    answers = [labels[(i + 1) % 150] if i % 7 == 0 else "no idea" if i % 11 == 0 else labels[i % 150]
               for i in range(600)]
    card = build_scorecard(expected, answers, answers, CLASSIFICATION, resamples=50)

    class Holder(App):
        def compose(self):
            yield EvalSummary()

    app = Holder()
    async with app.run_test(size=(100, 30)) as pilot:
        summary = app.query_one(EvalSummary)
        summary.show(card.metrics)
        await pilot.pause()
        assert summary.max_scroll_x > 0 and summary.max_scroll_y > 0
        console = Console(width=5000, record=True)
        console.print(confusion_view(card.metrics, "b"))
        text = console.export_text()
        assert "calendar_update_149" in text and "(expected → answered): calendar_000 → calendar_update_001" in text
        assert card.metrics["b"]["classification"]["confusion"]["labels"][-1] == "(unmapped)"


async def test_a_judge_rule_runs_from_the_form_and_its_verdict_shows_beside_the_answer(tmp_path):
    path = tmp_path / "gsm.jsonl"
    write_gsm(path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        # the echo as a judge repeats the question it was asked: a reply the review shows as unreadable
        screen = await evaluate_with(pilot, None, "judge:local:local-echo")
        rows = screen.result.rows
        assert all(r.judge_b is not None and r.judge_b[0] is None for r in rows)
        assert screen.result.scorecard.metrics["judge"]["b"]["unreadable"] == 4
        body = screen.query_one("#rv-b")._body.render()
        assert "judge: unreadable" in str(body)
        assert "judge passed 0 of B's answers" in str(screen.query_one("#summary-paired").render())
