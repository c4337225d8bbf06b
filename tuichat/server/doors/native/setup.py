"""Session set-up: ``hello`` on recv lets a user in (the chat decides), ``attach`` on send
and image binds those connections to its session, each within ``setup_timeout``."""

from __future__ import annotations

import logging
import secrets
import time
from functools import partial
from typing import TYPE_CHECKING

from tuichat.net.frames import Channel, ErrorCode, FrameType, LeaveReason, is_sha256
from tuichat.server.core.events import Noticed
from tuichat.server.core.model import Member
from tuichat.server.core.requests import RequestError
from tuichat.server.doors.native import parse
from tuichat.server.doors.native.brief import brief_name
from tuichat.server.doors.native.session import Session, Sessions
from tuichat.server.doors.native.wire import ERROR_CODES, send_error, write

if TYPE_CHECKING:
    from tuichat.net.codec import Decoded
    from tuichat.server.avatars import AvatarStore
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.events import Door
    from tuichat.server.doors.native.connections import Connections
    from tuichat.server.doors.native.peer import Peer
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")


class Setup:
    """``hello`` and ``attach`` for the native door ``door``."""

    def __init__(self, config: ServerConfig, reactor: Reactor, chat: Chat, door: Door,
                 sessions: Sessions, connections: Connections, avatars: AvatarStore,
                 console_avatar: str) -> None:
        self._config = config
        self._reactor = reactor
        self._chat = chat
        self._door = door
        self._sessions = sessions
        self._connections = connections
        self._avatars = avatars
        self._console_avatar = console_avatar

    def hello(self, peer: Peer, decoded: Decoded) -> None:
        """A user asks to come in: refused with an ``error`` and a close, or welcomed."""
        frame = decoded.frame
        if peer.session is not None:
            send_error(peer, ErrorCode.UNKNOWN_TYPE, "hello was already received")
            return
        host = self._connections.host(peer)
        refusal = self._chat.address_refusal(host)
        if refusal is not None:
            self._refuse(peer, decoded, ERROR_CODES[refusal.kind], refusal.text)
            return
        problem = parse.version_problem(frame)
        if problem is not None:
            self._refuse(peer, decoded, ErrorCode.BAD_VERSION, problem)
            return
        try:
            arrival, problems = parse.arrival(frame, self._known_avatar(frame.get("avatar")))
        except RequestError as exc:
            self._refuse(peer, decoded, ErrorCode.BAD_NAME, str(exc))
            return
        member = Member(arrival.name, host, peer.address, peer)
        session = Session(secrets.token_urlsafe(24), member, peer, last_heard=time.monotonic())
        self._sessions.add(session)  # before the welcome, which names its token
        refusal = self._chat.arrive(member, arrival, self._door)
        if refusal is not None:
            self._sessions.remove(session)
            self._refuse(peer, decoded, ERROR_CODES[refusal.kind], refusal.text)
            return
        peer.session = session
        if arrival.ticket is not None:
            session.ticketed = True
            self._connections.rehome(peer, ticketed_account(member))
        for text in problems:
            self._door.deliver(Noticed(text, "error"), (member,))
        if self._config.setup_timeout > 0:
            self._reactor.call_later(self._config.setup_timeout,
                                     partial(self._attach_expired, session))

    def _known_avatar(self, wanted: object) -> str | None:
        """The avatar ``hello`` names, when it is a stored picture other than Console's."""
        if is_sha256(wanted) and wanted != self._console_avatar and wanted in self._avatars:
            assert isinstance(wanted, str)
            return wanted
        return None

    @staticmethod
    def _refuse(peer: Peer, decoded: Decoded, code: ErrorCode, text: str) -> None:
        log.info("refused %s from %s: %s", brief_name(decoded.frame), peer.address, text)
        send_error(peer, code, text)
        peer.close_soon()

    def attach(self, peer: Peer, decoded: Decoded) -> None:
        """Bind a send or image connection to the session its token names."""
        session = self._sessions.with_token(decoded.frame.get("session"))
        if peer.session is not None:
            send_error(peer, ErrorCode.BAD_SESSION, "this connection is already attached")
            return
        if session is None or session.ended:
            send_error(peer, ErrorCode.BAD_SESSION, "unknown session token")
            peer.close_soon()
            return
        if session.peer(peer.channel) is not None:
            send_error(peer, ErrorCode.BAD_SESSION,
                       f"the session already has a {peer.channel} channel")
            peer.close_soon()
            return
        if peer.channel is Channel.SEND:
            session.send = peer
        else:
            session.image = peer
        peer.session = session
        if session.ticketed:
            self._connections.rehome(peer, ticketed_account(session.member))
        session.last_heard = time.monotonic()
        write(peer, {"type": FrameType.ATTACHED, "channel": peer.channel.value})

    def _attach_expired(self, session: Session) -> None:
        """A joined session had ``setup_timeout`` seconds to attach send and image."""
        missing = [channel.value for channel in (Channel.SEND, Channel.IMAGE)
                   if session.peer(channel) is None]
        if session.ended or not missing:
            return
        what = f"{' and '.join(missing)} channel{'s' if len(missing) > 1 else ''}"
        why = f"no {what} attached within {self._config.setup_timeout:g} s"
        self._door.deliver(Noticed(f"Disconnected: {why}.", "error"), (session.member,))
        self._chat.leave(session.member, LeaveReason.TIMEOUT, why)


def ticketed_account(member: Member) -> str:
    """What a ticketed session's connections count against: the SSH key it came in with
    (people behind one address never lock each other out), else its address."""
    if member.fingerprint is not None:
        return f"key {member.fingerprint}"
    return member.host
