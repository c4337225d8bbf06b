"""A client session over the three channels, for the TUI, tests and bots.

``Connection.open`` connects recv, says hello, reads welcome, then connects send and image
and attaches both. After that one reader thread per channel reads frames, parses each
once into a typed update (``updates``), lets the protocol state (``session``) learn from
it, and hands the frame to ``on_frame`` and the update to ``on_update``; pings are
answered here. A frame that breaks its type's shape is logged and dropped. Send methods
are safe to call from any thread. With ``tls`` each channel is wrapped in TLS, and all
three must show one certificate.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future

from tuichat import __version__
from tuichat.net.avatar_requests import AvatarRequests
from tuichat.net.channel import FrameSocket
from tuichat.net.codec import ProtocolError, encode
from tuichat.net.errors import (
    ENDING_ERRORS,
    BadFrame,
    BadImage,
    BadName,
    BadPassword,
    BadSession,
    BadVersion,
    Banned,
    ConnectionClosed,
    Kicked,
    NameTaken,
    NotFound,
    ServerError,
    ServerFull,
    UnknownType,
)
from tuichat.net.frames import DEFAULT_PORT_RECV, DEFAULT_PORT_SEND, Channel, Frame, FrameType
from tuichat.net.requests import Requests
from tuichat.net.session import ClientSession
from tuichat.net.tls import TlsClientConfig, TlsDialer
from tuichat.net.update_parser import BadUpdate, parse_update
from tuichat.net.updates import ErrorReport, Ping, Shutdown, Update, Welcome

__all__ = [
    "BadFrame", "BadImage", "BadName", "BadPassword", "BadSession", "BadVersion", "Banned",
    "Connection", "ConnectionClosed", "Kicked", "NameTaken", "NotFound", "ServerError",
    "ServerFull", "UnknownType",
]

log = logging.getLogger(__name__)

FrameCallback = Callable[[Channel, Frame, bytes | None], None]
UpdateCallback = Callable[[Channel, Frame, bytes | None, "Update | None"], None]
"""Told of every frame with its typed update: None when the frame was malformed, or
is a message already received (a replay overlapping)."""
SentCallback = Callable[[Channel, Frame, int], None]
"""Told of every frame written: channel, frame, payload size (for debug views)."""
CloseCallback = Callable[[str], None]
CLIENT_SOFTWARE = f"tuichat/{__version__}"
LINGER_SECONDS = 5.0
"""How long readers wait for the server's last bytes after the session ended."""


