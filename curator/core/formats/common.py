"""Pieces every format shares: decoding with exact error positions, JSON iteration with line numbers,
and a builder that turns parsed records into a records frame while collecting every problem."""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import polars as pl

from curator.core.errors import CuratorError, MoreProblems, Problem
from curator.core.model import SPLIT_NAMES, records_frame

# Keys curator stores in object formats beside the format's own keys, with their default values.
CURATOR_DEFAULTS: dict[str, Any] = {"split": "train", "tags": [], "note": None}
MAX_PROBLEMS = 200
SPLIT_CHOICES = "train, validation, test (or for validation: val, valid, dev, eval)"


class RecordError(Exception):
    """A record is unusable; ``key`` names the offending field when there is one."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


class Problems:
    """Collects problems for one file, capped at MAX_PROBLEMS (the rest are counted)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Problem] = []
        self.dropped = 0

    def add(self, line: int | None, column: int | None, reason: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(self.path, line, column, reason))
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise one CuratorError carrying every problem collected."""
        if not self.items:
            return
        items = sorted(self.items, key=lambda p: (p.line or 0, p.column or 0))  # in file order
        if self.dropped:
            items.append(MoreProblems.of(self.path, self.dropped))
        raise CuratorError.from_problems(items)


_TEXT = re.compile(rb"[^ \t\n\r\x0b\x0c]")  # what bytes.strip() keeps


def encoding_problem(data: bytes, path: str) -> None:
    """Raise when the bytes are plainly not UTF-8 text curator can read line by line: UTF-16 or UTF-32, a
    byte-order mark and nothing else, lines ending with a lone CR."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 3 and b"\x00" in data[:4] and data[:4] != b"PAR1"):
        wide = "UTF-32" if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) else "UTF-16"
        raise CuratorError(f"the file is {wide} text; curator reads UTF-8 (save it as UTF-8)", path, 1, 1)
    if data == b"\xef\xbb\xbf":
        raise CuratorError("empty file (only a byte-order mark)", path, 1, 1)
    first = data.find(b"\n")
    if first != -1 and _TEXT.search(data, 0, first) and _TEXT.search(data, first):
        return  # a line break between text: lines (no copy of a large file to find out)
    body = data.strip()
    if b"\r" in body and b"\n" not in body:
        column = len(data[: data.find(b"\r")].decode("utf-8", errors="replace")) + 1
        raise CuratorError("lines end with a lone CR (classic Mac); save the file with LF or CRLF line endings",
                           path, 1, column)


