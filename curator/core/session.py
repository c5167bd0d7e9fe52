"""Session: one open dataset file, with its lock, workspace, journal and undo history.

The TUI and the CLI both open files through it. Changes go through ``apply`` (journalled at once);
the file itself changes only on ``save``, atomically.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from curator.core.dataset import Dataset
from curator.core.errors import CuratorError, Problem
from curator.core.model import RECORD_FIELDS
from curator.core.formats.base import FormatOptions, ReadResult
from curator.core.formats.registry import format_for_extension, read_file, write_file
from curator.core.formats.source import Source
from curator.core.history import History
from curator.core.progress import ProgressFn
from curator.core.settings import copy_dataset_settings, read_options
from curator.core.ops import Op
from curator.core.paths import real_path
from curator.core.storage.atomic import atomic_write, make_private_folder, remove_interrupted_saves
from curator.core.storage.journal import Journal, Pending
from curator.core.storage.lock import DatasetLock
from curator.core.storage.stamp import DiskWatch, FileStamp
from curator.core.storage.workspace import Workspace, workspace_dir


class Session:
    """An open dataset. Use ``Session.open``; close it (or use it as a context manager) to release the lock."""

    def __init__(
        self,
        path: Path,
        dataset: Dataset,
        fmt: str,
        options: FormatOptions,
        skipped: list[Problem],
        workspace: Workspace | None,
        lock: DatasetLock | None,
        journal: Journal | None,
        stamp: FileStamp | None = None,
        source: Source | None = None,
    ) -> None:
        self.path = path
        self.dataset = dataset
        self.format = fmt
        self.options = options
        self.skipped = skipped
        self.mapping: str | None = None  # which fields were mapped, said for people (None: the format's own)
        self.notices: list[str] = []  # what opening it did that people should know (settings moved, ...)
        self.workspace = workspace
        self._lock = lock
        self._journal = journal
        self._stamp = stamp  # the file as read (or last saved), to notice a change made by anything else
        self._watch = DiskWatch(stamp) if stamp is not None else None
        self._saving = False
        self.history = History(dataset, journal)
        self._pending = journal.pending() if journal else None
        # The bytes the file was read from (or last saved as), and the id of the example each record became.
        self._source = source
        self._source_ids = np.arange(len(dataset), dtype=np.int64)

    @classmethod
    def open(
        cls,
        path: str | Path,
        fmt: str | None = None,
        options: FormatOptions | None = None,
        *,
        read_only: bool = False,
        allow_skipped: bool = False,
        progress: ProgressFn | None = None,
        lock: DatasetLock | None = None,
    ) -> Session:
        """Open a dataset file. Read-only sessions take no lock and journal nothing (``curator check``).

        A writable session locks the file itself (whatever name, hard link or symlink it is opened by; ``lock``:
        taken already by the caller, and the session's from now on) and removes what saves of it killed
        half-way left beside it.
        """
        path = real_path(path)
        workspace = journal = None
        if read_only:
            lock = None
        else:
            if lock is None:
                lock = DatasetLock(path)
                lock.acquire()
            if lock.held:
                remove_interrupted_saves(path)
        try:
            result, stamp = _read(path, fmt, read_options(path, options), allow_skipped, stamp=not read_only,
                                  progress=progress)
            dataset = Dataset.from_records(result.records)
            if not read_only:
                folder = workspace_dir(path)
                make_private_folder(folder)
                workspace = Workspace(folder)
                journal = Journal(workspace, path, stamp.digest)
        except BaseException:
            if lock:
                lock.release()
            raise
        session = cls(path, dataset, result.format, result.options, result.skipped, workspace, lock, journal, stamp,
                      result.source)
        session.mapping = result.mapping
        session.notices = workspace.moved_settings if workspace is not None else []
        return session

    @property
    def source(self) -> Source | None:
        """The bytes of the file as read (or last saved) and where each record sits in them."""
        return self._source

    @classmethod
    def of_records(cls, path: str | Path, result: ReadResult) -> Session:
        """A read-only session over records read already (the first examples of a file still loading)."""
        return cls(Path(path).resolve(), Dataset.from_records(result.records), result.format, result.options,
                   result.skipped, None, None, None)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- editing ---------------------------------------------------------------------------------

    def apply(self, op: Op) -> None:
        """Apply an op (journalled before this returns)."""
        self._require_writable()
        self.history.do(op)

    def undo(self) -> Op | None:
        return self.history.undo()

    def redo(self) -> Op | None:
        return self.history.redo()

    @property
    def dirty(self) -> bool:
        """Unsaved changes exist."""
        return self.history.dirty

    @property
    def read_only(self) -> bool:
        return self._journal is None

    def _require_writable(self) -> None:
        if self.read_only:
            raise CuratorError("opened read-only; changes are not allowed", self.path)

    # -- recovery --------------------------------------------------------------------------------

    def recoverable(self) -> Pending | None:
        """Edits a crashed or killed session left unsaved for this file (``stale`` if the file changed since)."""
        return self._pending

    def recover(self) -> int:
        """Replay the journalled edits exactly as they were; returns how many ops were replayed."""
        pending = self._pending
        if pending is None:
            return 0
        if pending.stale:
            raise CuratorError(
                "the unsaved edits were made to an earlier version of this file, which has changed since; "
                "they cannot be applied (discard them to continue)",
                self.path,
            )
        assert self._journal is not None
        self._journal.reset()
        for op in pending.ops:
            self.history.do(op)
        self._pending = None
        return len(pending.ops)

    def discard_recovery(self) -> None:
        """Forget the journalled edits of a previous session."""
        if self._journal:
            self._journal.reset()
        self._pending = None

    # -- saving ----------------------------------------------------------------------------------

    def save(self, path: str | Path | None = None, fmt: str | None = None, *, allow_lossy: bool = False,
             force: bool = False) -> Path:
        """Write the examples (deleted ones dropped) atomically; "save as" when ``path`` is given.

        The format comes from ``fmt``, else from the new path's ending, else stays the file's own.
        After a save as, the session continues on the new file. Saving over the file when something else
        changed it since it was read raises ChangedOnDisk (checked once the new data is written, just before
        it takes the file's place), unless ``force``.
        """
        self._require_writable()
        target = real_path(path) if path is not None else self.path
        if target == self.path and self.skipped:
            raise CuratorError(
                f"{len(self.skipped)} lines of this file could not be loaded (e.g. line {self.skipped[0].line}: "
                f"{self.skipped[0].reason}); saving over it would drop them. Save to another file instead",
                self.path,
            )
        if fmt is None:
            fmt = self.format if target == self.path else format_for_extension(target)
        options = self.options if fmt == self.format else FormatOptions()
        records, ids = self._records_with_provenance()
        check = None if force or target != self.path else lambda: self._stamp.check_unchanged(target)
        self._saving = True
        try:
            return self._write(target, fmt, options, records, ids, check, allow_lossy)
        finally:
            self._saving = False

    def _write(self, target: Path, fmt: str, options: FormatOptions, records: pl.DataFrame, ids: np.ndarray,
               check, allow_lossy: bool) -> Path:
        # Saving as another file locks it first; the session moves to it only once it is written.
        lock = self._lock if target == self.path else DatasetLock(target)
        try:
            if lock is not self._lock:
                lock.acquire()
            with atomic_write(target, lock=lock, before_replace=check) as out:
                source = write_file(records, out, fmt, options, allow_lossy=allow_lossy, source=self._source)
            if target != self.path:
                copy_dataset_settings(self.path, target, columns=fmt == self.format)
                self._move_to(target, lock)
        except OSError as e:  # a read-only folder, a full disk: the file on disk is the one before the save
            if lock is not self._lock:
                lock.release()
            raise CuratorError(f"cannot save: {e.strerror or e}; the file on disk is unchanged", target) from None
        except BaseException:
            if lock is not self._lock:
                lock.release()
            raise
        self._source = source
        self._source_ids = ids
        self.format, self.options = fmt, options
        self.dataset.mark_saved()
        self.history.mark_clean()
        self._stamp = FileStamp.of(target)
        self._watch = DiskWatch(self._stamp)
        assert self._journal is not None
        self._journal.reset(self._stamp.digest)
        return target

    def disk_change(self) -> str | None:
        """What changed the file on disk since it was read or saved (``modified …`` or ``deleted or moved away``),
        said once per change; None when nothing new. Cheap enough to poll every few seconds (one stat; a hash
        only when the stat moved but not the size); our own saves are not changes."""
        watch = self._watch
        if watch is None or self._saving:
            return None
        detail = watch.poll(self.path)
        return None if self._saving or watch is not self._watch else detail

    def _records_with_provenance(self) -> tuple[pl.DataFrame, np.ndarray]:
        """What a writer writes, each record with its index in the source (``src``) and whether it was edited
        (``changed``), so untouched ones are copied byte for byte; and the ids of those records."""
        active = self.dataset.active()  # filtered once (0.25 s at 1M examples)
        ids = active["id"].to_numpy().astype(np.int64)
        known = self._source_ids
        pos = np.minimum(np.searchsorted(known, ids), max(len(known) - 1, 0))
        found = (known[pos] == ids) if len(known) else np.zeros(len(ids), dtype=bool)
        edited = np.fromiter(self.dataset.edited_ids(), dtype=np.int64)
        records = active.select(list(RECORD_FIELDS)).with_columns(
            pl.Series("src", np.where(found, pos, -1)).replace(-1, None),
            pl.Series("changed", np.isin(ids, edited)),
        )
        return records, ids

    def _move_to(self, target: Path, lock: DatasetLock) -> None:
        """Continue on the file just saved as ``target`` (its ``lock`` held): its workspace and journal."""
        folder = workspace_dir(target)
        make_private_folder(folder)
        workspace = Workspace(folder) if folder != (self.workspace.folder if self.workspace else None) else self.workspace
        if workspace is not self.workspace and self.workspace is not None:
            from curator.core.dedupe.store import copy_marks

            copy_marks(self.workspace, workspace)  # "not a duplicate" marks go with the data
        if self._lock:
            self._lock.release()
        if self._journal:
            self._journal.reset()
        self._lock = lock
        self.workspace = workspace
        self._journal = Journal(self.workspace, target, "")
        self.history.listener = self._journal
        self.path = target
        self.skipped = []

    def close(self) -> None:
        """Release the lock. Unsaved edits stay in the journal and are offered at the next open."""
        if self._lock:
            self._lock.release()
            self._lock = None
        if self.workspace:
            self.workspace.close()
            self.workspace = None


def _read(path: Path, fmt: str | None, options: FormatOptions | None, allow_skipped: bool, *, stamp: bool,
          progress: ProgressFn | None = None):
    """Read the file and (with ``stamp``) stamp the bytes read: read again if it changed meanwhile (a writer was
    at work). Without ``stamp`` (read-only sessions, which never save) the file is read once."""
    if not stamp:  # known by its stat as it was before the read: a change during the read shows as a change
        try:
            taken = FileStamp.of(path, digest=False)
        except OSError:
            taken = None  # read_file says what is wrong
        return read_file(path, fmt, options, allow_skipped=allow_skipped, progress=progress), taken
    for _ in range(3):
        try:
            before = os.stat(path)
        except OSError:
            before = None  # read_file says what is wrong
        result = read_file(path, fmt, options, allow_skipped=allow_skipped, progress=progress, digest=True)
        taken = FileStamp.of(path, digest=False)
        if before is None or taken.same_stat(before):  # unchanged since before the read: the bytes read are its
            return result, replace(taken, digest=result.digest)
    raise CuratorError("kept changing while it was being read; open it again once the program writing it is done",
                       path)
