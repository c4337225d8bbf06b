"""The one chat room: who is here, what they may send, and fan-out to everyone.

Runs on the reactor thread only. Each inbound frame is dispatched by (channel, type) to a
handler; a message is stored in the history before it is broadcast; a broadcast is
encoded once and appended to every recipient's outbox. Avatar frames go to the room's
``AvatarExchange``.
"""

from __future__ import annotations

import logging
import re
import secrets
import sqlite3
import time
import weakref
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor, Future
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from tuichat import __version__
from tuichat.net.codec import Decoded, ProtocolError, encode
from tuichat.net.commands import is_admin_line
from tuichat.net.frames import (
    CONSOLE,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    WELCOME_HISTORY,
    Channel,
    ErrorCode,
    Frame,
    FrameType,
    LeaveReason,
    Message,
    away_problem,
    is_ref,
    is_sha256,
    text_problem,
)
from tuichat.net.names import name_key, name_problem, normalize_name
from tuichat.server.avatar_exchange import AvatarExchange
from tuichat.server.avatars import AvatarStore
from tuichat.server.bans import BanList, canonical_address
from tuichat.server.check_budget import PasswordKind
from tuichat.server.handshakes import Handshakes
from tuichat.server.limits import LineLimit, Verdict
from tuichat.server.logs import Tally
from tuichat.server.output_budget import OutputBudget
from tuichat.server.packing import pack_list
from tuichat.server.passwords import PasswordGate
from tuichat.server.peer import Peer
from tuichat.server.replay import ReplayCache
from tuichat.server.session import Session

if TYPE_CHECKING:
    import socket
    import ssl

    from tuichat.server.admin import Admin
    from tuichat.server.config import ServerConfig
    from tuichat.server.reactor import Reactor
    from tuichat.server.store.history import History

log = logging.getLogger("tuichat.server")
frame_log = logging.getLogger("tuichat.server.frames")
T = TypeVar("T")

SERVER_SOFTWARE = f"tuichat-server/{__version__}"
EXTENSIONS = (
    "attached", "replay", "user_changed", "avatar_reuse",
    "private", "action", "rename", "away", "whois", "motd", "moderation",
)
"""What this server adds to the contract, named in ``welcome`` so clients can rely on it."""

Handler = Callable[[Peer, Decoded], None]
_SETUP_FRAME = {
    Channel.RECV: FrameType.HELLO,
    Channel.SEND: FrameType.ATTACH,
    Channel.IMAGE: FrameType.ATTACH,
}


