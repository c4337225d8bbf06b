"""History work too big for one loop pass (``admin -l``, ``admin -c``), a slice per pass.

Files are read and written on a worker; storing a save's messages or deleting a long
history is SQLite work on the reactor's own connection, and all at once it held the loop
for seconds (2.7 s for a 16 MiB save). So a load is staged beside the history a slice at a
time, swapped in at once (a rename, and a copy of only the lines said meanwhile), and the
old history is then deleted a slice at a time too; a clear deletes a slice at a time, the
oldest first.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence

from tuichat.net.frames import Message
from tuichat.server.store.history import History
from tuichat.server.store.saves import SavedMessage

log = logging.getLogger("tuichat.server")

SLICE_ROWS = 2_000
"""Rows stored or deleted per loop pass at most."""
SLICE_CHARS = 256 * 1024
"""Characters of text stored per loop pass at most (long lines make fewer rows)."""

Schedule = Callable[[Callable[[], object]], None]
"""Runs a callable on a later loop pass."""


class SlicedLoad:
    """One load in progress: ``stored`` gets the messages said meanwhile once the history
    is replaced, ``failed`` the error if it could not be."""

    def __init__(self, history: History, schedule: Schedule,
                 entries: Sequence[SavedMessage], up_to: int,
                 stored: Callable[[list[Message]], None],
                 failed: Callable[[sqlite3.Error], None]) -> None:
        self._history = history
        self._schedule = schedule
        self._entries = entries
        self._up_to = up_to
        self._stored = stored
        self._failed = failed
        self._first = 0
        self._done = 0
        """Entries staged so far."""

    def start(self) -> None:
        """Reserve the seqs and stage the first slice now."""
        try:
            self._first = self._history.begin_load(len(self._entries))
        except sqlite3.Error as exc:
            self._failed(exc)
            return
        self._step()

    def _step(self) -> None:
        """Stage one slice; then the next on a later pass, or the swap."""
        end = _slice_end(self._entries, self._done)
        try:
            self._history.stage(self._first + self._done, self._entries[self._done:end])
            self._done = end
            if self._done < len(self._entries):
                self._schedule(self._step)
                return
            meanwhile = self._history.finish_load(self._up_to)
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):  # else dropped at the next start
                self._history.abort_load()
            self._failed(exc)
            return
        self._stored(meanwhile)
        self._schedule(self._drop)

    def _drop(self) -> None:
        """Delete a slice of the replaced history; again on a later pass until it is gone."""
        try:
            if not self._history.drop_replaced(SLICE_ROWS):
                self._schedule(self._drop)
        except sqlite3.Error as exc:  # only space is lost: it is dropped at the next start
            log.error("could not drop the history a load replaced: %s", exc)


class SlicedClear:
    """One ``admin -c`` in progress: all but the newest ``keep`` messages up to seq
    ``up_to`` go, the oldest first; ``cleared`` gets how many, ``failed`` the error."""

    def __init__(self, history: History, schedule: Schedule, keep: int, up_to: int,
                 cleared: Callable[[int], None],
                 failed: Callable[[sqlite3.Error], None]) -> None:
        self._history = history
        self._schedule = schedule
        self._keep = keep
        self._up_to = up_to
        self._cleared = cleared
        self._failed = failed
        self._removed = 0

    def start(self) -> None:
        """Delete the first slice now, the others on later passes."""
        self._step()

    def _step(self) -> None:
        try:
            removed = self._history.keep_last(self._keep, self._up_to, SLICE_ROWS)
        except sqlite3.Error as exc:
            self._failed(exc)
            return
        self._removed += removed
        if removed == SLICE_ROWS:
            self._schedule(self._step)
        else:
            self._cleared(self._removed)


def _slice_end(entries: Sequence[SavedMessage], start: int) -> int:
    """Where the slice beginning at ``start`` ends: ``SLICE_ROWS`` rows or ``SLICE_CHARS``
    characters, whichever comes first, and at least one row."""
    end, chars = start, 0
    while end < len(entries) and end - start < SLICE_ROWS:
        chars += len(entries[end].text)
        end += 1
        if chars >= SLICE_CHARS:
            break
    return end
