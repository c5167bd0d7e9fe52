"""The editing actions of the main screen: each builds an op named after its action and applies it
through the session (journalled, undoable). Bulk actions act on the selection, else on the cursor row."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import work
from textual.message import Message

from curator.core.errors import CuratorError
from curator.core.formats.registry import format_for_extension, lossy_fields
from curator.core.model import SPLITS
from curator.core.ops import AddRows, Batch, Op, SetField, describe
from curator.core.storage.stamp import ChangedOnDisk
from curator.tui.screens.prompts import AskScreen, BusyScreen, ChoicePrompt, TextPrompt


class EditingActions:
    """Mixed into MainScreen (which provides ``session``, ``state``, ``table``, ``data_changed``...)."""

    # -- helpers ----------------------------------------------------------------------------------------

    def targets(self) -> list[int]:
        """The selected ids, else the cursor row's id."""
        if self.state.selected:
            return sorted(self.state.selected)
        row = self.table.current
        return [row.id] if row else []

    def do(self, op: Op, keep_id: int | None = None, message: str | None = None) -> bool:
        """Apply an op through the session; errors are shown, not raised."""
        try:
            self.session.apply(op)
        except (CuratorError, ValueError) as exc:
            self.notify(str(getattr(exc, "reason", exc)), title="not done", severity="error")
            return False
        self.data_changed(keep_id)
        self.notify(message or describe(op), timeout=2)
        return True

    def _writable(self) -> bool:
        if not self._ready():
            return False
        if self.session.read_only:
            self.notify("this file is open read-only", severity="error")
            return False
        return True

    # -- editing ----------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        from curator.tui.screens.editor import EditorScreen  # here: the first screen opens no editor

        row = self.table.current
        if row is None or not self._writable():
            return
        data = self.session.dataset.get(row.id)
        meta = {"split": data["split"], "tags": list(data["tags"] or []), "note": data["note"]}
        before = {"text_input": data["text_input"] or "", "output": data["output"] or "", **meta}

        def apply(result: dict | None) -> None:
            if result is None:
                return
            ops = [SetField("edit", (row.id,), field, (value,)) for field, value in result.items()
                   if value != before[field]]
            if ops:
                self.do(ops[0] if len(ops) == 1 else Batch("edit", tuple(ops)), row.id)

        self.app.push_screen(EditorScreen(f"edit example #{row.id}", before["text_input"], before["output"],
                                          self.limits, meta), apply)

    def action_add(self) -> None:
        from curator.tui.screens.editor import EditorScreen

        if not self._writable():
            return
        splits = self.state.spec.filter.splits
        split = next(iter(splits)) if len(splits) == 1 else "train"

        def apply(result: dict | None) -> None:
            if result is None or not (result["text_input"] or result["output"]):
                return
            ds = self.session.dataset
            (new_id,) = ds.reserve_ids(1)
            if self.do(AddRows("add", (ds.new_row(new_id, **result),)), new_id):
                self.go_to_example(new_id)

        self.app.push_screen(EditorScreen("new example", "", "", self.limits,
                                          {"split": split, "tags": [], "note": None}), apply)

    def action_duplicate(self) -> None:
        ids = self.targets()
        if not ids or not self._writable():
            return
        ds = self.session.dataset
        new_ids = ds.reserve_ids(len(ids))
        rows = []
        for old, new in zip(ids, new_ids):
            src = ds.get(old)
            rows.append(ds.new_row(new, text_input=src["text_input"], output=src["output"], system=src["system"],
                                   split=src["split"], tags=list(src["tags"] or []), note=src["note"]))
        if self.do(AddRows("duplicate", tuple(rows)), new_ids[0], f"duplicated {len(rows)} example(s)"):
            self.go_to_example(new_ids[0])

    def action_delete(self) -> None:
        ids = self.targets()
        if not ids or not self._writable():
            return
        deleted = self.session.dataset.frame.filter(self.session.dataset.frame["id"].is_in(ids))["deleted"]
        undelete = bool(deleted.all())
        op = SetField.broadcast("delete", ids, "deleted", not undelete)
        if self.do(op, message=None if undelete else f"{describe(op)} (gone when saved)") and not self.state.selected:
            self.table.move_to(self.table.cursor + 1)

    def action_move_split(self) -> None:
        ids = self.targets()
        if not ids or not self._writable():
            return

        def apply(split: str | None) -> None:
            if split:
                self.do(SetField.broadcast("move-split", ids, "split", split))

        self.app.push_screen(ChoicePrompt(f"Move {len(ids)} example(s) to", [(s, s) for s in SPLITS]), apply)

    def action_tag(self) -> None:
        ids = self.targets()
        if not ids or not self._writable():
            return

        def apply(tag: str | None) -> None:
            tag = (tag or "").strip()
            if not tag:
                return
            current = self._tags_of(ids)
            changed = [(i, tags + [tag]) for i, tags in zip(ids, current) if tag not in tags]
            if changed:
                self.do(SetField("tag", tuple(i for i, _ in changed), "tags", tuple(t for _, t in changed)),
                        message=f"tagged {len(changed)} with {tag!r}")

        known = ", ".join(self.state.tags()[:8])
        self.app.push_screen(TextPrompt(f"Tag {len(ids)} example(s)", f"known tags: {known}" if known else ""), apply)

    def action_untag(self) -> None:
        ids = self.targets()
        if not ids or not self._writable():
            return
        current = self._tags_of(ids)
        present = sorted({t for tags in current for t in tags})
        if not present:
            self.notify("no tags to remove", severity="warning")
            return

        def apply(tag: str | None) -> None:
            if not tag:
                return
            changed = [(i, [t for t in tags if t != tag]) for i, tags in zip(ids, current) if tag in tags]
            self.do(SetField("untag", tuple(i for i, _ in changed), "tags", tuple(t for _, t in changed)),
                    message=f"removed {tag!r} from {len(changed)}")

        self.app.push_screen(ChoicePrompt("Remove which tag?", [(t, t) for t in present]), apply)

    def _tags_of(self, ids: list[int]) -> list[list[str]]:
        ds = self.session.dataset
        return [list(t or []) for t in ds.frame["tags"].gather(ds.positions(ids)).to_list()]

    def action_undo(self) -> None:
        op = self.session.undo()
        if op is None:
            self.notify("nothing to undo", severity="warning", timeout=2)
            return
        self.data_changed()
        self.notify(f"undid: {describe(op)}", timeout=2)

    def action_redo(self) -> None:
        op = self.session.redo()
        if op is None:
            self.notify("nothing to redo", severity="warning", timeout=2)
            return
        self.data_changed()
        self.notify(f"redid: {describe(op)}", timeout=2)

    # -- saving ----------------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self._writable():
            self.save_to(None)

    def action_save_as(self) -> None:
        if not self._writable():
            return

        def apply(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            if not target.is_absolute():
                target = self.session.path.parent / target
            try:
                fmt = format_for_extension(target)
            except CuratorError as exc:
                self.notify(exc.reason, title="save as", severity="error")
                return
            same = fmt == self.session.format  # the same format keeps the file's columns (a system column...)
            lost = lossy_fields(self.session.dataset.records(), fmt, self.session.options if same else None)
            if lost:
                def confirm(answer: str | None) -> None:
                    if answer == "save":
                        self.save_to(target, fmt, allow_lossy=True)

                self.app.push_screen(AskScreen("Save as " + target.name, f"{fmt} cannot hold {', '.join(lost)}; "
                                               "those fields will be dropped from the new file.",
                                               [("save", "Save anyway"), ("cancel", "Cancel")], "cancel"), confirm)
            else:
                self.save_to(target, fmt)

        self.app.push_screen(TextPrompt("Save as", "the extension picks the format: .jsonl .json .csv .tsv .parquet",
                                        str(self.session.path)), apply)

    def save_to(self, path: Path | None, fmt: str | None = None, *, allow_lossy: bool = False,
                then_quit: bool = False, force: bool = False) -> None:
        """Save in a worker; the screen shows ``saving…`` and edits wait until it is done."""
        self.progress_text = "saving…"
        self.refresh_all(detail=False)
        self._saving = True
        self.app.push_screen(BusyScreen("saving…"))
        self._save_worker(path, fmt, allow_lossy, then_quit, force)

    @work(thread=True, exclusive=True, group="save")
    def _save_worker(self, path, fmt, allow_lossy, then_quit, force) -> None:
        changed = None
        try:
            written = self.session.save(path, fmt, allow_lossy=allow_lossy, force=force)
            error = None
        except ChangedOnDisk as exc:
            written, error, changed = None, None, exc
        except (CuratorError, OSError) as exc:
            written, error = None, str(getattr(exc, "reason", exc))
        self.app.call_from_thread(self._saved, written, error, then_quit)
        if changed is not None:
            self.app.call_from_thread(self._ask_changed_on_disk, changed, (path, fmt, allow_lossy, then_quit))

    def _ask_changed_on_disk(self, error: ChangedOnDisk, save: tuple) -> None:
        """Something else changed the file since it was read: overwrite it, save as, reload it, or cancel (vim's
        question)."""
        path, fmt, allow_lossy, then_quit = save
        changes = len(self.session.history.labels())

        def answer(choice: str | None) -> None:
            if choice == "overwrite":
                self.save_to(path, fmt, allow_lossy=allow_lossy, then_quit=then_quit, force=True)
            elif choice == "save-as":
                self.action_save_as()
            elif choice == "reload":
                self.app.reload_from_disk()

        self.app.push_screen(AskScreen(
            "Changed on disk", f"Another program changed {self.session.path.name} after curator read it "
            f"({error.detail}).\nOverwrite it with your version, save yours as another file, or reload it from "
            f"disk and lose your {changes} unsaved change(s)?",
            [("overwrite", "Overwrite"), ("save-as", "Save as…"), ("reload", "Reload from disk"), ("cancel", "Cancel")],
            "cancel"), answer)

    def held_while_saving(self, handler: Callable[[Message], None], message: Message) -> bool:
        """True when ``message`` must wait for the save under way: the save drops the deleted examples from the
        dataset while the view still lists them, so a worker's result that redraws rows is handled after it."""
        if self._saving:
            self._after_save.append(partial(handler, message))
        return self._saving

    def _saved(self, written: Path | None, error: str | None, then_quit: bool) -> None:
        self.app.pop_screen()
        self.progress_text = ""
        self._saving = False
        if error:
            self.notify(error, title="not saved", severity="error", timeout=8)
        elif written is not None:
            self.changed_on_disk = None
            if self.state.selected:  # deleted examples are gone for good (a set of 1M ids costs ~0.1 s)
                self.state.selected &= set(self.session.dataset.frame["id"].to_list())
            self.data_changed()
            self.notify(f"saved {written.name}", timeout=2)
            self.app.remember_file(written)
            if then_quit:
                self.app.exit()
        held, self._after_save = self._after_save, []
        for handle in held:
            handle()
        self.refresh_all()

    def action_split_dataset(self) -> None:
        if not self._writable():
            return
        from curator.tui.screens.split import SplitScreen

        def apply(result) -> None:
            if result is not None:
                self.do(result, message="split applied (undo with ctrl+z)")

        self.app.push_screen(SplitScreen(self.session, self.settings), apply)
