"""The server-wide cap on output waiting to be sent, and who is cut when it is full.

Each connection may queue up to ``queue_limit`` bytes, but thousands of connections that
never read could together hold gigabytes. The budget counts every outbox's bytes; a write
that would take the total past the limit first cuts the connections holding the most
(the heaviest non-readers), until it fits. Before a connection is cut it is offered to
the kernel once more: a client that reads takes its bytes and is not cut (what one loop
pass queued for it has not been sent yet), one that does not read keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol


class Holder(Protocol):
    """A connection with queued output that can be cut to free it."""

    @property
    def queued(self) -> int: ...

    def flush(self) -> None:
        """Send what the socket takes now."""

    def shed(self, why: str) -> None:
        """Drop the queued output (all but a half-sent frame) and end the connection."""


class OutputBudget:
    """Bytes queued for all connections together; ``limit`` 0 means no limit.

    ``holders`` lists the connections to choose from when the total must come down.
    ``queued`` and ``peak`` are gauges (read them from any thread).
    """

    def __init__(self, limit: int, holders: Callable[[], Iterable[Holder]]) -> None:
        self.limit = limit
        self._holders = holders
        self.queued = 0
        self.peak = 0
        """The most bytes ever queued at once."""
        self.shed_count = 0
        """Connections cut to keep the total under the limit."""

    def grow(self, size: int) -> None:
        self.queued += size
        self.peak = max(self.peak, self.queued)

    def shrink(self, size: int) -> None:
        self.queued -= size

    def make_room(self, writer: Holder, size: int) -> bool:
        """Cut the heaviest holders until ``size`` more bytes for ``writer`` fit; False
        when ``writer`` itself was the heaviest and was cut (its write is dropped)."""
        if not self.limit:
            return True
        flushed: set[Holder] = set()
        while self.queued + size > self.limit:
            heaviest = max(self._holders(), key=lambda holder: holder.queued, default=None)
            if heaviest is None or heaviest.queued == 0 or writer.queued + size > heaviest.queued:
                heaviest = writer  # the write itself is the biggest claim
            if heaviest not in flushed:
                flushed.add(heaviest)
                heaviest.flush()
                continue
            self.shed_count += 1
            heaviest.shed(
                f"the server's output budget ({self.limit // (1024 * 1024):,} MiB) is full "
                "and this connection held the most unread output"
            )
            if heaviest is writer:
                return False
        return True
