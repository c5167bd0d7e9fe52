"""JSON decoded a piece at a time, so a long document never holds the interpreter lock for long.

``json.loads`` is C that keeps the interpreter lock until it returns: a 1M-example scan's JSON (130 MB) held it
about 3 s, and the interface, in another thread, could not answer a key meanwhile. ``loads`` walks objects itself
and hands ``json`` each array a piece of about ``PIECE`` characters at a time, cut where one element ends: an
array of numbers at a ``,``, of arrays at ``],[``, of objects at ``},{`` (the compact JSON the scans are written
in). A cut that does not fit (arrays in the arrays, objects in the objects, whitespace) leaves a piece that is not
JSON; that array is then decoded whole, as ``json.loads`` would. An element longer than a piece (a cluster
of 100k examples) is walked the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.decoder import WHITESPACE

PIECE = 1 << 18  # characters of JSON decoded in one call (about 5 ms)
_MARKS = {"[": ("],[", "]]"), "{": ("},{", "}]")}  # first character of an element: (between two, at the end)
_decoder = json.JSONDecoder()


def loads(text: str, convert: dict[str, Callable] | None = None):
    """``json.loads(text)``, decoded in pieces; ``convert[key]`` is applied to each element of an array that is
    the value of ``key`` in an object, a piece at a time (so the pieces' lists are freed a piece at a time)."""
    value, end = _value(text, _skip(text, 0), convert or {}, None)
    if _skip(text, end) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, i: int) -> int:
    return WHITESPACE.match(text, i).end()


def _value(text: str, i: int, convert: dict, key: str | None):
    first = text[i:i + 1]
    if first == "{":
        return _object(text, i, convert)
    if first == "[":
        return _array(text, i, convert.get(key))
    return _decoder.raw_decode(text, i)


def _object(text: str, i: int, convert: dict) -> tuple[dict, int]:
    out: dict = {}
    i = _skip(text, i + 1)
    if text[i:i + 1] == "}":
        return out, i + 1
    while True:
        key, i = _decoder.raw_decode(text, i)
        if not isinstance(key, str):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
        i = _skip(text, i)
        if text[i:i + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
        out[key], i = _value(text, _skip(text, i + 1), convert, key)
        done, i = _next(text, i, "}")
        if done:
            return out, i


def _next(text: str, i: int, close: str) -> tuple[bool, int]:
    """After an element: (True, the position past ``close``) at the end, else (False, the next element's start)."""
    i = _skip(text, i)
    if text[i:i + 1] == close:
        return True, i + 1
    if text[i:i + 1] != ",":
        raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
    return False, _skip(text, i + 1)


def _array(text: str, i: int, convert: Callable | None) -> tuple[list, int]:
    a = _skip(text, i + 1)
    first = text[a:a + 1]
    if first == "]":
        return [], a + 1
    if first not in _MARKS and first not in "-0123456789":  # strings, true/false/null: short arrays, decoded whole
        whole, end = _decoder.raw_decode(text, i)
        return (list(map(convert, whole)) if convert else whole), end
    between, close = _MARKS.get(first, (",", "]"))
    out: list = []
    try:
        while True:
            cut = _cut(text, a, between, close)
            if cut is None:  # an element longer than a piece: walked on its own, its arrays in pieces
                element, at = _value(text, a, {}, None)
                out.append(convert(element) if convert else element)
                done, a = _next(text, at, "]")
                if done:
                    return out, a
                continue
            end, at = cut
            last = at + (len(close) - 1 if end else len(between) // 2)
            piece = json.loads("[" + text[a:last] + "]")
            out.extend(map(convert, piece) if convert else piece)
            if end:
                return out, last + 1
            a = last + 1
    except json.JSONDecodeError:  # elements the cuts do not fit: the array at once
        whole, end = _decoder.raw_decode(text, i)
        return (list(map(convert, whole)) if convert else whole), end


def _cut(text: str, a: int, between: str, close: str) -> tuple[bool, int] | None:
    """(whether the array ends, where): the array's end when it is within a piece of ``a``, else the last
    place between two elements within it; None when the element at ``a`` is longer than a piece."""
    hi = a + PIECE
    end = text.find(close, a, hi)
    if end >= 0:
        return True, end
    at = text.rfind(between, a, hi)
    return (False, at) if at >= 0 else None
