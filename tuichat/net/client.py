"""A client session over the three channels, for the TUI, tests and bots.

``Connection.open`` connects recv, says hello, reads welcome, then connects send and image
and attaches both. After that one reader thread per channel hands every frame to
``on_frame``; pings are answered here. Send methods are safe to call from any thread.
With ``tls`` each channel is wrapped in TLS, and all three must show one certificate.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from tuichat import __version__
from tuichat.net.codec import Decoded, FrameDecoder, ProtocolError, encode
from tuichat.net.frames import (
    DEFAULT_PORT_RECV,
    DEFAULT_PORT_SEND,
    PROTOCOL_VERSION,
    Channel,
    ErrorCode,
    Frame,
    FrameType,
)
from tuichat.net.tls import TlsClientConfig, TlsDialer

log = logging.getLogger(__name__)

FrameCallback = Callable[[Channel, Frame, bytes | None], None]
SentCallback = Callable[[Channel, Frame, int], None]
"""Told of every frame written: channel, frame, payload size (for debug views)."""
CloseCallback = Callable[[str], None]
CLIENT_SOFTWARE = f"tuichat/{__version__}"
LINGER_SECONDS = 5.0
"""How long readers wait for the server's last bytes after the session ended."""


class ServerError(Exception):
    """An ``error`` frame from the server; ``code`` is the contract's error code."""

    code: str = ""

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @staticmethod
    def from_frame(frame: Frame) -> ServerError:
        """The typed exception for an ``error`` frame."""
        code = str(frame.get("code", ""))
        text = str(frame.get("text", "") or code)
        kind = _ERROR_TYPES.get(code, ServerError)
        return kind(text, code)


class BadVersion(ServerError):
    code = ErrorCode.BAD_VERSION


class BadName(ServerError):
    code = ErrorCode.BAD_NAME


class NameTaken(ServerError):
    code = ErrorCode.NAME_TAKEN


class BadPassword(ServerError):
    code = ErrorCode.BAD_PASSWORD


class ServerFull(ServerError):
    code = ErrorCode.SERVER_FULL


class BadSession(ServerError):
    code = ErrorCode.BAD_SESSION


class BadFrame(ServerError):
    code = ErrorCode.BAD_FRAME


class UnknownType(ServerError):
    code = ErrorCode.UNKNOWN_TYPE


class BadImage(ServerError):
    code = ErrorCode.BAD_IMAGE


class NotFound(ServerError):
    code = ErrorCode.NOT_FOUND


class Kicked(ServerError):
    """An admin ended the session (extension ``moderation``)."""

    code = ErrorCode.KICKED


class Banned(ServerError):
    """The address or the name is banned: at ``hello``, or when an admin banned it
    (``moderation``)."""

    code = ErrorCode.BANNED


_ERROR_TYPES: dict[str, type[ServerError]] = {
    kind.code: kind
    for kind in (BadVersion, BadName, NameTaken, BadPassword, ServerFull, BadSession,
                 BadFrame, UnknownType, BadImage, NotFound, Kicked, Banned)
}
_ENDING_ERRORS = (ErrorCode.KICKED, ErrorCode.BANNED)
"""Error codes after which the server closes the session (their text is the reason)."""


class ConnectionClosed(ConnectionError):
    """The session is over; nothing more can be sent."""


class _Channel:
    """One socket with its decoder and a lock for writers."""

    def __init__(self, kind: Channel, sock: socket.socket) -> None:
        self.kind = kind
        self.sock = sock
        self.decoder = FrameDecoder()
        self.pending: deque[Decoded] = deque()
        self.lock = threading.Lock()

    def read_frame(self) -> Decoded:
        """Block until one whole frame is in (used during set-up, before the threads)."""
        while not self.pending:
            data = self.sock.recv(65_536)
            if not data:
                raise ConnectionClosed(f"the server closed the {self.kind} channel")
            self.pending.extend(self.decoder.feed(data))
        return self.pending.popleft()

    def write(self, data: bytes) -> None:
        with self.lock:
            self.sock.sendall(data)


