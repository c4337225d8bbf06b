"""One accepted connection: a decoder for what comes in, a bounded outbox for what goes out.

With TLS the connection runs an ``ssl.SSLObject`` over memory buffers: bytes read from the
socket go in, plaintext comes out, and what TLS wants to send goes to the same outbox, so
the reactor drives encrypted and plain peers alike.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import time
from typing import TYPE_CHECKING, Any, Protocol

from tuichat.net.codec import Decoded, FrameDecoder, ProtocolError, encode
from tuichat.net.frames import Channel, ErrorCode, FrameType, LeaveReason
from tuichat.server.outbox import Outbox

if TYPE_CHECKING:
    from tuichat.server.doors.native.handshakes import Handshakes
    from tuichat.server.output_budget import OutputBudget
    from tuichat.server.reactor import Reactor

log = logging.getLogger(__name__)

READ_CHUNK = 65_536
LINGER_SECONDS = 2.0
"""How long a closing peer may take to read its last frames before the socket is cut."""
TLS_HANDSHAKE = 0x16
"""The first byte of every TLS connection (a handshake record); no frame starts with it."""
NEEDS_TLS = "this server requires TLS: connect with --tls"
NO_TLS = "this server does not use TLS: connect without --tls"


class PeerHandler(Protocol):
    """What a peer reports to: the native door."""

    def on_frame(self, peer: Peer, decoded: Decoded) -> None: ...

    def on_bad_frame(self, peer: Peer, error: ProtocolError) -> None: ...

    def on_lost(self, peer: Peer, reason: LeaveReason, why: str) -> None: ...


class Peer:
    """A non-blocking socket owned by the reactor thread.

    ``write`` only appends to the outbox; the reactor flushes it once per loop iteration.
    When the outbox would pass ``queue_limit`` bytes, or the server-wide ``budget`` is full
    and this peer holds the most, its queue is dropped, it is told why, and it is reported
    lost with reason ``error``: a client that does not read is cut off instead of holding
    the others back. With TLS, ``handshakes`` paces the handshake steps.
    """

    def __init__(
        self,
        sock: socket.socket,
        channel: Channel,
        reactor: Reactor,
        handler: PeerHandler,
        queue_limit: int,
        tls: ssl.SSLContext | None = None,
        *,
        budget: OutputBudget | None = None,
        handshakes: Handshakes | None = None,
    ) -> None:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.channel = channel
        self.address = _format_address(sock)
        self.session: Any = None  # the door's Session once bound; Any keeps layers apart
        self._reactor = reactor
        self._handler = handler
        self._queue_limit = queue_limit
        self._decoder = FrameDecoder()
        self._tls = _Tls(tls) if tls is not None else None
        self._first_read = True
        self._budget = budget
        self._handshakes = handshakes
        self._outbox = Outbox(budget)
        """Bytes for the wire: ciphertext when the peer speaks TLS."""
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

    @property
    def queued(self) -> int:
        """Bytes waiting to be sent."""
        return self._outbox.size

    def holds(self, tag: str) -> bool:
        """True while a write tagged ``tag`` is not completely sent."""
        return self._outbox.holds(tag)

    def write(self, data: bytes, tag: str | None = None) -> None:
        """Queue bytes for the client (``tag`` names them for ``holds``); an overflowing
        outbox, or a full budget with this peer the heaviest, ends the peer."""
        if self._closing_deadline is not None or self.closed or self._failed:
            return
        if self._tls is not None:
            self._tls.send(data)
            data = self._tls.wire()
        if self._outbox.size + len(data) > self._queue_limit:
            self.flush()  # what this pass queued may not have been offered to the kernel
            if self._failed or self.closed:
                return
            if self._outbox.size + len(data) > self._queue_limit:
                self.shed(f"outgoing queue over {self._queue_limit:,} bytes")
                return
        if self._budget is not None and not self._budget.make_room(self, len(data)):
            return
        self._outbox.append(data, tag)
        self._reactor.mark_dirty(self)

    def shed(self, why: str) -> None:
        """Drop the queued output and end the peer (reason ``error``), telling a plain
        client why after the rest of a half-sent frame; a TLS stream cannot skip
        records, so it is closed at once. A second shed closes at once too."""
        if self.closed:
            return
        if self._failed or self._tls is not None:
            self._fail(LeaveReason.ERROR, why)
            self.close()
            return
        log.info("%s on %s: cut off: %s", self.address, self.channel, why)
        self._outbox.drop_unsent()
        error = {"type": FrameType.ERROR, "code": ErrorCode.SERVER_FULL,
                 "text": f"Disconnected: you were not reading ({why})."}
        self._outbox.append(encode(error))
        self._reactor.mark_dirty(self)
        self._fail(LeaveReason.ERROR, why)

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
        if self._closing_deadline is not None:
            if not self._outbox and (self._tls is None or self._tls.ready):
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_WR)
        elif not self._outbox and self._watching == selectors.EVENT_READ and self._reading:
            return  # the common case after a broadcast: all sent, nothing to re-register
        self._watch()

    def close_soon(self) -> None:
        """Flush what is queued, then close; give the client a moment to read it."""
        if self.closing:
            return
        if self._tls is not None:
            self._outbox.append(self._tls.close())
        self._closing_deadline = time.monotonic() + LINGER_SECONDS
        self._reading = True  # keep draining input so closing does not reset the link
        self._reactor.mark_dirty(self)

    def close(self) -> None:
        """Close the socket now, dropping anything unsent."""
        if self.closed:
            return
        self.closed = True
        self._outbox.clear()
        self._tls = None  # the TLS state goes now, even while something still holds the peer
        if self._handshakes is not None:
            self._handshakes.finished(self)
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
        handshakes = self._handshakes
        if (handshakes is not None and self._tls is not None and not self._tls.ready
                and not handshakes.may_step(self)):
            return  # reading is paused; the gate resumes it on a later pass
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
        if self._failed:
            return
        if self._first_read:
            self._first_read = False
            if (data[0] == TLS_HANDSHAKE) != (self._tls is not None):
                self._refuse_wrong_layer()
                return
        if self._tls is not None and not (self.closing and self._tls.ready):
            data = self._decrypt(data)  # when closing, only to finish the handshake
        if self.closing or self._failed or not data:
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

    def _decrypt(self, data: bytes) -> bytes:
        """Plaintext from wire bytes; queue what TLS answers (handshake, tickets)."""
        assert self._tls is not None
        try:
            plain = self._tls.receive(data)
        except ssl.SSLError as exc:
            why = f"TLS failed: {exc.reason or exc}"
            if self._handshakes is not None and not self._tls.ready:
                self._handshakes.failed(self, str(exc.reason or exc))  # one line a second
            else:
                log.info("%s on %s: %s", self.address, self.channel, why)
            self._send_alert()
            self._fail(LeaveReason.ERROR, why)
            return b""
        if self._tls.ready and self._handshakes is not None:
            self._handshakes.finished(self)
        answer = self._tls.wire()
        if answer:
            self._outbox.append(answer)
            self._reactor.mark_dirty(self)
        return plain

    def _send_alert(self) -> None:
        """Send the alert TLS wrote on failing (``protocol version``, ``handshake
        failure``), so the client learns why instead of seeing its link cut. A few bytes,
        sent at once: the peer is closed before the loop's next flush."""
        assert self._tls is not None
        alert = bytes(self._outbox) + self._tls.wire()
        self._outbox.clear()
        with contextlib.suppress(OSError):
            self.sock.send(alert)

    def _refuse_wrong_layer(self) -> None:
        """Plain bytes on a TLS port, or a TLS hello on a plain one: say so in plain text,
        so the client shows a clear error instead of waiting."""
        text = NEEDS_TLS if self._tls is not None else NO_TLS
        log.info("%s on %s: refused: %s", self.address, self.channel, text)
        self._tls = None
        error = {"type": FrameType.ERROR, "code": ErrorCode.BAD_FRAME, "text": text}
        self._outbox.append(encode(error))  # even when closing already: it is all it can read
        self._reactor.mark_dirty(self)
        self.close_soon()

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


