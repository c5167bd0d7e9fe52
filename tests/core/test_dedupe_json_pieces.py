"""JSON decoded in pieces (so a 1M scan's result never holds the interpreter lock for long) equals JSON decoded whole."""

from __future__ import annotations

import json

import pytest

import curator.core.dedupe.json_pieces as json_pieces
from curator.core.dataset import Dataset
from curator.core.dedupe.clusters import Cluster
from curator.core.dedupe.scan import DedupeScan, scan_dataset
from curator.core.model import records_frame
from tests.core.dedupe_corpus import corpus


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(json_pieces, "PIECE", 16)  # many cuts, elements longer than a piece among them


DOCUMENTS = [
    {"numbers": list(range(200)), "floats": [0.5, -1e-7, 100.0] * 30, "empty": [], "none": {}},
    {"rows": [[i, i + 1, 97.5] for i in range(100)] + [list(range(60))], "text": "a],[b}]c"},
    {"objects": [{"keeper": i, "members": [[i, 100.0], [i + 1, 91.2, i, 95.0]]} for i in range(50)]},
    {"strings": ["x],[y", "},{", "]", ","], "literals": [True, False, None], "nested": {"deep": [[[1], [2]], [[3]]]}},
    {"tricky": [{"s": "},{", "t": [1]}, {"s": "}]", "u": {"v": [2]}}] * 20, "rows": [["a],[b", 1]] * 20},
    [[1, 2], [3]] * 40,
    [1, 2, 3],
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_pieces_decode_as_json_does(small_pieces, document):
    compact = json.dumps(document, separators=(",", ":"))
    assert json_pieces.loads(compact) == document
    assert json_pieces.loads(json.dumps(document, indent=1)) == document  # whitespace: arrays decoded whole


def test_convert_applies_to_each_element_of_the_named_arrays(small_pieces):
    text = json.dumps({"rows": [[1, 2]] * 30, "other": [[3]] * 30, "inner": {"rows": [[4]] * 30}})
    out = json_pieces.loads(text, {"rows": tuple})
    assert out["rows"] == [(1, 2)] * 30 and out["inner"]["rows"] == [(4,)] * 30
    assert out["other"] == [[3]] * 30


@pytest.mark.parametrize("bad", ['{"a": [1, 2', '{"a": [1, 2]} x', '{"a" 1}', '[1,,2]', '{"a": [[1],[2]'])
def test_bad_json_is_refused_as_json_refuses_it(small_pieces, bad):
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    with pytest.raises(json.JSONDecodeError):
        json_pieces.loads(bad)


def test_a_scan_decoded_in_pieces_is_the_scan_decoded_whole(small_pieces):
    texts = corpus(seed=7, bases=80, variants=60) + [f"order {n} for table {n % 7} is ready to serve" for n in range(40)]
    scan = scan_dataset(Dataset.from_records(records_frame({"text_input": texts, "output": ["x"] * len(texts)})))
    assert len(scan.clusters) > 3 and scan.numeric and scan.matches.links
    text = scan.to_json()
    pieces = DedupeScan.from_json(text)
    whole = DedupeScan.from_dict(json.loads(text))
    assert pieces.to_dict() == whole.to_dict() == scan.to_dict()
    assert pieces == whole == scan
    assert all(isinstance(c, Cluster) for c in pieces.clusters + pieces.numeric)
    assert all(type(link) is tuple for link in pieces.matches.links)
    assert pieces.to_json() == text  # the text the cache keeps, as it came
