"""The bytes a file was read from, and where each record sits in them.

A reader returns a ``Source`` beside the records; a writer given it writes every untouched record back from
its source bytes (so explicit default fields, key order, escapes and number spelling survive) and serialises
only the records that changed or were added. Records say where they came from with two optional columns:

- ``src``: the record's index in the source (null for an added record);
- ``changed``: the record was edited since it was read (it is serialised, starting from its source object).

Runs of untouched records that are neighbours in the source are copied in one slice, gaps included, so a save
with k edits costs k + 1 copies whatever the file's size. A source read from a file need not hold its bytes:
``FileBytes`` reads them on demand from the file as it was read, and a save copies its runs file to file in the
kernel (``os.copy_file_range``), never through one big string.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

import errno
import io
import os
import stat

import numpy as np
import polars as pl

from curator.core.formats.base import FormatOptions

Spans = tuple[np.ndarray, np.ndarray]
BOM = b"\xef\xbb\xbf"


@dataclass
class Layout:
    """What goes before the first record, between two records and after the last, when a file has none to copy."""

    prefix: bytes
    sep: bytes
    suffix: bytes


LINES = Layout(b"", b"\n", b"\n")  # JSONL
LIST = Layout(b"[\n  ", b",\n  ", b"\n]\n")  # a JSON list, one element per line


class FileBytes:
    """The bytes of a file as it was read or written, read on demand (``[a:b]`` gives bytes) from a descriptor
    kept open: a file replaced since (by a save, an editor) still reads as it was. ``intact()`` says whether the
    file was changed in place since (then its bytes are no longer those read)."""

    def __init__(self, fd: int) -> None:
        st = os.fstat(fd)
        self.fd, self._stat = fd, (st.st_size, st.st_mtime_ns)

    def __len__(self) -> int:
        return self._stat[0]

    def __getitem__(self, key: slice) -> bytes:
        start, stop, _ = key.indices(len(self))
        return _pread(self.fd, start, max(stop - start, 0))

    def intact(self) -> bool:
        try:
            st = os.fstat(self.fd)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == self._stat

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()


def _pread(fd: int, start: int, length: int) -> bytes:
    parts, end = [], start + length
    while start < end:
        chunk = os.pread(fd, min(end - start, 1 << 26), start)
        if not chunk:
            raise OSError(errno.EIO, "the file is shorter than when it was read")
        parts.append(chunk)
        start += len(chunk)
    return b"".join(parts) if len(parts) != 1 else parts[0]


class Source:
    """A file's bytes with the byte span ``[start, end)`` of each record (computed on first use when
    ``locate`` is given instead of spans). ``data`` is bytes or ``FileBytes``. ``names`` are a table's column
    names; ``table`` is a Parquet file's own frame (its rows are copied as values, not bytes)."""

    def __init__(
        self,
        fmt: str,
        options: FormatOptions,
        data: bytes | FileBytes = b"",
        spans: Spans | None = None,
        locate: Callable[[bytes], Spans] | None = None,
        names: list[str] | None = None,
        table: pl.DataFrame | None = None,
    ) -> None:
        self.format, self.options, self.data = fmt, options, data
        self._spans, self._locate = spans, locate
        self.names, self.table = names, table

    def spans(self) -> Spans:
        if self._spans is None:
            assert self._locate is not None
            self._spans = self._locate(self.data)
        return self._spans

    def __len__(self) -> int:
        if self.table is not None:
            return self.table.height
        return len(self.spans()[0])

    def text(self, index: int) -> bytes:
        """The source bytes of one record."""
        starts, ends = self.spans()
        return self.data[int(starts[index]) : int(ends[index])]

    def layout(self, default: Layout) -> Layout:
        """The file's own prefix, separator and suffix (the default's where the file shows none)."""
        starts, ends = self.spans()
        if not len(starts):
            return default
        sep = self.data[int(ends[0]) : int(starts[1])] if len(starts) > 1 else default.sep
        return Layout(self.data[: int(starts[0])], sep, self.data[int(ends[-1]) :])

    def fits(self, fmt: str, options: FormatOptions) -> bool:
        """Whether a write in ``fmt`` with ``options`` can copy records from this source (not when its file was
        changed in place since it was read: its bytes are gone)."""
        intact = not isinstance(self.data, FileBytes) or self.data.intact()
        return fmt == self.format and options == self.options and intact

    def kept_in(self, fd: int) -> None:
        """Read the bytes from now on from ``fd`` (open on the file they were read from, unchanged) instead of
        holding them; only once the spans are known. Takes ``fd`` over (closes it when not used)."""
        if self._spans is None or self.table is not None or isinstance(self.data, FileBytes):
            os.close(fd)
            return
        self.data = FileBytes(fd)