class _Tls:
    """The TLS state of one server-side connection, sans-IO: wire bytes in and out of
    memory buffers. ``ssl.SSLError`` means the link is unusable."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self.ready = False
        """True once the handshake is done."""
        self._unsent = bytearray()
        """Plaintext written before the handshake finished."""
        self._closing = False

    def receive(self, data: bytes) -> bytes:
        """Feed bytes from the socket; return the plaintext they complete."""
        self._incoming.write(data)
        if not self.ready:
            try:
                self._ssl.do_handshake()
            except ssl.SSLWantReadError:
                return b""
            self.ready = True
            if self._unsent:
                self._ssl.write(self._unsent)
                self._unsent.clear()
            if self._closing:
                self._unwrap()
        if self._closing:
            return b""
        plain = bytearray()
        with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            while chunk := self._ssl.read(READ_CHUNK):
                plain += chunk
        return bytes(plain)

    def send(self, data: bytes) -> None:
        """Encrypt ``data`` for ``wire``; held back until the handshake is done."""
        if self.ready:
            self._ssl.write(data)
        else:
            self._unsent += data

    def close(self) -> bytes:
        """End TLS politely (close_notify), now or once the handshake is done; returns
        the wire bytes to send."""
        self._closing = True
        if self.ready:
            self._unwrap()
        return self.wire()

    def _unwrap(self) -> None:
        with contextlib.suppress(ssl.SSLError):  # close_notify is out; no need to await theirs
            self._ssl.unwrap()

    def wire(self) -> bytes:
        """Encrypted bytes waiting to be sent."""
        return self._outgoing.read()


def _format_address(sock: socket.socket) -> str:
    try:
        host, port = sock.getpeername()[:2]
    except OSError:
        return "?"
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