class Room:
    """Sessions, their frames, and everything the server says back."""

    def __init__(
        self,
        config: ServerConfig,
        reactor: Reactor,
        history: History,
        avatars: AvatarStore,
        console_avatar: str,
        admin_password: str,
        executor: Executor,
        tls: ssl.SSLContext | None = None,
        *,
        bans: BanList,
        motd: str | None = None,
    ) -> None:
        self.config = config
        self.reactor = reactor
        self.history = history
        self.replay = ReplayCache(history, config.replay_limit)
        reactor.before_flush.append(history.commit)
        self.avatars = avatars
        self.console_avatar = console_avatar
        self.admin_password = admin_password
        self._executor = executor
        self._tls = tls
        self.bans = bans
        self.motd = motd
        """The message of the day, sent in ``welcome`` and as a notice after it."""
        self.sessions: dict[str, Session] = {}
        self._by_token: dict[str, Session] = {}
        self._peers: dict[Peer, str] = {}
        """Every open connection, joined or not, so a stop can close them all; with the
        host it comes from, for the per-address limit."""
        self._per_host: Counter[str] = Counter()
        self.output = OutputBudget(config.max_queued_bytes, self._peers.keys)
        """All output waiting to be sent; its ``queued`` and ``peak`` are gauges."""
        self.handshakes = Handshakes(reactor, config.max_handshakes_per_address,
                                     config.max_handshakes)
        self._line_limits: dict[Session, LineLimit] = {}
        self.passwords = PasswordGate(config.auth_max_failures, config.auth_lockout,
                                      config.auth_budget)
        self._exchange = AvatarExchange(self)
        self._expiries = Tally(log, partial(_idle_closed, config.setup_timeout),
                               reactor.call_later)
        """Connections closed at the set-up deadline, logged as one line a second."""
        self._refusals = Tally(log, _refused, reactor.call_later)
        self.admin: Admin | None = None
        self._handlers: dict[tuple[Channel, str], Handler] = {
            (Channel.RECV, FrameType.HELLO): self._hello,
            (Channel.SEND, FrameType.ATTACH): self._attach,
            (Channel.IMAGE, FrameType.ATTACH): self._attach,
            (Channel.SEND, FrameType.SAY): self._say,
            (Channel.SEND, FrameType.COMMAND): self._command,
            (Channel.SEND, FrameType.BYE): self._bye,
            (Channel.SEND, FrameType.PRIVATE): self._private,
            (Channel.SEND, FrameType.NICK): self._nick,
            (Channel.SEND, FrameType.AWAY): self._away,
            (Channel.SEND, FrameType.WHOIS): self._whois,
            (Channel.IMAGE, FrameType.AVATAR): self._exchange.upload,
            (Channel.IMAGE, FrameType.GET_AVATAR): self._exchange.download,
        }
        for channel in Channel:
            self._handlers[(channel, FrameType.PONG)] = self._pong

    # -- connections -------------------------------------------------------------------------

    def accept(self, sock: socket.socket, channel: Channel) -> Peer | None:
        """Take a newly accepted socket into the room's care; with TLS, close it at once
        (None) while too many handshakes are under way."""
        host = _socket_host(sock)
        if self._tls is not None and self.handshakes.refusal(host) is not None:
            sock.close()
            return None
        peer = Peer(sock, channel, self.reactor, self, self.config.queue_limit, self._tls,
                    budget=self.output, handshakes=self.handshakes)
        if self._tls is not None:
            self.handshakes.begin(peer, host)
        self._admit(peer, host)
        frame_log.debug("%s connected on %s", peer.address, channel)
        return peer

    def on_frame(self, peer: Peer, decoded: Decoded) -> None:
        """Dispatch one inbound frame by channel and type."""
        frame = decoded.frame
        frame_log.debug("<- %s %s %s", peer.channel, peer.address, _Brief(frame))
        session: Session | None = peer.session
        if session is not None:
            session.last_heard = time.monotonic()
            if peer.channel is Channel.IMAGE and session.checking_upload:
                assert session.image_backlog is not None
                session.image_backlog.append(decoded)
                return
        kind = frame["type"]
        if session is None and kind != _SETUP_FRAME[peer.channel]:
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
        self._send_error(peer, ErrorCode.BAD_FRAME, str(error))
        if peer.session is not None:
            self.end_session(peer.session, LeaveReason.ERROR, f"bad frame: {error}")
        else:
            self._close_peer(peer)

    def on_lost(self, peer: Peer, reason: LeaveReason, why: str) -> None:
        """A connection ended or failed: its whole session ends."""
        if peer.session is not None:
            self.end_session(peer.session, reason, why)
        else:
            frame_log.debug("%s on %s gone before joining: %s", peer.address, peer.channel, why)
            peer.close()
            self._forget(peer)

    def _admit(self, peer: Peer, host: str) -> None:
        """Count a new connection; over a limit refuse it, else start its set-up clock
        (which holds the peer weakly: a closed one is freed at once)."""
        self._peers[peer] = host
        self._per_host[host] += 1
        refusal = self._connection_refusal(host)
        if refusal is not None:
            frame_log.debug("refused %s on %s: %s", peer.address, peer.channel, refusal)
            self._refusals.add(host)
            self._send_error(peer, ErrorCode.SERVER_FULL, refusal)
            self._close_peer(peer)
        elif self.config.setup_timeout > 0:
            self.reactor.call_later(self.config.setup_timeout,
                                    partial(self._setup_expired, weakref.ref(peer)))

    def _connection_refusal(self, host: str) -> str | None:
        """Why one more connection from ``host`` (already counted) is too many, if it is."""
        per_host, total = self.config.max_per_address, self.config.max_connections
        if (per_host and self._per_host[host] > per_host) or (total and len(self._peers) > total):
            self._forget_closed()  # recount: some may have closed since the last tick
        if per_host and self._per_host[host] > per_host:
            return f"too many connections from your address (at most {per_host:,}); try later"
        if total and len(self._peers) > total:
            return f"the server is full ({total:,} connections); try again later"
        return None

    def _forget_closed(self) -> None:
        """Stop counting connections that have closed."""
        for peer in [peer for peer in self._peers if peer.closed]:
            self._forget(peer)

    def _forget(self, peer: Peer) -> None:
        """Stop counting one connection (harmless to repeat)."""
        host = self._peers.pop(peer, None)
        if host is None:
            return
        self._per_host[host] -= 1
        if not self._per_host[host]:
            del self._per_host[host]

    def _setup_expired(self, ref: weakref.ref[Peer]) -> None:
        """A connection had ``setup_timeout`` seconds for ``hello`` or ``attach``."""
        peer = ref()
        if peer is not None and peer.session is None and not peer.closing:
            frame_log.debug("%s on %s sent no %s in time", peer.address, peer.channel,
                            _SETUP_FRAME[peer.channel])
            self._expiries.add(self._peers[peer])
            self._close_peer(peer)

    # -- session set-up --------------------------------------------------------------------

    def _hello(self, peer: Peer, decoded: Decoded) -> None:
        frame = decoded.frame
        if peer.session is not None:
            self._send_error(peer, ErrorCode.UNKNOWN_TYPE, "hello was already received")
            return
        refusal = self._hello_refusal(frame, self._peers[peer])
        if refusal is not None:
            code, text = refusal
            log.info("refused %s from %s: %s", _brief_name(frame), peer.address, text)
            self._send_error(peer, code, text)
            self._close_peer(peer)
            return
        name = normalize_name(frame["name"])
        session = Session(secrets.token_urlsafe(24), name, peer, last_heard=time.monotonic(),
                          host=self._peers[peer], joined=time.time())
        wanted_avatar = frame.get("avatar")
        if (is_sha256(wanted_avatar) and wanted_avatar != self.console_avatar
                and wanted_avatar in self.avatars):
            session.avatar = wanted_avatar
        admin_password = frame.get("admin_password")
        admin_wait = (None if admin_password is None
                      else self.passwords.refusal(session.host, name, PasswordKind.ADMIN))
        if admin_password is not None and admin_wait is None:
            session.admin = self.passwords.check(session.host, name, admin_password,
                                                 self.admin_password, PasswordKind.ADMIN)
        peer.session = session
        config = self.config
        self._line_limits[session] = LineLimit(
            config.rate_burst, config.rate_per_second, config.rate_abuse_limit
        )
        self._welcome(session, frame.get("since"), frame.get("epoch"))
        self.sessions[session.key] = session
        self._by_token[session.token] = session
        self.broadcast(
            {"type": FrameType.JOIN, **session.user_record()}, skip=session
        )
        if admin_wait is not None:
            self.notice(session, f"{admin_wait.capitalize()}: you joined without admin rights.",
                        "error")
        elif admin_password is not None and not session.admin:
            self.notice(session, "Wrong admin password: you joined without admin rights.", "error")
        warning = self.admin.shutdown_warning() if self.admin is not None else None
        if warning is not None:
            self.notice(session, warning, "error")
        log.info(
            "%s joined from %s%s (%d here)",
            name,
            peer.address,
            " as admin" if session.admin else "",
            len(self.sessions),
        )
        if config.setup_timeout > 0:
            self.reactor.call_later(config.setup_timeout, partial(self._attach_expired, session))

    def _hello_refusal(self, frame: Frame, host: str) -> tuple[ErrorCode, str] | None:
        ban = self.bans.on_address(host)
        if ban is not None:
            return ErrorCode.BANNED, ban.refusal
        version = frame.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            return ErrorCode.BAD_VERSION, (
                f"hello must give the protocol version as an integer; this server speaks "
                f"versions {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}"
            )
        if version < MIN_PROTOCOL_VERSION:
            return ErrorCode.BAD_VERSION, (
                f"the client speaks protocol version {version}; this server speaks versions "
                f"{MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}"
            )
        raw_name = frame.get("name")
        name = normalize_name(raw_name) if isinstance(raw_name, str) else raw_name
        problem = name_problem(name)
        if problem is not None:
            return ErrorCode.BAD_NAME, problem
        assert isinstance(name, str)
        ban = self.bans.on_name(name)
        if ban is not None:
            return ErrorCode.BANNED, ban.refusal
        if self.config.password is not None:
            problem = self._join_password_problem(name, host, frame.get("password"),
                                                  self.config.password)
            if problem is not None:
                return ErrorCode.BAD_PASSWORD, problem
        holder = self.find(name)
        if holder is not None:
            return ErrorCode.NAME_TAKEN, f"{_taken(name, holder)}; choose another name"
        if len(self.sessions) >= self.config.max_clients:
            return ErrorCode.SERVER_FULL, (
                f"the server is full ({self.config.max_clients:,} users); try again later"
            )
        return None

    def _join_password_problem(
        self, name: str, host: str, given: object, expected: str
    ) -> str | None:
        """Why ``given`` does not let ``name`` in from ``host``; while the name (or the
        whole address) must wait after wrong passwords, the password is not looked at."""
        wait = self.passwords.refusal(host, name, PasswordKind.JOIN)
        if wait is not None:
            return f"{wait} (the password was not checked)"
        if self.passwords.check(host, name, given, expected, PasswordKind.JOIN):
            return None
        return "this server needs the right join password"

    def _welcome(self, session: Session, since: object, epoch: object) -> None:
        """Send ``welcome``, then whatever of users and history did not fit into it."""
        replay = self.replay.select(since, epoch)
        users = [other.user_record() for other in self.sessions.values()]
        users.append(session.user_record())
        base: Frame = {
            "type": FrameType.WELCOME,
            "version": PROTOCOL_VERSION,
            "session": session.token,
            "name": session.name,
            "server": SERVER_SOFTWARE,
            "admin": session.admin,
            "avatar": session.avatar,
            "console_avatar": self.console_avatar,
            "history_truncated": replay.truncated,
            "epoch": self.history.epoch,
            "extensions": list(EXTENSIONS),
            "motd": self.motd,
            "users": [],
            "history": [],
        }
        with_users, more_users = pack_list(base, "users", users, budget=32_768)
        welcome, more_history = pack_list(with_users, "history", replay.frames,
                                          lengths=replay.lengths)
        peer = session.recv
        peer.write(encode(welcome))
        for user in more_users:
            peer.write(encode({"type": FrameType.JOIN, **user, "present": True}))
        for message in replay.messages[len(replay.messages) - len(more_history):]:
            peer.write(message.line)
        frame_log.debug("-> recv %s welcome: %d users, %d messages", peer.address, len(users),
                        len(replay.messages))
        if self.motd is not None:
            self.notice(session, self.motd, motd=True)

    def _attach(self, peer: Peer, decoded: Decoded) -> None:
        token = decoded.frame.get("session")
        session = self._by_token.get(token) if isinstance(token, str) else None
        if peer.session is not None:
            self._send_error(peer, ErrorCode.BAD_SESSION, "this connection is already attached")
            return
        if session is None or session.ended:
            self._send_error(peer, ErrorCode.BAD_SESSION, "unknown session token")
            self._close_peer(peer)
            return
        if session.peer(peer.channel) is not None:
            self._send_error(
                peer, ErrorCode.BAD_SESSION, f"the session already has a {peer.channel} channel"
            )
            self._close_peer(peer)
            return
        if peer.channel is Channel.SEND:
            session.send = peer
        else:
            session.image = peer
        peer.session = session
        session.last_heard = time.monotonic()
        self._write(peer, {"type": FrameType.ATTACHED, "channel": peer.channel.value})

    def _attach_expired(self, session: Session) -> None:
        """A joined session had ``setup_timeout`` seconds to attach send and image."""
        missing = [channel.value for channel in (Channel.SEND, Channel.IMAGE)
                   if session.peer(channel) is None]
        if session.ended or not missing:
            return
        what = f"{' and '.join(missing)} channel{'s' if len(missing) > 1 else ''}"
        why = f"no {what} attached within {self.config.setup_timeout:g} s"
        self.notice(session, f"Disconnected: {why}.", "error")
        self.end_session(session, LeaveReason.TIMEOUT, why)

    def _fail_setup(self, peer: Peer, kind: str) -> None:
        """A frame before ``hello``/``attach``: the set-up order was broken."""
        if peer.channel is Channel.RECV:
            self._send_error(peer, ErrorCode.BAD_FRAME, f"expected hello first, got {kind!r}")
        else:
            self._send_error(peer, ErrorCode.BAD_SESSION, f"expected attach first, got {kind!r}")
        self._close_peer(peer)

    def _refuse_frame(self, peer: Peer, kind: str) -> None:
        known = kind in FrameType.__members__.values()
        where = f" on the {peer.channel} channel" if known else ""
        text = f"frame type {kind!r} is not accepted{where}"
        self._send_error(peer, ErrorCode.UNKNOWN_TYPE, text)

    # -- chat ------------------------------------------------------------------------------

    def _say(self, peer: Peer, decoded: Decoded) -> None:
        session: Session = peer.session
        frame = decoded.frame
        text, ref = frame.get("text"), frame.get("ref")
        if not self._admit_line(session, ref):
            return
        if isinstance(text, str) and is_admin_line(text):
            self._run_admin(session, text)
            return
        problem = text_problem(text)
        if problem is not None:
            self.notice(session, f"Message not sent: {problem}.", "error", ref=ref)
            return
        assert isinstance(text, str)
        try:
            self.post(session.name, text, session.avatar, origin=session, ref=ref,
                      action=frame.get("action") is True)
        except sqlite3.Error as exc:
            log.error("could not store a message from %s: %s", session.name, exc)
            self.notice(session, "Message not sent: the server could not store it.", "error",
                        ref=ref)

    def _command(self, peer: Peer, decoded: Decoded) -> None:
        line = decoded.frame.get("line")
        session: Session = peer.session
        if not self._within_rate(session):
            return
        if not isinstance(line, str) or text_problem(line) is not None:
            self.notice(session, "command must be a line of text", "error")
        elif is_admin_line(line):
            self._run_admin(session, line)
        else:
            first = line.split(maxsplit=1)[0]
            self.notice(
                session, f"Unknown command {first!r}. Admin commands: admin -h", "error"
            )

    def _admit_line(self, session: Session, ref: Any) -> bool:
        """Spend a rate token for a ``say`` or ``private`` and check its ``ref``; a refusal
        carries the ref when it is usable."""
        if not self._within_rate(session, ref if is_ref(ref) else None):
            return False
        if ref is not None and not is_ref(ref):
            self.notice(session, "ref must be an integer or a string of at most 64 characters",
                        "error")
            return False
        return True

    def _within_rate(self, session: Session, ref: Any = None) -> bool:
        """Spend the session's allowance for one frame sent to the room (``say``,
        ``command``, ``private``, ``nick``, ``away``, ``whois``); over the rate, refuse it,
        and end a session that keeps flooding (leave reason ``kicked``)."""
        verdict = self._line_limits[session].check()
        if verdict is Verdict.PASS:
            return True
        config = self.config
        lines = f"{config.rate_burst} line{'s' if config.rate_burst != 1 else ''}"
        self.notice(session, f"Slow down: at most {lines} at once and "
                    f"{config.rate_per_second:g} per second.", "error", ref=ref)
        if verdict is Verdict.CUT_OFF:
            why = f"{config.rate_abuse_limit} lines refused within a minute"
            log.warning("%s (%s) flooded: %s", session.name, session.address, why)
            self.notice(session, f"Disconnected for flooding: {why}.", "error")
            self.end_session(session, LeaveReason.KICKED, f"flooding: {why}")
        return False

    def _run_admin(self, session: Session, line: str) -> None:
        """Run an admin line: ``Admin`` parses it and checks rights and passwords."""
        assert self.admin is not None
        self.admin.handle(session, line)

    # -- private messages, names, away, whois ---------------------------------------------

    def _private(self, peer: Peer, decoded: Decoded) -> None:
        session: Session = peer.session
        frame = decoded.frame
        text, ref = frame.get("text"), frame.get("ref")
        if not self._admit_line(session, ref):
            return
        problem = text_problem(text)
        target = self.find(frame.get("to"))
        if problem is not None:
            self.notice(session, f"Message not sent: {problem}.", "error", ref=ref)
        elif target is None:
            self.notice(session, f"No one named {_quoted(frame.get('to'))} is here; your "
                        "message was not sent.", "error", ref=ref)
        elif target is session:
            self.notice(session, "You cannot send a private message to yourself.", "error",
                        ref=ref)
        else:
            assert isinstance(text, str)
            self._deliver_private(session, target, text, ref)

    def _deliver_private(self, sender: Session, target: Session, text: str, ref: Any) -> None:
        """Send a private message to both parties (the sender's copy with ``ref``); tell
        the sender when the recipient is away. Never stored, its text never logged."""
        frame: Frame = {"type": FrameType.PRIVATE, "from": sender.name, "to": target.name,
                        "text": text, "ts": time.time(), "avatar": sender.avatar}
        self._write(target.recv, frame)
        self._write(sender.recv, {**frame, "ref": ref} if ref is not None else frame)
        if target.away is not None:
            self.notice(sender, f"{target.name} is away: {target.away}")

    def _nick(self, peer: Peer, decoded: Decoded) -> None:
        session: Session = peer.session
        if not self._within_rate(session):
            return
        wanted = decoded.frame.get("name")
        name = normalize_name(wanted) if isinstance(wanted, str) else wanted
        problem = name_problem(name)
        if problem is not None:
            self.notice(session, f"Name not changed: {problem}.", "error")
            return
        assert isinstance(name, str)
        holder = self.find(name)
        ban = self.bans.on_name(name)
        if name == session.name:
            self.notice(session, f"You are already {name}.")
        elif holder is not None and holder is not session:
            self.notice(session, f"Name not changed: {_taken(name, holder)}.", "error")
        elif ban is not None:
            self.notice(session, f"Name not changed: {ban.refusal}.", "error")
        else:
            self._rename(session, name)

    def _rename(self, session: Session, name: str) -> None:
        """Give a session a new name: everyone, the user too, sees it leave and join."""
        old = session.name
        del self.sessions[session.key]
        session.name = name
        self.sessions[session.key] = session
        self.broadcast({"type": FrameType.LEAVE, "name": old, "reason": LeaveReason.QUIT.value,
                        "renamed_to": name})
        self.broadcast({"type": FrameType.JOIN, **session.user_record(), "renamed_from": old})
        log.info("%s (%s) is now %s", old, session.address, name)

    def _away(self, peer: Peer, decoded: Decoded) -> None:
        session: Session = peer.session
        if not self._within_rate(session):
            return
        text = decoded.frame.get("text")
        away = text if text != "" else None
        problem = away_problem(away) if away is not None else None
        if problem is not None:
            self.notice(session, f"Away text not set: {problem}.", "error")
            return
        if away == session.away:
            return
        session.away = away
        self.broadcast({"type": FrameType.USER_CHANGED, **session.user_record()})
        log.info("%s is %s", session.name, "away" if away is not None else "back")

    def _whois(self, peer: Peer, decoded: Decoded) -> None:
        session: Session = peer.session
        if not self._within_rate(session):
            return
        wanted = decoded.frame.get("name")
        target = self.find(wanted)
        if target is None:
            self.notice(session, f"No one named {_quoted(wanted)} is here.", "error")
            return
        reply: Frame = {"type": FrameType.WHOIS, **target.user_record(), "joined": target.joined}
        if session.admin:
            reply["address"] = target.host
        self._write(session.recv, reply)

    def find(self, name: object) -> Session | None:
        """The session present under ``name`` or a look-alike of it (``name_key``), if any."""
        if not isinstance(name, str):
            return None
        return self.sessions.get(name_key(name))

    # -- moderation and the message of the day (run by admin commands) ---------------------

    def remove(self, session: Session, error: tuple[ErrorCode, str], why: str,
               leave: dict[str, Any]) -> None:
        """End a session at an admin's word: an ``error`` (code, text) on its recv, then
        ``leave`` (reason ``kicked``, plus the keys of ``leave``) to the others."""
        self._send_error(session.recv, *error)
        self.end_session(session, LeaveReason.KICKED, why, **leave)

    def sessions_from(self, host: str) -> list[Session]:
        """The sessions whose recv connection comes from ``host``."""
        return [session for session in self.sessions.values() if session.host == host]

    def announce_motd(self) -> None:
        """Show everyone the message of the day (there must be one)."""
        assert self.motd is not None
        self.broadcast({"type": FrameType.NOTICE, "level": "info", "text": self.motd,
                        "motd": True})

    def post(
        self,
        sender: str,
        text: str,
        avatar: str | None,
        origin: Session | None = None,
        ref: Any = None,
        action: bool = False,
    ) -> Message:
        """Store a message (an emote with ``action``), then send it to everyone; the
        sender's copy carries ``ref``."""
        # Committed with the rest of this loop pass, before any of it is sent.
        message = self.history.append(sender, text, avatar, commit=False, action=action)
        frame = message.to_frame()
        data = encode(frame)
        for session in list(self.sessions.values()):
            if session is origin and ref is not None:
                session.recv.write(encode({**frame, "ref": ref}))
            else:
                session.recv.write(data)
        frame_log.debug("-> all message seq=%d from %s", message.seq, sender)
        return message

    def console(self, text: str) -> Message:
        """Say ``text`` to everyone as Console (stored like any message)."""
        return self.post(CONSOLE, text, self.console_avatar)

    def console_unstored(self, text: str) -> None:
        """Say ``text`` to those present as Console, without storing it: a ``message``
        frame without ``seq``, never in a later joiner's history (the shutdown countdown)."""
        self.broadcast({"type": FrameType.MESSAGE, "ts": time.time(), "from": CONSOLE,
                        "text": text, "avatar": self.console_avatar})

    def notice(self, session: Session, text: str, level: str = "info", **extra: Any) -> None:
        """A reply for one user only, shown as coming from Console; never stored."""
        frame: Frame = {"type": FrameType.NOTICE, "level": level, "text": text}
        frame.update({key: value for key, value in extra.items() if value is not None})
        self._write(session.recv, frame)

    def broadcast(self, frame: Frame, skip: Session | None = None) -> None:
        """Encode ``frame`` once and queue it for every session's recv channel."""
        data = encode(frame)
        for session in list(self.sessions.values()):
            if session is not skip:
                session.recv.write(data)
        frame_log.debug("-> all %s", _Brief(frame))

    def send_history_reset(self) -> None:
        """Tell everyone the history was replaced or cut, with its recent part."""
        messages = [message.to_frame() for message in self.history.recent(WELCOME_HISTORY)]
        frame, rest = pack_list({"type": FrameType.HISTORY, "reset": True}, "messages", messages)
        self.broadcast(frame)
        for message in rest:
            self.broadcast({**message, "replay": True})

    def set_admin(self, session: Session) -> None:
        """Give a session admin rights and show everyone its new badge."""
        session.admin = True
        self.broadcast({"type": FrameType.USER_CHANGED, **session.user_record()})

    # -- work off the loop (avatar checks, admin saves) ------------------------------------

    def in_worker(self, work: Callable[[], T], then: Callable[[Future[T]], None]) -> None:
        """Run ``work`` on a worker thread, then ``then`` with its future back on the
        reactor (never, if the server stops first)."""
        future = self._executor.submit(work)
        future.add_done_callback(
            lambda done: self.reactor.call_soon_threadsafe(lambda: then(done))
        )

    # -- keep-alive and leaving --------------------------------------------------------------

    def _pong(self, peer: Peer, decoded: Decoded) -> None:
        """Any frame refreshes ``last_heard``; a pong needs nothing more."""

    def _bye(self, peer: Peer, decoded: Decoded) -> None:
        self.end_session(peer.session, LeaveReason.QUIT, "said bye")

    def tick(self) -> None:
        """Ping the quiet, drop the silent, and cut closing peers that linger too long."""
        now = time.monotonic()
        interval, timeout = self.config.ping_interval, self.config.ping_timeout
        for session in list(self.sessions.values()):
            quiet = now - session.last_heard
            if quiet >= timeout:
                self.end_session(session, LeaveReason.TIMEOUT, f"silent for {quiet:.0f} s")
            elif quiet >= interval and now - session.last_ping >= interval:
                session.pings_sent += 1
                session.last_ping = now
                self._write(session.recv, {"type": FrameType.PING, "n": session.pings_sent})
        for peer in list(self._peers):
            if peer.expired(now):
                peer.close()
        self._forget_closed()

    def end_session(
        self, session: Session, reason: LeaveReason, why: str, **leave: Any
    ) -> None:
        """Close a session's connections and tell the others it left (``leave`` adds keys
        to the ``leave`` frame; None values are left out)."""
        if session.ended:
            return
        session.ended = True
        if self.sessions.get(session.key) is session:
            del self.sessions[session.key]
        self._by_token.pop(session.token, None)
        self._line_limits.pop(session, None)
        self._exchange.forget(session)
        for peer in session.peers():
            self._close_peer(peer)
        frame: Frame = {"type": FrameType.LEAVE, "name": session.name, "reason": reason.value}
        frame.update({key: value for key, value in leave.items() if value is not None})
        self.broadcast(frame)
        log.info("%s left (%s: %s) (%d here)", session.name, reason, why, len(self.sessions))

    def close_everyone(self, text: str) -> None:
        """Send ``shutdown`` to every session and start closing every connection."""
        self.broadcast({"type": FrameType.SHUTDOWN, "text": text})
        for session in self.sessions.values():
            session.ended = True
        self.sessions.clear()
        self._by_token.clear()
        self._line_limits.clear()
        for peer in self._peers:
            peer.close_soon()

    @property
    def open_peers(self) -> int:
        """Connections not yet closed (some may still be flushing their last bytes)."""
        return sum(1 for peer in self._peers if not peer.closed)

    def abort_all(self) -> None:
        """Close every connection now, sent or not (the end of a stop)."""
        self._expiries.flush()
        self._refusals.flush()
        self.handshakes.flush()
        for peer in self._peers:
            peer.close()
        self._peers.clear()
        self._per_host.clear()

    # -- helpers ---------------------------------------------------------------------------

    def _write(self, peer: Peer, frame: Frame) -> None:
        peer.write(encode(frame))
        frame_log.debug("-> %s %s %s", peer.channel, peer.address, _Brief(frame))

    def _send_error(self, peer: Peer, code: ErrorCode, text: str, **extra: Any) -> None:
        frame: Frame = {"type": FrameType.ERROR, "code": code.value, "text": text}
        frame.update({key: value for key, value in extra.items() if value is not None})
        self._write(peer, frame)

    @staticmethod
    def _close_peer(peer: Peer) -> None:
        peer.close_soon()