class Connection(Requests):
    """A joined session. Use ``Connection.open(...)`` (or ``join`` with a session kept
    across connections); close with ``close()``."""

    def __init__(self, session: ClientSession, on_frame: FrameCallback | None,
                 on_close: CloseCallback | None, on_sent: SentCallback | None = None,
                 on_update: UpdateCallback | None = None) -> None:
        self.session = session
        """The protocol state, which this connection keeps up to date."""
        self.welcome: Frame = {}
        """The welcome frame as it came."""
        self.greeting: Welcome | None = None
        """The welcome as the session read it (its history cut to what is new)."""
        self.tls_fingerprint: str | None = None
        """The server certificate's fingerprint when the channels are TLS."""
        self.closed = threading.Event()
        self.close_reason = ""
        self._on_frame = on_frame
        self._on_update = on_update
        self._on_close = on_close
        self._on_sent = on_sent
        self._channels: dict[Channel, FrameSocket] = {}
        self._refs = itertools.count(1)
        self._state_lock = threading.Lock()
        """One reader at a time feeds the session, and ends the connection."""
        self._avatars = AvatarRequests()
        self._threads: list[threading.Thread] = []
        self._readers_left = 0
        self._ending = False

    @property
    def name(self) -> str:
        """Our name now (it follows renames)."""
        return self.session.name

    @property
    def last_seq(self) -> int:
        """The newest ``seq`` received in the default room."""
        return self.session.last_seq()

    @property
    def epoch(self) -> str | None:
        """The default room's history epoch, from the welcome (None from a server without
        epochs): ``last_seq`` means something only within it."""
        return self.session.epoch()

    @classmethod
    def open(
        cls,
        host: str,
        name: str,
        *,
        port_send: int = DEFAULT_PORT_SEND,
        port_recv: int = DEFAULT_PORT_RECV,
        port_image: int | None = None,
        password: str | None = None,
        admin_password: str | None = None,
        since: int | None = None,
        epoch: str | None = None,
        avatar: str | None = None,
        timeout: float = 10.0,
        on_frame: FrameCallback | None = None,
        on_close: CloseCallback | None = None,
        on_sent: SentCallback | None = None,
        tls: TlsClientConfig | None = None,
    ) -> Connection:
        """Connect and join; raises ServerError (typed by code), OSError or TimeoutError
        (TlsError, an OSError, when TLS cannot be set up)."""
        session = ClientSession(name, password=password, admin_password=admin_password,
                                avatar=avatar, since=since, epoch=epoch)
        return cls.join(host, session, port_send=port_send, port_recv=port_recv,
                        port_image=port_image, timeout=timeout, on_frame=on_frame,
                        on_close=on_close, on_sent=on_sent, tls=tls)

    @classmethod
    def join(
        cls,
        host: str,
        session: ClientSession,
        *,
        port_send: int = DEFAULT_PORT_SEND,
        port_recv: int = DEFAULT_PORT_RECV,
        port_image: int | None = None,
        timeout: float = 10.0,
        on_frame: FrameCallback | None = None,
        on_update: UpdateCallback | None = None,
        on_close: CloseCallback | None = None,
        on_sent: SentCallback | None = None,
        tls: TlsClientConfig | None = None,
    ) -> Connection:
        """Join as ``session`` says (its name, and the rooms and seqs it knows), and keep
        it up to date; raises as ``open`` does."""
        self = cls(session, on_frame, on_close, on_sent, on_update)
        dialer = TlsDialer(tls, host) if tls is not None else None
        ports = {
            Channel.RECV: port_recv,
            Channel.SEND: port_send,
            Channel.IMAGE: port_image if port_image is not None else port_recv + 1,
        }
        try:
            recv = self._connect(Channel.RECV, host, ports[Channel.RECV], timeout, dialer)
            self._write(recv, session.hello(CLIENT_SOFTWARE))
            welcome = recv.expect(FrameType.WELCOME)
            try:
                greeting = parse_update(welcome)
            except BadUpdate as exc:
                raise ProtocolError(f"the welcome is malformed: {exc}") from exc
            assert isinstance(greeting, Welcome)
            self.welcome = welcome
            with self._state_lock:
                self.greeting = session.receive(greeting)  # type: ignore[assignment]
            acknowledged = "attached" in greeting.extensions
            for kind in (Channel.SEND, Channel.IMAGE):
                channel = self._connect(kind, host, ports[kind], timeout, dialer)
                self._write(channel, {"type": FrameType.ATTACH, "session": greeting.session})
                if acknowledged:  # a server that only follows the contract sends no ack
                    channel.expect(FrameType.ATTACHED)
        except BaseException:
            self._close_sockets()
            raise
        self.tls_fingerprint = dialer.fingerprint if dialer is not None else None
        for channel in self._channels.values():
            channel.sock.settimeout(None)
            thread = threading.Thread(target=self._read_loop, args=(channel,), daemon=True,
                                      name=f"tuichat-{channel.kind}-{session.name}")
            self._threads.append(thread)
        self._readers_left = len(self._threads)
        for thread in self._threads:
            thread.start()
        return self

    # -- sending (any thread) --------------------------------------------------------------

    def upload_avatar(self, png: bytes) -> Future[str]:
        """Upload a PNG avatar; the future gives its hash once everyone was told of it,
        or raises BadImage."""
        sha = hashlib.sha256(png).hexdigest()
        future = self._avatars.upload(sha)
        self._send(Channel.IMAGE, {"type": FrameType.AVATAR, "sha256": sha}, png)
        return future

    def get_avatar(self, sha256: str) -> Future[bytes]:
        """Fetch an avatar by hash; the future gives its bytes or raises NotFound."""
        future, first = self._avatars.download(sha256)
        if first:
            self._send(Channel.IMAGE, {"type": FrameType.GET_AVATAR, "sha256": sha256})
        return future

    def send_frame(self, channel: Channel, frame: Frame, payload: bytes | None = None) -> None:
        """Send any frame (for tests and protocol extensions)."""
        self._send(channel, frame, payload)

    def bye(self, timeout: float = 2.0) -> None:
        """Say goodbye and close: the others see ``leave`` with reason ``quit``.

        Waits (up to ``timeout``) for the server to close its side, so replies to what was
        sent before the bye still reach ``on_frame``.
        """
        self.close_reason = self.close_reason or "bye"
        try:
            self._send(Channel.SEND, {"type": FrameType.BYE})
        except ConnectionClosed:
            pass
        else:
            self.closed.wait(timeout)
        self.close("bye")

    def close(self, reason: str = "closed by the client") -> None:
        """Close all three connections; ``on_close`` runs once, when the readers end."""
        self._end(reason, local=True)

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until the session is over."""
        return self.closed.wait(timeout)

    # -- internals -------------------------------------------------------------------------

    def _connect(self, kind: Channel, host: str, port: int, timeout: float,
                 tls: TlsDialer | None) -> FrameSocket:
        channel = FrameSocket.dial(kind, host, port, timeout, tls)
        self._channels[kind] = channel
        return channel

    def _send(self, kind: Channel, frame: Frame, payload: bytes | None = None) -> None:
        if self._ending:
            raise ConnectionClosed(self.close_reason or "the connection is closed")
        try:
            self._write(self._channels[kind], frame, payload)
        except OSError as exc:
            self._end(f"sending failed: {exc}")
            raise ConnectionClosed(str(exc)) from exc

    def _write(self, channel: FrameSocket, frame: Frame, payload: bytes | None = None) -> None:
        channel.write(encode(frame, payload))
        if self._on_sent is not None:
            try:
                self._on_sent(channel.kind, frame, len(payload or b""))
            except Exception:
                log.exception("on_sent callback failed")

    def _read_loop(self, channel: FrameSocket) -> None:
        reason = f"the server closed the {channel.kind} channel"
        try:
            while True:
                while channel.pending:
                    decoded = channel.pending.popleft()
                    self._dispatch(channel.kind, decoded.frame, decoded.payload)
                data = channel.sock.recv(65_536)
                if not data:
                    break
                channel.pending.extend(channel.decoder.feed(data))
        except ProtocolError as exc:
            for decoded in exc.frames:
                self._dispatch(channel.kind, decoded.frame, decoded.payload)
            reason = f"the server sent a bad frame: {exc}"
        except OSError as exc:
            reason = f"{channel.kind} channel failed: {exc}"
        self._end(reason)
        self._reader_done()

    def _dispatch(self, kind: Channel, frame: Frame, payload: bytes | None) -> None:
        """Parse a frame once, let the session learn from it, act, and pass both on."""
        update = self._receive(frame, payload)
        if isinstance(update, Ping):
            with contextlib.suppress(ConnectionClosed):
                self._send(Channel.SEND, {"type": FrameType.PONG, "n": update.n})
        elif isinstance(update, Shutdown):
            self.close_reason = update.text or "the server shut down"
        elif isinstance(update, ErrorReport) and update.code in ENDING_ERRORS:
            self.close_reason = update.text or update.code
        if update is not None:
            self._avatars.settle(update, self.session.name)
        try:
            if self._on_frame is not None:
                self._on_frame(kind, frame, payload)
            if self._on_update is not None:
                self._on_update(kind, frame, payload, update)
        except Exception:
            log.exception("a frame callback failed")

    def _receive(self, frame: Frame, payload: bytes | None) -> Update | None:
        """The typed update of ``frame`` as the session sees it; None (and a warning in
        the log) for a malformed frame."""
        try:
            update = parse_update(frame, payload, default_room=self.session.default_room)
        except BadUpdate as exc:
            log.warning("dropped a malformed %r frame from the server: %s",
                        frame.get("type"), exc)
            return None
        with self._state_lock:
            return self.session.receive(update)

    def _end(self, reason: str, *, local: bool = False) -> None:
        """Stop sending and fail what waits; the first reason given is kept.

        A local close cuts all three sockets at once. When the server ends the session,
        the other channels are only half-closed, so their readers still deliver what the
        server sent last (an error, ``shutdown``) before their own end of file.
        """
        with self._state_lock:
            if self._ending:
                return
            self._ending = True
            self.close_reason = self.close_reason or reason
        self._avatars.fail_all(ConnectionClosed(self.close_reason))
        for channel in self._channels.values():
            # socket.socket.shutdown, not SSLSocket's, which would drop the TLS state the
            # reader still needs for the server's last frames.
            with contextlib.suppress(OSError):
                if local:
                    socket.socket.shutdown(channel.sock, socket.SHUT_RDWR)
                else:
                    channel.sock.settimeout(LINGER_SECONDS)
                    socket.socket.shutdown(channel.sock, socket.SHUT_WR)
        if not self._threads:
            self._finished()

    def _reader_done(self) -> None:
        with self._state_lock:
            self._readers_left -= 1
            last = self._readers_left == 0
        if last:
            self._finished()

    def _finished(self) -> None:
        """All readers are done: release the sockets and tell the owner, once."""
        self._close_sockets()
        self.closed.set()
        if self._on_close is not None:
            try:
                self._on_close(self.close_reason)
            except Exception:
                log.exception("on_close callback failed")

    def _close_sockets(self) -> None:
        for channel in self._channels.values():
            with contextlib.suppress(OSError):
                channel.sock.shutdown(socket.SHUT_RDWR)
            channel.sock.close()
