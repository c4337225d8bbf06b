"""The native door: the three-socket protocol between clients and the chat.

Every accepted connection becomes a ``Peer``; its frames are dispatched by (channel,
type): set-up (``hello``, ``attach``) to ``Setup``, avatars to ``AvatarExchange``, and
each chat frame of a member's send channel parsed once (``parse``) into a request for the
chat. The chat's events come back through ``deliver`` and go out as frames (``render``).
Keep-alive (ping, pong, silence) and the connection limits are the door's too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from tuichat.net.codec import Decoded, ProtocolError
from tuichat.net.frames import Channel, ErrorCode, FrameType, LeaveReason
from tuichat.server.core.events import Ended, Event
from tuichat.server.doors.native import parse
from tuichat.server.doors.native.avatar_exchange import AvatarExchange
from tuichat.server.doors.native.brief import Brief
from tuichat.server.doors.native.connections import Connections, socket_host
from tuichat.server.doors.native.greetings import Greetings
from tuichat.server.doors.native.handshakes import Handshakes
from tuichat.server.doors.native.peer import Peer
from tuichat.server.doors.native.render import Renderer
from tuichat.server.doors.native.session import Session, Sessions
from tuichat.server.doors.native.setup import Setup
from tuichat.server.doors.native.wire import ERROR_CODES, send_error, write
from tuichat.server.output_budget import OutputBudget

if TYPE_CHECKING:
    import socket
    import ssl
    import weakref

    from tuichat.server.avatars import AvatarStore
    from tuichat.server.config import ServerConfig
    from tuichat.server.core.chat import Chat
    from tuichat.server.core.model import Member
    from tuichat.server.core.ports import Scheduler
    from tuichat.server.reactor import Reactor

log = logging.getLogger("tuichat.server")
frame_log = logging.getLogger("tuichat.server.frames")

Handler = Callable[[Peer, Decoded], None]
SETUP_FRAME = {
    Channel.RECV: FrameType.HELLO,
    Channel.SEND: FrameType.ATTACH,
    Channel.IMAGE: FrameType.ATTACH,
}
"""The first frame each channel must carry."""


class NativeDoor:
    """Peers, sessions and frames for the chat; on the reactor thread only."""

    def __init__(self, config: ServerConfig, reactor: Reactor, chat: Chat,
                 scheduler: Scheduler, avatars: AvatarStore, console_avatar: str,
                 tls: ssl.SSLContext | None = None) -> None:
        self._config = config
        self._reactor = reactor
        self._chat = chat
        self._tls = tls
        self.connections = Connections(config, reactor, lambda: chat.recent_tickets)
        self.output = OutputBudget(config.max_queued_bytes, self.connections.peers)
        """All output waiting to be sent; its ``queued`` and ``peak`` are gauges."""
        self.handshakes = Handshakes(reactor, config.max_handshakes_per_address,
                                     config.max_handshakes)
        self.sessions = Sessions()
        greetings = Greetings(config.default_room, config.replay_limit, console_avatar)
        self._renderer = Renderer(config.default_room, greetings, self._token_of,
                                  self._end_session)
        setup = Setup(config, reactor, chat, self, self.sessions, self.connections, avatars,
                      console_avatar)
        exchange = self._exchange = AvatarExchange(avatars, console_avatar, scheduler, chat,
                                                   self.on_frame)
        self._handlers: dict[tuple[Channel, str], Handler] = {
            (Channel.RECV, FrameType.HELLO): setup.hello,
            (Channel.SEND, FrameType.ATTACH): setup.attach,
            (Channel.IMAGE, FrameType.ATTACH): setup.attach,
            (Channel.SEND, FrameType.BYE): self._bye,
            (Channel.IMAGE, FrameType.AVATAR): exchange.upload,
            (Channel.IMAGE, FrameType.GET_AVATAR): exchange.download,
        }
        for kind in parse.REQUESTS:
            self._handlers[(Channel.SEND, kind)] = self._request
        for channel in Channel:
            self._handlers[(channel, FrameType.PONG)] = self._pong
        chat.add_door(self)

    # -- connections -------------------------------------------------------------------------

    def accept(self, sock: socket.socket, channel: Channel) -> Peer | None:
        """Take a newly accepted socket into the door's care; with TLS, close it at once
        (None) while too many handshakes are under way."""
        host = socket_host(sock)
        if self._tls is not None and self.handshakes.refusal(host) is not None:
            sock.close()
            return None
        peer = Peer(sock, channel, self._reactor, self, self._config.queue_limit, self._tls,
                    budget=self.output, handshakes=self.handshakes)
        if self._tls is not None:
            self.handshakes.begin(peer, host)
        self.connections.admit(peer, host, self._setup_expired)
        frame_log.debug("%s connected on %s", peer.address, channel)
        return peer

    def _setup_expired(self, ref: weakref.ref[Peer]) -> None:
        """A connection had ``setup_timeout`` seconds for ``hello`` or ``attach``."""
        peer = ref()
        if peer is not None and peer.session is None and not peer.closing:
            frame_log.debug("%s on %s sent no %s in time", peer.address, peer.channel,
                            SETUP_FRAME[peer.channel])
            self.connections.expired(peer)

    @property
    def open_peers(self) -> int:
        """Connections not yet closed (some may still be flushing their last bytes)."""
        return self.connections.open_count

    # -- frames in (the peers report here) -----------------------------------------------

    def on_frame(self, peer: Peer, decoded: Decoded) -> None:
        """Dispatch one inbound frame by channel and type."""
        frame = decoded.frame
        frame_log.debug("<- %s %s %s", peer.channel, peer.address, Brief(frame))
        session: Session | None = peer.session
        if session is not None:
            session.last_heard = time.monotonic()
            if peer.channel is Channel.IMAGE and session.checking_upload:
                assert session.image_backlog is not None
                session.image_backlog.append(decoded)
                return
        kind = frame["type"]
        if session is None and kind != SETUP_FRAME[peer.channel]:
            self._fail_setup(peer, kind)
            return
        handler = self._handlers.get((peer.channel, kind))
        if handler is None:
            self._refuse_frame(peer, kind)
            return
        handler(peer, decoded)

    def on_bad_frame(self, peer: Peer, error: ProtocolError) -> None:
        """A frame broke the framing rules: tell the client, end its whole session."""
        log.warning("bad frame from %s on %s: %s", peer.address, peer.channel, error)
        send_error(peer, ErrorCode.BAD_FRAME, str(error))
        if peer.session is not None:
            self._chat.leave(peer.session.member, LeaveReason.ERROR, f"bad frame: {error}")
        else:
            peer.close_soon()

    def on_lost(self, peer: Peer, reason: LeaveReason, why: str) -> None:
        """A connection ended or failed: its whole session ends."""
        if peer.session is not None:
            self._chat.leave(peer.session.member, reason, why)
        else:
            frame_log.debug("%s on %s gone before joining: %s", peer.address, peer.channel, why)
            peer.close()
            self.connections.forget(peer)

    def _request(self, peer: Peer, decoded: Decoded) -> None:
        """A member's chat frame, read once into a request for the chat."""
        frame = decoded.frame
        request = parse.request(frame["type"], frame, self._config.default_room)
        self._chat.handle(peer.session.member, request)

    def _pong(self, peer: Peer, decoded: Decoded) -> None:
        """Any frame refreshes ``last_heard``; a pong needs nothing more."""

    def _bye(self, peer: Peer, decoded: Decoded) -> None:
        self._chat.leave(peer.session.member, LeaveReason.QUIT, "said bye")

    def _fail_setup(self, peer: Peer, kind: str) -> None:
        """A frame before ``hello``/``attach``: the set-up order was broken."""
        if peer.channel is Channel.RECV:
            send_error(peer, ErrorCode.BAD_FRAME, f"expected hello first, got {kind!r}")
        else:
            send_error(peer, ErrorCode.BAD_SESSION, f"expected attach first, got {kind!r}")
        peer.close_soon()

    @staticmethod
    def _refuse_frame(peer: Peer, kind: str) -> None:
        known = kind in FrameType.__members__.values()
        where = f" on the {peer.channel} channel" if known else ""
        send_error(peer, ErrorCode.UNKNOWN_TYPE, f"frame type {kind!r} is not accepted{where}")

    # -- events out (the chat delivers here) ---------------------------------------------

    def deliver(self, event: Event, members: Collection[Member]) -> None:
        """Turn ``event`` into frames for ``members``, encoded once."""
        self._renderer.deliver(event, members)

    def _token_of(self, member: Member) -> str:
        session = self.sessions.of(member)
        assert session is not None, "a welcome for a member without a session"
        return session.token

    def _end_session(self, event: Ended, member: Member) -> None:
        """The chat ended ``member``'s session: the refusal (if any) on its recv, then its
        connections close once their queued frames are sent."""
        session = self.sessions.of(member)
        if session is None:
            return
        self.sessions.remove(session)
        if event.refusal is not None:
            send_error(session.recv, ERROR_CODES[event.refusal.kind], event.refusal.text)
        self._exchange.forget(session)
        for peer in session.peers():
            peer.close_soon()

    # -- keep-alive and stopping ---------------------------------------------------------

    def tick(self) -> None:
        """Ping the quiet, drop the silent, and cut closing peers that linger too long."""
        now = time.monotonic()
        interval, timeout = self._config.ping_interval, self._config.ping_timeout
        for session in self.sessions:
            quiet = now - session.last_heard
            if quiet >= timeout:
                self._chat.leave(session.member, LeaveReason.TIMEOUT,
                                 f"silent for {quiet:.0f} s")
            elif quiet >= interval and now - session.last_ping >= interval:
                session.pings_sent += 1
                session.last_ping = now
                write(session.recv, {"type": FrameType.PING, "n": session.pings_sent})
        for peer in self.connections:
            if peer.expired(now):
                peer.close()
        self.connections.forget_closed()

    def close_everyone(self) -> None:
        """Start closing every connection (after the chat has said ``shutdown``)."""
        self.sessions.clear()
        for peer in self.connections:
            peer.close_soon()

    def abort_all(self) -> None:
        """Close every connection now, sent or not (the end of a stop)."""
        self.handshakes.flush()
        self.connections.close_all()

