"""One of a session's three connections: a socket with its frame decoder and a lock for
its writers, dialled plain or over TLS."""

from __future__ import annotations

import socket
import threading
from collections import deque

from tuichat.net.codec import Decoded, FrameDecoder, ProtocolError
from tuichat.net.errors import ConnectionClosed, ServerError
from tuichat.net.frames import Channel, Frame, FrameType
from tuichat.net.tls import TlsDialer


class FrameSocket:
    """One channel's socket, read by one thread and written by any."""

    def __init__(self, kind: Channel, sock: socket.socket) -> None:
        self.kind = kind
        self.sock = sock
        self.decoder = FrameDecoder()
        self.pending: deque[Decoded] = deque()
        self.lock = threading.Lock()

    @classmethod
    def dial(cls, kind: Channel, host: str, port: int, timeout: float,
             tls: TlsDialer | None) -> FrameSocket:
        """Connect to ``host:port`` (through ``tls`` when given), without Nagle's delay."""
        def connect() -> socket.socket:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

        return cls(kind, connect() if tls is None else tls.wrap(connect, port))

    def read_frame(self) -> Decoded:
        """Block until one whole frame is in (used during set-up, before the threads)."""
        while not self.pending:
            data = self.sock.recv(65_536)
            if not data:
                raise ConnectionClosed(f"the server closed the {self.kind} channel")
            self.pending.extend(self.decoder.feed(data))
        return self.pending.popleft()

    def expect(self, kind: FrameType) -> Frame:
        """The next frame, which must be of type ``kind``: an ``error`` raises its
        ServerError, any other type ProtocolError."""
        frame = self.read_frame().frame
        if frame.get("type") == FrameType.ERROR:
            raise ServerError.from_frame(frame)
        if frame.get("type") != kind:
            raise ProtocolError(f"expected {kind} on {self.kind}, got {frame.get('type')!r}")
        return frame

    def write(self, data: bytes) -> None:
        with self.lock:
            self.sock.sendall(data)
