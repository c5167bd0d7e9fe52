"""A dataset file being opened for the app: its first examples (``loading.read_head``), then the whole file
(``Session.open``), in a thread of its own started before the app is even imported when a core is idle
(``core_to_spare``), so that reading the file (polars reads without holding the GIL) and loading the interface
overlap.

    opening = Opening(path, fmt, options, read_only=False).start()   # light to import: nothing read yet
    ...                                                              # import the app meanwhile
    head = opening.head()        # waits for the first examples (None: the file is read whole at once)
    session = opening.session()  # waits for the whole file; raises what reading it raised

``Opening(...).run()`` does the same in the calling thread.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curator.core.formats.base import FormatOptions, ReadResult
    from curator.core.session import Session


SWITCH_INTERVAL = 0.001  # seconds between thread switches while a file is read beside the app's start


def core_to_spare() -> bool:
    """Whether a core is idle (the load average leaves one): only then does reading beside the import pay. On a
    busier machine the two threads hand the GIL to each other through a busy scheduler, and the start takes
    longer than reading after the import (measured at load 12 on 2 cores: 3.4 s against 3.0 s)."""
    try:
        return os.getloadavg()[0] + 1 <= (os.cpu_count() or 1)
    except OSError:  # no load average on this system
        return True


class Opening:
    """One file being opened: its head, then its session, or the error reading it raised."""

    def __init__(self, path: str | Path, fmt: str | None = None, options: FormatOptions | None = None, *,
                 read_only: bool = False) -> None:
        self.path, self.fmt, self.options, self.read_only = Path(path), fmt, options, read_only
        self.fraction: float | None = None  # how much of the file is read, once the reader says
        self.declined = False  # started in a thread on a file too large to open whole: nothing read
        self._head: ReadResult | None = None
        self._session: Session | None = None
        self._error: BaseException | None = None
        self._lock = None  # a writable opening's lock on the file, taken before its first examples are read
        self._head_read, self._done = threading.Event(), threading.Event()
        self._listener: Callable[[float], None] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Opening:
        """Open the file in a thread of its own (a daemon: a process quitting meanwhile does not wait for it).

        Until it is open, the interpreter switches threads every ``SWITCH_INTERVAL`` seconds instead of every
        5 ms: the reader lets go of the GIL at each polars or numpy call and would wait that long to get it
        back from the thread importing the app, at every call."""
        self._thread = threading.Thread(target=self._run_beside, args=(sys.getswitchinterval(),),
                                        name="curator-open", daemon=True)
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()
        return self

    def _run_beside(self, interval: float) -> None:
        try:
            self.run()
        finally:
            sys.setswitchinterval(interval)

    def run(self) -> None:
        """Read the head, then the whole file (in the calling thread); nothing when started in a thread on a
        file too large to open whole (``declined``: the app offers a sample instead)."""
        self._read_head()
        self._open()

    def _read_head(self) -> None:
        """The first examples, once the file's lock is taken for a writable session: a file another curator has
        open is said to be in use before any of its examples show (InUse, handed to whoever waits)."""
        try:
            from curator.core.loading import is_large, read_head

            if self._thread is not None and is_large(self.path):
                self.declined = True
            else:
                if not self.read_only:
                    from curator.core.paths import real_path
                    from curator.core.storage.lock import DatasetLock

                    lock = DatasetLock(real_path(self.path))
                    lock.acquire()
                    self._lock = lock
                self._head = read_head(self.path, self.fmt, self.options)
        except BaseException as exc:  # handed to whoever waits for the session
            self._error = exc
        finally:
            self._head_read.set()

    def _open(self) -> None:
        try:
            if self._error is None and not self.declined:
                from curator.core.session import Session

                self._session = Session.open(self.path, self.fmt, self.options, read_only=self.read_only,
                                             allow_skipped=True, progress=self._progress, lock=self._lock)
        except BaseException as exc:
            self._error = exc
        finally:
            if self._session is None and self._lock is not None:
                self._lock.release()  # no session took it (the head failed, or the whole read did)
            self._lock = None
            self._done.set()

    def listen(self, listener: Callable[[float], None]) -> None:
        """``listener(fraction)`` hears how much of the file is read: so far, and from now on."""
        self._listener = listener
        if self.fraction is not None:
            listener(self.fraction)

    def _progress(self, progress) -> None:
        self.fraction = progress.fraction
        if self._listener is not None:
            self._listener(progress.fraction)

    def _wait(self, event: threading.Event, stop: Callable[[], bool] | None) -> bool:
        while not event.wait(0.1):
            if stop is not None and stop():
                return False
        return True

    def head(self, stop: Callable[[], bool] | None = None) -> ReadResult | None:
        """The examples of the file's first megabyte, when it is line-based and larger (else None); None too
        when ``stop()`` says to stop waiting."""
        if self._thread is None and not self._head_read.is_set():
            self._read_head()
        return self._head if self._wait(self._head_read, stop) else None

    def session(self, stop: Callable[[], bool] | None = None) -> Session | None:
        """The open session (raises what reading the file raised); None when ``stop()`` says to stop waiting
        (a session opened after that is closed)."""
        if self._thread is None and not self._done.is_set():
            self.head()
            self._open()
        if not self._wait(self._done, stop):
            self.discard()
            return None
        if self._error is not None:
            raise self._error
        return self._session

    def discard(self) -> None:
        """Not wanted after all (the app quit, or found the file too large to hold): the session is closed once
        open, its lock released and its memory freed (the reading itself goes on to its end)."""
        threading.Thread(target=self._close_when_done, name="curator-open-close", daemon=True).start()

    def _close_when_done(self) -> None:
        self._done.wait()
        if self._session is not None:
            self._session.close()
