"""Looking values up by example id, many at once."""

from __future__ import annotations

import numpy as np
import pytest

from curator.core.dedupe.by_id import ByID


@pytest.mark.parametrize("ids", [[5, 0, 9, 3], [10**12, 7, -4, 10**9]], ids=["dense", "sparse"])
def test_values_come_back_for_their_ids_and_unknown_ids_raise(ids):
    table = ByID(ids, ["a", None, "c", "d"])
    assert table.take(np.asarray(ids[::-1] + ids[:1])).tolist() == ["d", "c", None, "a", "a"]
    assert table[ids[2]] == "c"
    rows = ByID(ids, np.arange(8.0).reshape(4, 2))
    assert rows.take(np.asarray([ids[1]])).tolist() == [[2.0, 3.0]]
    for unknown in (1, 10**13, -1):
        with pytest.raises(KeyError):
            table.take(np.asarray([ids[0], unknown]))


def test_an_empty_table_knows_no_id():
    with pytest.raises(KeyError):
        ByID([], []).take(np.asarray([0]))
    assert ByID([], []).take(np.zeros(0, dtype=np.int64)).tolist() == []
