"""Progress of long work on stderr (a ``curator.core.progress.ProgressFn``): nothing for the first 2 s, then a bar
on a terminal, or a line every few seconds when stderr is a file or a pipe."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from curator.core.progress import Progress

QUIET_SECONDS = 2.0
LINE_EVERY = 5.0


class StderrProgress:
    """Draws each ``Progress`` it is called with on stderr; ``close()`` ends its line."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, p: Progress) -> None:
        now, fraction = time.monotonic(), p.fraction
        elapsed = now - self.start
        if elapsed < QUIET_SECONDS or now - self.last < (0.2 if self.tty else LINE_EVERY):
            return
        self.last = now
        left = p.eta if p.eta is not None else elapsed / fraction - elapsed if 0.1 < fraction < 1 else None
        eta = f" · about {left:,.0f} s left" if left and fraction < 1 else ""
        stage = p.text()
        if self.tty:
            filled = int(30 * fraction)
            print(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {stage}{eta}\033[K",
                  end="", file=self.stream, flush=True)
        else:
            print(f"{self.label}: {fraction:4.0%} {stage} after {elapsed:,.0f} s{eta}", file=self.stream, flush=True)
        self.drawn = True

    def close(self) -> None:
        if self.drawn and self.tty:
            print(file=self.stream, flush=True)
