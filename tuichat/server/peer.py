"""One accepted connection: a decoder for what comes in, a bounded outbox for what goes out."""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import time
from typing import TYPE_CHECKING, Any, Protocol

from tuichat.net.codec import Decoded, FrameDecoder, ProtocolError
from tuichat.net.frames import Channel, LeaveReason

if TYPE_CHECKING:
    from tuichat.server.reactor import Reactor

log = logging.getLogger(__name__)

READ_CHUNK = 65_536
LINGER_SECONDS = 2.0
"""How long a closing peer may take to read its last frames before the socket is cut."""


class PeerHandler(Protocol):
    """What a peer reports to: the room."""

    def on_frame(self, peer: Peer, decoded: Decoded) -> None: ...

    def on_bad_frame(self, peer: Peer, error: ProtocolError) -> None: ...

    def on_lost(self, peer: Peer, reason: LeaveReason, why: str) -> None: ...


class Peer:
    """A non-blocking socket owned by the reactor thread.

    ``write`` only appends to the outbox; the reactor flushes it once per loop iteration.
    When the outbox would pass ``queue_limit`` bytes the peer is reported lost with reason
    ``error``: a client that does not read is cut off instead of holding the room back.
    """

    def __init__(
        self,
        sock: socket.socket,
        channel: Channel,
        reactor: Reactor,
        handler: PeerHandler,
        queue_limit: int,
    ) -> None:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.channel = channel
        self.address = _format_address(sock)
        self.session: Any = None  # the room's Session once bound; Any keeps layers apart
        self._reactor = reactor
        self._handler = handler
        self._queue_limit = queue_limit
        self._decoder = FrameDecoder()
        self._outbox = bytearray()
        self._watching = selectors.EVENT_READ
        self._reading = True
        self._closing_deadline: float | None = None
        self.closed = False
        self._failed = False
        reactor.register(sock, self._watching, self._on_events)

    def __repr__(self) -> str:
        return f"<Peer {self.channel} {self.address}>"

    @property
    def closing(self) -> bool:
        """True once the peer is being closed: new output is dropped."""
        return self._closing_deadline is not None or self.closed

    # -- output ----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue bytes for the client; an overflowing outbox ends the peer."""
        if self.closing or self._failed:
            return
        if len(self._outbox) + len(data) > self._queue_limit:
            self._fail(LeaveReason.ERROR, f"outgoing queue over {self._queue_limit:,} bytes")
            return
        self._outbox += data
        self._reactor.mark_dirty(self)

    def flush(self) -> None:
        """Send what the socket takes now; watch for writability if some is left."""
        if self.closed:
            return
        try:
            while self._outbox:
                sent = self.sock.send(self._outbox)
                del self._outbox[:sent]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as exc:
            self._outbox.clear()
            self._fail(LeaveReason.ERROR, f"send failed: {exc.strerror or exc}")
            return
        if self._closing_deadline is not None and not self._outbox:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
        self._watch()

    def close_soon(self) -> None:
        """Flush what is queued, then close; give the client a moment to read it."""
        if self.closing:
            return
        self._closing_deadline = time.monotonic() + LINGER_SECONDS
        self._reading = True  # keep draining input so closing does not reset the link
        self._reactor.mark_dirty(self)

    def close(self) -> None:
        """Close the socket now, dropping anything unsent."""
        if self.closed:
            return
        self.closed = True
        self._outbox.clear()
        self._reactor.unregister(self.sock)
        self.sock.close()

    def expired(self, now: float) -> bool:
        """True when a closing peer has used up its linger time."""
        return self._closing_deadline is not None and now >= self._closing_deadline

    # -- input -----------------------------------------------------------------------------

    def pause_reading(self) -> None:
        """Stop reading until ``resume_reading`` (used while an upload is being checked)."""
        self._reading = False
        self._watch()

    def resume_reading(self) -> None:
        """Read again after ``pause_reading``."""
        self._reading = True
        self._watch()

    def _on_events(self, events: int) -> None:
        if events & selectors.EVENT_WRITE:
            self.flush()
        if events & selectors.EVENT_READ and not self.closed:
            self._read()

    def _read(self) -> None:
        try:
            data = self.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fail(LeaveReason.ERROR, f"receive failed: {exc.strerror or exc}")
            return
        if not data:
            if self.closing:
                self.close()
            else:
                self._fail(LeaveReason.QUIT, "connection closed by the client")
            return
        if self.closing or self._failed:
            return  # draining before close: what the client still sends is ignored
        error: ProtocolError | None = None
        try:
            frames = self._decoder.feed(data)
        except ProtocolError as exc:
            frames, error = exc.frames, exc
        for decoded in frames:  # good frames before bad bytes still count: nothing is lost
            if self.closing or self._failed:
                return
            self._handler.on_frame(self, decoded)
        if error is not None and not self.closing:
            self._handler.on_bad_frame(self, error)  # the handler sends an error and closes

    # -- internals -------------------------------------------------------------------------

    def _fail(self, reason: LeaveReason, why: str) -> None:
        """Report the peer lost, once, from the loop rather than mid-broadcast."""
        if self._failed or self.closed:
            return
        self._failed = True
        self._reactor.call_later(0, lambda: self._handler.on_lost(self, reason, why))

    def _watch(self) -> None:
        if self.closed:
            return
        wanted = 0
        if self._reading:
            wanted |= selectors.EVENT_READ
        if self._outbox:
            wanted |= selectors.EVENT_WRITE
        if wanted == self._watching:
            return
        if wanted:
            if self._watching:
                self._reactor.modify(self.sock, wanted, self._on_events)
            else:
                self._reactor.register(self.sock, wanted, self._on_events)
        else:
            self._reactor.unregister(self.sock)
        self._watching = wanted


def _format_address(sock: socket.socket) -> str:
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "?"
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
