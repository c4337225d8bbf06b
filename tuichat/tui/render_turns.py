"""Turns at drawing the others' lines, shared by every session one server runs.

When a line is said in a room of a hundred SSH sessions, a hundred clients have a screen
to redraw. Drawn all at once they keep a hundred processes runnable on two cores, each
redraw costs three times its cost alone (caches, switches), and a keystroke typed then
waits behind them for a second. With turns, at most one session per core draws such an
update at a time: the others sleep (the kernel does not run them) until their turn, the
hundred redraws go through in well under a second, and a keystroke, which never waits
for a turn, finds a core nearly free.

A turn is an exclusive ``flock`` on one of ``count`` files in a directory the sessions
share; the kernel gives a dead holder's turn back. The wait is bounded: after
``LONGEST_WAIT`` a session draws without a turn, so a stuck holder delays nobody for
long.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import random
from collections.abc import Callable
from pathlib import Path

LONGEST_WAIT = 3.0
"""Seconds a session waits for a turn before it draws without one: long enough for a
hundred sessions' turns to go round (at 1.0 s, sessions late in the round drew at once,
together, and keystrokes waited behind them again)."""


class RenderTurns:
    """``count`` turns at drawing, in lock files under ``directory``."""

    def __init__(self, directory: Path, count: int | None = None) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._fds = [os.open(directory / f"turn-{n}", os.O_RDWR | os.O_CREAT, 0o600)
                     for n in range(count or os.cpu_count() or 1)]

    async def take(self) -> Callable[[], None]:
        """Wait for a turn (at most ``LONGEST_WAIT``); what gives it back."""
        for fd in random.sample(self._fds, len(self._fds)):
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return lambda: fcntl.flock(fd, fcntl.LOCK_UN)
        fd = random.choice(self._fds)
        waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX))
        try:
            await asyncio.wait_for(asyncio.shield(waiting), LONGEST_WAIT)
        except TimeoutError:  # draw anyway; the turn, once it comes, goes back at once
            waiting.add_done_callback(lambda _: fcntl.flock(fd, fcntl.LOCK_UN))
            return lambda: None
        return lambda: fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = []
