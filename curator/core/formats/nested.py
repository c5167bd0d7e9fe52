"""Chat and contents lines (OpenAI, ShareGPT, Vertex) rewritten in place as flat JSON lines, for the fast path.

polars reads nested JSON lines many times slower than flat ones (a 1M-example OpenAI file: 14 s of CPU and
5 GB against 1 s), so a line of a common layout is rewritten, bytes for bytes, as the flat object its example
makes: the structure around the texts becomes spaces and a key, the texts stay as written (escapes and all),
and the other keys of the line follow untouched::

    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], "split": "test"}
    {"__curator_in__":                         "Hi"  ,"__curator_out__":                 "Hello"  , "split": "test"}

Which lines have the layout is told by a regular expression over the whole line (keys, roles and punctuation in
order, each text a valid JSON string, the line's other keys after them); the texts are found from the line's
unescaped double quotes. A line of another layout (another key order, a message with more keys, several
turns) is left to the format's own decoder, line by line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import as_strided

SYSTEM, INPUT, OUTPUT = "__curator_sys__", "__curator_in__", "__curator_out__"
SYNTHETIC = (SYSTEM, INPUT, OUTPUT)
_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'  # what Python's json accepts as a string
_WS = r"[ \t]*"


@dataclass(frozen=True)
class Value:
    """A text of the example (SYSTEM, INPUT or OUTPUT) at this place of the layout."""

    key: str


@dataclass(frozen=True)
class Either:
    """A JSON string that is one of ``names`` (a role), or any string when ``names`` is empty."""

    names: tuple[str, ...] = ()


# A layout is a sequence of punctuation (one character), key names (str longer than one character), Either and
# Value: the start of a line up to the line's other keys.
Piece = str | Either | Value


@dataclass(frozen=True)
class Layout:
    pieces: tuple[Piece, ...]

    @property
    def strings(self) -> list[Piece]:
        """The JSON strings of the layout in order (keys, roles and texts)."""
        return [p for p in self.pieces if not (isinstance(p, str) and len(p) == 1)]

    @property
    def values(self) -> list[tuple[int, str]]:
        """(which string of the line, key) of each text."""
        return [(k, p.key) for k, p in enumerate(self.strings) if isinstance(p, Value)]

    @property
    def regex(self) -> str:
        parts = []
        for piece in self.pieces:
            if isinstance(piece, Value) or (isinstance(piece, Either) and not piece.names):
                parts.append(_STRING)
            elif isinstance(piece, Either):
                parts.append('"(?:' + "|".join(re.escape(n) for n in piece.names) + ')"')
            elif len(piece) == 1:
                parts.append(re.escape(piece))
            else:
                parts.append(re.escape(json.dumps(piece)))
        return _WS.join(parts)

    @cached_property
    def segments(self) -> tuple[list[tuple[int, tuple[bytes, ...]]], tuple[bytes, ...]]:
        """The bytes between the texts (and strings of any value) as json.dumps writes them, spaced or compact:
        (which string follows, the ways it is written) for each run up to such a string, and the ways the run
        after the last one is written (the line's other keys follow after a comma)."""
        runs: list[tuple[int, list[Piece]]] = []
        run: list[Piece] = []
        k = 0
        for piece in self.pieces:
            if isinstance(piece, Value) or (isinstance(piece, Either) and not piece.names):
                runs.append((k, run))
                run = []
            else:
                run.append(piece)
            k += not (isinstance(piece, str) and len(piece) == 1)
        return [(k, _written(run)) for k, run in runs], _written(run)

    def first_bytes(self) -> list[tuple[int, bytes]]:
        """(which string, the bytes one of which starts it) of each key and named role: what tells the layouts
        of one shape apart once a line is known to have one of them."""
        out = []
        for k, piece in enumerate(self.strings):
            if isinstance(piece, Either) and piece.names:
                out.append((k, bytes(sorted({n.encode()[0] for n in piece.names}))))
            elif isinstance(piece, str):
                out.append((k, piece.encode()[:1]))
        return out


@dataclass(frozen=True)
class Shape:
    """The layouts of a format's lines read in bulk, and the top-level keys they hold."""

    layouts: tuple[Layout, ...]
    keys: tuple[str, ...]

    @cached_property
    def telling(self) -> list[list[tuple[int, np.ndarray]]]:
        """The first bytes checked to tell which layout a line matching ``pattern`` has, for each layout: those
        every layout shares hold on every such line, and are left out."""
        checks = [layout.first_bytes() for layout in self.layouts]
        shared = set.intersection(*map(set, checks))
        return [[(k, np.frombuffer(allowed, dtype=np.uint8)) for k, allowed in c if (k, allowed) not in shared]
                for c in checks]

    @cached_property
    def pattern(self) -> str:
        alternatives = "|".join(f"(?:{layout.regex})" for layout in self.layouts)
        # the line's other keys: none, or a comma and a key after the last bracket
        return rf"^\{{{_WS}(?:{alternatives}){_WS}(?:,{_WS}\".*)?\}}$"

    def _as_written(self, buffer: np.ndarray, quotes: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                    first: np.ndarray, count: np.ndarray, filled: np.ndarray) -> np.ndarray:
        """The layout of each line written as json.dumps writes it (``Layout.segments``; -1 for the others),
        told without the regular expression: its punctuation, keys and roles compared in bulk; its texts are
        checked by polars as it reads them, its other strings hold no backslash, no line holds a control
        character."""
        layout_of = np.full(len(starts), -1)
        clean = filled & (ends > starts)
        control = np.flatnonzero(buffer < 0x20)
        control = control[buffer[control] != ord("\n")]
        if len(control):
            line = np.maximum(np.searchsorted(starts, control, side="right") - 1, 0)
            clean[line[control < ends[line]]] = False
        candidates = np.flatnonzero(clean)
        candidates = candidates[(buffer[starts[candidates]] == ord("{")) & (buffer[ends[candidates] - 1] == ord("}"))]
        for number, layout in enumerate(self.layouts):
            strings = 2 * len(layout.strings)
            rows = candidates[count[candidates] >= strings]
            q, lo = first[rows], starts[rows] + 1
            ok = np.ones(len(rows), dtype=bool)
            runs, tail = layout.segments
            for k, ways in runs:
                opening, closing = quotes[q + 2 * k], quotes[q + 2 * k + 1]
                ok &= _written_as(buffer, lo, opening, ways)
                if not isinstance(layout.strings[k], Value):
                    ok &= _plain(buffer, opening + 1, closing)
                lo = closing + 1
            more = count[rows] > strings
            ok[more] &= _written_as(buffer, lo[more], quotes[q[more] + strings], [t + c for t in tail
                                                                                  for c in (b", ", b",")])
            ok[~more] &= _written_as(buffer, lo[~more], ends[rows[~more]] - 1, tail)
            layout_of[rows[ok]] = number
            candidates = candidates[layout_of[candidates] < 0]
        return layout_of

    def rewrite(self, part: bytes, starts: np.ndarray, ends: np.ndarray,
                filled: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray] | None:
        """``part`` (whole lines, or a list's elements each on a line of its own, spanned by ``starts``/``ends``)
        with every line of a layout rewritten flat and
        every other non-blank line as ``{}``, which lines those are (to decode one by one) and how many double
        quotes open or close a string in each line rewritten; None when a line cannot be rewritten in its own
        length."""
        if b"__curator_" in part:
            return None  # a key of the flat objects in the file: the exact reader reads it
        source = np.frombuffer(part, dtype=np.uint8)
        quotes = delimiters(part, source)
        first = np.searchsorted(quotes, starts)
        count = np.searchsorted(quotes, ends) - first
        layout_of = self._as_written(source, quotes, starts, ends, first, count, filled)
        others = np.flatnonzero(filled & (layout_of < 0))
        if len(others):  # other spacing, control characters, other layouts: told by the regular expression
            lines = pl.Series([part[a:b] for a, b in zip(starts[others].tolist(), ends[others].tolist())],
                              dtype=pl.Binary).cast(pl.String)
            candidates = others[lines.str.contains(self.pattern).to_numpy()]
            del lines
            for number, (layout, checks) in enumerate(zip(self.layouts, self.telling)):
                rows = candidates[count[candidates] >= 2 * len(layout.strings)]
                for k, allowed in checks:
                    rows = rows[np.isin(source[quotes[first[rows] + 2 * k] + 1], allowed)]
                layout_of[rows] = number
                candidates = candidates[layout_of[candidates] < 0]
        buffer = source.copy()
        odd = (layout_of < 0) & filled
        counted = np.zeros(len(starts), dtype=np.int64)
        regions: list[tuple[np.ndarray, np.ndarray, bytes]] = []  # (from, to, what is written at from)
        for number, layout in enumerate(self.layouts):
            rows = np.flatnonzero(layout_of == number)
            if not len(rows):
                continue
            at, q = starts[rows] + 1, first[rows]
            for k, (string, key) in enumerate(layout.values):
                regions.append((at, quotes[q + 2 * string], (b"," if k else b"") + json.dumps(key).encode() + b":"))
                at = quotes[q + 2 * string + 1] + 1
            strings = 2 * len(layout.strings)
            rest = count[rows] > strings
            end = np.where(rest, quotes[np.minimum(q + strings, len(quotes) - 1)], ends[rows] - 1)
            regions += [(at[rest], end[rest], b","), (at[~rest], end[~rest], b"")]
            counted[rows] = count[rows] - strings + 4 * len(layout.values)
        rows = np.flatnonzero(odd)
        regions.append((starts[rows], ends[rows], b"{}"))
        if not blank(buffer, regions):
            return None
        return buffer.tobytes(), odd, counted


def _written(run: list[Piece]) -> tuple[bytes, ...]:
    """Every way json.dumps writes ``run`` (its roles by each of their names), with its default separators
    and with compact ones."""
    ways = [(b"", b"")]
    for piece in run:
        if isinstance(piece, Either):
            names = [json.dumps(n).encode() for n in piece.names]
            ways = [(a + n, b + n) for a, b in ways for n in names]
        elif len(piece) == 1:
            ways = [(a + {":": b": ", ",": b", "}.get(piece, piece.encode()), b + piece.encode()) for a, b in ways]
        else:
            ways = [(a + json.dumps(piece).encode(), b + json.dumps(piece).encode()) for a, b in ways]
    return tuple(dict.fromkeys(w for pair in ways for w in pair))


def _written_as(buffer: np.ndarray, lo: np.ndarray, hi: np.ndarray, ways) -> np.ndarray:
    """Whether the bytes from ``lo`` to ``hi`` are one of ``ways``, for each span."""
    length = hi - lo
    found = np.zeros(len(lo), dtype=bool)
    for way in ways:
        at = np.flatnonzero(length == len(way))
        if len(at):
            found[at] |= _windows(buffer, len(way))[lo[at]] == way
    return found


_PLAIN = 16  # a string of any value longer than this is left to the regular expression


def _plain(buffer: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether the bytes from ``lo`` to ``hi`` (at most ``_PLAIN``) hold no backslash, for each span."""
    window = _rows(buffer, _PLAIN)[np.minimum(lo, len(buffer) - _PLAIN)]
    inside = np.arange(_PLAIN) < (hi - lo)[:, None]
    return (hi - lo <= _PLAIN) & (lo <= len(buffer) - _PLAIN) & ~((window == ord("\\")) & inside).any(axis=1)


def delimiters(part: bytes, buffer: np.ndarray) -> np.ndarray:
    """Where the double quotes that open or close a JSON string are (not those escaped inside one)."""
    at = np.flatnonzero(buffer == ord('"'))
    after = buffer[at - 1] == ord("\\") if len(at) and at[0] else buffer[np.maximum(at - 1, 0)] == ord("\\")
    if not after.any():
        return at
    escaped = at[after]
    unsure = escaped[buffer[np.maximum(escaped - 2, 0)] == ord("\\")].tolist()  # after two backslashes or more
    delimiters = [q for q in unsure if _backslashes_before(part, q) % 2 == 0]
    return np.sort(np.concatenate([at[~after], np.array(delimiters, dtype=at.dtype)])) if delimiters else at[~after]


def _backslashes_before(part: bytes, at: int) -> int:
    k = at
    while k and part[k - 1] == 0x5C:
        k -= 1
    return at - k


def blank(buffer: np.ndarray, regions: list[tuple[np.ndarray, np.ndarray, bytes]]) -> bool:
    """Each region becomes its text followed by spaces; False when a text does not fit its region. Regions of
    a length many share (a layout's punctuation as json.dumps spaces it) are written a row of bytes at a time
    through a strided view; the others byte by byte."""
    for start, stop, text in regions:
        if not len(start):
            continue
        lengths = stop - start
        if (lengths < len(text)).any():
            return False
        sizes, counts = np.unique(lengths, return_counts=True)
        shared = sizes[counts >= _SHARED].tolist()
        for size in shared:
            if size:
                _windows(buffer, size, "V")[start[lengths == size]] = np.void(text.ljust(size))
        rest = ~np.isin(lengths, shared) if shared else np.ones(len(start), dtype=bool)
        if rest.any():
            start, lengths = start[rest], lengths[rest]
            ends = np.cumsum(lengths)
            buffer[np.repeat(start - ends + lengths, lengths) + np.arange(int(ends[-1]))] = ord(" ")
            if text:
                _rows(buffer, len(text))[start] = np.frombuffer(text, dtype=np.uint8)
    return True


_SHARED = 32  # regions of one length written through a strided view (below this, one by one costs less)


def _rows(buffer: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes from each position of ``buffer``, as rows of a (writable, overlapping) view."""
    return as_strided(buffer, shape=(len(buffer) - width + 1, width), strides=(1, 1))


def _windows(buffer: np.ndarray, width: int, kind: str = "S") -> np.ndarray:
    """The ``width`` bytes from each position of ``buffer`` as one element each of an overlapping view: bytes
    strings (``S``, compared in bulk; no way compared holds a NUL) or raw bytes (``V``, written in bulk). A
    gather of elements costs a fraction of one of rows."""
    dtype = np.dtype((np.void, width)) if kind == "V" else np.dtype(f"S{width}")
    return np.ndarray((len(buffer) - width + 1,), dtype=dtype, buffer=buffer, strides=(1,))


def _chat(key: str, role: str, text: str, names: dict[str, tuple[str, ...]]) -> Shape:
    def message(who: str, value: str) -> tuple[Piece, ...]:
        return ("{", role, ":", Either(names[who]), ",", text, ":", Value(value), "}")

    pair = (*message("user", INPUT), ",", *message("assistant", OUTPUT), "]")
    return Shape((Layout((key, ":", "[", *message("system", SYSTEM), ",", *pair)), Layout((key, ":", "[", *pair))),
                 (key,))


def _parts(value: str) -> tuple[Piece, ...]:
    return ("parts", ":", "[", "{", "text", ":", Value(value), "}", "]")


def _vertex() -> Shape:
    turn = lambda role, value: ("{", "role", ":", Either((role,)), ",", *_parts(value), "}")  # noqa: E731
    contents = ("contents", ":", "[", *turn("user", INPUT), ",", *turn("model", OUTPUT), "]")
    with_role = ("systemInstruction", ":", "{", "role", ":", Either(), ",", *_parts(SYSTEM), "}", ",")
    without_role = ("systemInstruction", ":", "{", *_parts(SYSTEM), "}", ",")
    return Shape((Layout(with_role + contents), Layout(without_role + contents), Layout(contents)),
                 ("contents", "systemInstruction"))


def chat_names(reading: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """The role names a chat format reads as each role (``{"user": ("human", "user"), ...}``)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, role in reading.items():
        out[role] = (*out.get(role, ()), name)
    return out


def shape_of(fmt: str) -> Shape | None:
    """The layouts read in bulk for a format's lines (None: a format of flat objects, or of lists)."""
    from curator.core.formats.registry import FORMATS

    if fmt == "vertex-jsonl":
        return _vertex()
    chosen = FORMATS.get(fmt)
    if fmt.endswith(("-jsonl", "-json")) and hasattr(chosen, "reading"):
        return _chat(chosen.key, chosen.role, chosen.text, chat_names(chosen.reading))
    return None
