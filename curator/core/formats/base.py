"""What every format module provides, and what a read returns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, BinaryIO, Protocol

import polars as pl

from curator.core.errors import Problem

if TYPE_CHECKING:
    from curator.core.formats.source import Source


@dataclass(frozen=True)
class FormatOptions:
    """Which columns or fields hold the example (``--input-col`` / ``--output-col``, or the dataset's settings).

    ``input_col`` / ``output_col`` name a column or field (nested JSON fields as ``a.b``), or give a 1-based
    column number for a table without a header; several input fields are separated by commas and composed
    through ``template``. ``system_col`` names a field holding the system instruction. ``split_names`` says
    how the file spells a split it names otherwise (``dev`` for validation): records hold the split itself.
    """

    input_col: str | None = None
    output_col: str | None = None
    header: bool = True
    system_col: str | None = None
    template: str | None = None
    split_names: tuple[tuple[str, str], ...] = ()  # (split, the file's name for it): ("validation", "dev")

    @property
    def maps(self) -> bool:
        """Whether the fields are named (by flags or settings) rather than left to the format."""
        return bool(self.input_col or self.output_col or self.system_col)

    def with_split_names(self, names: dict[str, str]) -> FormatOptions:
        """These options with the file's own names of the splits (``{"validation": "dev"}``), for writing back."""
        return replace(self, split_names=tuple(sorted(names.items()))) if names else self


@dataclass
class ReadResult:
    """The records of a file (columns ``curator.core.model.RECORD_FIELDS``), how it was read, the lines
    kept out of the records because curator cannot represent them (e.g. multi-turn chats), and the source
    bytes of each record (for writing untouched records back byte for byte)."""

    records: pl.DataFrame
    format: str
    options: FormatOptions = field(default_factory=FormatOptions)
    skipped: list[Problem] = field(default_factory=list)
    source: Source | None = None
    mapping: str | None = None  # which fields were mapped, said for people (None: the format's own fields)
    digest: str | None = None  # sha256 of the bytes read, when asked for (``read_file(digest=True)``)


class Format(Protocol):
    """A format module: a name, the file endings it claims, a content sniffer, a reader and a writer."""

    name: str
    extensions: tuple[str, ...]

    def sniff(self, head: bytes) -> bool:
        """Whether the first bytes of a file look like this format."""

    def read(self, data: bytes, path: str, options: FormatOptions, allow_skipped: bool = False) -> ReadResult:
        """Parse a whole file; raise CuratorError listing every problem found (path:line:column: reason).

        Records curator cannot represent (multi-turn chats) are problems too, unless ``allow_skipped``:
        then they are listed in ``ReadResult.skipped`` and the rest loads."""

    def write(
        self, records: pl.DataFrame, out: BinaryIO, options: FormatOptions, source: Source | None = None
    ) -> Source:
        """Write records; a file this writer wrote reads back and writes again byte for byte.

        With the ``source`` they were read from, untouched records are copied from it (see
        ``curator.core.formats.source``). Returns the source of what was written."""

    def lossy_fields(self, records: pl.DataFrame, options: FormatOptions | None = None) -> list[str]:
        """Names of the fields with content this format cannot store, written with ``options`` (empty when it
        stores everything)."""