def provenance(records: pl.DataFrame, source: Source | None) -> tuple[np.ndarray, np.ndarray]:
    """(source index or -1, changed) for each record, from the optional ``src`` / ``changed`` columns.

    Records without a ``src`` column are taken to be the source's own records, in order, unchanged."""
    n = records.height
    if source is None:
        src = np.full(n, -1, dtype=np.int64)
    elif "src" in records.columns:
        src = records["src"].fill_null(-1).to_numpy().astype(np.int64)
    else:
        src = np.arange(n, dtype=np.int64) if n == len(source) else np.full(n, -1, dtype=np.int64)
    changed = (
        records["changed"].fill_null(True).to_numpy().astype(bool)
        if "changed" in records.columns
        else np.zeros(n, dtype=bool)
    )
    return src, changed


def write_spliced(
    records: pl.DataFrame,
    out: BinaryIO,
    source: Source | None,
    default: Layout,
    serialise: Callable[[dict[str, Any], bytes | None], bytes],
    fmt: str,
    options: FormatOptions,
) -> Source:
    """Write records: untouched ones from ``source``, the rest through ``serialise(row, source bytes or None)``.

    Returns the source of the file written, so the next save can copy from it in turn.
    """
    src, changed = provenance(records, source)
    n = records.height
    copied = (src >= 0) & ~changed
    layout = source.layout(default) if source is not None else default
    starts, ends = source.spans() if source is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    data = source.data if source is not None else b""

    follows = np.zeros(n, dtype=bool)  # copied together with the record before it
    if n > 1:
        follows[1:] = copied[1:] & copied[:-1] & (src[1:] == src[:-1] + 1)
    piece_starts = np.flatnonzero(~follows)
    piece_ends = np.append(piece_starts[1:], n)

    serialised_rows = np.flatnonzero(~copied)
    rows = iter(records[serialised_rows.tolist()].iter_rows(named=True)) if len(serialised_rows) else iter(())

    new_starts = np.zeros(n, dtype=np.int64)
    new_ends = np.zeros(n, dtype=np.int64)
    pieces: list[bytes | range] = [layout.prefix]  # a range: those bytes of the source, copied as they are
    offset = len(layout.prefix)
    for k, (a, b) in enumerate(zip(piece_starts.tolist(), piece_ends.tolist())):
        if k:
            gap = layout.sep
            if src[a] >= 0 and src[a - 1] >= 0 and src[a] == src[a - 1] + 1:  # neighbours in the source
                gap = data[int(ends[src[a - 1]]) : int(starts[src[a]])]
            pieces.append(gap)
            offset += len(gap)
        if copied[a]:
            first, last = src[a], src[b - 1]
            base = int(starts[first])
            pieces.append(range(base, int(ends[last])))
            new_starts[a:b] = starts[src[a:b]] - base + offset
            new_ends[a:b] = ends[src[a:b]] - base + offset
            offset += int(ends[last]) - base
        else:
            original = data[int(starts[src[a]]) : int(ends[src[a]])] if src[a] >= 0 else None
            text = serialise(next(rows), original)
            pieces.append(text)
            new_starts[a], new_ends[a] = offset, offset + len(text)
            offset += len(text)
    if n:
        pieces.append(layout.suffix)
    written = _write_pieces(out, pieces, data)
    return Source(fmt, options, written, (new_starts, new_ends))