def decode_utf8(data: bytes, path: str) -> str:
    """Decode UTF-8 (a BOM is skipped); raise naming every line with invalid bytes and the byte column."""
    encoding_problem(data, path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems = Problems(path)
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.add(number, e.start + 1, f"not UTF-8: invalid byte 0x{raw[e.start]:02x}")
        problems.raise_if_any()
        raise AssertionError("unreachable: undecodable data without a bad line")  # pragma: no cover
    if not text.strip():
        raise CuratorError("empty file" if not text else "file holds only whitespace", path)
    return text


class LineIndex:
    """Maps character offsets in a text to 1-based line and column numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = find("\n", pos + 1)

    def line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def iter_json_lines(text: str, problems: Problems) -> Iterator[tuple[int, str, Any]]:
    """Yield (line number, line text, parsed value) for each non-blank line; bad JSON goes to ``problems``."""
    loads = DECODER.decode
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = loads(line)
            if "\\u" in line:
                check_unicode(value, line)
            yield number, line, value
        except json.JSONDecodeError as e:
            problems.add(number, e.colno, f"malformed JSON: {e.msg}")
        except BadValue as e:
            problems.add(number, e.column(line), e.reason)
        except RecursionError:
            problems.add(number, 1, "malformed JSON: nested too deeply")


class BadValue(ValueError):
    """Valid JSON syntax that curator cannot hold faithfully; ``token`` is the text to point at."""

    def __init__(self, reason: str, token: str) -> None:
        super().__init__(reason)
        self.reason, self.token = reason, token

    def column(self, text: str) -> int:
        found = text.find(self.token)
        return found + 1 if found != -1 else 1


def _constant(name: str) -> Any:
    raise BadValue(f"{name} is not valid JSON (use null or a string)", name)


def _float(text: str) -> float:
    value = float(text)
    if value in (math.inf, -math.inf):
        raise BadValue(f"the number {text[:24]} is too large to hold (it would be written back as Infinity)", text)
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadValue(f"an integer of {len(text.lstrip('-'))} digits is too long to hold", text[:40]) from None


# JSON as the readers accept it: NaN and Infinity (not JSON), numbers beyond a double's range and integers too
# long to convert are refused with their position, never turned into values that would be written back wrongly.
DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float, parse_int=_int)
_LONE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def check_unicode(value: Any, text: str) -> None:
    """Refuse a lone surrogate escape such as "\\ud800" (valid JSON syntax, not Unicode text)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        match = _LONE.search(text)
        token = match.group(0) if match else "\\u"
        raise BadValue(f"a lone surrogate escape {token} is not Unicode text", token) from None


_WS = " \t\n\r"


def iter_json_list(text: str, problems: Problems) -> Iterator[tuple[int, int, Any]]:
    """Yield (line, column, value) for each element of a top-level JSON list, parsing element by element
    so each keeps its line number. Malformed JSON stops the walk (nothing after it can be trusted)."""
    index = LineIndex(text)
    decoder = DECODER
    pos = skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "[":
        line, col = index.line_col(pos)
        found = "an object" if text[pos : pos + 1] == "{" else "something else"
        problems.add(line, col, f"expected a JSON list of examples at the top level, found {found}")
        return
    pos = skip_ws(text, pos + 1)
    if text.startswith("]", pos):
        _expect_end(text, pos + 1, index, problems)
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            line, col = index.line_col(e.pos)
            problems.add(line, col, f"malformed JSON: {e.msg}")
            return
        except RecursionError:
            line, col = index.line_col(pos)
            problems.add(line, col, "malformed JSON: nested too deeply")
            return
        except BadValue as e:
            line, col = index.line_col(pos + max(e.column(text[pos:]) - 1, 0))
            problems.add(line, col, e.reason)
            return
        line, col = index.line_col(pos)
        try:
            if "\\u" in text[pos:end]:
                check_unicode(value, text[pos:end])
        except BadValue as e:
            problems.add(line, col, e.reason)
        else:
            yield line, col, value
        pos = skip_ws(text, end)
        if text.startswith(",", pos):
            pos = skip_ws(text, pos + 1)
            continue
        if text.startswith("]", pos):
            _expect_end(text, pos + 1, index, problems)
            return
        line, col = index.line_col(pos)
        problems.add(line, col, "malformed JSON: expected ',' or ']' after a list element")
        return


def skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in _WS:
        pos += 1
    return pos


def _expect_end(text: str, pos: int, index: LineIndex, problems: Problems) -> None:
    pos = skip_ws(text, pos)
    if pos < len(text):
        line, col = index.line_col(pos)
        problems.add(line, col, "malformed JSON: extra data after the closing ']'")


def key_column(line_text: str | None, key: str | None, default: int) -> int:
    """The 1-based column of ``"key"`` in a JSONL line, for pointing at a bad field."""
    if line_text is not None and key is not None:
        found = line_text.find(json.dumps(key))
        if found != -1:
            return found + 1
    return default


def require_str(obj: dict, key: str, where: str = "") -> str:
    """obj[key] as a string, or a RecordError saying what is missing or of the wrong type."""
    if key not in obj:
        raise RecordError(f"missing field {where}{key!r}", key)
    value = obj[key]
    if not isinstance(value, str):
        raise RecordError(f"field {where}{key!r} must be a string, not {json_type(value)}", key)
    return value


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover


class RecordBuilder:
    """Accumulates records column by column; ``rest`` keys become curator fields or extras."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {
            k: [] for k in ("text_input", "output", "system", "split", "tags", "note", "extra", "src_line")
        }
        self.split_names: dict[str, str] = {}  # a split the file names otherwise ("dev"), with its first name

    def add(self, line: int, text_input: str, output: str, system: str | None, rest: dict[str, Any]) -> None:
        """Add one record; raises RecordError for a bad curator field (nothing is added then)."""
        split, tags, note = "train", [], None
        extra: dict[str, Any] = {}
        for key, value in rest.items():
            if key == "split":
                split = SPLIT_NAMES.get(value) if isinstance(value, str) else None
                if split is None:
                    raise RecordError(f"field 'split' must be one of {SPLIT_CHOICES}, not {value!r}", key)
                if value != split:
                    self.split_names.setdefault(split, value)
            elif key == "tags":
                if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                    raise RecordError("field 'tags' must be a list of strings", key)
                tags = value
            elif key == "note":
                if value is not None and not isinstance(value, str):
                    raise RecordError(f"field 'note' must be a string, not {json_type(value)}", key)
                note = value
            else:
                extra[key] = value
        c = self.columns
        c["text_input"].append(text_input)
        c["output"].append(output)
        c["system"].append(system)
        c["split"].append(split)
        c["tags"].append(tags)
        c["note"].append(note)
        c["extra"].append(json.dumps(extra, ensure_ascii=False) if extra else None)
        c["src_line"].append(line)

    def frame(self) -> pl.DataFrame:
        return records_frame(self.columns)


def curator_keys(row: dict[str, Any]) -> dict[str, Any]:
    """The curator fields of a row worth writing (only those differing from the defaults)."""
    out: dict[str, Any] = {}
    if row["split"] != "train":
        out["split"] = row["split"]
    if row["tags"]:
        out["tags"] = list(row["tags"])
    if row["note"] is not None:
        out["note"] = row["note"]
    return out


# Keys a format keeps in `extra` for itself (to write its own shape back exactly); other formats never write them.
PRIVATE_KEYS = frozenset({"__alpaca_input__", "__as_read__"})


def extras(row: dict[str, Any]) -> dict[str, Any]:
    """The unknown fields of a row, in their original order (without the formats' private keys)."""
    if not row["extra"]:
        return {}
    return {k: v for k, v in json.loads(row["extra"]).items() if k not in PRIVATE_KEYS}


def dumps(obj: Any) -> str:
    """Our canonical JSON for one record: UTF-8 text, default separators, key order as given."""
    return json.dumps(obj, ensure_ascii=False)


def source_object(original: bytes | None) -> Any:
    """The JSON value of a record's source bytes (None when there are none or they do not parse)."""
    if original is None:
        return None
    try:
        return json.loads(original)
    except (ValueError, RecursionError):
        return None


def patched(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` laid over the record it was read from: the source's key order, and its explicit curator fields
    kept even at their default value ("split": "train" stays) and in their own spelling, then any new keys."""
    out = {k: new[k] if k in new else CURATOR_DEFAULTS[k] for k in base if k in new or k in CURATOR_DEFAULTS}
    was = base.get("split")
    if isinstance(was, str) and "split" in out and SPLIT_NAMES.get(was) == SPLIT_NAMES.get(out["split"]):
        out["split"] = was  # the same split as the record's own name for it ("dev", "val")
    for key, value in new.items():
        out.setdefault(key, value)
    return out


def dumps_like(obj: Any, original: bytes | None) -> bytes:
    """JSON for an edited record in the style of its source bytes: ASCII escapes, compact separators and
    indentation when the source used them, else our canonical form."""
    if original is None:
        return dumps(obj).encode("utf-8")
    ascii_only = original.isascii() and b"\\u" in original
    compact = b'":' in original and b'": ' not in original
    separators = (",", ":") if compact else (", ", ": ")
    lines = original.split(b"\n")
    if len(lines) > 2:
        outer = len(lines[-1]) - len(lines[-1].lstrip(b" "))
        unit = len(lines[1]) - len(lines[1].lstrip(b" ")) - outer
        if unit > 0:
            text = json.dumps(obj, ensure_ascii=ascii_only, separators=(",", separators[1]), indent=unit)
            return text.replace("\n", "\n" + " " * outer).encode("utf-8")
    return json.dumps(obj, ensure_ascii=ascii_only, separators=separators).encode("utf-8")
