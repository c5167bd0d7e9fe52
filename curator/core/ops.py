"""Operations: every change to a dataset is one of these, so it can be undone, redone and journalled.

An op is plain data. ``Dataset.apply(op)`` performs it and returns its inverse. Each op carries the
``label`` of the user action that made it (the name in ``curator.core.actions``), which the undo log shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True, slots=True)
class SetField:
    """Set ``field`` of each example in ``ids`` to the matching entry of ``values``."""

    label: str
    ids: tuple[int, ...]
    field: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.ids) != len(self.values):
            raise ValueError("SetField needs one value per id")

    @classmethod
    def broadcast(cls, label: str, ids: tuple[int, ...] | list[int], field: str, value: Any) -> SetField:
        """The same value for every id."""
        ids = tuple(ids)
        return cls(label, ids, field, (value,) * len(ids))


@dataclass(frozen=True)
class AddRows:
    """Add examples; each row is a dict with an ``id`` (reserved from the dataset) and record fields."""

    label: str
    rows: tuple[dict, ...]


@dataclass(frozen=True)
class RemoveRows:
    """Remove examples for good (the inverse of AddRows; user deletions use SetField on ``deleted``)."""

    label: str
    ids: tuple[int, ...]


@dataclass(frozen=True)
class Batch:
    """Several ops applied as one user action (one undo step)."""

    label: str
    ops: tuple[Op, ...]


Op = Union[SetField, AddRows, RemoveRows, Batch]

_KINDS = {"set": SetField, "add": AddRows, "remove": RemoveRows, "batch": Batch}


def op_to_json(op: Op) -> str:
    """Serialise an op for the journal."""
    return json.dumps(_to_obj(op), ensure_ascii=False, separators=(",", ":"))


def op_from_json(text: str) -> Op:
    """Read an op written by ``op_to_json``."""
    return _from_obj(json.loads(text))


def _to_obj(op: Op) -> dict:
    if isinstance(op, SetField):
        return {"k": "set", "label": op.label, "ids": list(op.ids), "field": op.field, "values": list(op.values)}
    if isinstance(op, AddRows):
        return {"k": "add", "label": op.label, "rows": list(op.rows)}
    if isinstance(op, RemoveRows):
        return {"k": "remove", "label": op.label, "ids": list(op.ids)}
    if isinstance(op, Batch):
        return {"k": "batch", "label": op.label, "ops": [_to_obj(o) for o in op.ops]}
    raise TypeError(f"not an op: {op!r}")


def _from_obj(obj: dict) -> Op:
    kind = obj["k"]
    if kind == "set":
        return SetField(obj["label"], tuple(obj["ids"]), obj["field"], tuple(obj["values"]))
    if kind == "add":
        return AddRows(obj["label"], tuple(obj["rows"]))
    if kind == "remove":
        return RemoveRows(obj["label"], tuple(obj["ids"]))
    if kind == "batch":
        return Batch(obj["label"], tuple(_from_obj(o) for o in obj["ops"]))
    raise ValueError(f"unknown op kind {kind!r}")


def op_size(op: Op) -> int:
    """How many examples an op touches (for messages like 'deleted 12 examples')."""
    if isinstance(op, SetField) or isinstance(op, RemoveRows):
        return len(op.ids)
    if isinstance(op, AddRows):
        return len(op.rows)
    return sum(op_size(o) for o in op.ops)


_FIELD_WORDS = {"text_input": "the input", "output": "the output", "tags": "the tags", "note": "the note"}


def describe(op: Op) -> str:
    """What an op did, in the user's words: 'moved 3 examples to test', 'deleted example #12'."""
    if isinstance(op, Batch):
        sets = [o for o in op.ops if isinstance(o, SetField)]
        if sets and len(sets) == len(op.ops):
            if len({o.field for o in sets}) == 1:  # one field of several examples: say it as one change
                return describe(SetField(op.label, sum((o.ids for o in sets), ()), sets[0].field,
                                         sum((o.values for o in sets), ())))
            if len({o.ids for o in sets}) == 1:  # several fields of the same examples: one edit
                return f"edited {_examples(sets[0].ids)}"
        return f"{len(op.ops)} changes to {_count(op_size(op))}"
    if isinstance(op, AddRows):
        return f"added {_examples(tuple(r.get('id') for r in op.rows))}"
    if isinstance(op, RemoveRows):
        return f"removed {_examples(op.ids)}"
    values = set(op.values) if all(isinstance(v, (str, int, float, bool, type(None))) for v in op.values) else None
    if op.field == "deleted" and values is not None and len(values) == 1:
        return f"{'deleted' if op.values[0] else 'restored'} {_examples(op.ids)}"
    if op.field == "split" and values is not None:
        if len(values) == 1:
            return f"moved {_examples(op.ids)} to {op.values[0]}"
        return f"split {_count(len(op.ids))} into {' / '.join(sorted(str(v) for v in values))}"
    return f"changed {_FIELD_WORDS.get(op.field, op.field)} of {_examples(op.ids)}"


def _count(n: int) -> str:
    return f"{n:,} example{'' if n == 1 else 's'}"


def _examples(ids: tuple) -> str:
    return f"example #{ids[0]}" if len(ids) == 1 else _count(len(ids))
