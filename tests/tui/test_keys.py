"""Pilot tests of keys that do what they say: dialogs focus their action and move with arrows, the editor
asks before discarding, the sort menu opens on the current sort, toasts speak the user's words, a bad
search's error goes away with its cause, and the review's key hints do not read as counts."""

from __future__ import annotations

from textual.widgets import Button, OptionList, TextArea

from curator.tui.actions import REVIEW
from curator.tui.screens.editor import EditorScreen
from curator.tui.screens.main import MainScreen
from curator.tui.screens.prompts import AskScreen, ChoicePrompt
from tests.tui.helpers import copy_fixture, make_app, until_main

SIZE = (120, 40)


def record_toasts(app) -> list[str]:
    """Every toast message the app shows from now on (kept, unlike toasts, which expire)."""
    said: list[str] = []
    notify = app.notify

    def recording(message, *args, **kwargs):
        said.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording
    return said


async def test_dialog_focuses_its_action_and_arrows_move_between_buttons(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        answers = []
        app.push_screen(AskScreen("Launch tuning", "Launch?", [("launch", "Launch"), ("cancel", "Cancel")], "launch"),
                        answers.append)
        await pilot.pause()
        assert app.focused.id == "answer-launch"
        await pilot.press("right")
        assert app.focused.id == "answer-cancel"
        await pilot.press("left")
        assert app.focused.id == "answer-launch"
        await pilot.press("enter")
        await pilot.pause()
        assert answers == ["launch"]
        app.push_screen(AskScreen("Question", "No default", [("a", "Alpha"), ("b", "Beta")]), answers.append)
        await pilot.pause()
        assert isinstance(app.focused, Button) and app.focused.id == "answer-a"  # enter always answers something


async def test_editor_escape_with_changes_asks_before_discarding(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        original = app.session.dataset.get(0)["output"]
        await pilot.press("e")
        app.screen.query_one("#output-area", TextArea).text = "changed"
        await pilot.press("escape")
        assert isinstance(app.screen, AskScreen)
        await pilot.press("escape")  # escape in the question goes back to the editor, edits kept
        assert isinstance(app.screen, EditorScreen)
        assert app.screen.query_one("#output-area", TextArea).text == "changed"
        await pilot.press("escape")
        await pilot.press("enter")  # the focused answer: discard
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.session.dataset.get(0)["output"] == original and not app.session.history.labels()
        await pilot.press("e", "escape")  # nothing changed: no question
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_sort_menu_opens_on_the_current_sort(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("o")
        menu = app.screen
        assert isinstance(menu, ChoicePrompt)
        options = menu.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted).id == "id"
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        chosen = main.state.spec.sort
        assert chosen != "id"
        await pilot.press("o")
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(options.highlighted).id == chosen


async def test_j_and_k_move_in_every_list(tmp_path):
    """The sort menu, the frequency lists and the start screen's files move with j / k as help says (the
    findings and duplicates screens' lists are tested with them)."""
    from curator.core.recent import remember
    from curator.core.settings import Settings
    from curator.tui.app import CuratorApp
    from curator.tui.screens.frequency import FrequencyScreen

    async def moves(pilot, options: OptionList) -> None:
        start = options.highlighted or 0
        await pilot.press("j")
        assert options.highlighted == start + 1
        await pilot.press("k")
        assert options.highlighted == start

    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("o")
        assert isinstance(app.screen, ChoicePrompt)
        await moves(pilot, app.screen.query_one(OptionList))
        await pilot.press("escape", "F")
        await pilot.pause()
        assert isinstance(app.screen, FrequencyScreen)
        await moves(pilot, app.screen.focused)
    remember(path)
    app = CuratorApp(settings=Settings(), run_slow_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await moves(pilot, app.screen.query_one(OptionList))


async def test_toasts_speak_the_users_words(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        said = record_toasts(app)
        await pilot.press("s", "s", "s", "m", "down", "down", "enter")  # three examples to test
        await pilot.press("ctrl+z", "ctrl+y")
        await pilot.pause()
        assert said == ["moved 3 examples to test", "undid: moved 3 examples to test",
                        "redid: moved 3 examples to test"]


async def test_bad_regex_error_goes_with_its_cause_and_the_header_shows_it_as_typed(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("slash", *"re:([", "enter")
        await pilot.pause()
        assert any("search" == n.title and n.severity == "error" for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert not any(n.severity == "error" for n in app._notifications)
        await pilot.press("slash", *r"re:\w+ \d", "enter")
        await pilot.pause()
        header = str(main.query_one("#title-bar").render())
        assert r"re:\w+ \d" in header and r"\\w" not in header


def test_review_key_hints_do_not_read_as_counts():
    shown = [a for a in REVIEW if a.footer]
    filters = [a for a in REVIEW if a.name.startswith("show-")]
    assert not any(a.footer for a in filters[1:])  # no "2 regressions" in the footer
    hint = next(a for a in filters if a.footer)
    keys = sorted(a.keys[0] for a in filters)
    assert hint.binding().key_display == f"{keys[0]}…{keys[-1]}" and hint.footer == "filters"
    assert all(not a.footer[:1].isdigit() for a in shown)


def test_one_name_one_key_across_screens():
    """An action that appears on several screens shares a key on each (a screen with text fields drops the
    plain letters), and slot/whole inputs is i wherever it is offered (t toggles the selection)."""
    from curator.tui import actions

    groups = (actions.MAIN, actions.FINDINGS, actions.DUPLICATES, actions.TUNING, actions.PLAYGROUND,
              actions.REVIEW, actions.EVAL_SETUP)
    keys: dict[str, set] = {}
    for group in groups:
        for action in group:
            keys.setdefault(action.name, set()).add(action.keys)
    assert [name for name, k in keys.items() if not set.intersection(*map(set, k))] == []
    assert [a.name for a in actions.DUPLICATES if a.keys == ("i",)] == ["toggle-inputs"]
    assert not any("t" in a.keys for a in actions.DUPLICATES)


async def test_a_form_error_focuses_the_field_in_error(tmp_path):
    from textual.widgets import Input

    from curator.tui.screens.eval_setup import EvalSetupScreen

    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("E")
        form = app.screen
        assert isinstance(form, EvalSetupScreen)
        form.query_one("#eval-b", Input).value = ""
        form.query_one("#eval-a", Input).focus()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "name model B" in str(form.query_one("#setup-error").render())
        assert app.focused.id == "eval-b"
        form.query_one("#eval-b", Input).value = "local:local-echo"
        form.query_one("#eval-seed", Input).value = "forty"
        form.query_one("#eval-a", Input).focus()
        await pilot.press("enter")  # enter in a field runs the form too
        await pilot.pause()
        assert "seed must be a whole number, not 'forty'" in str(form.query_one("#setup-error").render())
        assert app.focused.id == "eval-seed"


async def test_tuning_launch_button_stays_in_view_at_80x24(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_main(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        button = app.screen.query_one("#launch-button")
        assert button.region.height >= 1 and 0 < button.region.y and button.region.bottom <= 23  # above the footer
        screen_region = app.screen.region
        assert screen_region.contains_region(button.region)


async def test_split_preview_is_not_cut(tmp_path):
    app = make_app(copy_fixture(tmp_path, "tickets.jsonl"))  # stratified: the longest preview
    async with app.run_test(size=(160, 45)) as pilot:
        await until_main(pilot)
        await pilot.press("P")
        await pilot.pause()
        preview = app.screen.query_one("#preview")
        text = str(preview.render())
        assert "test" in text
        assert preview.region.width * preview.region.height >= len(text)
        assert preview.parent.content_region.contains_region(preview.region)  # nothing hangs over the dialog's edge


async def test_the_editor_edits_split_tags_and_note_and_the_detail_shows_the_note(tmp_path):
    from textual.widgets import Input, Select

    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("e")
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.query_one("#split", Select).value = "test"
        editor.query_one("#tags", Input).value = "hard, sarcasm hard"
        editor.query_one("#note", Input).value = "label checked by Ana"
        await pilot.press("ctrl+s")
        await pilot.pause()
        row = app.session.dataset.get(0)
        assert (row["split"], list(row["tags"]), row["note"]) == ("test", ["hard", "sarcasm"], "label checked by Ana")
        assert app.session.history.labels() == ["edit"]  # one undo step for the whole edit
        assert "label checked by Ana" in str(main.query_one("#findings").render())
        await pilot.press("ctrl+z")
        row = app.session.dataset.get(0)
        assert (row["split"], list(row["tags"] or []), row["note"]) == ("train", [], None)
        await pilot.press("e")
        app.screen.query_one("#note", Input).value = "x"
        await pilot.press("escape")
        assert isinstance(app.screen, AskScreen)  # a changed note counts as a change too


async def test_templated_rows_list_their_slot_values_and_i_shows_them_whole(tmp_path):
    app = make_app(copy_fixture(tmp_path, "template_deviations.jsonl"))
    async with app.run_test(size=(80, 24)) as pilot:
        main = await until_main(pilot)
        await pilot.pause()
        first = main.table.row(0)
        whole = app.session.dataset.get(first.id)["text_input"]
        assert whole.startswith("Classify the ticket.\nquestion:")
        assert not first.text_input.startswith("Classify") and "I was charged twice (#0)" in first.text_input
        assert first.input_len == len(whole)
        assert "(i)" in str(main.query_one("#title-bar").render())
        await pilot.press("i")
        assert main.table.row(0).text_input == whole
        assert "input: whole" in str(main.query_one("#title-bar").render())
        await pilot.press("i")
        assert main.table.row(0).text_input != whole


async def test_tags_are_a_column_that_sorts_and_filters(tmp_path):
    from curator.core.view import Filter

    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        assert main.state.tags_width == 0  # no tags yet: no column
        await pilot.press("G", "plus", *"zeta", "enter")
        await pilot.pause()
        last = main.table.current.id
        await pilot.press("g", "plus", *"alpha", "enter")
        await pilot.pause()
        assert main.state.tags_width > 0 and main.table.row(0).tags == ("alpha",)
        assert "tags" in main.table._header(120).text
        await pilot.press("o")
        menu = app.screen
        options = menu.query_one(OptionList)
        index = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == "tags")
        options.highlighted = index
        await pilot.press("enter", "o", "enter")  # sort by tags, then again: reversed, tagged first
        await pilot.pause()
        assert main.state.spec.sort == "tags" and main.state.spec.descending
        assert [main.table.row(i).id for i in (0, 1)] == [last, 0]
        main.apply_filter(Filter(tag="zeta"))
        assert [main.table.row(i).id for i in range(main.table.row_count())] == [last]


async def test_model_fields_offer_the_known_models_and_the_playground_sends_a_system_instruction(tmp_path):
    from textual.widgets import Input

    from curator.tui.screens.eval_setup import EvalSetupScreen
    from curator.tui.screens.playground import Answer, PlaygroundScreen

    app = make_app(copy_fixture(tmp_path))
    asked = []

    def generate(ref, prompt, config, system=None):
        asked.append((str(ref), system))
        return Answer("positive", 0.01, 3, 1)

    app.generate_answer = generate
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("E")
        form = app.screen
        assert isinstance(form, EvalSetupScreen) and form.known_models
        form.query_one("#eval-a", Input).focus()
        await pilot.press("f2")
        menu = app.screen
        assert isinstance(menu, ChoicePrompt)
        options = menu.query_one(OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == form.known_models
        await pilot.press("end", "enter")
        await pilot.pause()
        assert app.screen is form and form.query_one("#eval-a", Input).value == form.known_models[-1]
        assert app.focused.id == "eval-a"
        await pilot.press("escape")
        await pilot.press("p")
        await pilot.pause()
        playground = app.screen
        assert isinstance(playground, PlaygroundScreen)
        await pilot.press("f2", "home", "enter")  # no model field focused: the choice goes to B
        await pilot.pause()
        assert playground.query_one("#model-b", Input).value == playground.known_models[0]
        playground.query_one("#system", Input).value = "Answer with one word."
        await pilot.press("ctrl+r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert {system for _, system in asked} == {"Answer with one word."} and len(asked) == 2


def test_the_review_list_hides_the_preamble_inputs_share():
    import numpy as np

    from curator.core.evaluation.runs import RunRow
    from curator.tui.widgets.verdict_table import VerdictTable

    inputs = [f"Answer from the context.\nquestion: q{i}\ncontext: c{i}" for i in range(10)]
    rows = [RunRow(i, i, "test", t, t, None, "x") for i, t in enumerate(inputs)]
    table = VerdictTable()
    table.show(rows, None, np.arange(len(rows)))
    assert table.input_display(inputs[2]) == "…question: q2\ncontext: c2"
    again = VerdictTable()  # with the run's template: its slot values
    again.show(rows, None, np.arange(len(rows)), template="Answer from the context.\nquestion: {q}\ncontext: {c}")
    assert again.input_display(inputs[2]) == "q2 · c2"
