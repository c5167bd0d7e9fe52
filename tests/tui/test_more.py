"""Pilot tests of the start screen, $EDITOR, split files, length filters and the slow scan's progress/cancel."""

from __future__ import annotations

import contextlib
import json
import stat
import threading
import time

from textual.widgets import TextArea

from curator.core.formats.registry import read_file
from curator.core.errors import Cancelled
from curator.core.progress import Progress
from curator.core.demo import demo_source
from curator.core.recent import remember
from curator.core.settings import Settings, load_settings
from curator.tui.app import CuratorApp
from curator.tui.screens.editor import EditorScreen
from curator.tui.screens.start import StartScreen
from curator.tui.widgets.status_bar import StatusBar
from tests.tui.helpers import copy_fixture, make_app, settle, until_main

SIZE = (120, 40)


async def test_start_screen_offers_recent_files_and_demo(tmp_path):
    recent = copy_fixture(tmp_path)
    remember(recent)
    app = CuratorApp(settings=Settings(), run_slow_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        assert app.screen.recent == [recent.resolve()]
        await pilot.press("down", "enter")  # the recent file
        await until_main(pilot)
        assert app.session.path == recent.resolve()
    app = CuratorApp(settings=Settings(), run_slow_checks=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the demo (a private copy in the user data folder)
        await until_main(pilot)
        assert app.session.path.name == "support_tickets.jsonl" and len(app.session.dataset) == 400
        assert app.session.path != demo_source()  # the shipped file is never edited


async def test_ctrl_o_edits_in_external_editor(tmp_path, monkeypatch):
    script = tmp_path / "fake-editor.sh"
    script.write_text("#!/bin/sh\nprintf 'written in the editor' > \"$1\"\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    app = make_app(copy_fixture(tmp_path))
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # the headless driver cannot suspend
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("e")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("ctrl+o")
        assert app.screen.query_one("#input-area", TextArea).text == "written in the editor"
        await pilot.press("ctrl+s")
        assert app.session.dataset.get(0)["text_input"] == "written in the editor"


async def test_split_into_files_leaves_the_open_file_alone(tmp_path):
    path = copy_fixture(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("P")
        app.screen.query_one("#mode").value = "files"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.session.dirty
    parts = {name: read_file(tmp_path / f"classification.{name}.jsonl").records for name in ("train", "validation", "test")}
    assert sum(p.height for p in parts.values()) == 32
    assert all(set(p["split"].to_list()) == {name} for name, p in parts.items())
    assert {json.loads(line).get("split", "train") for line in path.read_text().splitlines()} == {"train", "test"}


async def test_length_filter_from_the_form(tmp_path):
    app = make_app(copy_fixture(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("f")
        app.screen.query_one("#min").value = "30"
        app.screen.query_one("#max").value = "36"
        await pilot.press("ctrl+s")
        await pilot.pause()
        lengths = [len(app.session.dataset.get(int(i))["text_input"]) for i in main.state.ids]
        every = [len(t) for t in app.session.dataset.frame["text_input"].to_list()]
        assert lengths and all(30 <= n <= 36 for n in lengths)
        assert len(lengths) == sum(30 <= n <= 36 for n in every)
        assert "input length 30..36" in str(main.query_one("#title-bar").render())


def write_inputs(path, texts) -> None:
    """A JSONL file of ``texts`` as inputs, each with the output "x"."""
    path.write_text("".join(json.dumps({"text_input": t, "output": "x"}) + "\n" for t in texts))


async def open_duplicates(pilot):
    """Open the file's duplicates screen (D) and wait for its scan; returns the screen."""
    await until_main(pilot)
    await pilot.press("D")
    await settle(pilot)
    return pilot.app.screen


def write_leaky(path, split: str):
    """30 training questions that differ in a number, and a near-copy of one of them in ``split``."""
    rows = [{"text_input": f"How do I reset the password of account {i}?", "output": "account"} for i in range(30)]
    rows.append({"text_input": "How do I reset the password of account 1??", "output": "account", "split": split})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


async def test_slow_scan_fills_findings_and_cancelling_clears_its_progress(tmp_path, monkeypatch):
    path = write_leaky(tmp_path / "dups.jsonl", "validation")
    app = make_app(path, run_slow_checks=True)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        rules = {f.rule for f in main.state.findings}
        assert "leakage.train-twin" in rules and "near-dup.cluster" in rules
        assert main.table.row(30).findings >= 1
        await pilot.press("ctrl+c")  # nothing running
        assert "cancelled" not in main.progress_text

        started = threading.Event()

        def endless_scan(dataset, settings, *, skip_slow=False, skip_fast=False, progress=None, cancel=None,
                         store=None):
            if skip_slow:
                return []
            started.set()
            while not cancel.is_set():
                progress(Progress(0.5, "near-duplicates"))
                time.sleep(0.01)
            raise Cancelled()

        monkeypatch.setattr("curator.tui.screens.main.run_checks", endless_scan)
        worker = main.check_slow()
        for _ in range(200):
            await pilot.pause(0.02)
            if started.is_set() and main.progress_text:
                break
        assert "checking near-duplicates" in str(main.query_one(StatusBar).render())
        run = main._slow_run
        await pilot.press("ctrl+c")
        main.post_message(main.Progress("checking near-duplicates 50%", run))  # late, from the cancelled scan
        await settle(pilot)
        assert worker.is_cancelled and main.progress_text == ""  # the status bar shows no progress any more
        assert "checking" not in str(main.query_one(StatusBar).render())
        assert any(n.message == "scan cancelled (c runs it again)" for n in pilot.app._notifications)
        assert "leakage.train-twin" in {f.rule for f in main.state.findings}  # earlier results stay


async def test_the_apps_near_duplicate_and_leakage_scans_run_off_its_process(tmp_path, monkeypatch):
    """Both slow scans run in a child process (from ``ISOLATE_FROM`` examples; here from any), so they never
    hold the interpreter lock the app draws with."""
    import curator.core.dedupe.scan as scan_module

    def here(*args, **kwargs):
        raise AssertionError("a slow scan ran in the app's process")

    monkeypatch.setattr(scan_module, "ISOLATE_FROM", 0)
    monkeypatch.setattr(scan_module, "scan_frame", here)  # the spawned process imports its own
    monkeypatch.setattr(scan_module, "leakage_frame", here)
    path = write_leaky(tmp_path / "leaky.jsonl", "test")
    app = make_app(path, run_slow_checks=True)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        assert {"leakage.train-twin", "near-dup.cluster"} <= {f.rule for f in main.state.findings}
        assert "failed" not in main.progress_text


async def test_findings_screen_jumps_and_fixes_with_undo(tmp_path):
    from curator.tui.screens.findings import FindingsScreen

    path = tmp_path / "f.jsonl"
    rows = [{"text_input": f"review number {i}", "output": ["positive", "negative"][i % 2]} for i in range(40)]
    rows[5]["output"], rows[7]["output"] = "Positive ", "negative."
    rows[9]["text_input"] = "  review number 9 "
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("exclamation_mark")
        screen = app.screen
        assert isinstance(screen, FindingsScreen)
        rules = [rule for rule, _ in screen.groups]
        assert "labels.variant" in rules and "basic.whitespace" in rules
        screen.query_one("#rules").highlighted = rules.index("labels.variant")
        await pilot.press("X")  # fix every label variant: asks first, with the count per split
        assert "change 2 examples (2 in train)" in str(app.screen.query_one(".message").render())
        await pilot.press("c")  # cancel: nothing changes
        assert app.screen is screen and app.session.history.labels() == []
        await pilot.press("X", "a")  # apply them: one undo step
        outputs = app.session.dataset.frame["output"].to_list()
        assert outputs[5] == "positive" and outputs[7] == "negative"
        assert app.session.history.labels() == ["fix-all"]
        await pilot.press("ctrl+z")  # undo inside the findings screen
        assert app.screen is screen and app.session.dataset.frame["output"].to_list()[5] == "Positive "
        assert "fix)" in str(screen.query_one("#rules").get_option_at_index(rules.index("labels.variant")).prompt)
        await pilot.press("ctrl+y")
        assert app.session.dataset.frame["output"].to_list()[5] == "positive"
        await pilot.press("k")  # j / k move in the focused list
        assert screen.query_one("#rules").highlighted == rules.index("labels.variant") - 1
        await pilot.press("j")
        assert screen.query_one("#rules").highlighted == rules.index("labels.variant")
        screen.query_one("#rules").highlighted = rules.index("basic.whitespace")
        await pilot.press("tab", "down", "enter")  # jump to the second whitespace finding's example
        await pilot.pause()
        whitespace = dict(screen.groups)["basic.whitespace"]
        assert [f.ids[0] for f in whitespace] == [5, 9]
        assert app.screen is main and main.table.current.id == 9
        await pilot.press("ctrl+z")
        assert app.session.dataset.frame["output"].to_list()[5] == "Positive "


async def test_fix_all_counts_only_what_it_would_delete_now(tmp_path):
    """After one rule's fixes deleted some examples, another rule's fix-all does not count them again."""
    path = tmp_path / "f.jsonl"
    write_inputs(path, ["How do I reset my password?", "How do I reset my password?", "How do I reset my pasword?",
                        "Where is my parcel?", "Cancel my subscription"])
    app = make_app(path, run_slow_checks=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("exclamation_mark")
        screen = app.screen
        rules = [rule for rule, _ in screen.groups]
        screen.query_one("#rules").highlighted = rules.index("near-dup.cluster")
        await pilot.press("X")
        assert "would delete 2 examples (2 in train)." in str(app.screen.query_one(".message").render())
        await pilot.press("c")
        screen.query_one("#rules").highlighted = rules.index("basic.exact-duplicate")
        await pilot.press("X", "a")  # deletes the later copy, #1
        assert app.session.dataset.get(1)["deleted"]
        screen.query_one("#rules").highlighted = rules.index("near-dup.cluster")
        await pilot.press("X")
        assert ("would delete 1 example (1 in train) (1 more they name are marked for deletion already)"
                in str(app.screen.query_one(".message").render()))


async def test_fix_counts_leave_out_fixes_whose_examples_are_deleted_already(tmp_path):
    """Once another rule's fixes deleted every example a fix names, the rule list does not count it as a fix left
    to apply, nor does X apply it; an undo brings it back."""
    path = tmp_path / "f.jsonl"
    write_inputs(path, ["How do I reset my password?", "How do I reset my password?", "How do I reset my pasword?",
                        "Where is my parcel?", "Cancel my subscription"])
    app = make_app(path, run_slow_checks=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("exclamation_mark")
        screen = app.screen
        rules = [rule for rule, _ in screen.groups]
        listing = screen.query_one("#rules")

        def label(rule: str) -> str:
            return str(listing.get_option_at_index(rules.index(rule)).prompt)

        assert "(1 fix)" in label("basic.exact-duplicate")
        listing.highlighted = rules.index("near-dup.cluster")
        await pilot.press("X", "a")  # keeps #0, deletes #1 (the exact copy) and #2
        assert app.session.dataset.get(1)["deleted"] and app.session.dataset.get(2)["deleted"]
        assert "fix)" not in label("basic.exact-duplicate") and "(1 done)" in label("near-dup.cluster")
        listing.highlighted = rules.index("basic.exact-duplicate")
        await pilot.pause()
        assert "marked for deletion already" in str(screen.query_one("#items").get_option_at_index(0).prompt)
        await pilot.press("X")
        assert app.screen is screen  # nothing asked: nothing left to fix
        await pilot.press("ctrl+z")
        assert not app.session.dataset.get(1)["deleted"]
        assert "(1 fix)" in label("basic.exact-duplicate")


async def test_not_duplicate_marks_are_kept_for_a_file_open_read_only(tmp_path):
    """A file another curator has open is browsed read-only; "not a duplicate" marks are no edit of it: they are kept
    in its workspace, where the command line and the other session find them."""
    from curator.core.dedupe.store import DedupeStore
    from curator.core.session import Session
    from curator.core.storage.workspace import Workspace

    path = tmp_path / "d.jsonl"
    write_inputs(path, ["Where is my parcel right now?", "Where is my parcel right now", "Cancel my subscription"])
    holder = Session.open(path)
    try:
        app = make_app(path)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(100):
                await pilot.pause(0.02)
                if type(app.screen).__name__ == "AskScreen":
                    break
            await pilot.press("r")  # read-only
            await until_main(pilot)
            assert app.session.read_only
            await pilot.press("D")
            await settle(pilot)
            assert [c.ids for c in app.screen.clusters] == [(0, 1)]
            await pilot.press("n")
            await settle(pilot)
            assert not any(n.severity == "error" for n in app._notifications)
            assert not app.screen.clusters
        assert DedupeStore(Workspace.for_dataset(path)).marked()
    finally:
        holder.close()


async def test_duplicates_screen_keep_this_and_not_duplicate(tmp_path):
    from curator.tui.screens.duplicates import DuplicatesScreen

    path = tmp_path / "d.jsonl"
    rows = [{"text_input": t, "output": "x"} for t in (
        "How do I reset my password?", "How do I reset my pasword?", "how do i reset my password??",
        "Where is my parcel right now?", "Where is my parcel right now", "Cancel my subscription today")]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        await settle(pilot)
        assert [len(c.ids) for c in screen.clusters] == [3, 2]
        member = screen._member_id()
        assert member != screen.clusters[0].keeper
        assert str(screen.query_one("#member-side")._body.render()) == rows[member]["text_input"]
        await pilot.press("K")  # keep the highlighted member: asks first, with the count per split
        assert "mark 2 examples for deletion (2 from train)" in str(app.screen.query_one(".message").render())
        await pilot.press("d")
        deleted = set(app.session.dataset.frame.filter("deleted")["id"].to_list())
        assert deleted == {0, 1, 2} - {member}
        assert [len(c.ids) for c in screen.clusters] == [2]  # the resolved cluster is gone
        await pilot.press("ctrl+z")  # undo inside the duplicates screen brings the cluster back
        assert not app.session.dataset.frame["deleted"].any()
        assert [len(c.ids) for c in screen.clusters] == [3, 2]
        await pilot.press("ctrl+y")
        assert [len(c.ids) for c in screen.clusters] == [2]
        await pilot.press("n")  # the parcel pair is not a duplicate: remembered
        assert screen.clusters == []
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is main
        assert not any(f.rule == "near-dup.cluster" for f in main.state.findings)
        await pilot.press("ctrl+z")  # keep-this is one undo step
        assert not app.session.dataset.frame["deleted"].any()
    again = make_app(path)  # the mark outlives the session
    async with again.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert [sorted(c.ids) for c in again.screen.clusters] == [[0, 1, 2]]


async def test_a_large_cluster_lists_its_first_members_and_keep_one_deletes_them_all(tmp_path, monkeypatch):
    import curator.tui.screens.duplicates as duplicates

    monkeypatch.setattr(duplicates, "MEMBERS_SHOWN", 2)  # templated data makes clusters of thousands
    path = tmp_path / "d.jsonl"
    write_inputs(path, ["How do I reset my password?", "How do I reset my pasword?", "how do i reset my password??",
                        "Where is my parcel?"])
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        listing = screen.query_one("#members")
        assert listing.option_count == 3 and listing.get_option_at_index(2).disabled
        assert "1 more" in str(listing.get_option_at_index(2).prompt)
        keep = screen._member_id()
        await pilot.press("K")
        assert "mark 2 examples for deletion" in str(app.screen.query_one(".message").render())
        await pilot.press("d")
        assert set(app.session.dataset.frame.filter("deleted")["id"].to_list()) == {0, 1, 2} - {keep}


async def test_template_set_in_the_app_is_checked_and_remembered(tmp_path):
    path = copy_fixture(tmp_path, "template_deviations.jsonl")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        main = await until_main(pilot)
        assert any(f.rule == "template.inferred" for f in main.state.findings)
        await pilot.press("T")
        app.screen.query_one("Input").value = "Classify the ticket.\\nquestion: {question}"
        await pilot.press("enter")
        await settle(pilot)
        assert main.settings.template == "Classify the ticket.\nquestion: {question}"
        rules = {f.rule for f in main.state.findings}
        assert "template.inferred" not in rules and "template.preamble" in rules
        await pilot.press("T")
        app.screen.query_one("Input").value = "broken {"
        await pilot.press("enter")
        await settle(pilot)
        assert main.settings.template == "Classify the ticket.\nquestion: {question}"  # refused, kept
    again = CuratorApp(path, run_slow_checks=False)
    async with again.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        assert again.settings.template == "Classify the ticket.\nquestion: {question}"


def test_template_set_in_the_app_is_used_by_the_cli(tmp_path, capsys):
    """The app writes the dataset's settings file; curator check and curator try read the same template."""
    import asyncio

    from curator.cli import main

    path = copy_fixture(tmp_path, "template_deviations.jsonl")

    async def set_template() -> None:
        app = make_app(path)
        async with app.run_test(size=SIZE) as pilot:
            await until_main(pilot)
            await pilot.press("T")
            app.screen.query_one("Input").value = "Classify the ticket.\\nquestion: {question}"
            await pilot.press("enter")
            await settle(pilot)

    asyncio.run(set_template())
    settings_file = tmp_path / "template_deviations.jsonl.curator.toml"
    assert 'template = "Classify the ticket.\\nquestion: {question}"' in settings_file.read_text()
    main(["check", str(path), "--json", "--fast"])
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "template.inferred" not in rules and "template.preamble" in rules
    assert main(["try", "local:local-echo", "my card was declined", "--file", str(path)]) == 0
    assert "Classify the ticket.\nquestion: my card was declined" in capsys.readouterr().out


async def test_duplicates_scan_options_rescan_and_are_kept(tmp_path):
    from curator.tui.screens.scan_options import ScanOptionsScreen

    path = copy_fixture(tmp_path, "qa_context.jsonl")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicates(pilot)
        at_90 = sum(c.size for c in screen.clusters)
        await pilot.press("o")
        assert isinstance(app.screen, ScanOptionsScreen)
        app.screen.query_one("#threshold").value = "75"
        app.screen.query_one("#compare").value = "whole"  # the shared preamble and markers count too
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.settings.near_dup_threshold == 75
        whole_75 = sum(c.size for c in screen.clusters)
        assert whole_75 > at_90
        assert "≥ 75 on text_input, whole inputs" in str(screen.query_one("#dup-title").render())
        await pilot.press("i")  # back to slot values (i, as in the table): the template's preamble and markers no longer count
        await settle(pilot)
        assert screen.settings.near_dup_compare == "slots"
        assert sum(c.size for c in screen.clusters) < whole_75
    again = CuratorApp(path, run_slow_checks=False)
    async with again.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        assert again.settings.near_dup_threshold == 75 and again.settings.near_dup_compare == "slots"


async def test_duplicates_numbers_only_apart_and_whole_cluster_not_duplicate(tmp_path):
    path = tmp_path / "n.jsonl"
    texts = ["What is the square root of 31?", "What is the square root of 104?", "What is the square root of 144?",
             "How do I reset my password?", "How do I reset my pasword?", "how do i reset my password??"]
    write_inputs(path, texts)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicates(pilot)
        assert [sorted(c.ids) for c in screen.clusters] == [[3, 4, 5]]  # the square roots are different examples
        assert "1 differ in numbers only" in str(screen.query_one("#dup-title").render())
        await pilot.press("number_sign")
        assert [sorted(c.ids) for c in screen.clusters] == [[0, 1, 2]]
        await pilot.press("number_sign", "N")  # no member of the password cluster is a duplicate
        assert screen.clusters == []
        await pilot.press("escape")
        await settle(pilot)
    again = make_app(path)  # remembered
    async with again.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert again.screen.clusters == []


async def test_duplicates_say_which_texts_were_too_long_to_compare(tmp_path):
    path = tmp_path / "n.jsonl"
    long = "please refund the order I placed last week, " * 4
    texts = [long, long + "now", "How do I reset my password?", "How do I reset my pasword?"]
    write_inputs(path, texts)
    (tmp_path / "n.jsonl.curator.toml").write_text("[dedupe]\nmax_chars = 100\n")
    app = make_app(path, settings=load_settings(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicates(pilot)
        assert [sorted(c.ids) for c in screen.clusters] == [[2, 3]]
        assert "2 inputs over 100 characters not compared for near-duplicates (o: max chars)" in str(
            screen.query_one("#dup-title").render())


async def test_duplicates_length_cap_is_a_scan_option_kept_in_the_dedupe_table(tmp_path):
    import tomllib

    from curator.tui.screens.scan_options import ScanOptionsScreen

    path = tmp_path / "n.jsonl"
    long = "please refund the order I placed last week, " * 4
    write_inputs(path, [long, long + "now", "How do I reset my password?", "How do I reset my pasword?"])
    own = tmp_path / "n.jsonl.curator.toml"
    own.write_text("near_dup_threshold = 88  # written flat by an earlier curator\n")
    app = make_app(path, settings=load_settings(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicates(pilot)
        assert sorted(sorted(c.ids) for c in screen.clusters) == [[0, 1], [2, 3]]  # under the 10,000 default
        await pilot.press("o")
        assert isinstance(app.screen, ScanOptionsScreen)
        assert app.screen.query_one("#max-chars").value == "10000"
        app.screen.query_one("#max-chars").value = "-5"
        await pilot.press("ctrl+s")
        assert "max chars is a whole number" in str(app.screen.query_one("#error").render())
        app.screen.query_one("#max-chars").value = "100"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and screen.settings.near_dup_max_chars == 100
        assert [sorted(c.ids) for c in screen.clusters] == [[2, 3]]
        assert "2 inputs over 100 characters not compared" in str(screen.query_one("#dup-title").render())
    table = tomllib.loads(own.read_text())  # the flat key of the earlier file moved into the table
    assert table == {"dedupe": {"scorer": "ratio", "threshold": 88, "field": "text_input", "compare": "slots",
                                "max_chars": 100}}
    again = load_settings(path)
    assert (again.near_dup_threshold, again.near_dup_max_chars) == (88, 100)


async def test_duplicates_a_long_scan_says_its_estimate_and_starts_only_when_asked(tmp_path, monkeypatch):
    import curator.tui.screens.duplicates as duplicates

    monkeypatch.setattr(duplicates, "LONG_SCAN", -1.0)  # every scan counts as long
    path = tmp_path / "n.jsonl"
    texts = ["How do I reset my password?", "How do I reset my pasword?", "Where is my parcel?"]
    write_inputs(path, texts)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("D")
        await settle(pilot)
        ask = app.screen
        assert ask.title_text == "A long scan" and "This scan will take about" in ask.message
        assert "o changes the options" in ask.message  # the scan options' key, o
        await pilot.press("escape")  # not started
        await settle(pilot)
        screen = app.screen
        title = str(screen.query_one("#dup-title").render())
        assert screen.clusters == [] and "not started" in title and title.endswith("· o options")
        await pilot.press("o")
        assert type(app.screen).__name__ == "ScanOptionsScreen"
        await pilot.press("escape")
        await pilot.press("escape", "D")  # back to the table, and D again
        await settle(pilot)
        await pilot.press("s")  # start it
        await settle(pilot)
        assert [sorted(c.ids) for c in app.screen.clusters] == [[0, 1]]


async def test_duplicates_not_a_duplicate_marks_undo_and_redo(tmp_path):
    path = tmp_path / "m.jsonl"
    texts = ["How do I reset my password?", "How do I reset my pasword?", "how do i reset my password??",
             "Where is my parcel now?", "Where is my parcel now??"]
    write_inputs(path, texts)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_duplicates(pilot)
        assert [sorted(c.ids) for c in screen.clusters] == [[0, 1, 2], [3, 4]]
        await pilot.press("N")  # the whole first cluster: not duplicates
        assert [sorted(c.ids) for c in screen.clusters] == [[3, 4]]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [sorted(c.ids) for c in screen.clusters] == [[0, 1, 2], [3, 4]]
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert [sorted(c.ids) for c in screen.clusters] == [[3, 4]]
        await pilot.press("ctrl+z", "escape")
        await settle(pilot)
    again = make_app(path)  # the undone mark is forgotten in the workspace too
    async with again.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert [sorted(c.ids) for c in again.screen.clusters] == [[0, 1, 2], [3, 4]]


async def test_duplicates_mark_a_member_that_joined_through_another(tmp_path):
    """A member below the threshold to the keeper that joined through another member says so, in the list and
    under its text."""
    from curator.tui.screens.duplicates import DuplicatesScreen

    path = tmp_path / "chain.jsonl"
    texts = ("please tell me how to reset the password of my account on the mobile app",
             "please tell me how to reset the password of my profile on the mobile app",  # 92 to the first
             "please tell me how to reset the passcode of my profile on the mobile phone")  # 93 to 2nd, 85 to 1st
    write_inputs(path, texts)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until_main(pilot)
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, DuplicatesScreen)
        await settle(pilot)
        (cluster,) = screen.clusters
        assert cluster.keeper == 0
        members = screen.query_one("#members")
        prompts = [str(members.get_option_at_index(k).prompt) for k in range(members.option_count)]
        assert "via" not in prompts[1] and "#1" in prompts[1]
        assert "#2" in prompts[2] and "via #1 (93)" in prompts[2]
        await pilot.press("tab", "j")  # the members list, its next member: the chained one
        assert screen._member_id() == 2
        assert "below the threshold: joined via #1" in str(screen.query_one("#member-side").border_subtitle)
