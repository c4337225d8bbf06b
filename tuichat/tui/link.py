"""The client's hold on a server: join, keep the session, reconnect with back-off.

``ChatLink`` runs one supervisor thread. It joins, uploads the user's avatar when the
server does not have it yet, and when the session is lost it waits (0.5 s, 1 s, 2 s ...
up to 15 s, with jitter) and joins again. The protocol state lives in one
``ClientSession`` that outlives each connection, so the next hello carries ``since`` and
the epoch of every room (no message is missed), and what a rejoin must restore (leaving
the default room again, the away text) is sent right after the welcome. Everything it
learns is handed to ``on_event`` as a small event object, from its own threads: the app
turns those into Textual messages. It knows nothing of Textual.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from tuichat.net.client import Connection
from tuichat.net.errors import BadName, BadPassword, BadVersion, ConnectionClosed, ServerError
from tuichat.net.frames import Channel, Frame
from tuichat.net.session import ClientSession
from tuichat.net.tls import CertificateChanged, TlsClientConfig, TlsError, Untrusted
from tuichat.net.updates import ErrorReport, Update, Welcome

log = logging.getLogger(__name__)

FIRST_DELAY = 0.5
MAX_DELAY = 15.0


@dataclass(frozen=True)
class Target:
    """Where and as whom to join."""

    host: str
    name: str
    port_send: int
    port_recv: int
    port_image: int
    password: str | None = None
    admin_password: str | None = None
    avatar_png: bytes | None = None
    tls: TlsClientConfig | None = None
    ticket: str | None = None
    """The SSH door's one-time ticket (``hello.ticket``), when the server started us."""

    @property
    def avatar_sha(self) -> str | None:
        return hashlib.sha256(self.avatar_png).hexdigest() if self.avatar_png else None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port_recv}"


# -- events, delivered from the link's threads ----------------------------------------------


@dataclass(frozen=True)
class Joined:
    """A session began; ``welcome`` is the server's welcome as the session read it (its
    ``history_replaced`` says the history is another than the one this link knew: a new
    database, or one that lost its tail, so it replaces what is shown)."""

    welcome: Welcome
    rejoined: bool
    admin_asked: bool = False
    """The hello carried an admin password (given at the start, or kept from ``admin -a``)."""
    tls_fingerprint: str | None = None
    """The server certificate's fingerprint when the session is over TLS."""
    was_admin: bool = False
    """The session before this one had admin rights."""


@dataclass(frozen=True)
class FrameIn:
    """A frame from the server (pings included, for the debug pane), and its typed
    update: None when the frame was malformed or is a message already received."""

    channel: Channel
    frame: Frame
    payload: bytes | None
    update: Update | None = None


@dataclass(frozen=True)
class FrameOut:
    """A frame this client wrote; ``payload_size`` counts the bytes after it."""

    channel: Channel
    frame: Frame
    payload_size: int


@dataclass(frozen=True)
class Lost:
    """The session ended without the user asking; ``retry_in`` seconds until the next try."""

    reason: str
    retry_in: float


@dataclass(frozen=True)
class Retrying:
    """A join attempt failed while reconnecting; the next comes in ``retry_in`` seconds."""

    reason: str
    retry_in: float
    attempt: int


@dataclass(frozen=True)
class Refused:
    """The server (or the network) refused us for good; the link has stopped."""

    reason: str
    code: str


@dataclass(frozen=True)
class AvatarFetched:
    """An avatar's bytes arrived (``png`` is None when the server does not have it)."""

    sha256: str
    png: bytes | None


@dataclass(frozen=True)
class AvatarRefused:
    """The server refused our avatar upload."""

    reason: str


LinkEvent = Joined | FrameIn | FrameOut | Lost | Retrying | Refused | AvatarFetched | AvatarRefused
EventSink = Callable[[LinkEvent], None]

FATAL_ON_REJOIN = (BadName, BadPassword, BadVersion)
"""Errors that retrying cannot cure. ``name_taken`` can: the old session is still ending."""
ENDING_CODES = ("kicked", "banned")
"""Error codes of a session the server ended on purpose: the link does not come back."""
NEVER_RETRIED = (CertificateChanged, Untrusted)
"""A changed or refused certificate is the user's call, never the back-off's."""


def backoff_delay(attempt: int, first: float = FIRST_DELAY) -> float:
    """The wait before reconnect ``attempt`` (1-based): doubling, capped, with ±20% jitter."""
    base = min(MAX_DELAY, first * 2.0 ** (attempt - 1))
    return base * random.uniform(0.8, 1.2)