def _write_pieces(out: BinaryIO, pieces: list[bytes | range], data: bytes | FileBytes) -> bytes | FileBytes:
    """Write the pieces (a range is those bytes of ``data``) without joining them into one string; returns the
    bytes written, read on demand from ``out``'s file when it is one that can be read."""
    fd = _readable_fd(out)
    if fd is None:
        view = memoryview(data) if isinstance(data, bytes) else data
        written = b"".join(bytes(view[p.start : p.stop]) if isinstance(p, range) else p for p in pieces)
        out.write(written)
        return written
    out.flush()
    target = out.fileno()
    view = memoryview(data) if isinstance(data, bytes) else None
    for piece in pieces:
        if not isinstance(piece, range):
            _write_all(target, piece)
        elif view is not None:
            _write_all(target, view[piece.start : piece.stop])
        else:
            _copy(data.fd, target, piece.start, len(piece))
    return FileBytes(fd)


def _readable_fd(out: BinaryIO) -> int | None:
    """A new descriptor reading the file ``out`` writes (None for a stream or a pipe)."""
    try:
        fd = out.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        # A new open file, not a dup: a flock on ``out`` (storage.lock) must end when its own descriptor closes.
        return os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None  # no /proc (not Linux): the bytes are kept in memory


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _copy(source: int, target: int, start: int, length: int) -> None:
    """Copy ``length`` bytes of ``source`` from ``start`` to ``target``'s position, in the kernel when it can."""
    try:
        while length > 0:
            done = os.copy_file_range(source, target, length, start)
            if not done:
                raise OSError(errno.EIO, "the file is shorter than when it was read")
            start += done
            length -= done
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        while length > 0:  # another file system, an old kernel: through memory, a block at a time
            block = _pread(source, start, min(length, 1 << 24))
            _write_all(target, block)
            start += len(block)
            length -= len(block)


