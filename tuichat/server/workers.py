"""The core's scheduler on this server: the reactor's timers, and a thread pool whose
results come back to the reactor thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import TypeVar

from tuichat.server.reactor import Reactor

T = TypeVar("T")


class Workers:
    """Timers and work off the loop (``core.ports.Scheduler``)."""

    def __init__(self, reactor: Reactor, executor: Executor) -> None:
        self._reactor = reactor
        self._executor = executor

    def call_later(self, delay: float, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the reactor after ``delay`` seconds (reactor thread only)."""
        self._reactor.call_later(delay, callback)

    def in_worker(self, work: Callable[[], T], then: Callable[[Future[T]], None]) -> None:
        """Run ``work`` on a worker thread, then ``then`` with its future back on the
        reactor (never, if the server stops first)."""
        future = self._executor.submit(work)
        future.add_done_callback(
            lambda done: self._reactor.call_soon_threadsafe(lambda: then(done))
        )
