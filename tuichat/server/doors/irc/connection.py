"""One IRC client's socket: CR LF lines in, a bounded outbox out, on the reactor thread.

Lines are split on LF (a lone CR LF or LF both end one, as clients send either). A line
longer than ``message.MAX_LINE_BYTES`` is never buffered whole: the connection reports it
once (``on_too_long``) and skips to its end. Output waits in an ``Outbox`` flushed once
per loop pass; past ``queue_limit`` bytes unsent (the IRC "sendq"), the connection is cut
off and reported lost with reason ``error``. With TLS (``--irc-tls-port``) the bytes go
through the native door's memory-buffer TLS state, so encrypted and plain clients run on
the same reactor alike.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import time
from typing import TYPE_CHECKING, Protocol

from tuichat.net.frames import LeaveReason
from tuichat.server.doors.irc.message import MAX_LINE_BYTES
from tuichat.server.doors.native.peer import _Tls as Tls
from tuichat.server.outbox import Outbox

if TYPE_CHECKING:
    from tuichat.server.output_budget import OutputBudget
    from tuichat.server.reactor import Reactor

READ_CHUNK = 65_536
LINGER_SECONDS = 2.0
"""How long a closing connection may take to read its last lines before it is cut."""


class LineHandler(Protocol):
    """What a connection reports to: the IRC door."""

    def on_line(self, conn: IrcConnection, raw: bytes) -> None: ...

    def on_too_long(self, conn: IrcConnection) -> None: ...

    def on_lost(self, conn: IrcConnection, reason: LeaveReason, why: str) -> None: ...


class IrcConnection:
    """A non-blocking socket speaking IRC lines; ``write`` only queues."""

    def __init__(self, sock: socket.socket, host: str, reactor: Reactor,
                 handler: LineHandler, queue_limit: int,
                 budget: OutputBudget | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.host = host
        self.address = _format_address(sock)
        self._reactor = reactor
        self._handler = handler
        self._queue_limit = queue_limit
        self._budget = budget
        self._outbox = Outbox(budget)
        """Bytes for the wire: ciphertext with TLS."""
        self._tls = Tls(tls) if tls is not None else None
        self._pending = b""
        self._skipping = False
        self._watching = selectors.EVENT_READ
        self._closing_deadline: float | None = None
        self.closed = False
        self._failed = False
        reactor.register(sock, self._watching, self._on_events)

    def __repr__(self) -> str:
        return f"<IrcConnection {self.address}>"

    @property
    def closing(self) -> bool:
        """True once the connection is being closed: new output is dropped."""
        return self._closing_deadline is not None or self.closed

    @property
    def queued(self) -> int:
        """Bytes waiting to be sent."""
        return self._outbox.size

    def write(self, data: bytes, /) -> None:
        """Queue ``data``; past the queue limit (or a full server-wide budget with this
        connection the heaviest) the client is cut off."""
        if self.closing or self._failed:
            return
        if self._tls is not None:
            self._tls.send(data)
            data = self._tls.wire()
        if self._outbox.size + len(data) > self._queue_limit:
            self.flush()
            if self._failed or self.closed:
                return
            if self._outbox.size + len(data) > self._queue_limit:
                self.shed(f"SendQ exceeded ({self._queue_limit:,} bytes)")
                return
        if self._budget is not None and not self._budget.make_room(self, len(data)):
            return
        self._outbox.append(data)
        self._reactor.mark_dirty(self)

    def shed(self, why: str) -> None:
        """Drop what is queued (keeping a half-sent line whole), say why in an ERROR
        line, and report the connection lost."""
        if self.closed:
            return
        if self._tls is not None:  # a TLS stream cannot skip records: closed at once
            self._fail(LeaveReason.ERROR, why)
            self.close()
            return
        self._outbox.drop_unsent()
        self._outbox.append(f"ERROR :Closing Link: {why}\r\n".encode())
        self._reactor.mark_dirty(self)
        self._fail(LeaveReason.ERROR, why)
        self.close_soon()

    def flush(self) -> None:
        """Send what the socket takes now; watch for writability if some is left."""
        if self.closed:
            return
        try:
            while self._outbox:
                self._outbox.send(self.sock)
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
        if self._tls is not None:
            self._outbox.append(self._tls.close())
        self._closing_deadline = time.monotonic() + LINGER_SECONDS
        self._reactor.mark_dirty(self)

    def close(self) -> None:
        """Close the socket now, dropping anything unsent."""
        if self.closed:
            return
        self.closed = True
        self._outbox.clear()
        self._tls = None
        self._reactor.unregister(self.sock)
        self.sock.close()

    def expired(self, now: float) -> bool:
        """True when a closing connection has used up its linger time."""
        return self._closing_deadline is not None and now >= self._closing_deadline

    # -- input -----------------------------------------------------------------------------

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
            return
        if self._tls is not None:
            data = self._decrypt(data)
            if not data or self._failed:
                return
        *lines, self._pending = (self._pending + data).split(b"\n")
        for raw in lines:
            if self.closing or self._failed:
                return
            if self._skipping:
                self._skipping = False
            elif len(raw) > MAX_LINE_BYTES:
                self._handler.on_too_long(self)
            elif raw.strip(b"\r "):
                self._handler.on_line(self, raw)
        if len(self._pending) > MAX_LINE_BYTES and not self._skipping:
            self._pending, self._skipping = b"", True
            self._handler.on_too_long(self)
        elif self._skipping:
            self._pending = b""

    def _decrypt(self, data: bytes) -> bytes:
        """Plaintext from wire bytes; queue what TLS answers (the handshake)."""
        assert self._tls is not None
        try:
            plain = self._tls.receive(data)
        except ssl.SSLError as exc:
            self._fail(LeaveReason.ERROR, f"TLS failed: {exc.reason or exc}")
            return b""
        answer = self._tls.wire()
        if answer:
            self._outbox.append(answer)
            self._reactor.mark_dirty(self)
        return plain

    def _fail(self, reason: LeaveReason, why: str) -> None:
        """Report the connection lost, once, from the loop rather than mid-broadcast."""
        if self._failed or self.closed:
            return
        self._failed = True
        self._reactor.call_later(0, lambda: self._handler.on_lost(self, reason, why))

    def _watch(self) -> None:
        if self.closed:
            return
        wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if self._outbox else 0)
        if wanted != self._watching:
            self._reactor.modify(self.sock, wanted, self._on_events)
            self._watching = wanted


def _format_address(sock: socket.socket) -> str:
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "?"
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
