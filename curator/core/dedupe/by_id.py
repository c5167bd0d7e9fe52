"""Values of examples looked up by id, many at once: a dict of a million ids costs a cache miss or more per
lookup (at 1M templated examples, 1.5M clustered members: a second a pass), an array lookup a few nanoseconds."""

from __future__ import annotations

import numpy as np

DENSE_SLACK = 4  # ids up to this many times their count (plus DENSE_FROM) are found through a dense index
DENSE_FROM = 1 << 20


class ByID:
    """``values[k]`` (an array: items or rows) belongs to example ``ids[k]`` (unique ids). ``take(ids)``: the
    values of many ids at once (KeyError for an unknown id); ``by_id[i]``: one id's value."""

    def __init__(self, ids, values) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.values = values if isinstance(values, np.ndarray) else _objects(values)
        if len(self.values) != len(self.ids):
            raise ValueError("ids and values must have the same length")
        top = int(self.ids.max()) if len(self.ids) else -1
        self._dense = None
        if not len(self.ids) or (int(self.ids.min()) >= 0 and top < DENSE_SLACK * len(self.ids) + DENSE_FROM):
            self._dense = np.full(top + 1, -1, dtype=np.int64)
            self._dense[self.ids] = np.arange(len(self.ids))
        else:
            self._sorter = np.argsort(self.ids, kind="stable")

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Where each of ``ids`` is in ``values``."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._dense is not None:
            inside = (ids >= 0) & (ids < len(self._dense))
            at = np.full(len(ids), -1, dtype=np.int64)
            at[inside] = self._dense[ids[inside]]
        else:
            found = np.minimum(np.searchsorted(self.ids, ids, sorter=self._sorter), len(self.ids) - 1)
            at = self._sorter[found]
            at[self.ids[at] != ids] = -1
        if (at < 0).any():
            raise KeyError(int(ids[np.flatnonzero(at < 0)[0]]))
        return at

    def take(self, ids: np.ndarray) -> np.ndarray:
        return self.values[self.positions(ids)]

    def __getitem__(self, example_id: int):
        (value,) = self.take(np.asarray([example_id]))
        return value

    def __len__(self) -> int:
        return len(self.ids)


def _objects(values) -> np.ndarray:
    """A list of strings (or other scalars) as an array of those objects (not fixed-width text)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
