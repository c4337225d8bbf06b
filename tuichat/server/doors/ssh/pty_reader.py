"""A session's screen, read off its PTY master on a thread of its own.

A read on a PTY master can wait inside the kernel, for the TTY layer's worker to move
what the client wrote into the master's buffer: tens to hundreds of milliseconds while a
hundred clients keep both cores busy. On the SSH door's loop such a wait stopped every
session at once (each keystroke's echo waited for it); on a thread of the session's own
it delays only that session's screen. Bounded as the sessions are: one thread each, as
each already has a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import select
import threading

log = logging.getLogger("tuichat.server")

READ_SIZE = 65_536
CHECK_EVERY = 0.25
"""Seconds between the thread's looks at whether it should stop, when nothing comes."""


class PtyReader:
    """Reads the master on its thread and queues what it reads for the loop."""

    def __init__(self, master: int, loop: asyncio.AbstractEventLoop) -> None:
        self._master = master
        self._loop = loop
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._reading = threading.Event()
        self._reading.set()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tuichat-pty", daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def read(self) -> bytes:
        """What the client drew since the last read (all that was queued, joined, so it
        goes in one SSH packet); b"" once its side of the PTY is closed."""
        data = await self._queue.get()
        while data and not self._queue.empty():
            more = self._queue.get_nowait()
            if not more:  # the end comes next time, after what came before it
                self._queue.put_nowait(more)
                break
            data += more
        return data

    def pause(self) -> None:
        """Read no more until ``resume`` (the channel is backed up)."""
        self._reading.clear()

    def resume(self) -> None:
        self._reading.set()

    async def stop(self) -> None:
        """End the thread and wait for it: the master may be closed after this."""
        self._stopping.set()
        self._reading.set()
        await asyncio.to_thread(self._thread.join)

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._master, select.POLLIN)
        while not self._stopping.is_set():
            if not self._reading.wait(CHECK_EVERY) or \
                    not poller.poll(int(CHECK_EVERY * 1000)):
                continue
            try:
                data = os.read(self._master, READ_SIZE)
            except BlockingIOError:
                continue
            except OSError as exc:  # EIO: every holder of the slave end has closed it
                if exc.errno != errno.EIO:
                    log.debug("PTY read failed: %s", exc)
                data = b""
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody reads
                self._loop.call_soon_threadsafe(self._queue.put_nowait, data)
            if not data:
                return
