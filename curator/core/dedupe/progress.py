"""Progress reporting and cancellation for long scans (run from TUI workers or a CLI progress bar)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, Union

from curator.core.errors import Cancelled


class _Flag(Protocol):
    def is_set(self) -> bool: ...


# ``progress(fraction, stage)``: fraction of the whole job done (0..1) and a short stage label.
ProgressFn = Callable[[float, str], None]
# A ``threading.Event`` (or anything with ``is_set()``), or a callable returning True to stop.
CancelFlag = Union[_Flag, Callable[[], bool]]


class Work:
    """Reports progress across the stages of one job and raises ``Cancelled`` when asked to stop.

    Stages are spans of the overall fraction: ``work.span(0.2, 0.6, "verifying")`` returns a Work whose
    0..1 maps onto 0.2..0.6 of its parent, so helpers report locally and the caller sees one bar.
    """

    def __init__(
        self,
        progress: ProgressFn | None = None,
        cancel: CancelFlag | None = None,
        *,
        _base: float = 0.0,
        _width: float = 1.0,
        _stage: str = "",
    ) -> None:
        self._progress = progress
        if cancel is None:
            self._cancelled: Callable[[], bool] = lambda: False
        elif hasattr(cancel, "is_set"):
            self._cancelled = cancel.is_set  # type: ignore[union-attr]
        else:
            self._cancelled = cancel  # type: ignore[assignment]
        self._cancel = cancel
        self._base = _base
        self._width = _width
        self._stage = _stage

    @property
    def stage(self) -> str:
        """The label this span reports under."""
        return self._stage

    def check(self) -> None:
        """Raise ``Cancelled`` if the cancel flag is set."""
        if self._cancelled():
            raise Cancelled()

    def report(self, fraction: float, stage: str | None = None) -> None:
        """Report ``fraction`` (0..1) of this span done, then check the cancel flag."""
        if self._progress is not None:
            done = self._base + self._width * min(max(fraction, 0.0), 1.0)
            self._progress(done, stage or self._stage)
        self.check()

    def span(self, start: float, end: float, stage: str) -> Work:
        """A child covering ``start..end`` of this span, labelled ``stage``."""
        return Work(
            self._progress,
            self._cancel,
            _base=self._base + self._width * start,
            _width=self._width * (end - start),
            _stage=stage,
        )