class ChatLink:
    """One user's session with one server, kept alive across disconnects."""

    def __init__(self, target: Target, on_event: EventSink, *,
                 first_delay: float = FIRST_DELAY, timeout: float = 10.0) -> None:
        self.target = target
        self.session = ClientSession(target.name, password=target.password,
                                     admin_password=target.admin_password,
                                     avatar=target.avatar_sha, ticket=target.ticket)
        """The protocol state, kept across reconnects (the admin password of an
        ``admin -a`` that worked is kept there, in memory, for the next join)."""
        self._on_event = on_event
        self._first_delay = first_delay
        self._timeout = timeout
        self._conn: Connection | None = None
        self._held: list[LinkEvent] | None = None
        """Frames that arrive while a join is still being announced, in order."""
        self._ended: Refused | None = None
        """Why the server ended the session on purpose (a kick or a ban), if it did."""
        self._order = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tuichat-link")

    # -- control (any thread) ---------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.closed.is_set()

    def say(self, text: str, room: str | None = None) -> str:
        """Send a chat line to ``room`` (None: the default room); raises ConnectionClosed
        when not connected."""
        return self.connection().say(text, room=room)

    def command(self, line: str, room: str | None = None) -> None:
        """Send a command line about ``room``; raises ConnectionClosed when not connected."""
        self.connection().command(line, room)

    def connection(self) -> Connection:
        """The live connection, for its requests; ConnectionClosed when there is none."""
        conn = self._conn
        if conn is None or conn.closed.is_set():
            raise ConnectionClosed("not connected")
        return conn

    def fetch_avatar(self, sha256: str) -> None:
        """Ask for an avatar; ``AvatarFetched`` follows (nothing if the session ends first)."""
        try:
            future = self.connection().get_avatar(sha256)
        except ConnectionClosed:
            return
        future.add_done_callback(lambda done: self._avatar_done(sha256, done))

    def retry_now(self) -> None:
        """Cut the current back-off short."""
        self._wake.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Leave (``bye``) and stop reconnecting; blocks up to about ``timeout``."""
        self._stopping.set()
        self._wake.set()
        conn = self._conn
        if conn is not None:
            conn.bye(timeout)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # -- the supervisor thread --------------------------------------------------------------

    def _run(self) -> None:
        joined_before = False
        attempt = 0
        while not self._stopping.is_set():
            was_admin = self.session.admin  # the welcome says it anew
            try:
                conn = self._join()
            except ServerError as exc:
                if not joined_before or isinstance(exc, FATAL_ON_REJOIN) \
                        or exc.code in ENDING_CODES:
                    self._on_event(Refused(exc.text, exc.code))
                    return
                reason = exc.text
            except NEVER_RETRIED as exc:
                self._on_event(Refused(str(exc), "tls"))
                return
            except (OSError, ConnectionError) as exc:
                if not joined_before:
                    self._on_event(Refused(_network_words(exc, self.target), "network"))
                    return
                reason = _network_words(exc, self.target)
            else:
                attempt = 0
                assert conn.greeting is not None
                self._announce(Joined(conn.greeting, joined_before, self.session.asked_admin,
                                      conn.tls_fingerprint, was_admin))
                joined_before = True
                self._restore(conn)
                self._send_avatar(conn)
                conn.wait_closed()
                if self._stopping.is_set():
                    return
                if self._ended is not None:
                    self._on_event(self._ended)
                    return
                delay = backoff_delay(1, self._first_delay)
                self._on_event(Lost(conn.close_reason, delay))
                self._pause(delay)
                continue
            attempt += 1
            delay = backoff_delay(attempt + 1, self._first_delay)
            self._on_event(Retrying(reason, delay, attempt))
            self._pause(delay)

    def _frame_in(self, channel: Channel, frame: Frame, payload: bytes | None,
                  update: Update | None) -> None:
        if isinstance(update, ErrorReport) and update.code in ENDING_CODES:
            self._ended = Refused(update.text, update.code)  # a kick or a ban: no rejoin
        event = FrameIn(channel, frame, payload, update)
        with self._order:
            if self._held is not None:
                self._held.append(event)
                return
        self._on_event(event)

    def _announce(self, joined: Joined) -> None:
        """Deliver ``joined``, then the frames that came after the welcome, in order."""
        with self._order:
            held, self._held = self._held or [], None
            self._on_event(joined)
            for event in held:
                self._on_event(event)

    def _pause(self, delay: float) -> None:
        self._wake.wait(delay)
        self._wake.clear()

    def _join(self) -> Connection:
        target = self.target
        with self._order:
            self._held = []  # the readers start before join() returns
        conn = Connection.join(
            target.host, self.session,
            port_send=target.port_send, port_recv=target.port_recv,
            port_image=target.port_image, timeout=self._timeout, tls=target.tls,
            on_update=self._frame_in,
            on_sent=lambda channel, frame, size: self._on_event(FrameOut(channel, frame, size)),
        )
        self._conn = conn
        if self._stopping.is_set():
            conn.close()
        return conn

    def _restore(self, conn: Connection) -> None:
        """After a welcome: send what puts the session back as it was (``after_welcome``)."""
        for frame in self.session.after_welcome():
            try:
                conn.send_frame(Channel.SEND, frame)
            except ConnectionClosed:
                return

    def _send_avatar(self, conn: Connection) -> None:
        png = self.target.avatar_png
        if png is None or conn.greeting is None or conn.greeting.avatar == self.target.avatar_sha:
            return
        try:
            upload = conn.upload_avatar(png)
        except ConnectionClosed:
            return
        upload.add_done_callback(self._upload_done)

    def _upload_done(self, done: Future[str]) -> None:
        error = done.exception()
        if isinstance(error, ServerError):
            self._on_event(AvatarRefused(error.text))

    def _avatar_done(self, sha256: str, done: Future[bytes]) -> None:
        error = done.exception()
        if error is None:
            self._on_event(AvatarFetched(sha256, done.result()))
        elif isinstance(error, ServerError):
            self._on_event(AvatarFetched(sha256, None))


def _network_words(exc: BaseException, target: Target) -> str:
    """A failure to reach the server, in words a user can act on."""
    if isinstance(exc, TlsError):
        return str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return f"nobody is listening on {target.address}: is the server running?"
    if isinstance(exc, TimeoutError):
        return f"{target.address} did not answer in time"
    if isinstance(exc, ConnectionError | EOFError) and not str(exc):
        return f"{target.address} closed the connection"
    return f"cannot reach {target.address}: {exc}"