def line_spans(data: bytes) -> Spans:
    """Spans of every line of ``data`` (line k at index k - 1, without its ``\\n`` or ``\\r\\n``), found in C-speed chunks."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    chunk = 1 << 24
    found = [np.flatnonzero(buffer[i : i + chunk] == 10) + i for i in range(0, len(buffer), chunk)]
    newlines = np.concatenate(found).astype(np.int64) if found else np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [len(data)])).astype(np.int64)
    if data.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    if data.startswith(BOM) and len(starts):
        starts[0] = len(BOM)
    if len(buffer):
        ends = ends - ((ends > starts) & (buffer[np.maximum(ends - 1, 0)] == 13))
    return starts, ends


def filled_lines(data: bytes, spans: Spans) -> np.ndarray:
    """Which of the lines are not blank (what a JSONL reader reads)."""
    starts, ends = spans
    if not len(starts):
        return np.zeros(0, dtype=bool)
    buffer = np.frombuffer(data, dtype=np.uint8)
    filled = (ends > starts) & (buffer[np.minimum(starts, len(buffer) - 1)] > 32)
    for i in np.flatnonzero((ends > starts) & ~filled).tolist():
        filled[i] = bool(data[int(starts[i]) : int(ends[i])].strip())
    return filled


def record_spans(data: bytes, src_lines: np.ndarray) -> Spans:
    """Spans of the records of a one-record-per-line file, from their 1-based line numbers."""
    starts, ends = line_spans(data)
    return starts[src_lines - 1], ends[src_lines - 1]


def lines_source(fmt: str, options: FormatOptions, data: bytes, src_lines: pl.Series) -> Source:
    """The source of a one-record-per-line file whose records were read from lines ``src_lines``."""
    numbers = src_lines.to_numpy().astype(np.int64)
    return Source(fmt, options, data, _pick(line_spans(data), numbers - 1))


def list_source(fmt: str, options: FormatOptions, data: bytes, ordinals: Iterable[int]) -> Source:
    """The source of a JSON list whose records are the elements at ``ordinals`` (spans found on first use)."""
    wanted = np.fromiter(ordinals, dtype=np.int64)
    return Source(fmt, options, data, locate=lambda d: _pick(list_spans(d), wanted))


def _pick(spans: Spans, index: np.ndarray) -> Spans:
    return spans[0][index], spans[1][index]


_SPACE = np.zeros(256, dtype=bool)
_SPACE[list(b" \t\n\r")] = True


class Scanner:
    """Finds the commas at depth one of a JSON list and its closing bracket, in bulk, fed the file whole or
    chunk by chunk: quotes not escaped by an odd run of backslashes open and close strings; outside them,
    brackets and braces count the depth. What it carries from a chunk to the next: whether a string is open,
    the run of backslashes at the end, the depth."""

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.backslashes = 0  # the run of backslashes ending the bytes scanned so far

    def scan(self, chunk: bytes) -> tuple[np.ndarray, int | None]:
        """The offsets in ``chunk`` of the commas ending an element, and of the list's closing bracket (None
        when it is not in this chunk; nothing after it is scanned)."""
        raw = np.frombuffer(chunk, dtype=np.uint8)
        quotes = np.flatnonzero(raw == ord('"'))
        if quotes.size:
            run = np.zeros(quotes.size, dtype=np.int64)  # backslashes right before each quote
            pending = np.flatnonzero(quotes > 0)
            while pending.size:
                pending = pending[raw[quotes[pending] - run[pending] - 1] == ord("\\")]
                run[pending] += 1
                pending = pending[quotes[pending] - run[pending] > 0]
            run[quotes == run] += self.backslashes  # a run reaching the chunk's start goes on before it
            quotes = quotes[run % 2 == 0]
        folded = raw | 0x20  # "[" and "]" become "{" and "}"
        marks = np.flatnonzero((raw == ord(",")) | (folded == ord("{")) | (folded == ord("}")))
        marks = marks[(np.searchsorted(quotes, marks) + self.in_string) % 2 == 0]  # outside strings
        kinds = raw[marks]
        closes = (kinds == ord("]")) | (kinds == ord("}"))
        depth = self.depth + np.cumsum((kinds == ord("[")) | (kinds == ord("{"))) - np.cumsum(closes)
        commas = marks[(kinds == ord(",")) & (depth == 1)]
        ended = np.flatnonzero(closes & (depth <= 0))
        if ended.size:
            closing = int(marks[ended[0]])
            return commas[commas < closing], closing
        self.in_string ^= bool(quotes.size % 2)
        self.depth = int(depth[-1]) if depth.size else self.depth
        trailing = len(chunk) - len(chunk.rstrip(b"\\"))
        self.backslashes = trailing + (self.backslashes if trailing == len(chunk) else 0)
        return commas, None


LIST_PIECE = 1 << 24  # list_spans scans this many bytes at a time (the whole file at once: +2 GB of masks at 1M)


def list_spans(data: bytes) -> Spans:
    """Spans (byte offsets) of the elements of a well-formed top-level JSON list, found in bulk (``Scanner``,
    ``LIST_PIECE`` bytes at a time)."""
    body = data[len(BOM) :] if data.startswith(BOM) else data
    scanner, found, closing = Scanner(), [], None
    for start in range(0, len(data), LIST_PIECE):
        commas, closing = scanner.scan(data[start : start + LIST_PIECE])
        found.append(commas + start)
        if closing is not None:
            closing += start
            break
    if closing is None:
        raise ValueError("not a well-formed JSON list")
    return element_spans(data, len(data) - len(body.lstrip(b" \t\r\n")), np.concatenate(found), closing)


def element_spans(data: bytes, opening: int, commas: np.ndarray, closing: int) -> Spans:
    """Spans of the elements of the JSON list in ``data`` from where it opens, the commas at depth one and where
    it closes: from each element's first to its last byte that is not white space."""
    raw = np.frombuffer(data, dtype=np.uint8)
    first = np.concatenate(([opening], commas)).astype(np.int64) + 1
    while (spaced := _SPACE[raw[first]]).any():
        first[spaced] += 1
    if first[0] == closing:  # an empty list
        return np.empty(0, np.int64), np.empty(0, np.int64)
    last = np.concatenate((commas, [closing])).astype(np.int64) - 1
    while (spaced := _SPACE[raw[last]]).any():
        last[spaced] -= 1
    return first, last + 1
