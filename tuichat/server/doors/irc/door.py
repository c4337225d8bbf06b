"""The IRC door: IRC clients in the chat's rooms, on the reactor thread.

Every accepted socket becomes an ``IrcConnection`` and an ``IrcSession``; each line is
read once (``message.parse``) and dispatched through one table (``commands``). Once a
client has a nick and a user (and has ended CAP negotiation) it arrives in the chat as
a member like any other; the chat's events come back through ``deliver`` and go out as
IRC lines (``render``). Keep-alive (PING, the ping timeout), the registration deadline
and the connection limits are the door's.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Collection
from typing import TYPE_CHECKING

from tuichat.net.frames import LeaveReason
from tuichat.server.doors.irc import replies as r
from tuichat.server.doors.irc.commands import Commands
from tuichat.server.doors.irc.connection import IrcConnection
from tuichat.server.doors.irc.greeter import Greeter
from tuichat.server.doors.irc.message import LineError, encode, parse, too_long
from tuichat.server.doors.irc.people import People
from tuichat.server.doors.irc.render import Renderer
from tuichat.server.doors.irc.session import IrcSession
from tuichat.server.doors.native.connections import socket_host

if TYPE_CHECKING:
    import socket
    import ssl

    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.events import Event
    from tuichat.server.core.model import Member
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")


class IrcDoor:
    """IRC sessions for the chat; reactor thread only."""

    def __init__(self, config: ServerConfig, chat: Chat, reactor: Reactor,
                 name: str, tls: ssl.SSLContext | None = None) -> None:
        """``name``: the server's IRC name (``--irc-name``); ``tls``: the server's TLS
        context, for the connections of the TLS port."""
        self._config = config
        self._tls = tls
        self._chat = chat
        self._reactor = reactor
        self.sessions: dict[IrcConnection, IrcSession] = {}
        self.members: dict[Member, IrcSession] = {}
        self._per_host: Counter[str] = Counter()
        self.replies = r.Replies(name)
        self.people = People(chat, self.members)
        self.greeter = Greeter(chat, self.replies, self.people, self._unregistered)
        self.renderer = Renderer(self.replies, self.people, self.greeter,
                                 self._sessions_of, self.end)
        self.commands = Commands(self)
        chat.add_door(self)

    @property
    def chat(self) -> Chat:
        """The chat this door lets clients into."""
        return self._chat

    @property
    def config(self) -> ServerConfig:
        """The server's settings."""
        return self._config

    # -- connections -------------------------------------------------------------------------

    def accept(self, sock: socket.socket, *, tls: bool = False) -> None:
        """Take a newly accepted socket (of the TLS port with ``tls``): refused at once
        over the connection limits."""
        host = socket_host(sock)
        conn = IrcConnection(sock, host, self._reactor, self, self._config.queue_limit,
                             tls=self._tls if tls else None)
        self._per_host[host] += 1
        session = IrcSession(conn)
        self.sessions[conn] = session
        refusal = self._limit_refusal(host) or self._chat.address_refusal(host)
        if refusal is not None:
            text = refusal if isinstance(refusal, str) else refusal.text
            self.end(session, text)

    def _limit_refusal(self, host: str) -> str | None:
        per_host, total = self._config.max_per_address, self._config.max_connections
        if per_host and self._per_host[host] > per_host:
            return f"too many connections from your address (at most {per_host:,})"
        if total and len(self.sessions) > total:
            return f"the server is full ({total:,} connections); try again later"
        return None

    def on_line(self, conn: IrcConnection, raw: bytes) -> None:
        """One line from a client: read once, then its command's row runs."""
        session = self.sessions.get(conn)
        if session is None or session.quitting is not None:
            return
        session.last_heard = time.monotonic()
        if too_long(raw):
            self.on_too_long(conn)
            return
        try:
            line = parse(raw)
        except LineError:
            return
        self.commands.run(session, line)

    def on_too_long(self, conn: IrcConnection) -> None:
        """A line over the limit: refused, never buffered whole."""
        session = self.sessions.get(conn)
        if session is not None:
            self.replies.numeric(session, r.ERR_INPUTTOOLONG, "Input line was too long")

    def on_lost(self, conn: IrcConnection, reason: LeaveReason, why: str) -> None:
        """The connection ended or failed: the session ends with it."""
        session = self.sessions.get(conn)
        if session is None:
            return
        if session.member is not None and not session.member.ended:
            self.leave(session, reason, why)
        self._forget(session)
        conn.close()

    def leave(self, session: IrcSession, reason: LeaveReason, why: str) -> None:
        """End ``session``'s member in the chat; the others see its QUIT message (the
        client's own, or ``why``)."""
        assert session.member is not None
        self.people.remember(session.member)
        text = session.quitting if session.quitting is not None else why
        self.renderer.quit_text = text
        try:
            self._chat.leave(session.member, reason, text)
        finally:
            self.renderer.quit_text = None

    def end(self, session: IrcSession, text: str | None) -> None:
        """Close ``session`` after an ERROR line (``text``: why)."""
        conn = session.conn
        conn.write(encode(None, "ERROR", f"Closing Link: {text or 'Bye'}"))
        conn.close_soon()

    def _forget(self, session: IrcSession) -> None:
        conn = session.conn
        if self.sessions.pop(conn, None) is not None:
            self._per_host[conn.host] -= 1
            if not self._per_host[conn.host]:
                del self._per_host[conn.host]
        if session.member is not None:
            self.members.pop(session.member, None)

    def admitted(self, session: IrcSession, member: Member) -> None:
        """The chat let ``session`` in as ``member`` (before its welcome is delivered)."""
        session.member = member
        self.members[member] = session

    # -- events out ----------------------------------------------------------------------------

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        """Turn ``event`` into IRC lines for ``members``, encoded once."""
        self.renderer.deliver(event, members)

    def _unregistered(self) -> int:
        return sum(1 for session in self.sessions.values()
                   if session.member is None and not session.conn.closing)

    def _sessions_of(self, members: Collection[Member]) -> list[IrcSession]:
        sessions = self.members
        return [session for member in members if (session := sessions.get(member))]

    # -- keep-alive and stopping ---------------------------------------------------------

    def tick(self) -> None:
        """Ping the quiet, drop the silent and the unregistered past the deadline, and
        cut closing connections that linger too long."""
        now = time.monotonic()
        config = self._config
        for session in list(self.sessions.values()):
            conn = session.conn
            if conn.closing:
                if conn.expired(now):
                    conn.close()
                    self._forget(session)
                continue
            quiet = now - session.last_heard
            member = session.member
            if member is None:
                if config.setup_timeout and now - session.started > config.setup_timeout:
                    self.end(session, "Registration timeout")
            elif quiet >= config.ping_timeout:
                self.leave(session, LeaveReason.TIMEOUT, f"Ping timeout: {quiet:.0f} seconds")
            elif quiet >= config.ping_interval and now - session.last_ping >= config.ping_interval:
                session.last_ping = now
                self.replies.server(session, "PING", self.replies.name)

    def close_everyone(self) -> None:
        """Close every connection now (the end of a stop)."""
        for session in list(self.sessions.values()):
            session.conn.close()
            self._forget(session)
