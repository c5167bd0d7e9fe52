"""Dataset: the examples in memory, as a polars frame with a stable id per example.

The frame is kept sorted by id, so an id's row is found by binary search. Every change goes through
``apply(op)``, which returns the inverse op; undo/redo and the journal live in ``curator.core.history``.
Deleted examples stay in the frame, marked, until the file is saved.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from curator.core.model import EDITABLE_FIELDS, RECORD_FIELDS, SCHEMA, SPLITS
from curator.core.ops import AddRows, Batch, Op, RemoveRows, SetField

_DEFAULTS: dict[str, Any] = {
    "system": None,
    "split": "train",
    "tags": [],
    "note": None,
    "extra": None,
    "src_line": None,
    "deleted": False,
}


_HASH_CHUNK = 65_536


class Dataset:
    """Examples with stable ids, changed only through operations."""

    def __init__(self, frame: pl.DataFrame) -> None:
        missing = [c for c in SCHEMA if c not in frame.columns]
        if missing:
            raise ValueError(f"dataset frame lacks columns {missing}")
        self._changes = 0  # counts the frames this dataset held, so a digest is taken once per version
        self._hashed: tuple[int, str] | None = None
        self._frame = frame.select(list(SCHEMA)).cast(SCHEMA).sort("id")
        self._next_id = int(self._frame["id"].max()) + 1 if self._frame.height else 0
        self._saved_next_id = self._next_id
        self._edits: Counter[int] = Counter()

    @classmethod
    def from_records(cls, records: pl.DataFrame) -> Dataset:
        """A dataset from a reader's frame (``RECORD_FIELDS``); ids follow the record order."""
        frame = records.with_columns(
            pl.int_range(0, records.height, dtype=pl.Int64).alias("id"),
            pl.lit(False).alias("deleted"),
        )
        return cls(frame)

    @property
    def _frame(self) -> pl.DataFrame:
        return self._current

    @_frame.setter
    def _frame(self, frame: pl.DataFrame) -> None:
        self._current = frame
        self._changes += 1

    # -- reading -------------------------------------------------------------------------------------

    @property
    def frame(self) -> pl.DataFrame:
        """Every example, deleted ones included, sorted by id. Treat it as read-only."""
        return self._frame

    def __len__(self) -> int:
        return self._frame.height

    @property
    def ids(self) -> pl.Series:
        return self._frame["id"]

    def active(self) -> pl.DataFrame:
        """The examples not marked deleted."""
        return self._frame.filter(~pl.col("deleted"))

    def records(self) -> pl.DataFrame:
        """What a writer writes: the examples not marked deleted, with the reader columns."""
        return self.active().select(list(RECORD_FIELDS))

    def positions(self, ids: Iterable[int]) -> np.ndarray:
        """Row positions of ``ids`` in the frame; raises KeyError for an unknown id."""
        wanted = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        all_ids = self._frame["id"].to_numpy()
        pos = np.searchsorted(all_ids, wanted)
        found = pos < len(all_ids)
        found[found] = all_ids[pos[found]] == wanted[found]
        if not found.all():
            raise KeyError(f"no example with id {int(wanted[~found][0])}")
        return pos

    def __contains__(self, example_id: int) -> bool:
        try:
            self.positions([example_id])
        except KeyError:
            return False
        return True

    def get(self, example_id: int) -> dict[str, Any]:
        """One example as a dict of its fields."""
        (pos,) = self.positions([example_id])
        return self._frame.row(int(pos), named=True)

    def view(
        self,
        where: pl.Expr | None = None,
        sort_by: str | pl.Expr | None = None,
        descending: bool = False,
    ) -> pl.Series:
        """Ids of the examples matching ``where``, in ``sort_by`` order (id order by default)."""
        lf = self._frame.lazy()
        if where is not None:
            lf = lf.filter(where)
        if sort_by is not None:
            lf = lf.sort([sort_by, "id"], descending=[descending, False])
        return lf.select("id").collect()["id"]

    # -- marks ---------------------------------------------------------------------------------------

    def is_edited(self, example_id: int) -> bool:
        """Changed (not added, not only deleted) since the last save."""
        return self._edits[example_id] > 0

    def is_added(self, example_id: int) -> bool:
        """Added since the last save."""
        return example_id >= self._saved_next_id

    def edited_ids(self) -> set[int]:
        return {i for i, n in self._edits.items() if n > 0}

    def mark_saved(self) -> None:
        """After a save: deleted rows are gone for good and nothing is edited or added any more."""
        self._frame = self._frame.filter(~pl.col("deleted"))
        self._edits.clear()
        self._saved_next_id = self._next_id

    # -- changing ------------------------------------------------------------------------------------

    def reserve_ids(self, n: int) -> list[int]:
        """Fresh ids for rows about to be added."""
        start = self._next_id
        self._next_id += n
        return list(range(start, start + n))

    def new_row(self, example_id: int, **fields: Any) -> dict[str, Any]:
        """A complete row dict for AddRows, with defaults for fields not given."""
        row = {"id": example_id, "text_input": "", "output": ""}
        for name, default in _DEFAULTS.items():
            row[name] = fields.get(name, default if not isinstance(default, list) else [])
        for name in ("text_input", "output"):
            if name in fields:
                row[name] = fields[name]
        unknown = set(fields) - set(row)
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        return row

    def apply(self, op: Op, *, undoing: bool = False) -> Op:
        """Perform ``op`` and return the op that undoes it.

        ``undoing`` says that ``op`` is itself an inverse being applied by undo, so the examples it
        touches count one edit fewer, not one more.
        """
        if isinstance(op, SetField):
            return self._set_field(op, -1 if undoing else 1)
        if isinstance(op, AddRows):
            return self._add_rows(op)
        if isinstance(op, RemoveRows):
            return self._remove_rows(op)
        if isinstance(op, Batch):
            inverses = [self.apply(o, undoing=undoing) for o in op.ops]
            return Batch(op.label, tuple(reversed(inverses)))
        raise TypeError(f"not an op: {op!r}")

    def _set_field(self, op: SetField, edit_delta: int) -> SetField:
        if op.field not in EDITABLE_FIELDS:
            raise ValueError(f"field {op.field!r} cannot be edited")
        if op.field == "split":
            bad = [v for v in op.values if v not in SPLITS]
            if bad:
                raise ValueError(f"unknown split {bad[0]!r}; use one of {', '.join(SPLITS)}")
        pos = self.positions(op.ids)
        column = self._frame[op.field]
        old = column.gather(pos).to_list()
        if op.field == "tags":
            # Series.scatter is not implemented for list columns: gather from the column extended by the
            # new values instead (a few ms at 100k rows).
            new_values = pl.Series(op.field, [list(v) for v in op.values], dtype=SCHEMA["tags"])
            index = np.arange(column.len(), dtype=np.int64)
            index[pos] = column.len() + np.arange(len(pos))
            new_col = pl.concat([column, new_values]).gather(index)
        else:
            new_col = column.scatter(pos, pl.Series(list(op.values), dtype=SCHEMA[op.field]))
        self._frame = self._frame.with_columns(new_col)
        if op.field != "deleted":
            for i in op.ids:
                if not self.is_added(i):
                    self._edits[i] += edit_delta
        return SetField(op.label, op.ids, op.field, tuple(old))

    def _add_rows(self, op: AddRows) -> RemoveRows:
        if not op.rows:
            return RemoveRows(op.label, ())
        new = pl.DataFrame([dict(r) for r in op.rows], schema=SCHEMA)
        ids = new["id"].to_list()
        if len(set(ids)) != len(ids) or any(i in self for i in ids):
            raise ValueError("AddRows ids must be new")
        self._frame = pl.concat([self._frame, new]).sort("id")
        self._next_id = max(self._next_id, max(ids) + 1)
        return RemoveRows(op.label, tuple(ids))

    def _remove_rows(self, op: RemoveRows) -> AddRows:
        pos = self.positions(op.ids)
        removed = self._frame[pos.tolist()]
        keep = np.ones(self._frame.height, dtype=bool)
        keep[pos] = False
        self._frame = self._frame.filter(pl.Series(keep))
        return AddRows(op.label, tuple(removed.iter_rows(named=True)))

    # -- identity ------------------------------------------------------------------------------------

    def version_hash(self) -> str:
        """A digest of the active examples' content (not ids or marks), for caches keyed by dataset version.

        Stable across runs and library versions: each column contributes its null mask, the UTF-8 byte length
        of every value and the values' bytes, so no two different datasets share the digest by construction.
        """
        changes = self._changes  # read before the frame: a frame changed meanwhile leaves a digest never used
        if self._hashed is not None and self._hashed[0] == changes:
            return self._hashed[1]  # the scans' cache keys ask several times per version (0.5 s each at 1M)
        content = self.active()
        h = hashlib.sha256(str(content.height).encode())
        for name in ("text_input", "output", "system", "split"):
            column = content[name]
            h.update(column.is_null().to_numpy().tobytes())
            filled = column.fill_null("")
            h.update(filled.str.len_bytes().to_numpy().astype(np.int64).tobytes())
            for start in range(0, filled.len(), _HASH_CHUNK):  # in slices: one 380 MB string at 1M rows is slow
                h.update(filled.slice(start, _HASH_CHUNK).str.join("").item().encode())
        digest = h.hexdigest()[:16]
        self._hashed = (changes, digest)
        return digest
