"""How long work says how far it is and how it is stopped: one ``Progress`` value, one cancel token.

Every long job in the core (near-duplicate and leakage scans, the checks, tuning, an evaluation, reading a large
file) takes ``progress`` (a ``ProgressFn``: called with a ``Progress``) and ``cancel`` (a ``threading.Event``;
a Textual worker hands its ``cancelled_event``), and raises ``curator.core.errors.Cancelled`` when the token is
set. The CLI draws the reports on stderr (``curator.cli.progress``); the app posts them in a message from its
worker. ``Work`` splits one job into stages that report onto one bar.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from curator.core.errors import Cancelled

Cancel = threading.Event  # the one cancel token: ``set()`` asks a job to stop


@dataclass(frozen=True)
class Progress:
    """How far a job is: the share done (0..1), what it is doing, and what it counts when it counts."""

    fraction: float
    stage: str = ""
    done: int | None = None  # items done (answers, steps), when the job counts items
    total: int | None = None
    detail: str = ""  # what else the job tells ("30 from the cache · 0 failed")
    eta: float | None = None  # seconds left, when the job can tell better than elapsed / fraction

    def text(self) -> str:
        """The words beside a bar: stage, count (when counted), detail."""
        parts = [self.stage] if self.stage else []
        if self.done is not None and self.total is not None:
            parts.append(f"{self.done:,}/{self.total:,}")
        if self.detail:
            parts.append(self.detail)
        return " · ".join(parts)


ProgressFn = Callable[[Progress], None]


class Work:
    """Reports progress across the stages of one job and raises ``Cancelled`` when asked to stop.

    Stages are spans of the overall fraction: ``work.span(0.2, 0.6, "verifying")`` returns a Work whose
    0..1 maps onto 0.2..0.6 of its parent, so helpers report locally and the caller sees one bar; a span
    passed as ``progress`` to another job maps that job's reports onto it.
    """

    def __init__(self, progress: ProgressFn | None = None, cancel: Cancel | None = None, *,
                 _base: float = 0.0, _width: float = 1.0, _stage: str = "") -> None:
        self._progress, self._cancel = progress, cancel
        self._base, self._width, self._stage = _base, _width, _stage

    @property
    def stage(self) -> str:
        """The label this span reports under."""
        return self._stage

    def check(self) -> None:
        """Raise ``Cancelled`` if the cancel token is set."""
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled()

    def report(self, fraction: float, stage: str | None = None, **counts) -> None:
        """Report ``fraction`` (0..1) of this span done, then check the token. ``counts``: the other fields
        of ``Progress`` (done, total, detail, eta)."""
        if self._progress is not None:
            done = self._base + self._width * min(max(fraction, 0.0), 1.0)
            self._progress(Progress(done, stage or self._stage, **counts))
        self.check()

    def __call__(self, p: Progress) -> None:
        """A sub-job's report, taken as this span's: a Work is itself a ``ProgressFn``."""
        self.report(p.fraction, p.stage or None, done=p.done, total=p.total, detail=p.detail, eta=p.eta)

    def span(self, start: float, end: float, stage: str) -> Work:
        """A child covering ``start..end`` of this span, labelled ``stage``."""
        return Work(self._progress, self._cancel, _base=self._base + self._width * start,
                    _width=self._width * (end - start), _stage=stage)


__all__ = ["Cancel", "Cancelled", "Progress", "ProgressFn", "Work"]