class Connection:
    """A joined session. Use ``Connection.open(...)``; close with ``close()``."""

    def __init__(self, name: str, on_frame: FrameCallback | None,
                 on_close: CloseCallback | None, on_sent: SentCallback | None = None) -> None:
        self.name = name
        self.welcome: Frame = {}
        self.tls_fingerprint: str | None = None
        """The server certificate's fingerprint when the channels are TLS."""
        self.last_seq = 0
        self.epoch: str | None = None
        """The history epoch the welcome gave (None from a server without epochs):
        ``last_seq`` means something only within it."""
        self.closed = threading.Event()
        self.close_reason = ""
        self._on_frame = on_frame
        self._on_close = on_close
        self._on_sent = on_sent
        self._channels: dict[Channel, _Channel] = {}
        self._refs = itertools.count(1)
        self._futures_lock = threading.Lock()
        self._downloads: dict[str, list[Future[bytes]]] = {}
        self._uploads: dict[str, list[Future[str]]] = {}
        self._threads: list[threading.Thread] = []
        self._readers_left = 0
        self._ending = False

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
        self = cls(name, on_frame, on_close, on_sent)
        dialer = TlsDialer(tls, host) if tls is not None else None
        ports = {
            Channel.RECV: port_recv,
            Channel.SEND: port_send,
            Channel.IMAGE: port_image if port_image is not None else port_recv + 1,
        }
        hello: Frame = {"type": FrameType.HELLO, "version": PROTOCOL_VERSION, "name": name,
                        "client": CLIENT_SOFTWARE}
        optional = {"password": password, "admin_password": admin_password, "since": since,
                    "epoch": epoch if since is not None else None, "avatar": avatar}
        hello.update({key: value for key, value in optional.items() if value is not None})
        try:
            recv = self._connect(Channel.RECV, host, ports[Channel.RECV], timeout, dialer)
            self._write(recv, hello)
            welcome = self._expect(recv, FrameType.WELCOME)
            token = welcome.get("session")
            if not isinstance(token, str):
                raise ProtocolError("welcome has no session token")
            self.welcome = welcome
            self.name = str(welcome.get("name", name))
            known = welcome.get("epoch")
            self.epoch = known if isinstance(known, str) else None
            self._note_seqs(welcome.get("history", []))
            acknowledged = "attached" in welcome.get("extensions", [])
            for kind in (Channel.SEND, Channel.IMAGE):
                channel = self._connect(kind, host, ports[kind], timeout, dialer)
                self._write(channel, {"type": FrameType.ATTACH, "session": token})
                if acknowledged:  # a server that only follows the contract sends no ack
                    self._expect(channel, FrameType.ATTACHED)
        except BaseException:
            self._close_sockets()
            raise
        self.tls_fingerprint = dialer.fingerprint if dialer is not None else None
        for channel in self._channels.values():
            channel.sock.settimeout(None)
            thread = threading.Thread(target=self._read_loop, args=(channel,), daemon=True,
                                      name=f"tuichat-{channel.kind}-{name}")
            self._threads.append(thread)
        self._readers_left = len(self._threads)
        for thread in self._threads:
            thread.start()
        return self

    # -- sending (any thread) --------------------------------------------------------------

    def say(self, text: str, ref: str | None = None, *, action: bool = False) -> str:
        """Send a chat line (an emote, ``/me``, with ``action``); returns the ``ref`` its
        echo will carry."""
        ref = ref if ref is not None else self._next_ref()
        frame: Frame = {"type": FrameType.SAY, "text": text, "ref": ref}
        if action:
            frame["action"] = True
        self._send(Channel.SEND, frame)
        return ref

    def private(self, to: str, text: str, ref: str | None = None) -> str:
        """Send a private message to ``to``; returns the ``ref`` of the sender's copy (and
        of a refusal)."""
        ref = ref if ref is not None else self._next_ref()
        self._send(Channel.SEND, {"type": FrameType.PRIVATE, "to": to, "text": text,
                                  "ref": ref})
        return ref

    def nick(self, name: str) -> None:
        """Ask to be renamed; success comes as ``leave`` + ``join`` with ``renamed_*``."""
        self._send(Channel.SEND, {"type": FrameType.NICK, "name": name})

    def away(self, text: str | None) -> None:
        """Set the away text, or come back with None."""
        self._send(Channel.SEND, {"type": FrameType.AWAY, "text": text})

    def whois(self, name: str) -> None:
        """Ask about ``name``; the answer is a ``whois`` frame (or an error notice)."""
        self._send(Channel.SEND, {"type": FrameType.WHOIS, "name": name})

    def command(self, line: str) -> None:
        """Send a command line (e.g. ``admin -s``) exactly as typed."""
        self._send(Channel.SEND, {"type": FrameType.COMMAND, "line": line})

    def upload_avatar(self, png: bytes) -> Future[str]:
        """Upload a PNG avatar; the future gives its hash once everyone was told of it,
        or raises BadImage."""
        sha = hashlib.sha256(png).hexdigest()
        future: Future[str] = Future()
        with self._futures_lock:
            self._uploads.setdefault(sha, []).append(future)
        self._send(Channel.IMAGE, {"type": FrameType.AVATAR, "sha256": sha}, png)
        return future

    def get_avatar(self, sha256: str) -> Future[bytes]:
        """Fetch an avatar by hash; the future gives its bytes or raises NotFound."""
        future: Future[bytes] = Future()
        with self._futures_lock:
            first = sha256 not in self._downloads
            self._downloads.setdefault(sha256, []).append(future)
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

    def _next_ref(self) -> str:
        return f"c-{next(self._refs)}"

    def _connect(self, kind: Channel, host: str, port: int, timeout: float,
                 tls: TlsDialer | None) -> _Channel:
        def connect() -> socket.socket:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock

        channel = _Channel(kind, connect() if tls is None else tls.wrap(connect, port))
        self._channels[kind] = channel
        return channel

    @staticmethod
    def _expect(channel: _Channel, kind: FrameType) -> Frame:
        frame = channel.read_frame().frame
        if frame.get("type") == FrameType.ERROR:
            raise ServerError.from_frame(frame)
        if frame.get("type") != kind:
            raise ProtocolError(f"expected {kind} on {channel.kind}, got {frame.get('type')!r}")
        return frame

    def _send(self, kind: Channel, frame: Frame, payload: bytes | None = None) -> None:
        if self._ending:
            raise ConnectionClosed(self.close_reason or "the connection is closed")
        try:
            self._write(self._channels[kind], frame, payload)
        except OSError as exc:
            self._end(f"sending failed: {exc}")
            raise ConnectionClosed(str(exc)) from exc

    def _write(self, channel: _Channel, frame: Frame, payload: bytes | None = None) -> None:
        channel.write(encode(frame, payload))
        if self._on_sent is not None:
            try:
                self._on_sent(channel.kind, frame, len(payload or b""))
            except Exception:
                log.exception("on_sent callback failed")

    def _read_loop(self, channel: _Channel) -> None:
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
        frame_type = frame.get("type")
        if frame_type == FrameType.PING:
            with contextlib.suppress(ConnectionClosed):
                self._send(Channel.SEND, {"type": FrameType.PONG, "n": frame.get("n")})
        elif frame_type == FrameType.MESSAGE:
            self._note_seqs([frame])
        elif frame_type == FrameType.HISTORY:
            self._note_seqs(frame.get("messages", []))
        elif frame_type == FrameType.SHUTDOWN:
            self.close_reason = str(frame.get("text", "the server shut down"))
        elif frame_type == FrameType.ERROR and frame.get("code") in _ENDING_ERRORS:
            self.close_reason = str(frame.get("text") or frame.get("code"))
        elif frame_type == FrameType.LEAVE and frame.get("name") == self.name:
            self.name = str(frame.get("renamed_to") or self.name)
        self._settle_futures(frame, payload)
        if self._on_frame is not None:
            try:
                self._on_frame(kind, frame, payload)
            except Exception:
                log.exception("on_frame callback failed")

    def _settle_futures(self, frame: Frame, payload: bytes | None) -> None:
        frame_type, sha = frame.get("type"), frame.get("sha256")
        with self._futures_lock:
            if frame_type == FrameType.AVATAR and payload is not None:
                for download in self._downloads.pop(str(sha), []):
                    download.set_result(payload)
            elif frame_type == FrameType.AVATAR_CHANGED and frame.get("name") == self.name:
                avatar = str(frame.get("avatar"))
                for upload in self._uploads.pop(avatar, []):
                    upload.set_result(avatar)
            elif frame_type == FrameType.ERROR and frame.get("code") == ErrorCode.NOT_FOUND:
                for download in self._downloads.pop(str(sha), []):
                    download.set_exception(ServerError.from_frame(frame))
            elif frame_type == FrameType.ERROR and frame.get("code") == ErrorCode.BAD_IMAGE:
                for upload in self._uploads.pop(str(sha), []):
                    upload.set_exception(ServerError.from_frame(frame))

    def _note_seqs(self, frames: object) -> None:
        for frame in frames if isinstance(frames, list) else []:
            seq = frame.get("seq") if isinstance(frame, dict) else None
            if isinstance(seq, int) and seq > self.last_seq:
                self.last_seq = seq

    def _end(self, reason: str, *, local: bool = False) -> None:
        """Stop sending and fail what waits; the first reason given is kept.

        A local close cuts all three sockets at once. When the server ends the session,
        the other channels are only half-closed, so their readers still deliver what the
        server sent last (an error, ``shutdown``) before their own end of file.
        """
        with self._futures_lock:
            if self._ending:
                return
            self._ending = True
            self.close_reason = self.close_reason or reason
            pending: list[Future[Any]] = [
                future for waiting in self._downloads.values() for future in waiting
            ]
            pending += [future for waiting in self._uploads.values() for future in waiting]
            self._downloads.clear()
            self._uploads.clear()
        for future in pending:
            future.set_exception(ConnectionClosed(self.close_reason))
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
        with self._futures_lock:
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
