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
    def pattern(self) -> str:
        alternatives = "|".join(f"(?:{layout.regex})" for layout in self.layouts)
        # the line's other keys: none, or a comma and a key after the last bracket
        return rf"^\{{{_WS}(?:{alternatives}){_WS}(?:,{_WS}\".*)?\}}$"

    def rewrite(self, part: bytes, starts: np.ndarray, ends: np.ndarray,
                filled: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray] | None:
        """``part`` (whole lines, spanned by ``starts``/``ends``) with every line of a layout rewritten flat and
        every other non-blank line as ``{}``, which lines those are (to decode one by one) and how many double
        quotes open or close a string in each line rewritten; None when a line cannot be rewritten in its own
        length."""
        lines = pl.read_lines(part)["line"]
        if lines.len() != len(starts):
            return None
        matched = lines.str.contains(self.pattern).to_numpy() & filled
        del lines
        buffer = np.frombuffer(part, dtype=np.uint8).copy()
        quotes = _delimiters(part, buffer)
        first = np.searchsorted(quotes, starts)
        count = np.searchsorted(quotes, ends) - first
        layout_of = np.full(len(starts), -1)
        for number, layout in enumerate(self.layouts):
            fits = matched & (layout_of < 0) & (count >= 2 * len(layout.strings))
            for k, allowed in layout.first_bytes():
                at = quotes[np.where(fits, first + 2 * k, 0)] + 1 if len(quotes) else np.zeros(len(fits), int)
                fits &= np.isin(buffer[np.minimum(at, len(buffer) - 1)], np.frombuffer(allowed, dtype=np.uint8))
            layout_of[fits] = number
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
        if not _blank(buffer, regions):
            return None
        return buffer.tobytes(), odd, counted


def _delimiters(part: bytes, buffer: np.ndarray) -> np.ndarray:
    """Where the double quotes that open or close a JSON string are (not those escaped inside one)."""
    at = np.flatnonzero(buffer == ord('"'))
    after = buffer[np.maximum(at - 1, 0)] == ord("\\")
    unsure = at[after & (buffer[np.maximum(at - 2, 0)] == ord("\\"))].tolist()  # after two backslashes or more
    delimiters = [q for q in unsure if _backslashes_before(part, q) % 2 == 0]
    return np.sort(np.concatenate([at[~after], np.array(delimiters, dtype=at.dtype)])) if delimiters else at[~after]


def _backslashes_before(part: bytes, at: int) -> int:
    k = at
    while k and part[k - 1] == 0x5C:
        k -= 1
    return at - k


def _blank(buffer: np.ndarray, regions: list[tuple[np.ndarray, np.ndarray, bytes]]) -> bool:
    """Spaces over every region, then its text at its start; False when a text does not fit its region."""
    for start, stop, text in regions:
        if not len(start):
            continue
        lengths = stop - start
        if (lengths < len(text)).any():
            return False
        ends = np.cumsum(lengths)
        buffer[np.repeat(start - ends + lengths, lengths) + np.arange(int(ends[-1]))] = ord(" ")
        if text:
            buffer[start[:, None] + np.arange(len(text))] = np.frombuffer(text, dtype=np.uint8)
    return True


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
    if fmt.endswith("-jsonl") and hasattr(chosen, "reading"):
        return _chat(chosen.key, chosen.role, chosen.text, chat_names(chosen.reading))
    return None
