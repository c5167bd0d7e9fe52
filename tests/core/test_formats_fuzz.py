"""Random and mutated files fed to every reader: the only exception that may escape is CuratorError,
and every problem it carries is located (a line number), unless it concerns the whole file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curator.core.errors import CuratorError
from curator.core.formats.base import FormatOptions
from curator.core.formats.registry import FORMATS

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"
SEEDS = [p.read_bytes() for p in sorted(FIXTURES.iterdir()) if p.suffix != ".parquet"]
WHOLE_FILE = ("empty file", "file holds only whitespace", "no rows", "not a readable Parquet file", "... and")


def feed_everywhere(data: bytes) -> None:
    for fmt in FORMATS.values():
        for options in (FormatOptions(), FormatOptions("2", "1", header=False)):
            try:
                fmt.read(data, "fuzz", options, allow_skipped=False)
            except CuratorError as e:
                for p in e.problems:
                    assert p.path == "fuzz"
                    assert p.line is not None or p.reason.startswith(WHOLE_FILE), str(p)


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "swap-type"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = draw(st.sampled_from([b"{", b"]", b'"', b",", b"\n", b"\xff\xfe", b"null", b"\t", b"[[", b"1e999"]))
        elif kind == "delete" and data:
            del data[pos : pos + draw(st.integers(1, 8))]
        elif kind == "swap-type":
            data = bytearray(bytes(data).replace(b'"ok"', draw(st.sampled_from([b"3", b"null", b"[]", b"{}", b"true"]))))
    return bytes(data)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_raise_only_located_curator_errors(data):
    feed_everywhere(data)


@settings(max_examples=100)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_located_curator_errors(data):
    feed_everywhere(data)


@settings(max_examples=100)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5), lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8))
def test_arbitrary_json_values_raise_only_located_curator_errors(value):
    import json

    feed_everywhere(json.dumps(value).encode())
    feed_everywhere(("[" + json.dumps(value) + "]").encode())
