"""The server's event loop: one thread owns every socket, timer and piece of chat state.

Other threads (signal handling, avatar validation) never touch that state; they hand work
to the loop with ``call_soon_threadsafe``. Writes are coalesced: code appends to a peer's
outbox and marks it dirty, and the loop flushes every dirty peer once per iteration, so
a burst of messages costs one ``send`` per recipient, not one per message.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Protocol

log = logging.getLogger(__name__)

EventHandler = Callable[[int], None]


class Flushable(Protocol):
    """Something with buffered output to push out at the end of an iteration."""

    def flush(self) -> None: ...


class Reactor:
    """A selector loop with timers, cross-thread calls and coalesced flushing."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ, self._drain_wakeups)
        self._calls: deque[Callable[[], None]] = deque()
        self._calls_lock = threading.Lock()
        self._timers: list[tuple[float, int, Callable[[], object]]] = []
        self._timer_ids = itertools.count()
        self._dirty: dict[Flushable, None] = {}
        self.before_flush: list[Callable[[], None]] = []
        """Run before queued output is sent, e.g. to commit what it reports."""
        self._stopping = False
        self.thread: threading.Thread | None = None
        self.passes = 0
        """Loop passes so far (what per-pass budgets count by)."""

    # -- registration (loop thread) ------------------------------------------------------

    def register(self, sock: socket.socket, events: int, handler: EventHandler) -> None:
        """Call ``handler(events)`` whenever ``sock`` is ready for ``events``."""
        self._selector.register(sock, events, handler)

    def modify(self, sock: socket.socket, events: int, handler: EventHandler) -> None:
        """Change what ``sock`` is watched for."""
        self._selector.modify(sock, events, handler)

    def unregister(self, sock: socket.socket) -> None:
        """Stop watching ``sock``; harmless if it is not watched."""
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    def mark_dirty(self, peer: Flushable) -> None:
        """Flush ``peer`` at the end of this iteration."""
        self._dirty[peer] = None

    def call_later(self, delay: float, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the loop after ``delay`` seconds (loop thread only)."""
        when = time.monotonic() + delay
        heapq.heappush(self._timers, (when, next(self._timer_ids), callback))

    # -- from any thread -----------------------------------------------------------------

    def call_soon_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop thread as soon as it can."""
        with self._calls_lock:
            self._calls.append(callback)
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_writer.send(b"\0")

    def stop(self) -> None:
        """Ask the loop to end after its current iteration."""
        self.call_soon_threadsafe(self._set_stopping)

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        """Run until ``stop``; then release the selector and wake-up sockets."""
        try:
            while not self._stopping:
                self._run_once()
        finally:
            self._selector.close()
            self._wake_reader.close()
            self._wake_writer.close()

    def start(self, name: str = "tuichat-reactor") -> threading.Thread:
        """Run the loop in a new thread and return it."""
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)
        self.thread.start()
        return self.thread

    def _set_stopping(self) -> None:
        self._stopping = True

    def _run_once(self) -> None:
        self.passes += 1
        timeout = None
        if self._timers:
            timeout = max(0.0, self._timers[0][0] - time.monotonic())
        if self._calls:
            timeout = 0.0
        for key, events in self._selector.select(timeout):
            handler: EventHandler = key.data
            self._guarded(partial(handler, events))
        self._run_timers()
        self._run_calls()
        self._flush_dirty()

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, callback = heapq.heappop(self._timers)
            self._guarded(callback)

    def _run_calls(self) -> None:
        with self._calls_lock:
            calls, self._calls = self._calls, deque()
        for call in calls:
            self._guarded(call)

    def _flush_dirty(self) -> None:
        # The hot loop of every broadcast: one try around the loop rather than per peer
        # (a failing peer is logged and the loop goes on with the next one).
        try:
            for hook in self.before_flush:
                hook()
        except Exception:  # e.g. the disk is full: send nothing that is not durable yet
            log.exception("could not prepare output; it stays queued")
            return
        while self._dirty:
            dirty, self._dirty = self._dirty, {}
            peers = iter(dirty)
            while True:
                try:
                    for peer in peers:
                        peer.flush()
                except Exception:
                    log.exception("internal error in the server loop (the server goes on)")
                else:
                    break

    def _drain_wakeups(self, _events: int) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_reader.recv(4096):
                pass

    @staticmethod
    def _guarded(call: Callable[[], object]) -> None:
        """Run one handler; a bug in it is logged and never stops the loop."""
        try:
            call()
        except Exception:
            log.exception("internal error in the server loop (the server goes on)")