class _Brief:
    """A frame for the debug log, formatted only if the line is emitted: secrets masked,
    cut short."""

    __slots__ = ("frame",)

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def __str__(self) -> str:
        shown = {key: _masked(key, value) for key, value in self.frame.items()}
        if self.frame.get("type") == FrameType.PRIVATE and "text" in shown:
            shown["text"] = "***"
        text = repr(shown)
        return text if len(text) <= 200 else text[:197] + "..."


def _masked(key: str, value: Any) -> Any:
    if "password" in key or key == "session":
        return "***"
    if isinstance(value, str) and _ADMIN_LOGIN.match(value):
        return "admin -a ***"
    return value


_ADMIN_LOGIN = re.compile(r"\s*admin\s+-a\b")


def _socket_host(sock: socket.socket) -> str:
    """The address a connection comes from, without the port: what per-address limits count."""
    try:
        host = str(sock.getpeername()[0])
    except OSError:
        return "?"
    return canonical_address(host) or host


def _quoted(name: object) -> str:
    """A name from a frame (any JSON value) as shown in a notice: quoted, cut short."""
    return repr(name[:40] if isinstance(name, str) else name)[:60]


def _idle_closed(timeout: float, count: int) -> str:
    """The log line for ``count`` connections closed at the set-up deadline."""
    return (f"closed {count:,} idle connection{'' if count == 1 else 's'} "
            f"(no hello or attach within {timeout:g} s)")


def _refused(count: int) -> str:
    """The log line for ``count`` connections refused over the connection limits."""
    return f"refused {count:,} connection{'' if count == 1 else 's'} over the connection limits"


def _taken(name: str, holder: Session) -> str:
    """Why ``name`` cannot be had: ``holder`` has it, or one that looks like it."""
    if holder.name.casefold() == name.casefold():
        return f"{name!r} is already here"
    return f"{name!r} looks like {holder.name!r}, who is already here"


def _brief_name(frame: Frame) -> str:
    name = frame.get("name")
    return repr(name[:40]) if isinstance(name, str) else "a hello without a name"
