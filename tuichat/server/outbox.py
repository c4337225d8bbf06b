"""Bytes waiting for one socket, kept as the chunks they were written in.

A chunk is one write: a frame, or the TLS records that carry it. Keeping the chunks
(rather than one growing buffer) costs no copy on a broadcast (every recipient queues the
same ``bytes``), lets a queue be dropped without cutting a frame in half, and lets a
write carry a tag ("avatar X is already on its way") until its last byte is sent.
"""

from __future__ import annotations

import socket
from collections import deque
from typing import Protocol

MAX_BUFFERS = 512
"""Chunks handed to one ``sendmsg`` (the system allows 1,024)."""


class Meter(Protocol):
    """Where an outbox reports how many bytes it holds: the server-wide budget."""

    def grow(self, size: int) -> None: ...

    def shrink(self, size: int) -> None: ...


class Outbox:
    """A FIFO of chunks for one socket; ``size`` is the bytes not yet sent."""

    def __init__(self, meter: Meter | None = None) -> None:
        self._chunks: deque[bytes] = deque()
        self._head_sent = 0
        """Bytes of the first chunk already sent."""
        self.size = 0
        self._meter = meter
        self._tags: dict[str, int] = {}
        """Tag -> position (in bytes ever queued) just past its chunk."""
        self._queued_total = 0
        self._sent_total = 0

    def __len__(self) -> int:
        return self.size

    def __bool__(self) -> bool:
        return self.size > 0

    def __bytes__(self) -> bytes:
        """Everything unsent, in one piece (for a last send before closing)."""
        data = b"".join(self._chunks)
        return data[self._head_sent:]

    def append(self, data: bytes, tag: str | None = None) -> None:
        """Queue ``data``; with ``tag``, ``holds(tag)`` is true until it is all sent."""
        if not data:
            return
        self._chunks.append(data)
        self.size += len(data)
        self._queued_total += len(data)
        if tag is not None:
            self._tags[tag] = self._queued_total
        if self._meter is not None:
            self._meter.grow(len(data))

    def holds(self, tag: str) -> bool:
        """True while a chunk queued with ``tag`` is not completely sent."""
        return tag in self._tags

    def send(self, sock: socket.socket) -> int:
        """One ``send``/``sendmsg`` of what is queued; the bytes it took. Raises what
        the socket raises (``BlockingIOError`` when it takes nothing)."""
        chunks = self._chunks
        head = memoryview(chunks[0])[self._head_sent:]
        if len(chunks) == 1:
            sent = sock.send(head)
        else:
            buffers = [head]
            for index in range(1, min(len(chunks), MAX_BUFFERS)):
                buffers.append(memoryview(chunks[index]))
            sent = sock.sendmsg(buffers)
        self._consume(sent)
        return sent

    def _consume(self, sent: int) -> None:
        left = sent
        chunks = self._chunks
        while left:
            rest = len(chunks[0]) - self._head_sent
            if left < rest:
                self._head_sent += left
                break
            chunks.popleft()
            self._head_sent = 0
            left -= rest
        self.size -= sent
        self._sent_total += sent
        if self._tags:
            done = self._sent_total
            self._tags = {tag: end for tag, end in self._tags.items() if end > done}
        if self._meter is not None:
            self._meter.shrink(sent)

    def drop_unsent(self) -> int:
        """Drop every chunk not begun, keeping the rest of a half-sent one, so the stream
        stays whole; the bytes dropped."""
        keep = self._chunks[0] if self._chunks and self._head_sent else None
        dropped = self.size - (len(keep) - self._head_sent if keep is not None else 0)
        self._chunks.clear()
        if keep is not None:
            self._chunks.append(keep)
        self.size -= dropped
        self._tags.clear()
        if self._meter is not None:
            self._meter.shrink(dropped)
        return dropped

    def clear(self) -> None:
        """Drop everything queued."""
        self._head_sent = 0
        self.drop_unsent()
