"""curator's errors: ``CuratorError`` (explained to the user) with a subclass per failure a caller tells apart
(``BackendError`` and its kinds, ``storage.lock.InUse``, ...), and ``Cancelled``, raised by every long job
whose cancel token was set. Callers recognise them by type, never by the words of their message."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, located as precisely as we can."""

    path: str
    line: int | None
    column: int | None
    reason: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class MoreProblems(Problem):
    """Stands for ``count`` problems found but not listed (a list of problems is capped)."""

    count: int = 0

    @classmethod
    def of(cls, path: str, count: int) -> MoreProblems:
        return cls(path, None, None, f"... and {count:,} more problem{'s' if count != 1 else ''}", count)


class CuratorError(Exception):
    """An error curator explains to the user: a file, a line, a column and a reason.

    A load that finds several problems raises one CuratorError carrying all of them in ``problems``;
    ``path``/``line``/``column``/``reason`` then describe the first one.
    """

    def __init__(
        self,
        reason: str,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.reason = reason
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        if problems is None:
            problems = [Problem(self.path or "<input>", line, column, reason)]
        self.problems = problems
        # how many problems there are in all: ``problems`` may end with a ``MoreProblems`` for those not listed
        self.total = sum(p.count if isinstance(p, MoreProblems) else 1 for p in problems)
        super().__init__(str(self))

    @classmethod
    def from_problems(cls, problems: list[Problem]) -> CuratorError:
        """One error carrying every problem found (at least one)."""
        first = problems[0]
        return cls(first.reason, first.path, first.line, first.column, problems=list(problems))

    def __str__(self) -> str:
        if len(self.problems) <= 1:
            return str(self.problems[0])
        return "\n".join(str(p) for p in self.problems)


class FieldsUnknown(CuratorError):
    """A file whose input and output fields cannot be told: its field names and a few sample rows (values as
    text), so that the app can ask which to use."""

    def __init__(self, reason: str, path: str | Path, fields: list[str], samples: list[dict[str, str]]) -> None:
        super().__init__(reason, path, 1, 1)
        self.fields, self.samples = fields, samples


class UnsafeModelFile(CuratorError):
    """The workspace names a kept model's file outside its models folder (a workspace may come from someone else)."""


class Cancelled(Exception):
    """Long work (a scan, the checks, tuning, an evaluation) stopped because its cancel token was set."""


class BackendErrorKind(enum.Enum):
    """What went wrong talking to a model backend, in words the UI and CLI explain."""

    AUTH = "authentication"
    QUOTA = "quota"
    INVALID = "invalid request"
    TRANSIENT = "transient"
    UNSUPPORTED = "unsupported"


class BackendError(CuratorError):
    """A backend call failed; ``kind`` says how, ``retry_after`` (seconds) comes with quota errors."""

    def __init__(self, kind: BackendErrorKind, reason: str, retry_after: float | None = None) -> None:
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(f"{kind.value}: {reason}")

    def __str__(self) -> str:
        return self.reason  # no file or line: the kind and the explanation are the whole message
