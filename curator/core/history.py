"""Undo and redo over a Dataset's operations, with an optional listener (the journal) told of each step."""

from __future__ import annotations

from typing import Protocol

from curator.core.dataset import Dataset
from curator.core.ops import Op


class HistoryListener(Protocol):
    """Told of every step, so it can persist it (see ``curator.core.storage.journal``)."""

    def applied(self, op: Op) -> None: ...
    def undone(self) -> None: ...
    def redone(self) -> None: ...


class History:
    """The undo and redo stacks of one dataset. Every user change goes through ``do``."""

    def __init__(self, dataset: Dataset, listener: HistoryListener | None = None) -> None:
        self.dataset = dataset
        self.listener = listener
        self._undo: list[tuple[Op, Op]] = []  # (op, its inverse)
        self._redo: list[Op] = []

    def do(self, op: Op) -> None:
        """Apply a new op; it clears the redo stack."""
        inverse = self.dataset.apply(op)
        self._undo.append((op, inverse))
        self._redo.clear()
        if self.listener:
            self.listener.applied(op)

    def undo(self) -> Op | None:
        """Undo the last op; returns it, or None when there is nothing to undo."""
        if not self._undo:
            return None
        op, inverse = self._undo.pop()
        self.dataset.apply(inverse, undoing=True)
        self._redo.append(op)
        if self.listener:
            self.listener.undone()
        return op

    def redo(self) -> Op | None:
        """Redo the last undone op; returns it, or None when there is nothing to redo."""
        if not self._redo:
            return None
        op = self._redo.pop()
        inverse = self.dataset.apply(op)
        self._undo.append((op, inverse))
        if self.listener:
            self.listener.redone()
        return op

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def labels(self) -> list[str]:
        """The undo log, oldest first: one action name per step."""
        return [op.label for op, _ in self._undo]

    @property
    def dirty(self) -> bool:
        """Whether any op is applied since the last save."""
        return bool(self._undo)

    def mark_clean(self) -> None:
        """After a save: history is dropped (the saved file is the new base)."""
        self._undo.clear()
        self._redo.clear()
